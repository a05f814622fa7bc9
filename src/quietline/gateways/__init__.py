"""Gateways to the world outside: SMS (Twilio, or the demo's console) and e-mail (SMTP with
STARTTLS, or the console). One interface per kind; the composition root (``app.py``) builds
the configured implementation once. The gateways themselves never touch the database;
:mod:`.outbox_worker` drives them from the durable outbox (decision 0017).
"""
