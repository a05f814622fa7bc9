"""Pytest fixtures around the fake SMS provider (``tests/fake_sms_provider.py``).

Use them from a test module with ``pytest_plugins = ("tests.sms_fixtures",)`` (until the
root conftest lists this module), then:

* ``fake_sms_provider``: a started :class:`FakeSmsProvider` (stopped afterwards);
* ``sms_settings``: the ``settings`` fixture (both databases) with SMS to the fake provider,
  e-mail to the console, and ``https://quietline.test`` as the public origin;
* ``sms_services``: ``Services`` built from ``sms_settings`` on the ``clock`` fixture;
* ``sms_client``: a ``TestClient`` of that app (its outbox worker runs in the background);
* ``sms_client_manual``: the same app without its start-up tasks (no background outbox
  worker): the test sends with ``OutboxWorker(services).run_once()``, so what is sent when
  is deterministic.

Inbound texts: ``sms_webhook(from_number=..., body=...)`` then
``sms_client.post(hook.path, data=hook.form, headers=hook.headers)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from quietline.app import Services, build_services, create_app
from quietline.config import Settings
from quietline.domain.clock import ManualClock
from tests.fake_sms_provider import FakeSmsProvider, twilio_settings


@pytest.fixture
def fake_sms_provider() -> Iterator[FakeSmsProvider]:
    with FakeSmsProvider() as provider:
        yield provider


@pytest.fixture
def sms_settings(
    settings: Settings, fake_sms_provider: FakeSmsProvider, tmp_path: Path
) -> Settings:
    return twilio_settings(
        settings, fake_sms_provider, tmp_path / "twilio-token", email_gateway="console"
    )


@pytest.fixture
def sms_services(sms_settings: Settings, clock: ManualClock) -> Iterator[Services]:
    svc = build_services(sms_settings, clock=clock)
    yield svc
    svc.close()


@pytest.fixture
def sms_client(sms_services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(sms_services), base_url="https://quietline.test") as client:
        yield client


@pytest.fixture
def sms_client_manual(sms_services: Services) -> TestClient:
    """No lifespan: no background tasks (the outbox, purges, notifications) run."""
    return TestClient(create_app(sms_services), base_url="https://quietline.test")
