"""``quietline admin``: look after a practice from the command line, as its owner or an admin.

Every command is one call to a running server's HTTP API (/api/v1), made with the person's
own device session: the same access checks, audit entries and events as the web app. The
session (server address and bearer token) is kept in a file only its owner can read
(default ``~/.config/quietline/admin.json``); the token is never printed.
"""

from __future__ import annotations

import getpass
import json
import os
import ssl
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn
from urllib.parse import urlsplit
from uuid import UUID

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    import httpx

SESSION_ENV = "QUIETLINE_ADMIN_SESSION"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
TIMEOUT_SECONDS = 30.0
SESSION_ENDED = "Your session has ended; run quietline admin sign-in again."

admin_app = typer.Typer(
    help="Look after your practice as its owner or an admin, through a running server's API.",
    no_args_is_help=True,
)
staff_app = typer.Typer(help="Invite, change and offboard staff.", no_args_is_help=True)
devices_app = typer.Typer(help="Signed-in devices of the practice.", no_args_is_help=True)
policy_app = typer.Typer(help="The practice's policy.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit trail and the access report.", no_args_is_help=True)
holds_app = typer.Typer(help="Legal holds.", no_args_is_help=True)
supervision_app = typer.Typer(help="Who supervises whom.", no_args_is_help=True)
emergency_app = typer.Typer(help="Emergency access to a conversation.", no_args_is_help=True)
admin_app.add_typer(staff_app, name="staff")
admin_app.add_typer(devices_app, name="devices")
admin_app.add_typer(policy_app, name="policy")
admin_app.add_typer(audit_app, name="audit")
admin_app.add_typer(holds_app, name="holds")
admin_app.add_typer(supervision_app, name="supervision")
admin_app.add_typer(emergency_app, name="emergency")

console = Console(stderr=True)
out = Console()

JsonOption = Annotated[bool, typer.Option("--json", help="Print the API's JSON answer")]
UserArg = Annotated[str, typer.Argument(help="A person's id or e-mail address")]


def _fail(message: str) -> NoReturn:
    console.print(f"[red]{escape(message)}[/red]")
    raise typer.Exit(1)


def _default_session_file() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "quietline" / "admin.json"


@admin_app.callback()
def _admin(
    ctx: typer.Context,
    session_file: Annotated[
        Path | None,
        typer.Option(
            "--session-file",
            envvar=SESSION_ENV,
            help="Where the session is kept (default ~/.config/quietline/admin.json)",
        ),
    ] = None,
) -> None:
    """Owners and admins: every command goes through the server's own access checks and
    audit, as you, from this device's session (start one with sign-in)."""
    ctx.obj = session_file or _default_session_file()


def _session_path(ctx: typer.Context) -> Path:
    path = ctx.obj
    return path if isinstance(path, Path) else _default_session_file()


# -- the session file and the HTTP client ------------------------------------------------------


@dataclass(frozen=True)
class Session:
    server: str
    token: str
    ca_file: str | None = None

    def client(self) -> httpx.Client:
        import httpx

        verify: ssl.SSLContext | bool = True
        if self.ca_file:
            try:
                verify = ssl.create_default_context(cafile=self.ca_file)
            except (OSError, ssl.SSLError):
                _fail(f"The CA file {self.ca_file} could not be read as certificates.")
        return httpx.Client(
            base_url=f"{self.server}/api/v1",
            headers={"authorization": f"Bearer {self.token}"},
            verify=verify,
            timeout=TIMEOUT_SECONDS,
        )


def check_server_url(url: str) -> str:
    """The server's address without a trailing slash; plain http only to this machine."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if parts.scheme not in {"http", "https"} or not host:
        _fail(f"{url} is not a server address; give one like https://quietline.example.org.")
    if parts.scheme == "http" and host not in LOOPBACK_HOSTS:
        _fail(
            f"Refusing {url}: the password and session would cross the network unencrypted. "
            "Use the server's https:// address (plain http is only accepted for 127.0.0.1, "
            "::1 or localhost)."
        )
    return url.strip().rstrip("/")


def _write_private(path: Path, data: bytes, *, replace: bool) -> None:
    """Write a file only its owner can read (0600). Without ``replace``, an existing file
    is never overwritten."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    target = path.with_name(f".{path.name}.tmp") if replace else path
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    if replace:
        target.unlink(missing_ok=True)
    try:
        fd = os.open(target, flags, 0o600)
    except FileExistsError:
        _fail(f"{path} already exists; choose another file name (nothing was overwritten).")
    except OSError as exc:
        _fail(f"Could not create {path}: {exc.strerror}.")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    if replace:
        os.replace(target, path)


def _load_session(ctx: typer.Context) -> Session:
    path = _session_path(ctx)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return Session(str(raw["server"]), str(raw["token"]), raw.get("ca_file"))
    except FileNotFoundError:
        _fail("You are not signed in; run quietline admin sign-in first.")
    except (OSError, ValueError, KeyError, TypeError):
        _fail(f"The session file {path} cannot be read; run quietline admin sign-in again.")


def _problem(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return f"The server answered {response.status_code} without an explanation."
    lines = [str(body.get("detail") or body.get("title") or f"Error {response.status_code}")]
    for error in body.get("errors") or []:
        if isinstance(error, dict):
            lines.append(f"  {error.get('field')}: {error.get('problem')}")
    return "\n".join(lines)


def _unreachable(server: str, exc: Exception) -> NoReturn:
    import httpx

    if isinstance(exc, httpx.ConnectError) and "CERTIFICATE" in str(exc).upper():
        _fail(
            f"The server at {server} did not show a certificate this computer trusts "
            "(give its CA with --ca-file at sign-in)."
        )
    if isinstance(exc, httpx.TimeoutException):
        _fail(f"The server at {server} did not answer in time; try again.")
    _fail(f"Could not reach the server at {server}; check the address and that it is running.")


def call(
    ctx: typer.Context,
    method: str,
    path: str,
    *,
    body: Any = None,
    params: Any = None,
) -> httpx.Response:
    """One API call with the stored session; a refusal is printed and ends the command."""
    import httpx

    session = _load_session(ctx)
    try:
        with session.client() as http:
            response = http.request(method, path, json=body, params=params)
    except httpx.HTTPError as exc:
        _unreachable(session.server, exc)
    if response.status_code == 401:
        _fail(SESSION_ENDED)
    if response.status_code >= 400:
        _fail(_problem(response))
    return response


def call_json(
    ctx: typer.Context, method: str, path: str, *, body: Any = None, params: Any = None
) -> Any:
    """An API call whose answer is JSON."""
    response = call(ctx, method, path, body=body, params=params)
    try:
        return response.json()
    except ValueError:
        _fail(f"The server's answer to {path} was not JSON; is this a Quietline server?")


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


def _table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    table = Table(title=title, title_justify="left")
    for column in columns:
        if column == "Id":  # whole, on one line, to copy into the next command
            table.add_column(column, no_wrap=True, min_width=36)
        else:
            table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*("" if v is None else escape(str(v)) for v in row))
    out.print(table)


def _save_file(path: Path, data: bytes, what: str) -> None:
    _write_private(path, data, replace=False)
    out.print(f"{what} saved to {escape(str(path))} (permissions 0600).")


def _resolve_user(ctx: typer.Context, who: str) -> str:
    """A person's id, from an id or an e-mail address (looked up in the staff list)."""
    try:
        return str(UUID(who))
    except ValueError:
        pass
    if "@" not in who:
        _fail(f"{who} is neither an id nor an e-mail address.")
    for user in call_json(ctx, "GET", "/users"):
        if str(user.get("email", "")).lower() == who.strip().lower():
            return str(user["id"])
    _fail(f"No one in the practice has the e-mail address {who}.")


def _uuid(value: str, what: str) -> str:
    try:
        return str(UUID(value))
    except ValueError:
        _fail(f"{value} is not a {what} id (one looks like 3f2b8c1e-...).")


def _when(value: str | None, *, end: bool = False) -> str | None:
    """An ISO date or time for the API. A bare date means the start of that day (UTC), or
    for an end of range, the start of the next day (so the day itself is included)."""
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        day = None
    if day is not None:
        start = datetime.combine(day, time(), tzinfo=UTC)
        return (start + timedelta(days=1) if end else start).isoformat()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        _fail(f"{value} is not a date or time; use 2026-11-01 or 2026-11-01T09:30+01:00.")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat()


# -- signing in and out -------------------------------------------------------------------------


@admin_app.command("sign-in")
def sign_in(
    ctx: typer.Context,
    server: Annotated[str, typer.Option("--server", help="e.g. https://quietline.example.org")],
    practice: Annotated[str, typer.Option("--practice", help="The practice code")],
    email: Annotated[str, typer.Option("--email", help="Your e-mail address")],
    device_name: Annotated[
        str, typer.Option("--device-name", help="How this device appears in device lists")
    ] = "quietline admin (command line)",
    password_file: Annotated[
        Path | None, typer.Option("--password-file", help="Read the password from this file")
    ] = None,
    ca_file: Annotated[
        Path | None, typer.Option("--ca-file", help="Trust this CA for the server's certificate")
    ] = None,
) -> None:
    """Open a device session as you; it is kept in the session file (0600)."""
    import httpx

    url = check_server_url(server)
    if password_file is not None:
        try:
            password = password_file.read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as exc:
            _fail(f"Could not read {password_file}: {exc.strerror}.")
    else:
        password = getpass.getpass("Password: ")
    body: dict[str, Any] = {
        "practice": practice,
        "email": email,
        "password": password,
        "device_name": device_name,
    }
    ca = str(ca_file.resolve()) if ca_file is not None else None
    pending = Session(url, "", ca)
    try:
        with pending.client() as http:
            http.headers.pop("authorization", None)
            response = http.post("/auth/sign-in", json=body)
            if response.status_code == 401 and "second-factor" in str(_type(response)):
                methods = _body(response).get("methods") or []
                if "totp" not in methods:
                    _fail(_problem(response))
                console.print(escape(_problem(response)))
                # A one-time code is not a secret once used: it may be typed visibly.
                code = typer.prompt("Code from your authenticator app (or a recovery code)")
                code = code.strip().replace(" ", "")
                body["otp_code" if code.isdigit() and len(code) <= 8 else "recovery_code"] = code
                response = http.post("/auth/sign-in", json=body)
    except httpx.HTTPError as exc:
        _unreachable(url, exc)
    if response.status_code >= 400:
        _fail(_problem(response))
    answer = _body(response)
    if "token" not in answer:
        _fail(f"The server at {url} did not answer like a Quietline server.")
    record = {"server": url, "token": answer["token"], "ca_file": ca}
    path = _session_path(ctx)
    previous = _previous_session(path)
    _write_private(path, json.dumps(record).encode(), replace=True)
    if previous is not None and previous.token != record["token"]:
        _end_previous(previous)
    user = answer.get("user") or {}
    out.print(
        f"Signed in to {escape(url)} as {escape(str(user.get('display_name', email)))} "
        f"({escape(str(user.get('role', '')))}). Session kept in {escape(str(path))}."
    )
    if answer.get("restricted"):
        console.print(
            "[yellow]The practice requires a second factor you have not set up: set it up "
            "in the web app, then sign in here again.[/yellow]"
        )


def _previous_session(path: Path) -> Session | None:
    """The session this file held before, if it can be read (to end it on the server)."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return Session(str(raw["server"]), str(raw["token"]), raw.get("ca_file"))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _end_previous(previous: Session) -> None:
    """Signing in again replaces the file's session: end the old one on its server too, so it
    does not stay usable until it times out. Best effort: say so when it could not be."""
    import httpx

    try:
        with previous.client() as http:
            response = http.post("/auth/sign-out")
    except httpx.HTTPError:
        response = None
    if response is None or (response.status_code >= 400 and response.status_code != 401):
        console.print(
            f"[yellow]The session this file held before, on {escape(previous.server)}, could "
            "not be ended from here; revoke it under Devices in the web app.[/yellow]"
        )


def _body(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _type(response: httpx.Response) -> str:
    return str(_body(response).get("type", ""))


@admin_app.command("sign-out")
def sign_out(ctx: typer.Context) -> None:
    """End this device's session on the server and forget it here."""
    import httpx

    path = _session_path(ctx)
    session = _load_session(ctx)
    try:
        with session.client() as http:
            response = http.post("/auth/sign-out")
    except httpx.HTTPError as exc:
        _unreachable(session.server, exc)
    if response.status_code >= 400 and response.status_code != 401:
        _fail(_problem(response))
    path.unlink(missing_ok=True)
    out.print("Signed out; the session is ended and its file removed.")


# -- staff ----------------------------------------------------------------------------------------


@staff_app.command("list")
def staff_list(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Everyone in the practice."""
    users = call_json(ctx, "GET", "/users")
    if as_json:
        _print_json(users)
        return
    _table(
        "Staff",
        ["Id", "Name", "E-mail", "Role", "Active", "Second factor"],
        [
            [
                u["id"],
                u["display_name"],
                u["email"],
                u["role"],
                "yes" if u["is_active"] else "no",
                "yes" if u["has_second_factor"] else "no",
            ]
            for u in users
        ],
    )


@staff_app.command("invite")
def staff_invite(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="Their e-mail address")],
    role: Annotated[str, typer.Option("--role", help="owner, admin, supervisor, clinician…")],
    name: Annotated[str, typer.Option("--name", help="Their name as colleagues see it")],
    as_json: JsonOption = False,
) -> None:
    """Invite someone: prints the single-use link (once) to pass on privately."""
    invite = call_json(
        ctx, "POST", "/invites", body={"email": email, "display_name": name, "role": role}
    )
    if as_json:
        _print_json(invite)
        return
    out.print(f"Invitation {invite['id']} for {escape(name)} ({escape(role)}).")
    out.print("Pass this link on privately; it works once and is not shown again:")
    typer.echo(invite["link"])


@staff_app.command("role")
def staff_role(
    ctx: typer.Context,
    user: UserArg,
    role: Annotated[str, typer.Option("--role", help="The new role")],
    as_json: JsonOption = False,
) -> None:
    """Change someone's role."""
    user_id = _resolve_user(ctx, user)
    answer = call_json(ctx, "PATCH", f"/users/{user_id}", body={"role": role})
    if as_json:
        _print_json(answer)
        return
    out.print(f"{escape(answer['display_name'])} is now {escape(answer['role'])}.")


@staff_app.command("deactivate")
def staff_deactivate(ctx: typer.Context, user: UserArg, as_json: JsonOption = False) -> None:
    """Deactivate an account (offboard hands their work over as well)."""
    user_id = _resolve_user(ctx, user)
    answer = call_json(ctx, "POST", f"/users/{user_id}/deactivate")
    if as_json:
        _print_json(answer)
        return
    out.print(f"{escape(answer['display_name'])} is deactivated.")


@staff_app.command("reactivate")
def staff_reactivate(ctx: typer.Context, user: UserArg, as_json: JsonOption = False) -> None:
    """Let a deactivated account sign in again (back from leave, rehired)."""
    user_id = _resolve_user(ctx, user)
    answer = call_json(ctx, "POST", f"/users/{user_id}/reactivate")
    if as_json:
        _print_json(answer)
        return
    out.print(f"{escape(answer['display_name'])} is active again.")


@staff_app.command("reset-password")
def staff_reset_password(
    ctx: typer.Context,
    user: UserArg,
    password_file: Annotated[
        Path | None, typer.Option("--password-file", help="File holding the new password")
    ] = None,
) -> None:
    """Set a new password for someone who forgot theirs; all their devices are signed out.
    Pass it on privately; they can change it in their settings."""
    user_id = _resolve_user(ctx, user)
    if password_file is not None:
        password = password_file.read_text().strip()
    elif sys.stdin.isatty():
        password = getpass.getpass("New password for them (12+ characters): ")
        if getpass.getpass("Repeat it: ") != password:
            _fail("The passwords differ. Nothing was changed.")
    else:
        _fail("Give --password-file (no terminal to ask on).")
    call(ctx, "POST", f"/users/{user_id}/password", body={"new_password": password})
    out.print("Password set; every device of theirs is signed out.")


@staff_app.command("reset-second-factor")
def staff_reset_second_factor(
    ctx: typer.Context,
    user: UserArg,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask first")] = False,
) -> None:
    """For someone who lost their authenticator and recovery codes: removes their second
    factors (app, recovery codes, passkeys) and signs them out everywhere."""
    user_id = _resolve_user(ctx, user)
    if not yes and not typer.confirm(
        "Remove their authenticator app, recovery codes and passkeys, and sign them out?"
    ):
        _fail("Nothing was changed.")
    call(ctx, "POST", f"/users/{user_id}/second-factor/reset")
    out.print(
        "Second factor removed; every device of theirs is signed out. They sign in with "
        "their password and set up a new one."
    )


@staff_app.command("offboard")
def staff_offboard(
    ctx: typer.Context,
    user: UserArg,
    hand_to: Annotated[str, typer.Option("--hand-to", help="The colleague who takes over")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask to confirm")] = False,
    as_json: JsonOption = False,
) -> None:
    """Someone leaves: shows what would be handed over, then offboards them in one step."""
    user_id = _resolve_user(ctx, user)
    colleague_id = _resolve_user(ctx, hand_to)
    preview = call_json(ctx, "GET", f"/users/{user_id}/offboarding-preview")
    _table(
        "Offboarding would hand over",
        [
            "Conversations left",
            "Group ones",
            "Client threads",
            "Clients",
            "Appointments",
            "On-call shifts",
        ],
        [
            [
                preview["conversations"],
                preview["group_conversations"],
                preview["client_threads"],
                preview["clients"],
                preview["appointments"],
                preview["on_call_shifts"],
            ]
        ],
    )
    if preview.get("already_offboarded"):
        console.print("[yellow]This person was already offboarded.[/yellow]")
    if not yes and not typer.confirm("Offboard now? Their devices are signed out at once"):
        _fail("Nothing was changed.")
    record = call_json(ctx, "POST", f"/users/{user_id}/offboard", body={"hand_to": colleague_id})
    if as_json:
        _print_json(record)
        return
    summary = record["summary"]
    _table(
        "Offboarding done",
        [
            "Devices revoked",
            "Conversations left",
            "Handed over",
            "Client threads",
            "Clients",
            "Appointments",
            "On-call shifts",
        ],
        [
            [
                summary["devices_revoked"],
                summary["conversations_left"],
                summary["conversations_handed_over"],
                summary["client_threads"],
                summary["assignments"],
                summary.get("appointments", 0),
                summary["on_call_duties"],
            ]
        ],
    )
    out.print(f"Record {record['id']} (download it with: quietline admin staff record ID).")


@staff_app.command("record")
def staff_record(
    ctx: typer.Context,
    record_id: Annotated[str, typer.Argument(help="The offboarding record's id")],
    out_file: Annotated[Path, typer.Option("--out", help="The file to write (must not exist)")],
) -> None:
    """Download an offboarding record, signed by the server."""
    rid = _uuid(record_id, "record")
    if out_file.exists():
        _fail(f"{out_file} already exists; choose another file name (nothing was overwritten).")
    response = call(ctx, "GET", f"/offboarding-records/{rid}/download")
    _save_file(out_file, response.content, "The signed record")


# -- devices ---------------------------------------------------------------------------------------


@devices_app.command("list")
def devices_list(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Every signed-in device in the practice."""
    devices = call_json(ctx, "GET", "/devices")
    if as_json:
        _print_json(devices)
        return
    _table(
        "Devices",
        ["Id", "Person", "Device", "Kind", "Last used", "Locked"],
        [
            [
                d["id"] + (" (this one)" if d["current"] else ""),
                d["display_name"],
                d["device_name"],
                d["client"],
                d["last_seen_at"],
                "yes" if d["locked"] else "no",
            ]
            for d in devices
        ],
    )


@devices_app.command("revoke")
def devices_revoke(
    ctx: typer.Context, device_id: Annotated[str, typer.Argument(help="The device's id")]
) -> None:
    """Sign a device out (a lost phone, a shared computer)."""
    call(ctx, "DELETE", f"/devices/{_uuid(device_id, 'device')}")
    out.print("The device is signed out.")


# -- policy ----------------------------------------------------------------------------------------


def _print_policy(policy: dict[str, Any], as_json: bool) -> None:
    if as_json:
        _print_json(policy)
        return
    _table(
        "Practice policy",
        ["Setting", "Value"],
        [[k, json.dumps(v)] for k, v in policy.items()],
    )


@policy_app.command("show")
def policy_show(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """The practice's policy."""
    _print_policy(call_json(ctx, "GET", "/practice/policy"), as_json)


def parse_value(text: str) -> Any:
    """A setting's value: null, true/false, a whole number, or text."""
    lowered = text.strip().lower()
    if lowered in {"null", "none"}:
        return None
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    try:
        return int(text)
    except ValueError:
        return text


@policy_app.command("set")
def policy_set(
    ctx: typer.Context,
    settings: Annotated[list[str], typer.Argument(help="KEY=VALUE, e.g. retention_days=365")],
    as_json: JsonOption = False,
) -> None:
    """Change settings (only those given); the answer is the whole policy."""
    changes: dict[str, Any] = {}
    for item in settings:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            _fail(f"{item} is not KEY=VALUE (e.g. session_idle_minutes=30).")
        changes[key.strip()] = parse_value(value)
    _print_policy(call_json(ctx, "PATCH", "/practice/policy", body=changes), as_json)


# -- audit -----------------------------------------------------------------------------------------

PersonOption = Annotated[str | None, typer.Option("--person", help="Id or e-mail")]
ClientOption = Annotated[str | None, typer.Option("--client", help="A client's id")]
ConversationOption = Annotated[str | None, typer.Option("--conversation", help="A conversation")]
KindOption = Annotated[list[str] | None, typer.Option("--kind", help="An event kind (repeat)")]
FromOption = Annotated[str | None, typer.Option("--from", help="From this date or time (UTC)")]
ToOption = Annotated[str | None, typer.Option("--to", help="Up to this date (included) or time")]
FormatOption = Annotated[str, typer.Option("--format", help="csv or json")]


def _audit_params(
    ctx: typer.Context,
    person: str | None,
    client: str | None,
    conversation: str | None,
    kind: list[str] | None,
    since: str | None,
    until: str | None,
) -> dict[str, Any]:
    params: dict[str, Any] = {
        "actor_user_id": _resolve_user(ctx, person) if person else None,
        "client_id": _uuid(client, "client") if client else None,
        "conversation_id": _uuid(conversation, "conversation") if conversation else None,
        "kind": kind or None,
        "since": _when(since),
        "until": _when(until, end=True),
    }
    return {k: v for k, v in params.items() if v is not None}


def _export(
    ctx: typer.Context, path: str, params: dict[str, Any], fmt: str, out_file: Path, what: str
) -> None:
    if fmt not in {"csv", "json"}:
        _fail("--format is csv or json.")
    if out_file.exists():
        _fail(f"{out_file} already exists; choose another file name (nothing was overwritten).")
    response = call(ctx, "GET", path, params={**params, "format": fmt})
    _save_file(out_file, response.content, what)
    if "x-next-before-seq" in response.headers or "x-next-after-seq" in response.headers:
        console.print("[yellow]The file is full: narrow the dates to export the rest.[/yellow]")


@audit_app.command("list")
def audit_list(
    ctx: typer.Context,
    person: PersonOption = None,
    client: ClientOption = None,
    conversation: ConversationOption = None,
    kind: KindOption = None,
    since: FromOption = None,
    until: ToOption = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000)] = 100,
    as_json: JsonOption = False,
) -> None:
    """The practice's audit entries, newest first."""
    params = _audit_params(ctx, person, client, conversation, kind, since, until)
    entries = call_json(ctx, "GET", "/audit", params={**params, "limit": limit})
    if as_json:
        _print_json(entries)
        return
    _table(
        "Audit entries",
        ["Seq", "At", "Kind", "Who", "Subject", "Details"],
        [
            [
                e["seq"],
                e["at"],
                e["kind"],
                e["actor_user_id"],
                f"{e['subject_type'] or ''} {e['subject_id'] or ''}".strip(),
                json.dumps(e["details"]) if e["details"] else "",
            ]
            for e in entries
        ],
    )


@audit_app.command("export")
def audit_export(
    ctx: typer.Context,
    out_file: Annotated[Path, typer.Option("--out", help="The file to write (must not exist)")],
    fmt: FormatOption = "csv",
    person: PersonOption = None,
    client: ClientOption = None,
    conversation: ConversationOption = None,
    kind: KindOption = None,
    since: FromOption = None,
    until: ToOption = None,
) -> None:
    """The audit entries the filters select, as a CSV or JSON file (itself audited)."""
    params = _audit_params(ctx, person, client, conversation, kind, since, until)
    _export(ctx, "/audit/export", params, fmt, out_file, "The audit export")


@audit_app.command("access-report")
def audit_access_report(
    ctx: typer.Context,
    since: Annotated[str, typer.Option("--from", help="From this date or time (UTC)")],
    until: Annotated[str, typer.Option("--to", help="Up to this date (included) or time")],
    client: ClientOption = None,
    conversation: ConversationOption = None,
    person: PersonOption = None,
    fmt: FormatOption = "csv",
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Write the report's file here (must not exist)")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Who viewed which messages, when, from which device: a table, or a file with --out."""
    params: dict[str, Any] = {
        "client_id": _uuid(client, "client") if client else None,
        "conversation_id": _uuid(conversation, "conversation") if conversation else None,
        "user_id": _resolve_user(ctx, person) if person else None,
        "from": _when(since),
        "to": _when(until, end=True),
    }
    params = {k: v for k, v in params.items() if v is not None}
    if out_file is not None:
        _export(ctx, "/audit/access-report/export", params, fmt, out_file, "The access report")
        return
    report = call_json(ctx, "GET", "/audit/access-report", params=params)
    if as_json:
        _print_json(report)
        return
    _table(
        "Views",
        ["Seq", "At", "Person", "Device", "Conversation", "Via", "Messages", "Emergency"],
        [
            [
                r["seq"],
                r["at"],
                r["user_name"],
                r["device_name"],
                r["conversation_id"],
                r["via"],
                len(r["message_ids"]),
                "yes" if r["emergency_access"] else "",
            ]
            for r in report["rows"]
        ],
    )
    summary = report["summary"]
    out.print(
        f"{summary['entries']} entries ({summary['emergency_entries']} under emergency "
        f"access), {summary['people']} people, {summary['devices']} devices."
    )
    if report.get("next_after_seq") is not None:
        console.print("[yellow]More views than shown: narrow the dates or use --out.[/yellow]")


@audit_app.command("verify")
def audit_verify(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Have the server recompute the practice's audit chain."""
    answer = call_json(ctx, "GET", "/audit/verify")
    if as_json:
        _print_json(answer)
    elif answer["ok"]:
        out.print(f"[green]The audit trail is intact ({answer['entries']} entries).[/green]")
    if not answer["ok"]:
        bad = answer.get("first_bad_seq")
        _fail(
            str(answer.get("problem") or "The audit trail does not verify.")
            + (f" (first bad entry: {bad})" if bad is not None else "")
        )


# -- legal holds -----------------------------------------------------------------------------------


@holds_app.command("list")
def holds_list(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """The practice's legal holds, active ones first."""
    holds = call_json(ctx, "GET", "/legal-holds")
    if as_json:
        _print_json(holds)
        return
    _table(
        "Legal holds",
        ["Id", "On", "Reason", "Placed", "Active"],
        [
            [
                h["id"],
                f"client {h['client_id']}"
                if h["client_id"]
                else f"conversation {h['conversation_id']}",
                h["reason"],
                h["placed_at"],
                "yes" if h["active"] else f"released {h['released_at']}",
            ]
            for h in holds
        ],
    )


@holds_app.command("place")
def holds_place(
    ctx: typer.Context,
    reason: Annotated[str, typer.Option("--reason", help="The case or request it is for")],
    client: ClientOption = None,
    conversation: ConversationOption = None,
    as_json: JsonOption = False,
) -> None:
    """Keep a client's threads (or one conversation) from deletion until released."""
    if (client is None) == (conversation is None):
        _fail("Give exactly one of --client or --conversation.")
    body: dict[str, Any] = {"reason": reason}
    if client is not None:
        body["client_id"] = _uuid(client, "client")
    else:
        body["conversation_id"] = _uuid(str(conversation), "conversation")
    hold = call_json(ctx, "POST", "/legal-holds", body=body)
    if as_json:
        _print_json(hold)
        return
    out.print(f"Legal hold {hold['id']} placed.")


@holds_app.command("release")
def holds_release(
    ctx: typer.Context, hold_id: Annotated[str, typer.Argument(help="The hold's id")]
) -> None:
    """Release a hold: the next purge may delete what the policy says."""
    call(ctx, "DELETE", f"/legal-holds/{_uuid(hold_id, 'hold')}")
    out.print("The legal hold is released.")


# -- supervision -----------------------------------------------------------------------------------


@supervision_app.command("list")
def supervision_list(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Who supervises whom."""
    rows = call_json(ctx, "GET", "/supervisions")
    if as_json:
        _print_json(rows)
        return
    _table(
        "Supervisions",
        ["Id", "Supervisor", "Supervisee", "Since", "In effect"],
        [
            [
                r["id"],
                r["supervisor_id"],
                r["supervisee_id"],
                r["created_at"],
                "yes" if r["in_effect"] else "no",
            ]
            for r in rows
        ],
    )


@supervision_app.command("assign")
def supervision_assign(
    ctx: typer.Context,
    supervisor: Annotated[str, typer.Argument(help="The supervisor's id or e-mail")],
    supervisee: Annotated[str, typer.Argument(help="The supervisee's id or e-mail")],
    as_json: JsonOption = False,
) -> None:
    """Make someone a supervisee of a supervisor."""
    body = {
        "supervisor_id": _resolve_user(ctx, supervisor),
        "supervisee_id": _resolve_user(ctx, supervisee),
    }
    row = call_json(ctx, "POST", "/supervisions", body=body)
    if as_json:
        _print_json(row)
        return
    out.print(f"Supervision {row['id']} assigned.")


@supervision_app.command("remove")
def supervision_remove(
    ctx: typer.Context,
    supervision_id: Annotated[str, typer.Argument(help="The supervision's id")],
) -> None:
    """End a supervision; the supervisor's access ends at once."""
    call(ctx, "DELETE", f"/supervisions/{_uuid(supervision_id, 'supervision')}")
    out.print("The supervision is ended.")


# -- emergency access ------------------------------------------------------------------------------


@emergency_app.command("open")
def emergency_open(
    ctx: typer.Context,
    conversation_id: Annotated[str, typer.Argument(help="The conversation's id")],
    reason: Annotated[str, typer.Option("--reason", help="Why it must be read now")],
    minutes: Annotated[int, typer.Option("--minutes", help="How long (1-240)")] = 60,
    as_json: JsonOption = False,
) -> None:
    """Read a conversation you are not in, for a stated reason, for a limited time."""
    cid = _uuid(conversation_id, "conversation")
    grant = call_json(
        ctx,
        "POST",
        f"/conversations/{cid}/emergency-access",
        body={"reason": reason, "minutes": minutes},
    )
    if as_json:
        _print_json(grant)
        return
    out.print(
        f"Emergency access {grant['id']} open until {grant['expires_at']}; every read is "
        "audited and the members are told."
    )


@emergency_app.command("close")
def emergency_close(
    ctx: typer.Context,
    conversation_id: Annotated[str, typer.Argument(help="The conversation's id")],
    grant_id: Annotated[str, typer.Argument(help="The emergency access's id")],
) -> None:
    """End emergency access early."""
    cid = _uuid(conversation_id, "conversation")
    call(ctx, "DELETE", f"/conversations/{cid}/emergency-access/{_uuid(grant_id, 'grant')}")
    out.print("Emergency access is closed.")


# -- compliance ------------------------------------------------------------------------------------

_STATE_STYLE = {"ok": "green", "warning": "yellow", "problem": "red", "unknown": "dim"}


@admin_app.command("compliance")
def compliance(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """The compliance summary: each check, its state and what it found."""
    answer = call_json(ctx, "GET", "/compliance")
    if as_json:
        _print_json(answer)
        return
    table = Table(title=f"Compliance ({answer['generated_at']})", title_justify="left")
    for column in ("Check", "State", "Summary"):
        table.add_column(column, overflow="fold")
    for check in answer["checks"]:
        style = _STATE_STYLE.get(check["state"], "")
        table.add_row(
            escape(check["title"]),
            f"[{style}]{escape(check['state'])}[/{style}]" if style else escape(check["state"]),
            escape(check["summary"]),
        )
    out.print(table)
