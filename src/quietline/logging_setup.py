"""Logging set-up. Log lines carry ids, counts and route templates, never content: message
text, names, phone numbers and tokens are not passed to loggers in the first place, bind
parameters are hidden by the engines, and the access log names the route template instead
of the requested path."""

from __future__ import annotations

import logging
import sys


def configure_logging(level: str) -> None:
    # The format names none of the process id, thread, or calling file and line, so records do
    # not collect them (the Logging HOWTO's "Optimization" section): the access log writes a
    # record per request on the event loop, and the process id alone is a system call each
    # time (session 15 measured 3 % of the loop's time in it).
    logging.logProcesses = False
    logging.logMultiprocessing = False
    logging.logThreads = False
    logging._srcfile = None  # the HOWTO's documented switch for the caller lookup
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # uvicorn's access log prints the full request line, query string included: replaced by
    # the middleware in quietline.api.app, which logs the route template.
    logging.getLogger("uvicorn.access").disabled = True
    # The WebSocket protocol logs every frame through "uvicorn.error" at DEBUG, the sign-in
    # frame with its session token included (and message frames, elided only by length).
    logging.getLogger("uvicorn.error").setLevel(max(logging.INFO, root.level))
