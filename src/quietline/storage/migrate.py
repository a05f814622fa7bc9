"""Schema migrations (Alembic), callable from the CLI and tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event

from quietline.storage.database import make_migration_engine

_MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    # ConfigParser interpolation: a literal % in a URL must be doubled.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    config = alembic_config(url)
    if not url.startswith("sqlite"):
        command.upgrade(config, revision)
        return
    # On SQLite a batch migration rebuilds a table (copy, drop, rename). With foreign keys on,
    # dropping the old table would cascade to every row that references it (all of a
    # practice's data, for `practices`), so migrations run with them off and the references
    # are checked once they are done.
    engine = make_migration_engine(url)
    event.listen(engine, "connect", _foreign_keys_off)
    try:
        with engine.connect() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, revision)
            broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    finally:
        engine.dispose()
    if broken:
        raise RuntimeError(f"the migration left {len(broken)} rows with broken references")


def _foreign_keys_off(dbapi_connection: Any, _record: Any) -> None:
    # Runs after the engine's own connect hook (which turns them on), outside any transaction.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=OFF")
    cursor.close()


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    if head is None:
        raise RuntimeError("no migrations found")
    return head


def known_revisions() -> set[str]:
    """Every schema revision this code's migrations know."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return {revision.revision for revision in script.walk_revisions()}


def current_revision(url: str) -> str | None:
    engine = make_migration_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def is_current(url: str) -> bool:
    return current_revision(url) == head_revision()
