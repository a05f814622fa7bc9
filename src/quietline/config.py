"""Typed settings, read once at start-up from ``QUIETLINE_*`` environment variables and an
optional TOML file. Secrets (the database password, the master and audit keys) are read from
files and never logged. A missing or invalid setting stops start-up with a sentence that
names the setting and what is wrong with it.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict
from sqlalchemy.engine import make_url


class ConfigError(Exception):
    """Start-up configuration is missing or invalid; the message says which and why."""


def default_data_dir() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share")) / "quietline"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QUIETLINE_", extra="forbid")

    data_dir: Path = Field(
        default_factory=default_data_dir,
        description="Folder for the SQLite database and key files.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default: SQLite in data_dir. "
        "PostgreSQL: postgresql+psycopg://user@host/db",
    )
    database_password_file: Path | None = Field(
        default=None, description="File holding the database password (never in the URL)."
    )
    master_key_file: Path | None = Field(
        default=None, description="Master key file; default: data_dir/keys/master.key"
    )
    audit_key_file: Path | None = Field(
        default=None, description="Audit chain key file; default: data_dir/keys/audit.key"
    )
    audit_anchor_file: Path | None = Field(
        default=None,
        description="Copy of each audit chain head kept outside the database; default: "
        "data_dir/audit-anchor.json. Keep it off the database server.",
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    tls_cert_file: Path | None = None
    tls_key_file: Path | None = None
    behind_tls_proxy: bool = Field(
        default=False,
        description="Set when a TLS-terminating proxy sits in front; allows plain HTTP on a "
        "non-loopback address.",
    )
    trusted_proxies: str = Field(
        default="127.0.0.1",
        description="Comma-separated addresses of the TLS proxies whose X-Forwarded-For is "
        "believed (only with behind_tls_proxy).",
    )
    public_origin: str | None = Field(
        default=None, description="The https://host the app is reached at (for Origin checks)."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    argon2_time_cost: int = Field(default=3, ge=1, le=20)
    argon2_memory_kib: int = Field(default=65536, ge=8, le=4 * 1024 * 1024)
    purge_interval_seconds: float = Field(default=5.0, gt=0, le=3600)
    socket_recheck_seconds: float = Field(
        default=15.0,
        gt=0,
        le=300,
        description="How often an open WebSocket re-checks its session (idle and absolute "
        "limits, policy changes). Revocation does not wait for this: it closes sockets at once.",
    )
    issuer: str = "Quietline"
    vapid_key_file: Path | None = Field(
        default=None,
        description="Private key that signs Web Push requests (VAPID); default: "
        "data_dir/keys/vapid.pem, created by 'quietline init'.",
    )
    push_contact: str = Field(
        default="mailto:security@localhost",
        pattern=r"^(mailto:|https://)\S+$",
        description="Contact the push services can reach the operator at (mailto: or https:).",
    )
    push_endpoint_hosts: str = Field(
        default=(
            "fcm.googleapis.com,updates.push.services.mozilla.com,web.push.apple.com,"
            "*.push.apple.com,*.notify.windows.com"
        ),
        description="Comma-separated push service hosts the server may send to ('*.' allows "
        "subdomains). Browsers give the endpoint; anything else is refused, so the server "
        "cannot be made to call arbitrary addresses. Plain http only for loopback hosts.",
    )
    webauthn_rp_id: str | None = Field(
        default=None,
        description="The domain passkeys are bound to; default: the host of public_origin, "
        "or the host the browser used.",
    )
    notification_release_seconds: float = Field(
        default=5.0,
        gt=0,
        le=300,
        description="How often notifications held during 'in session' are checked for release.",
    )
    # -- client messaging: gateways and the outbox (decision 0017) ---------------------
    demo: bool = Field(
        default=False,
        description="Set by 'quietline demo' only: serves the pretend phone at /demo/phone.",
    )
    sms_gateway: Literal["none", "console", "twilio"] = Field(
        default="none",
        description="How SMS to clients leave: 'twilio', 'console' (kept in memory, for the "
        "demo) or 'none' (queued SMS fail with a reason staff see).",
    )
    twilio_account_sid: str | None = Field(
        default=None, pattern=r"^AC[0-9a-fA-F]{32}$", description="The Twilio account SID."
    )
    twilio_auth_token_file: Path | None = Field(
        default=None, description="File holding the Twilio auth token (never in settings)."
    )
    twilio_api_base: str = Field(
        default="https://api.twilio.com",
        description="Twilio's API address (https; plain http only for a loopback stand-in).",
    )
    sms_from_number: str | None = Field(
        default=None,
        pattern=r"^\+[1-9][0-9]{6,14}$",
        description="The server's default SMS sender in E.164 (+15551234567); a practice's "
        "own number overrides it.",
    )
    email_gateway: Literal["none", "console", "smtp"] = Field(
        default="none",
        description="How e-mail to clients leaves: 'smtp', 'console' (demo) or 'none'.",
    )
    smtp_host: str | None = Field(default=None, max_length=253)
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_username: str | None = Field(default=None, max_length=320)
    smtp_password_file: Path | None = Field(
        default=None, description="File holding the SMTP password (never in settings)."
    )
    smtp_ca_file: Path | None = Field(
        default=None,
        description="CA certificate(s) the SMTP server's certificate must chain to; default: "
        "the system's trust store.",
    )
    smtp_from: str | None = Field(
        default=None,
        pattern=r"^[^@\s<>]+@[^@\s<>]+$",
        description="The server's default sender address; a practice's own overrides it.",
    )
    outbox_poll_seconds: float = Field(
        default=15.0,
        gt=0,
        le=600,
        description="How often the outbox is checked even when nothing woke it.",
    )
    outbox_max_attempts: int = Field(
        default=12, ge=1, le=100, description="Tries of one SMS or e-mail before it fails."
    )
    outbox_max_age_hours: float = Field(
        default=24.0,
        gt=0,
        le=24 * 14,
        description="An SMS or e-mail not sent this long after it was queued fails.",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # load_settings merges the file and the environment itself, so only init values count.
        return (init_settings,)

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if (self.tls_cert_file is None) != (self.tls_key_file is None):
            raise ValueError(
                "QUIETLINE_TLS_CERT_FILE and QUIETLINE_TLS_KEY_FILE must be set together"
            )
        if self.database_url is not None:
            try:
                url = make_url(self.database_url)
            except Exception as exc:
                raise ValueError("QUIETLINE_DATABASE_URL is not a valid database URL") from exc
            if url.get_backend_name() not in ("sqlite", "postgresql"):
                raise ValueError("QUIETLINE_DATABASE_URL must be a sqlite or postgresql URL")
            if url.password:
                raise ValueError(
                    "QUIETLINE_DATABASE_URL must not contain a password; put it in a file and "
                    "set QUIETLINE_DATABASE_PASSWORD_FILE"
                )
        self._check_gateways()
        return self

    def _check_gateways(self) -> None:
        if self.demo and (
            "console" not in (self.sms_gateway, self.email_gateway)
            or self.sms_gateway == "twilio"
            or self.email_gateway == "smtp"
            or not _loopback_host(self.host)
        ):
            raise ValueError(
                "QUIETLINE_DEMO is for 'quietline demo' only (console gateways, a loopback "
                "address): its pretend phone lets anyone who reaches it text as a client"
            )
        if self.sms_gateway == "twilio":
            missing = [
                name
                for name, value in (
                    ("QUIETLINE_TWILIO_ACCOUNT_SID", self.twilio_account_sid),
                    ("QUIETLINE_TWILIO_AUTH_TOKEN_FILE", self.twilio_auth_token_file),
                    ("QUIETLINE_PUBLIC_ORIGIN", self.public_origin),
                )
                if not value
            ]
            if missing:
                raise ValueError(
                    "QUIETLINE_SMS_GATEWAY=twilio also needs " + ", ".join(missing) + " (the "
                    "public origin is where Twilio sends incoming texts and delivery reports)"
                )
            if not _https_or_loopback(self.twilio_api_base):
                raise ValueError(
                    "QUIETLINE_TWILIO_API_BASE must be an https:// address (plain http only "
                    "for a stand-in on a loopback address)"
                )
        if self.email_gateway == "smtp":
            if not self.smtp_host or not self.smtp_from:
                raise ValueError(
                    "QUIETLINE_EMAIL_GATEWAY=smtp also needs QUIETLINE_SMTP_HOST and "
                    "QUIETLINE_SMTP_FROM"
                )
            if (self.smtp_username is None) != (self.smtp_password_file is None):
                raise ValueError(
                    "QUIETLINE_SMTP_USERNAME and QUIETLINE_SMTP_PASSWORD_FILE must be set together"
                )

    def read_secret_file(self, setting: str) -> str:
        """The secret in the file a ``*_file`` setting names (never log the result)."""
        path: Path | None = getattr(self, setting)
        name = f"QUIETLINE_{setting.upper()}"
        if path is None:
            raise ConfigError(f"{name} is not set.")
        try:
            value = path.read_text().strip()
        except OSError as exc:
            raise ConfigError(f"{name}: cannot read {path} ({exc.__class__.__name__})") from exc
        if not value:
            raise ConfigError(f"{name}: {path} is empty.")
        return value

    # -- derived values -----------------------------------------------------------
    @property
    def link_origin(self) -> str:
        """Where secure links sent to clients (and Twilio's webhooks) point: the configured
        public origin, never a request's Host header (which a caller controls). Without one
        (the demo, tests) the server's own localhost address; a real gateway requires it."""
        return (self.public_origin or f"http://localhost:{self.port}").rstrip("/")

    @property
    def tls(self) -> bool:
        return self.tls_cert_file is not None

    @property
    def master_key_path(self) -> Path:
        return self.master_key_file or self.data_dir / "keys" / "master.key"

    @property
    def audit_key_path(self) -> Path:
        return self.audit_key_file or self.data_dir / "keys" / "audit.key"

    @property
    def vapid_key_path(self) -> Path:
        return self.vapid_key_file or self.data_dir / "keys" / "vapid.pem"

    @property
    def push_hosts(self) -> tuple[str, ...]:
        return tuple(h.strip().lower() for h in self.push_endpoint_hosts.split(",") if h.strip())

    @property
    def audit_anchor_path(self) -> Path:
        return self.audit_anchor_file or self.data_dir / "audit-anchor.json"

    def resolved_database_url(self) -> str:
        """The URL with the password read from its file (never log the result)."""
        if self.database_url is None:
            return f"sqlite:///{self.data_dir / 'quietline.db'}"
        url = make_url(self.database_url)
        if url.get_backend_name() == "postgresql" and url.drivername == "postgresql":
            url = url.set(drivername="postgresql+psycopg")
        if self.database_password_file is not None:
            try:
                password = self.database_password_file.read_text().strip()
            except OSError as exc:
                raise ConfigError(
                    f"QUIETLINE_DATABASE_PASSWORD_FILE: cannot read {self.database_password_file}"
                    f" ({exc.__class__.__name__})"
                ) from exc
            url = url.set(password=password)
        return url.render_as_string(hide_password=False)

    def check_listen_address(self) -> None:
        """Refuse plain HTTP on a non-loopback address unless a TLS proxy is declared."""
        if self.tls or self.behind_tls_proxy:
            return
        try:
            loopback = ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            loopback = self.host == "localhost"
        if not loopback:
            raise ConfigError(
                f"QUIETLINE_HOST={self.host} is not a loopback address, and the server would "
                "serve plain HTTP there. Set QUIETLINE_TLS_CERT_FILE and QUIETLINE_TLS_KEY_FILE "
                "to serve TLS, or QUIETLINE_BEHIND_TLS_PROXY=true if a TLS proxy is in front."
            )


def _loopback_host(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _https_or_loopback(url: str) -> bool:
    parts = urlsplit(url)
    if not parts.netloc or parts.query or parts.fragment:
        return False
    if parts.scheme == "https":
        return True
    if parts.scheme != "http":
        return False
    return _loopback_host(parts.hostname or "")


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Settings from the TOML file (if any), then environment variables, then ``overrides``."""
    file_values: dict[str, Any] = {}
    config_file = config_file or (
        Path(os.environ["QUIETLINE_CONFIG"]) if os.environ.get("QUIETLINE_CONFIG") else None
    )
    if config_file is not None:
        try:
            with config_file.open("rb") as handle:
                file_values = tomllib.load(handle)
        except FileNotFoundError as exc:
            raise ConfigError(f"Config file {config_file} does not exist.") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"Config file {config_file} is not valid TOML: {exc}") from exc
    env_values = {
        key[len("QUIETLINE_") :].lower(): value
        for key, value in os.environ.items()
        if key.startswith("QUIETLINE_") and key != "QUIETLINE_CONFIG"
    }
    merged = {**file_values, **env_values, **{k: v for k, v in overrides.items() if v is not None}}
    try:
        return Settings(**merged)
    except ValidationError as exc:
        raise ConfigError(_explain(exc)) from None


def _explain(exc: ValidationError) -> str:
    lines = ["Quietline cannot start because of its settings:"]
    for error in exc.errors():
        loc = ".".join(str(p) for p in error["loc"])
        name = f"QUIETLINE_{loc.upper()}" if loc else "settings"
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "is not a known setting; check its spelling"
        lines.append(f"  {name}: {message}")
    return "\n".join(lines)
