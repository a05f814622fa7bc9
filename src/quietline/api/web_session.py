"""The web app's session cookie, its CSRF token, the same-origin checks and the passkey
relying party: what the browser-facing parts of the API share."""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import urlsplit

from starlette.requests import HTTPConnection

from quietline.actions.passkeys import RelyingParty
from quietline.config import Settings
from quietline.crypto.tokens import token_hash

_COOKIE_TLS = "__Host-quietline"  # __Host-: Secure, Path=/, no Domain: this host only
_COOKIE_PLAIN = "quietline"  # plain HTTP on loopback (development): a __Host- cookie needs TLS


def served_over_tls(settings: Settings) -> bool:
    return settings.tls or settings.behind_tls_proxy


def cookie_name(settings: Settings) -> str:
    return _COOKIE_TLS if served_over_tls(settings) else _COOKIE_PLAIN


def set_cookie_header(settings: Settings, token: str) -> str:
    # A session cookie (no Max-Age): the browser drops it when it closes; the server's idle
    # and absolute limits end it anyway.
    flags = "; Path=/; HttpOnly; SameSite=Strict"
    if served_over_tls(settings):
        flags += "; Secure"
    return f"{cookie_name(settings)}={token}{flags}"


def clear_cookie_headers(settings: Settings) -> dict[str, str]:
    flags = "; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"
    if served_over_tls(settings):
        flags += "; Secure"
    return {
        "set-cookie": f"{cookie_name(settings)}={flags}",
        "clear-site-data": '"cache", "storage"',
    }


def csrf_token_for(lookup_key: bytes, token: str) -> str:
    """Derived from the session (nothing to store), useless without it, and readable only by
    the app's own pages (the API answers no other origin)."""
    mac = hmac.new(lookup_key, b"csrf|" + token_hash(token), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")


def allowed_origins(conn: HTTPConnection, settings: Settings) -> set[str]:
    allowed = set()
    if settings.public_origin:
        allowed.add(settings.public_origin.rstrip("/"))
    host = conn.headers.get("host")
    if host:
        allowed.update({f"http://{host}", f"https://{host}"})
    return allowed


def same_origin(conn: HTTPConnection, settings: Settings) -> bool:
    """True unless the browser says the request came from another site."""
    fetch_site = conn.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        return False
    origin = conn.headers.get("origin")
    return origin is None or origin.rstrip("/") in allowed_origins(conn, settings)


def relying_party(conn: HTTPConnection, settings: Settings) -> RelyingParty:
    """Passkeys belong to the app's domain, and answers must come from its exact origin."""
    if settings.public_origin:
        origin = settings.public_origin.rstrip("/")
    else:
        scheme = "https" if served_over_tls(settings) else conn.url.scheme
        origin = f"{scheme}://{conn.headers.get('host', conn.url.netloc)}"
    rp_id = settings.webauthn_rp_id or urlsplit(origin).hostname or "localhost"
    return RelyingParty(rp_id=rp_id, origin=origin, name=settings.issuer)
