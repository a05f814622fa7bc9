"""A stand-in for a Web Push service (RFC 8030) on 127.0.0.1, for tests.

It records every request it receives. A test makes a :class:`Subscription` (a P-256 key pair
and an auth secret generated here, an endpoint on this server) and registers it with
Quietline as a browser would; each push the server then sends is decrypted here (RFC 8291,
``aes128gcm``, with ``http_ece``) and its VAPID header (RFC 8292) is checked, so a test reads
exactly what the server sent.
"""

from __future__ import annotations

import base64
import importlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

# Untyped package; imported by name so that mypy's view of it does not depend on overrides.
http_ece = importlib.import_module("http_ece")

MAX_BODY = 64 * 1024
MAX_REQUESTS = 10_000


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Subscription:
    """What a browser's PushManager would hand the app: endpoint and keys (client side)."""

    token: str
    endpoint: str
    private_key: ec.EllipticCurvePrivateKey
    auth_secret: bytes

    @property
    def p256dh(self) -> str:
        public = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return b64url(public)

    @property
    def auth(self) -> str:
        return b64url(self.auth_secret)

    def as_json(self) -> dict[str, Any]:
        """The body of ``PUT /api/v1/me/push-subscription`` (PushSubscription.toJSON())."""
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}


@dataclass(frozen=True)
class Vapid:
    """The ``Authorization: vapid t=<jwt>, k=<key>`` header, parsed and verified."""

    header: dict[str, Any]
    claims: dict[str, Any]
    public_key: str
    signature_valid: bool


@dataclass(frozen=True)
class PushRequest:
    """One request as received, and what decrypting and checking it gave."""

    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    received_at: float  # time.monotonic()
    subscription: str | None  # the token of the subscription the path names
    payload: bytes | None  # decrypted body
    error: str | None  # why it could not be decrypted
    vapid: Vapid | None

    def json(self) -> Any:
        assert self.payload is not None, f"push was not decrypted: {self.error}"
        return json.loads(self.payload)

    def describe(self) -> str:
        shown = self.payload if self.payload is not None else f"<{self.error}>"
        return f"{self.method} {self.path} {shown!r}"


def verify_vapid(authorization: str) -> Vapid | None:
    """Parse and verify an RFC 8292 ``vapid`` Authorization header (ES256 JWT)."""
    scheme, _, params = authorization.partition(" ")
    if scheme.lower() != "vapid":
        return None
    values: dict[str, str] = {}
    for part in params.split(","):
        name, _, value = part.strip().partition("=")
        values[name.strip()] = value.strip()
    token, key = values.get("t", ""), values.get("k", "")
    try:
        head_b64, claims_b64, signature_b64 = token.split(".")
        header = json.loads(unb64url(head_b64))
        claims = json.loads(unb64url(claims_b64))
        signature = unb64url(signature_b64)
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(key))
    except ValueError:
        return None
    valid = len(signature) == 64
    if valid:
        der = encode_dss_signature(
            int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        )
        try:
            public.verify(
                der, f"{head_b64}.{claims_b64}".encode("ascii"), ec.ECDSA(hashes.SHA256())
            )
        except InvalidSignature:
            valid = False
    return Vapid(header, claims, key, valid)


@dataclass
class _State:
    subscriptions: dict[str, Subscription] = field(default_factory=dict)
    requests: list[PushRequest] = field(default_factory=list)
    condition: threading.Condition = field(default_factory=threading.Condition)


class PushService:
    """The HTTP server (one thread per request) and what it received."""

    def __init__(self) -> None:
        self._state = _State()
        self.forbidden: list[str] = []  # texts no request may contain (checked after the test)
        state = self._state

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(min(length, MAX_BODY)) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                token = self.path.rsplit("/", 1)[-1] if self.path.startswith("/push/") else None
                with state.condition:
                    subscription = state.subscriptions.get(token or "")
                payload, error = _decrypt(subscription, headers, body)
                vapid = verify_vapid(headers.get("authorization", ""))
                record = PushRequest(
                    self.command,
                    self.path,
                    headers,
                    body,
                    time.monotonic(),
                    token if subscription else None,
                    payload,
                    error,
                    vapid,
                )
                with state.condition:
                    if len(state.requests) < MAX_REQUESTS:
                        state.requests.append(record)
                    state.condition.notify_all()
                known = subscription is not None and self.command == "POST"
                self.send_response(201 if known else 404)
                if known:
                    self.send_header("location", f"/message/{secrets.token_hex(8)}")
                self.send_header("content-length", "0")
                self.end_headers()

            do_POST = do_GET = do_PUT = do_DELETE = _handle  # noqa: N815

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                """Quiet: requests are recorded, not logged."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port: int = self._server.server_address[1]
        self.origin = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def __enter__(self) -> PushService:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def subscribe(self) -> Subscription:
        """A new browser-side subscription: fresh P-256 key pair and 16-byte auth secret."""
        token = secrets.token_urlsafe(16)
        subscription = Subscription(
            token=token,
            endpoint=f"{self.origin}/push/{token}",
            private_key=ec.generate_private_key(ec.SECP256R1()),
            auth_secret=secrets.token_bytes(16),
        )
        with self._state.condition:
            self._state.subscriptions[token] = subscription
        return subscription

    def forbid(self, *texts: str) -> None:
        """Texts (message markers, names, titles) that no push may ever contain."""
        self.forbidden.extend(texts)

    def requests(self, subscription: Subscription | None = None) -> list[PushRequest]:
        """Every request received so far (for one subscription, when given)."""
        with self._state.condition:
            found = list(self._state.requests)
        if subscription is None:
            return found
        return [r for r in found if r.subscription == subscription.token]

    def wait_for(
        self, count: int, subscription: Subscription | None = None, timeout: float = 5.0
    ) -> list[PushRequest]:
        """Wait until at least ``count`` requests arrived (for the subscription); fail after
        ``timeout`` seconds, saying what did arrive."""
        token = None if subscription is None else subscription.token

        def wanted(r: PushRequest) -> bool:
            return token is None or r.subscription == token

        deadline = time.monotonic() + timeout
        with self._state.condition:
            while True:
                found = [r for r in self._state.requests if wanted(r)]
                remaining = deadline - time.monotonic()
                if len(found) >= count or remaining <= 0:
                    break
                self._state.condition.wait(remaining)
        assert len(found) >= count, (
            f"{len(found)} of {count} push requests arrived within {timeout}s: "
            f"{[r.describe() for r in found]}"
        )
        return found

    def quiet_for(
        self, seconds: float, subscription: Subscription | None = None
    ) -> list[PushRequest]:
        """The requests (for the subscription) that arrive within ``seconds`` from now."""
        before = len(self.requests(subscription))
        deadline = time.monotonic() + seconds
        with self._state.condition:
            while (remaining := deadline - time.monotonic()) > 0:
                self._state.condition.wait(remaining)
        return self.requests(subscription)[before:]


def _decrypt(
    subscription: Subscription | None, headers: dict[str, str], body: bytes
) -> tuple[bytes | None, str | None]:
    if subscription is None:
        return None, "no such subscription"
    encoding = headers.get("content-encoding", "")
    if encoding != "aes128gcm":
        return None, f"content-encoding is {encoding!r}, not 'aes128gcm'"
    try:
        plain: bytes = http_ece.decrypt(
            body,
            private_key=subscription.private_key,
            auth_secret=subscription.auth_secret,
            version="aes128gcm",
        )
    except Exception as exc:
        return None, f"decryption failed: {exc.__class__.__name__}: {exc}"
    return plain, None
