"""Twilio's webhooks into the server, on both databases: incoming texts and delivery reports.

* A webhook with a bad, missing or misdirected signature is refused with a 403 problem and
  stored nowhere: every table has the same number of rows after it, and the log has one line
  without content.
* A correctly signed text whose sender is not a phone number is refused with a 422 problem,
  stored nowhere, with no digits of it in the log.
* A correctly signed text reaches ``receive_sms`` (the client's thread gets it, once, however
  often Twilio repeats the webhook); the answer is an empty TwiML document, and what the
  server answers the client (STOP's confirmation) leaves through the outbox.
* A delivery report marks the message delivered; staff see it.
* The routes take no cookie and no CSRF token; a server without Twilio refuses everything.
* The demo's pretend phone texts through the same inbound path.
"""

from __future__ import annotations

import threading
import uuid
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from quietline.app import Services, build_services, create_app
from quietline.config import Settings
from quietline.domain.clock import ManualClock
from quietline.gateways.outbox_worker import OutboxWorker
from quietline.storage.tables import metadata
from quietline.storage.unit import Unit
from tests.conftest import Api, Capture, make_practice, sign_in
from tests.fake_sms_provider import (
    PRACTICE_NUMBER,
    PUBLIC_ORIGIN,
    FakeSmsProvider,
    Webhook,
    signature,
    sms_webhook,
    status_webhook,
)

pytest_plugins = ("tests.sms_fixtures",)

CLIENT_PHONE = "+12025550143"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


def _marker(label: str) -> str:
    return f"QlHook{label}{uuid.uuid4().hex}"


def _post(client: TestClient, hook: Webhook, **headers: str) -> Any:
    return client.post(hook.path, data=hook.form, headers={**hook.headers, **headers})


def _row_counts(services: Services) -> dict[str, int]:
    def count(unit: Unit) -> dict[str, int]:
        return {
            table.name: unit.conn.execute(select(func.count()).select_from(table)).scalar_one()
            for table in metadata.sorted_tables
        }

    return services.db.read_sync(count)


def _setup(client: TestClient) -> tuple[Api, UUID]:
    """A practice with the fake provider's number, and a client with a phone: their thread."""
    services: Services = client.app.state.services  # type: ignore[attr-defined]
    make_practice(services, "riverbend")
    owner = sign_in(client, "riverbend", "owner@riverbend.test")
    settings = owner.client.put(
        "/api/v1/practice/client-messaging",
        json={"sms_number": PRACTICE_NUMBER},
        headers=owner.headers,
    )
    assert settings.status_code == 200, settings.text
    created = owner.post("/clients", {"name": "Jordan Client", "phone": CLIENT_PHONE})
    assert created.status_code == 201, created.text
    return owner, UUID(created.json()["conversation_id"])


def _thread_bodies(owner: Api, thread_id: UUID) -> list[str]:
    response = owner.get(f"/conversations/{thread_id}/messages")
    assert response.status_code == 200, response.text
    return [m["body"] for m in response.json()["messages"]]


# -- refused -------------------------------------------------------------------------------------


def test_a_bad_signature_is_refused_and_stored_nowhere(
    debug_logs: Capture, sms_client_manual: TestClient
) -> None:
    services: Services = sms_client_manual.app.state.services  # type: ignore[attr-defined]
    owner, _thread = _setup(sms_client_manual)
    body = _marker("Forged")
    good = sms_webhook(from_number=CLIENT_PHONE, body=body)
    forged: list[Webhook] = [
        # no signature at all
        Webhook(good.path, good.form, {"content-type": good.headers["content-type"]}),
        # signed with another auth token
        Webhook(
            good.path,
            good.form,
            {
                **good.headers,
                "x-twilio-signature": signature(PUBLIC_ORIGIN + good.path, good.form, "other"),
            },
        ),
        # a field changed after signing
        Webhook(good.path, {**good.form, "Body": body + " and more"}, good.headers),
        # signed for another server
        sms_webhook(from_number=CLIENT_PHONE, body=body, origin="https://evil.test"),
        # a delivery report with a made-up signature
        Webhook(
            "/api/v1/hooks/twilio/status",
            {"MessageSid": "SM" + "0" * 32, "MessageStatus": "delivered"},
            {"x-twilio-signature": "bm90IGEgc2lnbmF0dXJl"},
        ),
    ]
    before = _row_counts(services)
    for hook in forged:
        response = _post(sms_client_manual, hook)
        assert response.status_code == 403, response.text
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["type"] == "urn:quietline:problem:bad-signature"
        assert body not in response.text
    assert _row_counts(services) == before
    assert body not in debug_logs.text
    assert CLIENT_PHONE not in debug_logs.text
    assert debug_logs.text.count("missing or wrong X-Twilio-Signature") == len(forged)
    # The same text, correctly signed, goes through: the refusals were about the signature.
    assert _post(sms_client_manual, good).status_code == 200
    assert _row_counts(services) != before
    assert owner.get("/conversations").status_code == 200


def test_a_signed_text_from_junk_is_refused_and_stored_nowhere(
    debug_logs: Capture, sms_client_manual: TestClient
) -> None:
    """Signed by the provider, but the sender is no phone number: a 422 problem after the
    signature check, no row anywhere, and no digits of it in the log."""
    services: Services = sms_client_manual.app.state.services  # type: ignore[attr-defined]
    _setup(sms_client_manual)
    body = _marker("Junk")
    before = _row_counts(services)
    junk = ("not a number", "+1 555 0172 98765", "778899", "+999 4817 3625")
    for sender in junk:
        response = _post(sms_client_manual, sms_webhook(from_number=sender, body=body))
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["type"] == "urn:quietline:problem:invalid-input"
        assert "not a phone number" in problem["detail"]
        assert sender not in response.text
        assert body not in response.text
    assert _row_counts(services) == before
    assert body not in debug_logs.text
    for sender in junk[1:]:
        assert sender not in debug_logs.text
        assert "".join(ch for ch in sender if ch.isdigit()) not in debug_logs.text
    assert "X-Twilio-Signature" not in debug_logs.text  # the signatures were good
    # The same text from a real number goes through.
    assert (
        _post(sms_client_manual, sms_webhook(from_number=CLIENT_PHONE, body=body)).status_code
        == 200
    )
    assert _row_counts(services) != before


def test_without_twilio_every_webhook_is_refused(client: TestClient) -> None:
    services: Services = client.app.state.services  # type: ignore[attr-defined]
    before = _row_counts(services)
    hook = sms_webhook(from_number=CLIENT_PHONE, body="hello")
    response = _post(client, hook)
    assert response.status_code == 403
    assert _row_counts(services) == before


# -- accepted --------------------------------------------------------------------------------------


def test_a_signed_text_reaches_the_thread_once(sms_client_manual: TestClient) -> None:
    owner, thread_id = _setup(sms_client_manual)
    body = _marker("Inbound")
    hook = sms_webhook(from_number=CLIENT_PHONE, body=body)
    first = _post(sms_client_manual, hook)
    assert first.status_code == 200, first.text
    assert first.text == EMPTY_TWIML
    assert first.headers["content-type"].startswith("application/xml")
    # Twilio repeats a webhook it thinks timed out: nothing new.
    assert _post(sms_client_manual, hook).status_code == 200
    assert _thread_bodies(owner, thread_id).count(body) == 1


def test_a_text_is_assessed_before_the_write_not_in_the_writer(
    sms_client_manual: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The crisis detector's meaning tier takes milliseconds: it runs on a worker thread
    before the write job, never on the single writer that every send waits for."""
    from quietline.actions import client_messages  # noqa: PLC0415
    from quietline.safety import crisis  # noqa: PLC0415

    threads: list[str] = []
    real = crisis.assess

    def spy(text: str) -> Any:
        threads.append(threading.current_thread().name)
        return real(text)

    monkeypatch.setattr(client_messages, "assess", spy)
    owner, thread_id = _setup(sms_client_manual)
    body = f"{_marker('Crisis')} I can't do this anymore, I want to kill myself tonight"
    assert _post(sms_client_manual, sms_webhook(from_number=CLIENT_PHONE, body=body)).status_code
    assert len(threads) == 1
    assert not threads[0].startswith("quietline-writer")
    response = owner.get(f"/conversations/{thread_id}/messages")
    [stored] = [m for m in response.json()["messages"] if m["body"] == body]
    assert stored["urgent"] is True


def test_hooks_take_no_cookie_and_no_csrf_token(sms_client_manual: TestClient) -> None:
    """Public routes proven by the signature: a cross-site Origin does not matter."""
    owner, thread_id = _setup(sms_client_manual)
    body = _marker("CrossSite")
    hook = sms_webhook(from_number=CLIENT_PHONE, body=body)
    response = _post(
        sms_client_manual, hook, origin="https://elsewhere.test", **{"sec-fetch-site": "cross-site"}
    )
    assert response.status_code == 200, response.text
    assert body in _thread_bodies(owner, thread_id)


def test_stop_by_text_is_confirmed_through_the_outbox(
    sms_client_manual: TestClient, fake_sms_provider: FakeSmsProvider
) -> None:
    _setup(sms_client_manual)
    services: Services = sms_client_manual.app.state.services  # type: ignore[attr-defined]
    response = _post(sms_client_manual, sms_webhook(from_number=CLIENT_PHONE, body="STOP"))
    assert response.text == EMPTY_TWIML  # never a reply in the webhook's answer
    assert OutboxWorker(services).run_once().sent == 1
    (confirmation,) = fake_sms_provider.wait_for_messages(1)
    assert confirmation.to == CLIENT_PHONE
    assert confirmation.from_ == PRACTICE_NUMBER


def test_a_delivery_report_marks_the_message_delivered(
    sms_client_manual: TestClient, fake_sms_provider: FakeSmsProvider
) -> None:
    owner, thread_id = _setup(sms_client_manual)
    services: Services = sms_client_manual.app.state.services  # type: ignore[attr-defined]
    _post(sms_client_manual, sms_webhook(from_number=CLIENT_PHONE, body="HELP"))  # a reply
    assert OutboxWorker(services).run_once().sent == 1
    (sent,) = fake_sms_provider.wait_for_messages(1)
    assert sent.status_callback == f"{PUBLIC_ORIGIN}/api/v1/hooks/twilio/status"

    forged = status_webhook(sent, "delivered", auth_token="not the token")
    assert _post(sms_client_manual, forged).status_code == 403
    (before,) = owner.get(f"/conversations/{thread_id}/client-deliveries").json()
    assert before["status"] == "sent"

    assert _post(sms_client_manual, status_webhook(sent, "sent")).status_code == 204
    assert _post(sms_client_manual, status_webhook(sent, "delivered")).status_code == 204
    (after,) = owner.get(f"/conversations/{thread_id}/client-deliveries").json()
    assert after["status"] == "delivered"
    assert after["delivered_at"] is not None
    assert after["failure"] is None


# -- the demo's pretend phone --------------------------------------------------------------------


@pytest.fixture
def demo_client(settings: Settings, clock: ManualClock, tmp_path: Path) -> Any:
    demo = Settings(
        **{
            **settings.model_dump(exclude_unset=True),
            "demo": True,
            "sms_gateway": "console",
            "email_gateway": "console",
            "sms_from_number": PRACTICE_NUMBER,
        }
    )
    services = build_services(demo, clock=clock)
    try:  # no lifespan: the test runs the outbox itself
        yield TestClient(create_app(services), base_url="http://localhost:8000")
    finally:
        services.close()


def test_the_pretend_phone_texts_through_the_inbound_path(demo_client: TestClient) -> None:
    owner, thread_id = _setup(demo_client)
    services: Services = demo_client.app.state.services  # type: ignore[attr-defined]
    page = demo_client.get("/demo/phone")
    assert page.status_code == 200
    assert "Nothing sent yet" in page.text
    assert "<script" not in page.text
    body = _marker("Pretend") + " <b>not bold</b>"
    response = demo_client.post(
        "/demo/phone/send",
        data={"from": CLIENT_PHONE, "to": PRACTICE_NUMBER, "body": body},
        headers={"origin": "http://localhost:8000"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    assert body in _thread_bodies(owner, thread_id)
    page = demo_client.get("/demo/phone")
    assert "&lt;b&gt;not bold&lt;/b&gt;" in page.text  # escaped, never markup
    assert "<b>not bold</b>" not in page.text
    # From another site: refused.
    refused = demo_client.post(
        "/demo/phone/send",
        data={"from": CLIENT_PHONE, "to": PRACTICE_NUMBER, "body": "hi"},
        headers={"origin": "https://elsewhere.test"},
        follow_redirects=False,
    )
    assert refused.status_code == 403
    # What the console "sent" shows on the phone: the HELP reply, after the outbox ran.
    demo_client.post(
        "/demo/phone/send",
        data={"from": CLIENT_PHONE, "to": PRACTICE_NUMBER, "body": "HELP"},
        headers={"origin": "http://localhost:8000"},
        follow_redirects=False,
    )
    # (an after-hours reply to the first text may go out too, depending on the clock)
    assert OutboxWorker(services).run_once().sent >= 1
    record = services.console_record
    assert record is not None
    replies = [i for i in record.items() if i.direction == "out"]
    assert {i.to for i in replies} == {CLIENT_PHONE}
    assert any("STOP" in i.body for i in replies)
    assert "STOP" in demo_client.get("/demo/phone").text  # the help reply mentions STOP


def test_the_pretend_phone_is_only_in_the_demo(client: TestClient) -> None:
    assert client.get("/demo/phone").status_code == 404
