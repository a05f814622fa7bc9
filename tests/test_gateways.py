"""The SMS and e-mail gateways against real local servers. Nothing leaves the machine.

* Twilio: the official SDK, sending to the fake provider (``tests/fake_sms_provider.py``):
  what arrives, the status callback, the auth, and every failure mapped to "retry later" or
  "final" with a reason code and nothing of the message. The webhook signature check.
* SMTP: a real aiosmtpd server that requires STARTTLS and AUTH, with a self-signed certificate
  made here: the message arrives, over TLS, logged in, with the generic subject and its own
  Message-ID. No STARTTLS, an untrusted certificate, a wrong password or a refused recipient
  each fail the right way, and nothing is sent in the clear.
* The console gateways keep what they would send in memory and log one line without content.
* Gateway settings fail at start-up with sentences that name the setting.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
import ipaddress
import socket
import ssl
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from quietline.app import build_gateways
from quietline.config import ConfigError, Settings, load_settings
from quietline.domain.clock import ManualClock
from quietline.gateways.console import ConsoleEmailGateway, ConsoleRecord, ConsoleSmsGateway
from quietline.gateways.email import SUBJECT, SmtpEmailGateway, message_id_for
from quietline.gateways.errors import GatewayRejected, GatewayUnavailable
from quietline.gateways.twilio_sms import TwilioSmsGateway, TwilioWebhookVerifier
from tests.conftest import Capture
from tests.fake_sms_provider import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    PRACTICE_NUMBER,
    FakeSmsProvider,
    signature,
)

pytest_plugins = ("tests.sms_fixtures",)

CLIENT_NUMBER = "+12025550143"
CALLBACK = "https://quietline.test/api/v1/hooks/twilio/status"


def _marker(label: str) -> str:
    return f"QlGw{label}{uuid.uuid4().hex}"


def _ours(capture: Capture) -> str:
    """The captured log without the test SMTP server's own (``mail.log``: it plays the
    remote server, which logs everything it receives)."""
    return "\n".join(line for line in capture.lines if not line.startswith("mail.log "))


MakeTwilio = Callable[..., TwilioSmsGateway]


@pytest.fixture
def twilio(fake_sms_provider: FakeSmsProvider) -> Iterator[MakeTwilio]:
    """Makes Twilio gateways aimed at the fake provider (closed afterwards)."""
    made: list[TwilioSmsGateway] = []

    def make(**kw: Any) -> TwilioSmsGateway:
        args: dict[str, Any] = {
            "account_sid": ACCOUNT_SID,
            "auth_token": AUTH_TOKEN,
            "default_from": PRACTICE_NUMBER,
            "api_base": fake_sms_provider.url,
            "timeout": 5.0,
        }
        gateway = TwilioSmsGateway(**{**args, **kw})
        made.append(gateway)
        return gateway

    yield make
    for gateway in made:
        gateway.close()


# -- Twilio ------------------------------------------------------------------------------------


def test_twilio_sends_through_the_sdk_to_the_configured_base(
    twilio: MakeTwilio,
    fake_sms_provider: FakeSmsProvider,
) -> None:
    gateway = twilio()
    body = f"See you Tuesday at 3 {_marker('Body')}"
    sid = gateway.send(CLIENT_NUMBER, body, status_callback=CALLBACK)
    (sent,) = fake_sms_provider.messages
    assert sid == sent.sid
    assert sid.startswith("SM")
    assert (sent.to, sent.from_, sent.body) == (CLIENT_NUMBER, PRACTICE_NUMBER, body)
    assert sent.status_callback == CALLBACK
    (attempt,) = fake_sms_provider.attempts
    assert attempt.authorized
    assert attempt.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    # The practice's own number wins over the server's default; no callback, no field.
    gateway.send(CLIENT_NUMBER, "hi", status_callback=None, from_number="+12025550199")
    assert fake_sms_provider.messages[1].from_ == "+12025550199"
    assert "StatusCallback" not in fake_sms_provider.messages[1].form
    gateway.close()


def test_twilio_without_a_sender_number_is_final(
    twilio: MakeTwilio, fake_sms_provider: FakeSmsProvider
) -> None:
    gateway = twilio(default_from=None)
    with pytest.raises(GatewayRejected) as caught:
        gateway.send(CLIENT_NUMBER, "hi", status_callback=None)
    assert caught.value.reason == "no_sender"
    assert fake_sms_provider.attempts == []


@pytest.mark.parametrize(
    ("status", "reason"), [(503, "http_503"), (500, "http_500"), (429, "http_429")]
)
def test_twilio_outage_and_rate_limits_are_retried_later(
    twilio: MakeTwilio, fake_sms_provider: FakeSmsProvider, status: int, reason: str
) -> None:
    fake_sms_provider.outage(status)
    with pytest.raises(GatewayUnavailable) as caught:
        twilio().send(CLIENT_NUMBER, "hi", status_callback=None)
    assert caught.value.reason == reason
    assert fake_sms_provider.messages == []
    fake_sms_provider.restore()
    twilio().send(CLIENT_NUMBER, "hi", status_callback=None)
    assert len(fake_sms_provider.messages) == 1


def test_twilio_refused_connection_is_retried_later(
    twilio: MakeTwilio, fake_sms_provider: FakeSmsProvider
) -> None:
    gateway = twilio()
    fake_sms_provider.refuse_connections()
    with pytest.raises(GatewayUnavailable) as caught:
        gateway.send(CLIENT_NUMBER, "hi", status_callback=None)
    assert caught.value.reason == "connection"
    fake_sms_provider.restore()
    assert gateway.send(CLIENT_NUMBER, "hi", status_callback=None).startswith("SM")


def test_twilio_timeout_is_retried_later() -> None:
    """A server that accepts the connection and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        gateway = TwilioSmsGateway(
            account_sid=ACCOUNT_SID,
            auth_token=AUTH_TOKEN,
            default_from=PRACTICE_NUMBER,
            api_base=f"http://127.0.0.1:{port}",
            timeout=0.3,
        )
        with pytest.raises(GatewayUnavailable) as caught:
            gateway.send(CLIENT_NUMBER, "hi", status_callback=None)
        gateway.close()
    assert caught.value.reason == "timeout"


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (21211, "invalid_number"),
        (21610, "opted_out"),
        (21614, "not_mobile"),
        (21999, "provider_21999"),
    ],
)
def test_twilio_refusals_for_the_recipient_are_final(
    twilio: MakeTwilio,
    fake_sms_provider: FakeSmsProvider,
    code: int,
    reason: str,
    debug_logs: Capture,
) -> None:
    number = "+12025550177"
    fake_sms_provider.reject_number(number, code)
    body = _marker("Refused")
    with pytest.raises(GatewayRejected) as caught:
        twilio().send(number, body, status_callback=None)
    assert caught.value.reason == reason
    assert str(caught.value) == reason  # the provider's text (it may quote the number) is gone
    assert body not in debug_logs.text
    assert number not in debug_logs.text


def test_twilio_refusing_our_credentials_waits_for_the_operator(
    twilio: MakeTwilio, fake_sms_provider: FakeSmsProvider, debug_logs: Capture
) -> None:
    gateway = twilio(auth_token="not-the-token")
    with pytest.raises(GatewayUnavailable) as caught:
        gateway.send(CLIENT_NUMBER, "hi", status_callback=None)
    assert caught.value.reason == "provider_auth"
    assert "QUIETLINE_TWILIO_" in debug_logs.text
    assert "not-the-token" not in debug_logs.text


def test_twilio_logs_nothing_of_the_message(
    twilio: MakeTwilio, fake_sms_provider: FakeSmsProvider, debug_logs: Capture
) -> None:
    body = _marker("Logged")
    number = "+12025550166"
    sid = twilio().send(number, body, status_callback=CALLBACK)
    logged = debug_logs.text
    for secret in (body, number, number.lstrip("+"), AUTH_TOKEN, sid):
        assert secret not in logged
    assert debug_logs.lines  # the capture works: urllib3 logged the connection


def test_webhook_signatures_are_checked() -> None:
    verifier = TwilioWebhookVerifier(AUTH_TOKEN)
    url = "https://quietline.test/api/v1/hooks/twilio/sms"
    form = {"From": CLIENT_NUMBER, "To": PRACTICE_NUMBER, "Body": "C", "MessageSid": "SM1"}
    good = signature(url, form)
    assert verifier.valid(url, form, good)
    assert not verifier.valid(url, {**form, "Body": "R"}, good)  # a changed field
    assert not verifier.valid(url + "?x=1", form, good)  # another URL
    assert not verifier.valid("https://evil.test/api/v1/hooks/twilio/sms", form, good)
    assert not verifier.valid(url, form, signature(url, form, "another-token"))
    assert not verifier.valid(url, form, "")
    assert not verifier.valid(url, form, "not base64 at all")


# -- SMTP --------------------------------------------------------------------------------------


@dataclass
class Tls:
    cert_file: Path
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context


def make_self_signed(folder: Path, host: str = "127.0.0.1") -> Tls:
    """A certificate for ``host`` (and localhost), signed by itself: the tests' own CA."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "quietline test smtp")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address(host)), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return Tls(cert_file, key_file)


@dataclass
class Received:
    mail_from: str | None
    rcpt_tos: list[str]
    content: bytes
    tls: bool
    login: bytes | None


@dataclass
class Mailbox:
    """aiosmtpd's handler: keeps every message with how its session looked."""

    received: list[Received] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)

    async def handle_RCPT(  # noqa: N802 - aiosmtpd calls it by this name
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 - aiosmtpd calls it by this name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        content = envelope.content
        assert isinstance(content, bytes)
        auth = session.auth_data
        self.received.append(
            Received(
                envelope.mail_from,
                list(envelope.rcpt_tos),
                content,
                session.ssl is not None,
                auth.login if isinstance(auth, LoginPassword) else None,
            )
        )
        return "250 Message accepted"


SMTP_USER = "quietline-sender"
SMTP_PASSWORD = "a password for the test smtp server"


def _authenticate(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == SMTP_USER.encode()
        and auth_data.password == SMTP_PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False, auth_data=auth_data)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class SmtpServer:
    port: int
    mailbox: Mailbox
    tls: Tls


def _serve(mailbox: Mailbox, tls: Tls, *, starttls: bool = True) -> Controller:
    kwargs: dict[str, Any] = {
        "hostname": "127.0.0.1",
        "port": _free_port(),
        "loop": asyncio.new_event_loop(),
    }
    if starttls:
        kwargs.update(
            tls_context=tls.server_context(),
            require_starttls=True,
            auth_required=True,
            auth_require_tls=True,
            authenticator=_authenticate,
        )
    controller = Controller(mailbox, **kwargs)
    controller.start()
    return controller


@pytest.fixture
def smtp_server(tmp_path: Path) -> Iterator[SmtpServer]:
    tls = make_self_signed(tmp_path)
    mailbox = Mailbox()
    controller = _serve(mailbox, tls)
    try:
        yield SmtpServer(controller.port, mailbox, tls)
    finally:
        controller.stop()
        controller.loop.close()


def _smtp(server: SmtpServer, **kw: Any) -> SmtpEmailGateway:
    args: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": server.port,
        "default_from": "care@riverbend.test",
        "username": SMTP_USER,
        "password": SMTP_PASSWORD,
        "ca_file": server.tls.cert_file,
        "timeout": 5.0,
    }
    args.update(kw)
    return SmtpEmailGateway(**args)


def test_smtp_sends_over_starttls_logged_in_with_a_generic_subject(
    smtp_server: SmtpServer, debug_logs: Capture
) -> None:
    body = f"Your appointment is confirmed. {_marker('Mail')}"
    to = "client.marker@example.test"
    message_id = message_id_for(uuid.uuid4().hex, "care@riverbend.test")
    sent_id = _smtp(smtp_server).send(to, body, message_id=message_id)
    assert sent_id == message_id
    (received,) = smtp_server.mailbox.received
    assert received.tls, "the message must travel inside TLS"
    assert received.login == SMTP_USER.encode()
    assert received.rcpt_tos == [to]
    assert received.mail_from == "care@riverbend.test"
    parsed = email.message_from_bytes(received.content, policy=email.policy.default)
    assert parsed["Subject"] == SUBJECT == "Message from your care team"
    assert parsed["Message-ID"] == message_id
    assert message_id.endswith("@riverbend.test>")
    assert parsed["To"] == to
    payload = parsed.get_body(("plain",))
    assert payload is not None
    assert body in payload.get_content()
    for secret in (body, to, SMTP_PASSWORD):
        assert secret not in _ours(debug_logs)


def test_smtp_practice_sender_overrides_the_default(smtp_server: SmtpServer) -> None:
    _smtp(smtp_server).send(
        "a@example.test", "hi", message_id="<x@y.test>", from_address="office@practice.test"
    )
    assert smtp_server.mailbox.received[0].mail_from == "office@practice.test"


def test_smtp_refuses_a_server_without_starttls(tmp_path: Path, debug_logs: Capture) -> None:
    mailbox = Mailbox()
    controller = _serve(mailbox, make_self_signed(tmp_path), starttls=False)
    try:
        gateway = SmtpEmailGateway(
            host="127.0.0.1",
            port=controller.port,
            default_from="care@riverbend.test",
            username=SMTP_USER,
            password=SMTP_PASSWORD,
            timeout=5.0,
        )
        with pytest.raises(GatewayUnavailable) as caught:
            gateway.send("a@example.test", "secret text", message_id="<x@y.test>")
    finally:
        controller.stop()
        controller.loop.close()
    assert caught.value.reason == "starttls_missing"
    assert mailbox.received == []  # neither the password nor the message went in the clear
    assert "STARTTLS" in _ours(debug_logs)


def test_smtp_refuses_an_untrusted_certificate(smtp_server: SmtpServer) -> None:
    with pytest.raises(GatewayUnavailable) as caught:
        _smtp(smtp_server, ca_file=None).send("a@example.test", "hi", message_id="<x@y.test>")
    assert caught.value.reason == "tls_verify"
    assert smtp_server.mailbox.received == []


def test_smtp_checks_the_host_name(tmp_path: Path) -> None:
    """A trusted certificate for another host is refused: the name is checked, not only the
    signature."""
    tls = make_self_signed(tmp_path, host="127.0.0.2")
    mailbox = Mailbox()
    controller = _serve(mailbox, tls)
    try:
        gateway = SmtpEmailGateway(
            host="127.0.0.1",
            port=controller.port,
            default_from="care@riverbend.test",
            ca_file=tls.cert_file,
            timeout=5.0,
        )
        with pytest.raises(GatewayUnavailable) as caught:
            gateway.send("a@example.test", "hi", message_id="<x@y.test>")
    finally:
        controller.stop()
        controller.loop.close()
    assert caught.value.reason == "tls_verify"
    assert mailbox.received == []


def test_smtp_wrong_password_waits_for_the_operator(
    smtp_server: SmtpServer, debug_logs: Capture
) -> None:
    with pytest.raises(GatewayUnavailable) as caught:
        _smtp(smtp_server, password="wrong password").send(
            "a@example.test", "hi", message_id="<x@y.test>"
        )
    assert caught.value.reason == "smtp_auth"
    assert smtp_server.mailbox.received == []
    assert "wrong password" not in _ours(debug_logs)


def test_smtp_refused_recipient_is_final(smtp_server: SmtpServer) -> None:
    smtp_server.mailbox.refuse.add("gone@example.test")
    with pytest.raises(GatewayRejected) as caught:
        _smtp(smtp_server).send("gone@example.test", "hi", message_id="<x@y.test>")
    assert caught.value.reason == "recipient_refused"
    assert "gone@example.test" not in str(caught.value)


def test_smtp_unreachable_is_retried_later() -> None:
    gateway = SmtpEmailGateway(
        host="127.0.0.1", port=_free_port(), default_from="care@riverbend.test", timeout=2.0
    )
    with pytest.raises(GatewayUnavailable) as caught:
        gateway.send("a@example.test", "hi", message_id="<x@y.test>")
    assert caught.value.reason == "connection"


# -- console -----------------------------------------------------------------------------------


def test_console_gateways_keep_the_text_in_memory_and_log_no_content(
    debug_logs: Capture,
) -> None:
    clock = ManualClock()
    record = ConsoleRecord(clock, limit=3)
    sms = ConsoleSmsGateway(record, PRACTICE_NUMBER)
    mail = ConsoleEmailGateway(record, "care@riverbend.test")
    body = _marker("Console")
    ref = sms.send(CLIENT_NUMBER, body, status_callback=None)
    assert ref.startswith("console-sms-")
    assert mail.send("c@example.test", body, message_id="<m@r.test>") == "<m@r.test>"
    first, second = record.items()
    assert (first.channel, first.to, first.sender, first.body) == (
        "sms",
        CLIENT_NUMBER,
        PRACTICE_NUMBER,
        body,
    )
    assert (second.channel, second.to) == ("email", "c@example.test")
    lines = [line for line in debug_logs.lines if "quietline.gateways.console" in line]
    assert len(lines) == 2
    assert f"({len(body)} characters)" in lines[0]
    assert "/demo/phone" in lines[0]
    for secret in (body, CLIENT_NUMBER, CLIENT_NUMBER[-4:], "c@example.test"):
        assert secret not in debug_logs.text
    assert body not in repr(first)
    for _ in range(5):  # bounded: only the newest are kept
        sms.send(CLIENT_NUMBER, "again", status_callback=None)
    assert len(record.items()) == 3


# -- settings ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"sms_gateway": "twilio"}, "QUIETLINE_TWILIO_ACCOUNT_SID"),
        (
            {
                "sms_gateway": "twilio",
                "twilio_account_sid": ACCOUNT_SID,
                "twilio_auth_token_file": "/nonexistent",
            },
            "QUIETLINE_PUBLIC_ORIGIN",
        ),
        (
            {
                "sms_gateway": "twilio",
                "twilio_account_sid": ACCOUNT_SID,
                "twilio_auth_token_file": "/nonexistent",
                "public_origin": "https://q.test",
                "twilio_api_base": "http://api.example.test",
            },
            "QUIETLINE_TWILIO_API_BASE",
        ),
        ({"twilio_account_sid": "not-a-sid"}, "QUIETLINE_TWILIO_ACCOUNT_SID"),
        ({"sms_from_number": "555-0100"}, "QUIETLINE_SMS_FROM_NUMBER"),
        ({"email_gateway": "smtp"}, "QUIETLINE_SMTP_HOST"),
        (
            {
                "email_gateway": "smtp",
                "smtp_host": "h",
                "smtp_from": "a@b.test",
                "smtp_username": "u",
            },
            "QUIETLINE_SMTP_PASSWORD_FILE",
        ),
        ({"sms_gateway": "carrier-pigeon"}, "QUIETLINE_SMS_GATEWAY"),
        ({"demo": True}, "QUIETLINE_DEMO"),
        ({"demo": True, "sms_gateway": "console", "host": "192.0.2.10"}, "QUIETLINE_DEMO"),
    ],
)
def test_gateway_settings_fail_with_a_sentence(
    tmp_path: Path, values: dict[str, Any], named: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(data_dir=tmp_path, **values)
    assert named in str(caught.value)


def test_secret_files_are_read_at_start_up(tmp_path: Path) -> None:
    clock = ManualClock()
    base: dict[str, Any] = {
        "data_dir": tmp_path,
        "sms_gateway": "twilio",
        "twilio_account_sid": ACCOUNT_SID,
        "public_origin": "https://q.test",
    }
    missing = Settings(**base, twilio_auth_token_file=tmp_path / "missing")
    with pytest.raises(ConfigError, match="QUIETLINE_TWILIO_AUTH_TOKEN_FILE"):
        build_gateways(missing, clock)
    token = tmp_path / "token"
    token.write_text(AUTH_TOKEN + "\n")
    built = build_gateways(Settings(**base, twilio_auth_token_file=token), clock)
    assert isinstance(built.sms, TwilioSmsGateway)
    assert built.twilio_webhooks is not None
    assert built.email is None
    bad_ca = tmp_path / "ca.pem"
    bad_ca.write_text("not a certificate")
    smtp = Settings(
        data_dir=tmp_path,
        email_gateway="smtp",
        smtp_host="127.0.0.1",
        smtp_from="a@b.test",
        smtp_ca_file=bad_ca,
    )
    with pytest.raises(ConfigError, match="QUIETLINE_SMTP_CA_FILE"):
        build_gateways(smtp, clock)
    none = build_gateways(Settings(data_dir=tmp_path), clock)
    assert (none.sms, none.email, none.console_record) == (None, None, None)
