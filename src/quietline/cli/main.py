"""``quietline``: set up, run, check and look after a Quietline server."""

from __future__ import annotations

import getpass
import os
import secrets
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from quietline.config import ConfigError, Settings, load_settings

if TYPE_CHECKING:
    from quietline.app import Services

app = typer.Typer(
    help="Quietline: secure messaging for therapy practices.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,  # never print locals (they may hold secrets)
)
audit_app = typer.Typer(help="Check the audit trail.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
console = Console(stderr=True)
out = Console()

ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="TOML config file", exists=False)
]
DataDirOption = Annotated[Path | None, typer.Option("--data-dir", help="Data folder")]


def _settings(config: Path | None, **overrides: object) -> Settings:
    try:
        return load_settings(config, **overrides)
    except ConfigError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None


def _fail(message: str, code: int = 1) -> typer.Exit:
    console.print(f"[red]{message}[/red]")
    return typer.Exit(code)


def _report_new_keys(created: list[Path]) -> None:
    for path in created:
        why = (
            "without it no message can be decrypted, and anyone holding both it and a "
            "database backup can read everything"
            if path.name == "master.key"
            else "without it the audit trail can no longer be verified"
        )
        console.print(
            f"[yellow]Created key file {path} (permissions 0600).[/yellow]\n"
            f"  Back it up now, separately from database backups: {why}."
        )


@app.command()
def migrate(config: ConfigOption = None, data_dir: DataDirOption = None) -> None:
    """Bring the database schema up to date."""
    from quietline.storage.migrate import upgrade

    settings = _settings(config, data_dir=data_dir)
    if settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    upgrade(settings.resolved_database_url())
    console.print("[green]Database schema is up to date.[/green]")


@app.command()
def init(
    config: ConfigOption = None,
    data_dir: DataDirOption = None,
    practice_code: Annotated[str | None, typer.Option(help="Short code, e.g. riverbend")] = None,
    practice_name: Annotated[str | None, typer.Option(help="The practice's name")] = None,
    owner_email: Annotated[str | None, typer.Option(help="The first owner's email")] = None,
    owner_name: Annotated[str | None, typer.Option(help="The first owner's name")] = None,
    owner_password_file: Annotated[
        Path | None, typer.Option(help="File holding the owner's password (else prompted)")
    ] = None,
) -> None:
    """Create the keys and the database, a practice and its first owner."""
    from quietline.actions.practices import do_create_practice
    from quietline.app import build_services, ensure_key_files
    from quietline.domain.errors import QuietlineError
    from quietline.storage.migrate import upgrade

    settings = _settings(config, data_dir=data_dir)
    created = ensure_key_files(settings)
    _report_new_keys(created)
    if settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    upgrade(settings.resolved_database_url())
    interactive = sys.stdin.isatty()

    def ask(value: str | None, prompt: str) -> str:
        if value:
            return value
        if not interactive:
            raise _fail(f"Missing --{prompt.lower().replace(' ', '-')} (no terminal to ask on).")
        return str(typer.prompt(prompt))

    code = ask(practice_code, "Practice code")
    name = ask(practice_name, "Practice name")
    email = ask(owner_email, "Owner email")
    display = ask(owner_name, "Owner name")
    if owner_password_file is not None:
        password = owner_password_file.read_text().strip()
    elif interactive:
        password = getpass.getpass("Owner password (12+ characters): ")
        if getpass.getpass("Repeat it: ") != password:
            raise _fail("The passwords differ. Nothing was created.")
    else:
        raise _fail("Give --owner-password-file (no terminal to ask on).")
    services = build_services(settings)
    try:
        services.db.write_sync(
            lambda unit: do_create_practice(
                unit,
                services.passwords,
                slug=code,
                name=name,
                owner_email=email,
                owner_name=display,
                owner_password=password,
            )
        )
    except QuietlineError as exc:
        raise _fail(exc.detail) from None
    finally:
        services.close()
    console.print(f"[green]Practice '{code}' created; {email} is its owner.[/green]")
    console.print("Start the server with: quietline serve")


@app.command()
def serve(config: ConfigOption = None) -> None:
    """Run the server from configuration (QUIETLINE_* variables and/or a config file)."""
    from quietline.app import build_services
    from quietline.storage.migrate import is_current

    settings = _settings(config)
    try:
        settings.check_listen_address()
        services = build_services(settings)
    except ConfigError as exc:
        raise _fail(str(exc), 2) from None
    if not is_current(settings.resolved_database_url()):
        services.close()
        raise _fail("The database schema is not up to date. Run: quietline migrate", 2)
    _run_server(services)


def _run_server(services: Services) -> None:
    import uvicorn

    from quietline.api.middleware import ContainErrors
    from quietline.app import create_app
    from quietline.logging_setup import configure_logging

    settings = services.settings
    configure_logging(settings.log_level)
    server = uvicorn.Server(
        uvicorn.Config(
            ContainErrors(create_app(services)),
            host=settings.host,
            port=settings.port,
            ssl_certfile=str(settings.tls_cert_file) if settings.tls_cert_file else None,
            ssl_keyfile=str(settings.tls_key_file) if settings.tls_key_file else None,
            proxy_headers=settings.behind_tls_proxy,
            forwarded_allow_ips=settings.trusted_proxies if settings.behind_tls_proxy else None,
            access_log=False,
            log_config=None,
            server_header=False,
            ws_max_size=65536,
        )
    )
    try:
        server.run()
    finally:
        services.close()


@app.command()
def demo(
    data_dir: Annotated[Path, typer.Option(help="Demo data folder")] = Path(".quietline-demo"),
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1")] = 8000,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Seed only")] = False,
) -> None:
    """Create (or reuse) a demo practice on SQLite and serve it on 127.0.0.1."""
    from quietline.app import build_services, ensure_key_files
    from quietline.cli.demo import seed_demo
    from quietline.storage.migrate import upgrade

    settings = _settings(None, data_dir=data_dir, host="127.0.0.1", port=port, database_url=None)
    if settings.database_url is not None:
        settings = settings.model_copy(update={"database_url": None})
    _report_new_keys(ensure_key_files(settings))
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    upgrade(settings.resolved_database_url())
    services = build_services(settings)
    password_file = settings.data_dir / "demo-password.txt"
    if not password_file.exists():
        password_file.touch(mode=0o600)
        password_file.write_text(f"demo-{secrets.token_urlsafe(9)}\n")
    password = password_file.read_text().strip()
    accounts = seed_demo(services, password)
    out.print(f"\n[bold]Quietline demo[/bold]: open http://localhost:{port}/app/")
    out.print("  (on a phone-sized window too; 'localhost' rather than the IP lets passkeys work)")
    out.print(f"API: http://127.0.0.1:{port}/api/v1 (schema at /api/v1/openapi.json)")
    out.print("Practice code: [bold]demo[/bold]")
    out.print(f"Password for every demo account: [bold]{password}[/bold]")
    for email, role in accounts:
        out.print(f"  {email:32} {role}")
    if no_serve:
        services.close()
        return
    _run_server(services)


@audit_app.command("verify")
def audit_verify(config: ConfigOption = None, data_dir: DataDirOption = None) -> None:
    """Recompute every practice's audit chain; name the first broken entry."""
    from rich.progress import Progress

    from quietline.actions.audit import verify_all
    from quietline.app import build_services
    from quietline.storage.audit_anchor import ANCHOR_DAMAGED, AuditAnchorError

    settings = _settings(config, data_dir=data_dir)
    try:
        services = build_services(settings)
    except ConfigError as exc:
        raise _fail(str(exc), 2) from None
    try:
        with Progress(console=console, transient=True) as progress:
            progress.add_task("Verifying the audit chain", total=None)
            try:
                anchors = services.audit_anchor.read()
            except AuditAnchorError:
                out.print(f"[red]BROKEN[/red] {ANCHOR_DAMAGED}")
                raise typer.Exit(1) from None
            reports = services.db.read_sync(
                lambda unit: verify_all(unit, services.audit_key, anchors)
            )
    finally:
        services.close()
    broken = [r for r in reports if not r.ok]
    for report in reports:
        if report.ok:
            out.print(
                f"[green]OK[/green] practice {report.practice_id}: "
                f"{report.entries} entries, chain intact"
            )
        else:
            out.print(
                f"[red]BROKEN[/red] practice {report.practice_id}: {report.problem} "
                f"(first bad entry: {report.first_bad_seq})"
            )
    if broken:
        raise typer.Exit(1)


@app.command()
def purge(config: ConfigOption = None, data_dir: DataDirOption = None) -> None:
    """Delete expired messages now (the server also does this on a schedule)."""
    from quietline.actions.messages import do_purge_expired
    from quietline.app import build_services

    settings = _settings(config, data_dir=data_dir)
    try:
        services = build_services(settings)
    except ConfigError as exc:
        raise _fail(str(exc), 2) from None
    try:
        total = 0
        while True:
            purged = services.db.write_sync(do_purge_expired)
            total += purged
            if purged == 0:
                break
    finally:
        services.close()
    out.print(f"Purged {total} expired messages.")


def run() -> None:
    # Files this process creates (the SQLite database, its WAL, key files, backups) are
    # readable by the service account only.
    os.umask(0o077)
    app()
