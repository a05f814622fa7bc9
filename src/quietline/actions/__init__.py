"""Named actions: ``check_*`` validates and checks access, ``do_*`` writes, audits and emits.

Every caller (HTTP, WebSocket, CLI, scheduled jobs) goes through these functions, so access
rules live here and nowhere else. Each takes the :class:`~quietline.storage.unit.Unit` it
runs in; callers run them through the database runner.
"""
