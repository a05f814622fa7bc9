"""``quietline``: set up, run, check and look after a Quietline server."""

from __future__ import annotations

import contextlib
import getpass
import os
import secrets
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from quietline.cli.admin import admin_app
from quietline.config import ConfigError, Settings, load_settings

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from quietline.app import Services
    from quietline.crypto.audit_chain import ChainReport
    from quietline.crypto.keys import MasterKey

app = typer.Typer(
    help="Quietline: secure messaging for therapy practices.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,  # never print locals (they may hold secrets)
)
audit_app = typer.Typer(help="Check the audit trail.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
app.add_typer(admin_app, name="admin")
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


def _services(settings: Settings) -> Services:
    """The composition root for one command; a setting it cannot use stops with its message."""
    from quietline.app import build_services

    try:
        return build_services(settings)
    except ConfigError as exc:
        raise _fail(str(exc), 2) from None


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

    from quietline.api.http_protocol import CoalescingHttpToolsProtocol
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
            http=CoalescingHttpToolsProtocol,
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
    data_dir: Annotated[
        Path | None,
        typer.Option(help="Demo data folder [default: $QUIETLINE_DATA_DIR, else .quietline-demo]"),
    ] = None,
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1")] = 8000,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Seed only")] = False,
) -> None:
    """Create (or reuse) a demo practice on SQLite and serve it on 127.0.0.1."""
    from quietline.app import build_services, ensure_key_files
    from quietline.cli.demo import DEMO_EMAIL_FROM, DEMO_SMS_NUMBER, seed_demo
    from quietline.storage.migrate import upgrade

    if data_dir is None:
        data_dir = Path(os.environ.get("QUIETLINE_DATA_DIR") or ".quietline-demo")
    settings = _settings(
        None,
        data_dir=data_dir,
        host="127.0.0.1",
        port=port,
        database_url=None,
        # Client messaging stays on this computer: texts and e-mails go to /demo/phone.
        demo=True,
        sms_gateway="console",
        email_gateway="console",
        sms_from_number=os.environ.get("QUIETLINE_SMS_FROM_NUMBER") or DEMO_SMS_NUMBER,
        smtp_from=os.environ.get("QUIETLINE_SMTP_FROM") or DEMO_EMAIL_FROM,
    )
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
    out.print(f"Texts and e-mails to clients: http://localhost:{port}/demo/phone (pretend phone)")
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
    from quietline.actions.oversight import record_verification
    from quietline.storage.audit_anchor import ANCHOR_DAMAGED, AuditAnchorError

    services = _services(_settings(config, data_dir=data_dir))
    try:
        with Progress(console=console, transient=True) as progress:
            progress.add_task("Verifying the audit chain", total=None)
            try:
                anchors = services.audit_anchor.read()
            except AuditAnchorError:
                services.db.write_sync(
                    lambda unit: record_verification(unit, [], via="cli", anchor_damaged=True)
                )
                out.print(f"[red]BROKEN[/red] {ANCHOR_DAMAGED}")
                raise typer.Exit(1) from None
            reports = services.db.read_sync(
                lambda unit: verify_all(unit, services.audit_key, anchors)
            )
            # For the compliance page: when the chain was last verified, and the outcome.
            services.db.write_sync(lambda unit: record_verification(unit, reports, via="cli"))
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


@app.command("recover-account")
def recover_account(
    config: ConfigOption = None,
    data_dir: DataDirOption = None,
    practice_code: Annotated[str, typer.Option(help="The practice's code")] = "",
    email: Annotated[str, typer.Option(help="The e-mail the person signs in with")] = "",
    password_file: Annotated[
        Path | None, typer.Option(help="File holding the new password (else prompted)")
    ] = None,
    reset_second_factor: Annotated[
        bool,
        typer.Option(
            "--reset-second-factor",
            help="Also remove their authenticator app, recovery codes and passkeys",
        ),
    ] = False,
) -> None:
    """On the server: a new password for someone who cannot sign in and has nobody to reset
    it (the owner of a solo practice). Every session of theirs ends; it is audited."""
    from quietline.actions.users import do_recover_account
    from quietline.domain.errors import QuietlineError

    if not practice_code or not email:
        raise _fail("Give --practice-code and --email: whose account to recover.")
    if password_file is not None:
        password = password_file.read_text().strip()
    elif sys.stdin.isatty():
        password = getpass.getpass("New password (12+ characters): ")
        if getpass.getpass("Repeat it: ") != password:
            raise _fail("The passwords differ. Nothing was changed.")
    else:
        raise _fail("Give --password-file (no terminal to ask on).")
    services = _services(_settings(config, data_dir=data_dir))
    new_password = services.passwords.new_secret(password)
    try:
        user = services.db.write_sync(
            lambda unit: do_recover_account(
                unit,
                practice_code=practice_code,
                email=email,
                new_password=new_password,
                reset_second_factor=reset_second_factor,
            )
        )
    except QuietlineError as exc:
        message = (
            "No such account: check the practice code and the e-mail."
            if exc.status == 404
            else exc.detail
        )
        raise _fail(message) from None
    finally:
        services.close()
    done = "password set, second factor removed" if reset_second_factor else "password set"
    out.print(f"[green]Account {user.id} ({user.role.value}): {done}; every session ended.[/green]")
    if not user.is_active:
        out.print(
            "[yellow]This account is deactivated: it cannot sign in until an owner or admin "
            "reactivates it.[/yellow]"
        )
    out.print("Recorded in the audit trail as done from the server console.")


@app.command()
def purge(
    config: ConfigOption = None,
    data_dir: DataDirOption = None,
    report: Annotated[
        bool,
        typer.Option("--report", help="Print what retention did in each practice (ids, counts)"),
    ] = False,
) -> None:
    """Delete expired messages, and messages past each practice's retention, now (the server
    also does both on a schedule). Conversations under legal hold are left alone."""
    from uuid import UUID

    from quietline.actions.messages import do_purge_expired
    from quietline.actions.retention import RetentionRun, do_purge_retention

    def show_retention(slug: str, practice_id: UUID, runs: list[RetentionRun]) -> None:
        """One practice's part of ``quietline purge --report``: ids and counts, never content."""
        if not runs:
            out.print(f"practice {slug} ({practice_id}): no retention limit")
            return
        erased: dict[UUID, int] = {}
        for run in runs:
            for conversation_id, n in run.erased.items():
                erased[conversation_id] = erased.get(conversation_id, 0) + n
        last = runs[-1]
        out.print(
            f"practice {slug} ({practice_id}): retention {last.retention_days} days, "
            f"messages created before {last.cutoff.isoformat()} are due"
        )
        out.print(f"  erased: {sum(erased.values())} messages in {len(erased)} conversations")
        for conversation_id, n in sorted(erased.items(), key=str):
            out.print(f"    conversation {conversation_id}: {n}")
        out.print(f"  skipped for a legal hold: {len(last.held)} conversations")
        for conversation_id, n in sorted(last.held.items(), key=str):
            out.print(f"    conversation {conversation_id}: {n} messages past retention kept")
        if last.held_clients:
            out.print(f"  of those, held with their client: {len(last.held_clients)} clients")
            for client_id, n in sorted(last.held_clients.items(), key=str):
                out.print(f"    client {client_id}: {n} messages past retention kept")
        deleted = sum(r.tombstones_deleted for r in runs)
        out.print(f"  emptied rows deleted: {deleted}")

    services = _services(_settings(config, data_dir=data_dir))
    try:
        total = 0
        while True:
            purged = services.db.write_sync(do_purge_expired)
            total += purged
            if purged == 0:
                break
        runs: list[RetentionRun] = []
        while True:
            batch = services.db.write_sync(do_purge_retention)
            runs += batch
            if not any(r.more for r in batch):
                break
        practices = services.db.read_sync(
            lambda unit: [(p.id, p.slug) for p in unit.practices.list_all()]
        )
    finally:
        services.close()
    out.print(f"Purged {total} expired messages.")
    out.print(f"Erased {sum(r.erased_total for r in runs)} messages past retention.")
    if report:
        for practice_id, slug in practices:
            show_retention(slug, practice_id, [r for r in runs if r.practice_id == practice_id])


# -- backup and restore ----------------------------------------------------------------------
# quietline backup --to FILE | quietline backup verify FILE | quietline restore [--test] FILE

backup_app = typer.Typer()
app.add_typer(backup_app, name="backup")


class _TableBars:
    """Rich progress bars, one per table, counting rows."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._task: TaskID | None = None

    def table_started(self, name: str, rows: int) -> None:
        # Empty tables get no bar: in a log, a line per table with rows is enough.
        self._task = self._progress.add_task(name, total=rows) if rows else None

    def rows_done(self, count: int) -> None:
        if self._task is not None:
            self._progress.advance(self._task, count)


@contextlib.contextmanager
def _table_bars() -> Iterator[_TableBars]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description:<22}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("rows"),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        yield _TableBars(progress)


def _backup_keys(settings: Settings) -> tuple[list[MasterKey], bytes]:
    """The master keys (the active one first: it encrypts new backups) and the audit key."""
    from quietline.crypto.keys import KeyFileError, load_audit_key_file, load_master_keys

    try:
        # During an unfinished rotation the previous (or next) master key is needed too.
        return (
            load_master_keys(settings.master_key_path),
            load_audit_key_file(settings.audit_key_path),
        )
    except KeyFileError as exc:
        raise _fail(
            f"{exc}. Backups are encrypted with the master key and restores verify the audit "
            "trail with the audit key: set QUIETLINE_MASTER_KEY_FILE and QUIETLINE_AUDIT_KEY_FILE "
            "to the key files of the installation (they are never inside a backup).",
            2,
        ) from None


def _database(settings: Settings) -> str:
    try:
        return settings.resolved_database_url()
    except ConfigError as exc:
        raise _fail(str(exc), 2) from None


def _recorded(problem: str | None) -> None:
    if problem is not None:
        console.print(f"[yellow]{problem}[/yellow]")


@backup_app.callback(invoke_without_command=True)
def backup(
    ctx: typer.Context,
    to: Annotated[Path | None, typer.Option("--to", help="The new backup file to write")] = None,
    config: ConfigOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Write an encrypted backup (--to FILE) while the server runs, or check one (verify).

    The backup is one consistent moment of the whole database, encrypted with a key derived
    from the master key. The master key is never in it: keep the key files separately.
    """
    if ctx.invoked_subcommand is not None:
        ctx.obj = {"config": config, "data_dir": data_dir}
        return
    if to is None:
        raise _fail("Name the file to write: quietline backup --to FILE", 2)
    from quietline.operations.backup import BackupError, create_backup

    settings = _settings(config, data_dir=data_dir)
    masters, audit_key = _backup_keys(settings)
    if len(masters) > 1:
        # Some practice keys would still be wrapped by the previous master key, and a restore
        # would need both files: finish the rotation first, so a backup needs one key.
        raise _fail(
            "A master key rotation is unfinished. Run 'quietline keys rotate' to finish it, "
            "then take the backup.",
            2,
        )
    master = masters[0]
    url = _database(settings)
    try:
        with _table_bars() as bars:
            summary = create_backup(url, to, master=master, audit_key=audit_key, progress=bars)
    except BackupError as exc:
        raise _fail(f"No backup was written. {exc}") from None
    out.print(
        f"[green]Backup written to {summary.path}[/green]: {len(summary.tables)} tables, "
        f"{summary.total_rows} rows, {summary.size} bytes, schema revision "
        f"{summary.header.revision}."
    )
    out.print(
        f"It is encrypted with master key {master.key_id}, which is not in the backup. Keep "
        f"{settings.master_key_path} separately: without it this backup cannot be read."
    )
    _recorded(summary.record_problem)


@backup_app.command("verify")
def backup_verify(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The backup file to check")],
    config: ConfigOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Decrypt and check every chunk and table of a backup, and print its table counts."""
    from rich.table import Table

    from quietline.operations.backup import BackupError, verify_backup

    given = ctx.obj or {}
    settings = _settings(config or given.get("config"), data_dir=data_dir or given.get("data_dir"))
    masters, _audit_key = _backup_keys(settings)
    try:
        with _table_bars() as bars:
            summary = verify_backup(
                file, masters=masters, progress=bars, record_in=_database(settings)
            )
    except BackupError as exc:
        raise _fail(f"The backup cannot be used. {exc}") from None
    header = summary.header
    counts = Table("Table", "Rows", title="Tables in the backup")
    for check in summary.tables:
        counts.add_row(check.name, str(check.rows))
    out.print(counts)
    out.print(
        f"[green]OK[/green] {file}: made {header.created_at:%Y-%m-%d %H:%M:%S} UTC from "
        f"{header.source_backend} at schema revision {header.revision}; {len(summary.tables)} "
        f"tables, {summary.total_rows} rows, {summary.chunks} chunks, every checksum matches. "
        f"It needs master key {header.master_key_id}."
    )
    _recorded(summary.record_problem)


def _print_chains(reports: Sequence[ChainReport]) -> None:
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


@app.command()
def restore(
    file: Annotated[Path, typer.Argument(help="The backup file")],
    test: Annotated[
        bool,
        typer.Option(
            "--test",
            help="Restore into a temporary SQLite database, open every message, verify the "
            "audit trail, then delete it (the configured database is not touched)",
        ),
    ] = False,
    database_url: Annotated[
        str | None,
        typer.Option(help="Restore into this empty database instead of the configured one"),
    ] = None,
    work_dir: Annotated[
        Path | None, typer.Option(help="Folder for the temporary database of --test")
    ] = None,
    config: ConfigOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Restore a backup into an empty database (SQLite or PostgreSQL), or test that it can be."""
    from quietline.operations.backup import BackupError, restore_backup, run_restore_test

    settings = _settings(config, data_dir=data_dir, database_url=database_url)
    masters, audit_key = _backup_keys(settings)
    url = _database(settings)
    try:
        with _table_bars() as bars:
            if test:
                tested = run_restore_test(
                    file,
                    masters=masters,
                    audit_key=audit_key,
                    progress=bars,
                    work_dir=work_dir,
                    record_in=url,
                )
            else:
                restored = restore_backup(
                    file,
                    url,
                    masters=masters,
                    audit_key=audit_key,
                    anchor_path=settings.audit_anchor_path,
                    progress=bars,
                )
    except BackupError as exc:
        raise _fail(f"Nothing was restored. {exc}") from None
    if test:
        _print_chains(tested.restore.audit)
        for warning in tested.restore.warnings:
            console.print(f"[yellow]{warning}[/yellow]")
        for failure in tested.failures:
            out.print(f"[red]Cannot be opened:[/red] {failure}")
        said = (
            f"{tested.restore.summary.total_rows} rows restored; {tested.messages_checked} "
            f"messages, {tested.titles_checked} channel titles and "
            f"{tested.practice_keys_checked} practice keys opened"
        )
        if tested.ok:
            out.print(f"[green]Restore test passed[/green]: {said}; every audit chain intact.")
        else:
            out.print(f"[red]Restore test FAILED[/red]: {said}, with the problems above.")
        _recorded(tested.record_problem)
        if not tested.ok:
            raise typer.Exit(1)
        return
    _print_chains(restored.audit)
    for note in restored.anchor_notes:
        console.print(f"[yellow]{note}[/yellow]")
    for warning in restored.warnings:
        console.print(f"[yellow]{warning}[/yellow]")
    if restored.previous_anchor is not None:
        out.print(f"The previous audit anchor was kept as {restored.previous_anchor}.")
    upgraded = (
        f" and upgraded its schema from revision {restored.upgraded_from}"
        if restored.upgraded_from
        else ""
    )
    out.print(
        f"[green]Restored[/green] {restored.summary.total_rows} rows in "
        f"{len(restored.summary.tables)} tables into {restored.target}{upgraded}. The audit "
        f"anchor {restored.anchor_path} now records the restored chain heads."
    )
    _recorded(restored.record_problem)
    if not restored.ok:
        out.print("[red]The restored audit trail does not verify; see above.[/red]")
        raise typer.Exit(1)


# -- key rotation ------------------------------------------------------------------------------
# quietline keys rotate [--practice CODE ... | --all-practices] | quietline keys status
# How it works: src/quietline/operations/keys.py and docs/decisions/0013-key-rotation.md.


def _counted(n: int, what: str) -> str:
    return f"{n} {what}" if n == 1 else f"{n} {what}s"


keys_app = typer.Typer(
    help="Rotate the encryption keys, and show their state.", no_args_is_help=True
)
app.add_typer(keys_app, name="keys")


@keys_app.command("rotate")
def keys_rotate(
    practice: Annotated[
        list[str] | None,
        typer.Option("--practice", help="Rotate this practice's key (its code); repeatable"),
    ] = None,
    all_practices: Annotated[
        bool, typer.Option("--all-practices", help="Rotate the key of every practice")
    ] = False,
    batch_size: Annotated[int, typer.Option(min=1, help="Rows per transaction")] = 500,
    config: ConfigOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Rotate the master key, or with --practice / --all-practices practice keys.

    No message is re-encrypted, and the server may keep running. If a rotation was
    interrupted, this finishes it (and starts nothing new): run the same command again.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

    from quietline.app import build_services
    from quietline.operations.keys import RotationError, rotate_keys
    from quietline.storage.migrate import is_current

    class Bars:
        """One Rich progress bar per part of the rotation."""

        def __init__(self, progress: Progress) -> None:
            self._progress = progress
            self._tasks = dict[str, TaskID]()

        def start(self, label: str, total: int) -> None:
            if label in self._tasks:  # another pass over what appeared meanwhile
                self._progress.update(self._tasks[label], total=total, completed=0)
            else:
                self._tasks[label] = self._progress.add_task(label, total=total)

        def advance(self, label: str, amount: int) -> None:
            if label in self._tasks:
                self._progress.advance(self._tasks[label], amount)

    if practice and all_practices:
        raise _fail("Give --practice or --all-practices, not both.", 2)
    settings = _settings(config, data_dir=data_dir)
    try:
        current = is_current(settings.resolved_database_url())
        services = build_services(settings)
    except ConfigError as exc:
        raise _fail(str(exc), 2) from None
    try:
        if not current:
            raise _fail("The database schema is not up to date. Run: quietline migrate", 2)
        with Progress(
            TextColumn("{task.description:<32}"), BarColumn(), MofNCompleteColumn(), console=console
        ) as progress:
            outcome = rotate_keys(
                services,
                practice_codes=practice or (),
                all_practices=all_practices,
                batch_size=batch_size,
                progress=Bars(progress),
            )
    except RotationError as exc:
        raise _fail(str(exc)) from None
    except KeyboardInterrupt:
        raise _fail(
            "Interrupted. Everything stays readable; run the same command again to finish.", 130
        ) from None
    finally:
        services.close()
    if outcome.resumed:
        out.print(
            "[yellow]An unfinished key rotation was found and finished. No new rotation was "
            "started; run the command again to start one.[/yellow]"
        )
    master = outcome.master
    if master is not None:
        out.print(
            f"[green]Master key rotated[/green]: {', '.join(master.old_key_ids)} -> "
            f"{master.new_key_id}; {_counted(master.practice_keys, 'practice key')} re-wrapped, "
            "no message re-encrypted. A running server picks up the new key by itself."
        )
        out.print(
            f"[yellow]Back up the new master key file {settings.master_key_path} now, "
            "separately from database backups:[/yellow] without it nothing can be decrypted, "
            "and the old key no longer opens the database."
        )
        if master.retired_file is not None:
            out.print(
                f"The old master key was moved to {master.retired_file}. Backups made before "
                "this rotation finished can only be restored with it: destroy it (shred -u "
                f"{master.retired_file}) once no such backup is needed."
            )
    for done in outcome.practices:
        out.print(
            f"[green]Practice {done.slug}[/green]: key {', '.join(done.old_key_ids)} replaced by "
            f"{done.new_key_id}; {_counted(done.conversation_keys, 'conversation key')} "
            f"re-wrapped and {_counted(done.sealed_values, 'secret')} re-sealed; the old key is "
            "deleted."
        )


@keys_app.command("status")
def keys_status(config: ConfigOption = None, data_dir: DataDirOption = None) -> None:
    """Show the key ids in use, and whether a rotation is unfinished."""
    from quietline.crypto.keys import KeyFileError
    from quietline.operations.keys import key_status

    settings = _settings(config, data_dir=data_dir)
    services = _services(settings)
    try:
        status = key_status(services)
    except KeyFileError as exc:
        raise _fail(str(exc), 2) from None
    finally:
        services.close()
    out.print(f"Master key {status.master_key_id} ({settings.master_key_path})")
    if status.next_master_key_id is not None:
        out.print(f"  new master key {status.next_master_key_id} written, not yet in use")
    if status.previous_master_key_id is not None:
        out.print(f"  previous master key {status.previous_master_key_id} still loaded")
    for item in status.practices:
        line = (
            f"Practice {item.slug}: key {item.active_key_id}, "
            f"wrapped by {', '.join(item.wrapped_by)}"
        )
        if item.old_key_ids:
            line += f"; old key {', '.join(item.old_key_ids)} not yet deleted"
        out.print(line)
    if status.unfinished:
        out.print(
            "[yellow]A key rotation is unfinished. Everything is readable; run "
            "'quietline keys rotate' to finish it.[/yellow]"
        )


# -- right of access ---------------------------------------------------------------------------
# quietline clients export CLIENT_ID --practice CODE --format html|json --out FILE
# quietline documents verify FILE --practice CODE

clients_app = typer.Typer(help="Look after client records.", no_args_is_help=True)
app.add_typer(clients_app, name="clients")
documents_app = typer.Typer(help="Check documents the server signed.", no_args_is_help=True)
app.add_typer(documents_app, name="documents")
PracticeCodeOption = Annotated[str, typer.Option("--practice", help="The practice's code")]


@clients_app.command("export")
def clients_export(
    client_id: Annotated[str, typer.Argument(help="The client's id")],
    practice: PracticeCodeOption,
    out_file: Annotated[Path, typer.Option("--out", help="The new file to write")],
    export_format: Annotated[
        str, typer.Option("--format", help="html (a signed, printable document) or json")
    ] = "html",
    include_staff_notes: Annotated[
        bool,
        typer.Option(
            "--include-staff-notes",
            help="Also export the notes for staff and the thread's staff-only notes",
        ),
    ] = False,
    max_messages: Annotated[
        int, typer.Option(min=1, help="Refuse clients with more messages than this")
    ] = 50_000,
    config: ConfigOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Export everything about one client (record, consent history, messages, appointments)
    for a right-of-access request. The file is written with permissions 0600; the export is
    recorded in the practice's audit trail (client.exported)."""
    from uuid import UUID

    from quietline.actions.client_export import do_export_client_as_operator, render_export
    from quietline.domain.errors import QuietlineError

    try:
        client = UUID(client_id)
    except ValueError:
        raise _fail("The client id must look like 3f2b8c1e-... (GET /api/v1/clients).", 2) from None
    if export_format not in ("html", "json"):
        raise _fail("--format must be html or json.", 2)
    if out_file.exists():
        raise _fail(f"{out_file} exists already. Name a new file.", 2)
    if not out_file.parent.is_dir():
        raise _fail(f"The folder {out_file.parent} does not exist.", 2)
    services = _services(_settings(config, data_dir=data_dir))
    try:
        with console.status("Exporting the client's records…"):
            export = services.db.write_sync(
                lambda unit: do_export_client_as_operator(
                    unit,
                    practice,
                    client,
                    export_format,
                    include_staff_notes=include_staff_notes,
                    max_messages=max_messages,
                )
            )
            content = render_export(export, services.record_key)
    except QuietlineError as exc:
        raise _fail(exc.detail) from None
    finally:
        services.close()
    try:
        fd = os.open(out_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise _fail(f"Could not write {out_file}: {exc.strerror}.") from None
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
    n = export.counts
    out.print(
        f"[green]Wrote {out_file}[/green] (permissions 0600): {_counted(n.messages, 'message')} "
        f"({n.messages_with_text} with their text), {_counted(n.consents, 'consent answer')}, "
        f"{_counted(n.appointments, 'appointment')}."
    )
    if n.staff_notes_withheld or export.record_notes_withheld:
        out.print(
            f"Staff notes were left out ({_counted(n.staff_notes_withheld, 'note')} in the "
            "thread, and the record's notes for staff if any); --include-staff-notes adds them."
        )
    out.print(
        "[yellow]The file holds the client's health information: hand it over securely and "
        "delete your copy when done.[/yellow]"
    )


@documents_app.command("verify")
def documents_verify(
    file: Annotated[Path, typer.Argument(help="The downloaded document (HTML or text)")],
    practice: PracticeCodeOption,
    config: ConfigOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Check that a document the server signed (a client export in HTML, an offboarding
    record) is exactly as it was signed. Any size (the API checks up to 60,000 characters)."""
    from quietline.crypto.documents import document_signature_valid

    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        raise _fail(f"Could not read {file} as UTF-8 text.", 2) from None
    services = _services(_settings(config, data_dir=data_dir))
    try:
        found = services.db.read_sync(lambda unit: unit.practices.get_by_slug(practice))
        if found is None:
            raise _fail(f"No practice has the code {practice!r}.", 2)
        valid = document_signature_valid(services.record_key, found.id, text)
    finally:
        services.close()
    if not valid:
        raise _fail(
            "The document does not match its signature: it was changed, cut short, or not "
            "signed by this server for this practice."
        )
    out.print("[green]The document is exactly as Quietline signed it.[/green]")


def run() -> None:
    # Files this process creates (the SQLite database, its WAL, key files, backups) are
    # readable by the service account only.
    os.umask(0o077)
    app()
