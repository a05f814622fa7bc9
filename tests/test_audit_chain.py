"""Tampering with the audit log through the database is caught by ``quietline audit verify``
(the CLI), by ``verify_all`` and by ``GET /api/v1/audit/verify``, naming the first broken entry."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select, update
from typer.testing import CliRunner

from quietline.actions.audit import verify_all
from quietline.app import Services
from quietline.cli.main import app as cli_app
from quietline.config import Settings
from quietline.crypto.audit_chain import ChainReport
from quietline.storage.tables import audit_events, audit_heads
from quietline.storage.unit import Unit
from tests.conftest import Api, PracticeHandle, add_staff, make_practice, sign_in
from tests.live_support import create_direct, send_message

# Columns an entry's MAC covers (besides seq), as stored.
CONTENT_COLUMNS = (
    "at",
    "kind",
    "actor_user_id",
    "actor_session_id",
    "subject_type",
    "subject_id",
    "details",
    "prev_mac",
    "mac",
)


@dataclass
class Log:
    """The practice whose log is tampered with, after some real activity."""

    practice: PracticeHandle
    owner: Api
    seqs: list[int]


@pytest.fixture
def log(services: Services, client: TestClient, practice: PracticeHandle, owner: Api) -> Log:
    dana_id = add_staff(owner, "dana@riverbend.test")
    dana = sign_in(client, practice.slug, "dana@riverbend.test")
    cid = create_direct(owner, dana_id)
    for n in range(3):
        send_message(owner, cid, f"message {n}")
    assert dana.get(f"/conversations/{cid}/messages").status_code == 200
    seqs = _seqs(services, practice.id)
    assert len(seqs) >= 9
    assert seqs == list(range(1, len(seqs) + 1))
    return Log(practice, owner, seqs)


def _seqs(services: Services, practice_id: UUID) -> list[int]:
    def read(unit: Unit) -> list[int]:
        rows = unit.conn.execute(
            select(audit_events.c.seq)
            .where(audit_events.c.practice_id == practice_id)
            .order_by(audit_events.c.seq)
        )
        return [int(r.seq) for r in rows]

    return services.db.read_sync(read)


def _row(services: Services, practice_id: UUID, seq: int) -> dict[str, Any]:
    def read(unit: Unit) -> dict[str, Any]:
        row = unit.conn.execute(
            select(audit_events).where(
                audit_events.c.practice_id == practice_id, audit_events.c.seq == seq
            )
        ).one()
        return dict(row._mapping)

    return services.db.read_sync(read)


def _sql(services: Services, change: Callable[[Unit], object]) -> None:
    """Run raw SQL as someone with database access (and without the audit key) would."""
    services.db.write_sync(change)


def _where(practice_id: UUID, seq: int) -> Any:
    return (audit_events.c.practice_id == practice_id) & (audit_events.c.seq == seq)


def _report(services: Services, practice_id: UUID) -> ChainReport:
    reports = services.db.read_sync(
        lambda unit: verify_all(unit, services.audit_key, services.audit_anchor.read())
    )
    mine = [r for r in reports if r.practice_id == practice_id]
    assert len(mine) == 1
    return mine[0]


def _cli_verify(settings: Settings) -> tuple[int, str]:
    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("QUIETLINE_")}
    env.update(
        {
            "QUIETLINE_DATABASE_URL": settings.database_url,
            "QUIETLINE_DATA_DIR": str(settings.data_dir),
            "COLUMNS": "200",
        }
    )
    result = CliRunner(env=env).invoke(cli_app, ["audit", "verify"])
    return result.exit_code, " ".join(result.output.split())


def _assert_broken(
    services: Services, settings: Settings, log: Log, seq: int, problem: str
) -> None:
    report = _report(services, log.practice.id)
    assert not report.ok
    assert report.first_bad_seq == seq, report
    assert report.problem is not None
    assert problem in report.problem
    code, output = _cli_verify(settings)
    assert code == 1, output
    assert f"BROKEN practice {log.practice.id}" in output
    assert f"(first bad entry: {seq})" in output
    api = log.owner.get("/audit/verify")
    assert api.status_code == 200, api.text
    body = api.json()
    assert body["ok"] is False
    assert body["first_bad_seq"] == seq
    assert problem in body["problem"]


def test_intact_log_verifies(services: Services, settings: Settings, log: Log) -> None:
    report = _report(services, log.practice.id)
    assert report.ok, report
    assert report.entries == len(log.seqs)
    assert report.first_bad_seq is None
    code, output = _cli_verify(settings)
    assert code == 0, output
    assert f"OK practice {log.practice.id}: {len(log.seqs)} entries, chain intact" in output
    body = log.owner.get("/audit/verify").json()
    assert body == {"ok": True, "entries": len(log.seqs), "first_bad_seq": None, "problem": None}


def test_edited_details_are_caught(services: Services, settings: Settings, log: Log) -> None:
    target = log.seqs[3]
    original = _row(services, log.practice.id, target)
    details = dict(original["details"])
    details["tampered"] = True
    _sql(
        services,
        lambda unit: unit.conn.execute(
            update(audit_events).where(_where(log.practice.id, target)).values(details=details)
        ),
    )
    assert _row(services, log.practice.id, target)["details"] == details
    _assert_broken(services, settings, log, target, f"entry {target} was altered")


@pytest.mark.parametrize("column", ["kind", "at", "actor_user_id", "subject_id"])
def test_edited_columns_are_caught(
    services: Services, settings: Settings, log: Log, column: str
) -> None:
    target = log.seqs[4]
    original = _row(services, log.practice.id, target)
    new_values: dict[str, Any] = {
        "kind": "auth.sign_out",
        "at": original["at"] - timedelta(hours=1),
        "actor_user_id": uuid.uuid4(),
        "subject_id": str(uuid.uuid4()),
    }
    value = new_values[column]
    assert original[column] != value
    _sql(
        services,
        lambda unit: unit.conn.execute(
            update(audit_events).where(_where(log.practice.id, target)).values({column: value})
        ),
    )
    _assert_broken(services, settings, log, target, f"entry {target} was altered")


def test_deleted_middle_entry_is_caught(services: Services, settings: Settings, log: Log) -> None:
    target = log.seqs[len(log.seqs) // 2]
    _sql(
        services,
        lambda unit: unit.conn.execute(delete(audit_events).where(_where(log.practice.id, target))),
    )
    _assert_broken(services, settings, log, target, f"entry {target} is missing")


def test_deleted_first_entry_is_caught(services: Services, settings: Settings, log: Log) -> None:
    _sql(
        services,
        lambda unit: unit.conn.execute(delete(audit_events).where(_where(log.practice.id, 1))),
    )
    _assert_broken(services, settings, log, 1, "entry 1 is missing")


def test_deleted_last_entry_is_caught(services: Services, settings: Settings, log: Log) -> None:
    last = log.seqs[-1]
    _sql(
        services,
        lambda unit: unit.conn.execute(delete(audit_events).where(_where(log.practice.id, last))),
    )
    _assert_broken(services, settings, log, last, "removed from the end")


def test_deleted_last_entries_with_head_rewound_are_caught(
    services: Services, settings: Settings, log: Log
) -> None:
    last = log.seqs[-1]
    keep = last - 2
    kept = _row(services, log.practice.id, keep)

    def rewind(unit: Unit) -> None:
        unit.conn.execute(
            delete(audit_events).where(
                audit_events.c.practice_id == log.practice.id, audit_events.c.seq > keep
            )
        )
        unit.conn.execute(
            update(audit_heads)
            .where(audit_heads.c.practice_id == log.practice.id)
            .values(last_seq=keep, last_mac=kept["mac"])
        )

    _sql(services, rewind)
    # The database alone now looks consistent; the anchor kept outside it does not agree.
    _assert_broken(services, settings, log, keep + 1, "anchor kept outside the database")


def test_a_damaged_anchor_is_reported_not_ignored(
    services: Services, settings: Settings, log: Log
) -> None:
    services.audit_anchor.flush()
    assert settings.audit_anchor_path.exists()
    settings.audit_anchor_path.write_text("{not json")
    code, output = _cli_verify(settings)
    assert code == 1, output
    assert "anchor" in output
    api = log.owner.get("/audit/verify")
    assert api.status_code == 200, api.text
    assert api.json()["ok"] is False
    assert "anchor" in api.json()["problem"]


def _swap_seq(services: Services, practice_id: UUID, a: int, b: int) -> None:
    def swap(unit: Unit) -> None:
        unit.conn.execute(update(audit_events).where(_where(practice_id, a)).values(seq=-1))
        unit.conn.execute(update(audit_events).where(_where(practice_id, b)).values(seq=a))
        unit.conn.execute(update(audit_events).where(_where(practice_id, -1)).values(seq=b))

    _sql(services, swap)


@pytest.mark.parametrize("distance", [1, 3])
def test_rows_swapped_by_seq_are_caught(
    services: Services, settings: Settings, log: Log, distance: int
) -> None:
    a = log.seqs[2]
    b = a + distance
    id_a = _row(services, log.practice.id, a)["id"]
    _swap_seq(services, log.practice.id, a, b)
    assert _row(services, log.practice.id, b)["id"] == id_a
    _assert_broken(services, settings, log, a, f"entry {a} does not follow")


def test_rows_swapped_by_content_are_caught(
    services: Services, settings: Settings, log: Log
) -> None:
    a, b = log.seqs[3], log.seqs[5]
    row_a = _row(services, log.practice.id, a)
    row_b = _row(services, log.practice.id, b)

    def swap(unit: Unit) -> None:
        unit.conn.execute(
            update(audit_events)
            .where(_where(log.practice.id, a))
            .values({c: row_b[c] for c in CONTENT_COLUMNS})
        )
        unit.conn.execute(
            update(audit_events)
            .where(_where(log.practice.id, b))
            .values({c: row_a[c] for c in CONTENT_COLUMNS})
        )

    _sql(services, swap)
    _assert_broken(services, settings, log, a, f"entry {a} does not follow")


def test_forged_entry_is_caught(services: Services, settings: Settings, log: Log) -> None:
    """Someone with only database access appends an entry that links to the real chain and
    moves the head, but cannot compute its MAC without the audit key."""
    last = _row(services, log.practice.id, log.seqs[-1])
    forged_seq = last["seq"] + 1
    forged_mac = os.urandom(32)

    def forge(unit: Unit) -> None:
        unit.conn.execute(
            audit_events.insert().values(
                id=uuid.uuid4(),
                practice_id=log.practice.id,
                seq=forged_seq,
                at=last["at"],
                kind="user.role_changed",
                actor_user_id=log.practice.owner_id,
                actor_session_id=None,
                subject_type="user",
                subject_id=str(log.practice.owner_id),
                details={"role": "owner"},
                prev_mac=last["mac"],
                mac=forged_mac,
            )
        )
        unit.conn.execute(
            update(audit_heads)
            .where(audit_heads.c.practice_id == log.practice.id)
            .values(last_seq=forged_seq, last_mac=forged_mac)
        )

    _sql(services, forge)
    _assert_broken(services, settings, log, forged_seq, f"entry {forged_seq} was altered")


def test_tampering_names_only_the_affected_practice(
    services: Services, settings: Settings, log: Log
) -> None:
    other = make_practice(services, "lakeside")
    target = log.seqs[1]
    _sql(
        services,
        lambda unit: unit.conn.execute(
            update(audit_events).where(_where(log.practice.id, target)).values(kind="x")
        ),
    )
    assert _report(services, other.id).ok
    code, output = _cli_verify(settings)
    assert code == 1
    assert f"OK practice {other.id}" in output
    assert f"BROKEN practice {log.practice.id}" in output


def test_new_entries_after_tampering_do_not_hide_it(
    services: Services, settings: Settings, log: Log
) -> None:
    target = log.seqs[2]
    _sql(
        services,
        lambda unit: unit.conn.execute(delete(audit_events).where(_where(log.practice.id, target))),
    )
    add_staff(log.owner, "eli@riverbend.test")  # appends more entries after the gap
    _assert_broken(services, settings, log, target, f"entry {target} is missing")


def test_verify_api_is_for_admins_only(
    client: TestClient, practice: PracticeHandle, owner: Api
) -> None:
    add_staff(owner, "cleo@riverbend.test", "clinician")
    add_staff(owner, "ada@riverbend.test", "admin")
    add_staff(owner, "fran@riverbend.test", "front_desk")
    add_staff(owner, "sam@riverbend.test", "supervisor")
    for email in ("cleo@riverbend.test", "fran@riverbend.test", "sam@riverbend.test"):
        response = sign_in(client, practice.slug, email).get("/audit/verify")
        assert response.status_code == 403, (email, response.text)
        assert "ok" not in response.json()
    admin = sign_in(client, practice.slug, "ada@riverbend.test")
    for api in (owner, admin):
        response = api.get("/audit/verify")
        assert response.status_code == 200, response.text
        assert response.json()["ok"] is True
    assert client.get("/api/v1/audit/verify").status_code == 401
