"""Hot-path statements, compiled once per dialect and run directly on the DBAPI cursor.

SQLAlchemy's Core execution path (cache-key lookup, execution context, result wrapping)
costs several times more than the SQLite statement itself, and a send runs about ten
statements. A :class:`Prepared` statement keeps SQLAlchemy for what it is good at (building
the SQL for each dialect, and the type conversions, through the public ``bind_processor`` /
``result_processor`` of each column type) and skips the rest. It runs on the connection's
DBAPI connection, so it is part of the same transaction. Errors are re-raised as SQLAlchemy's
own ``DBAPIError`` family, with parameters hidden, so callers see one exception hierarchy.

Only simple statements belong here: fixed bind parameters (no ``expanding`` IN lists).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Uuid
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.elements import ClauseElement

_PYFORMAT_NAME = re.compile(r"%\((\w+)\)s")
Row = dict[str, Any]


@dataclass(frozen=True, slots=True)
class _Plan:
    sql: str
    names: tuple[str, ...]
    positional: bool
    binders: tuple[Callable[[Any], Any] | None, ...]
    defaults: Mapping[str, Any]
    columns: tuple[str, ...]
    readers: tuple[Callable[[Any], Any] | None, ...]
    # Columns whose values repeat across rows (ids): their readers are memoised per run.
    memoised: tuple[bool, ...]


@dataclass(frozen=True, slots=True)
class Outcome:
    rows: list[Row]
    rowcount: int

    def first(self) -> Row | None:
        return self.rows[0] if self.rows else None

    def one(self) -> Row:
        if len(self.rows) != 1:
            raise LookupError(f"expected one row, got {len(self.rows)}")
        return self.rows[0]


class Prepared:
    """A statement plus its per-dialect plan. Safe to share between threads."""

    __slots__ = ("_column_keys", "_lock", "_plans", "statement")

    def __init__(self, statement: ClauseElement, column_keys: Sequence[str] | None = None) -> None:
        self.statement = statement
        self._column_keys = list(column_keys) if column_keys is not None else None
        self._plans: dict[str, _Plan] = {}
        self._lock = threading.Lock()

    def _plan(self, dialect: Dialect) -> _Plan:
        plan = self._plans.get(dialect.name)
        if plan is not None:
            return plan
        with self._lock:
            plan = self._plans.get(dialect.name) or self._build(dialect)
            self._plans[dialect.name] = plan
        return plan

    def _build(self, dialect: Dialect) -> _Plan:
        compiled: Any = self.statement.compile(dialect=dialect, column_keys=self._column_keys)
        sql = compiled.string
        positional = compiled.positiontup is not None
        names = (
            tuple(compiled.positiontup or ())
            if positional
            else tuple(dict.fromkeys(_PYFORMAT_NAME.findall(sql)))
        )
        binds = compiled.binds
        # dialect_impl: the type as this dialect stores it (e.g. DATETIME as text on SQLite).
        binders = tuple(
            binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
        )
        defaults = {
            name: binds[name].effective_value
            for name in names
            if binds[name].value is not None or binds[name].callable is not None
        }
        descriptions: list[tuple[str, Any]] = []
        selected = getattr(self.statement, "selected_columns", None)
        if selected is not None:
            descriptions = [(column.key, column.type) for column in selected]
        else:
            returning = getattr(self.statement, "returning_column_descriptions", None) or []
            descriptions = [(d["name"], d["type"]) for d in returning]
        return _Plan(
            sql=sql,
            names=names,
            positional=positional,
            binders=binders,
            defaults=defaults,
            columns=tuple(name for name, _ in descriptions),
            readers=tuple(
                type_.dialect_impl(dialect).result_processor(dialect, None)
                for _, type_ in descriptions
            ),
            memoised=tuple(isinstance(type_, Uuid) for _, type_ in descriptions),
        )

    def run(self, conn: Connection, params: Mapping[str, Any] | None = None) -> Outcome:
        """Execute in ``conn``'s current transaction."""
        plan, raw_rows, rowcount = self._execute(conn, params)
        if not raw_rows:
            return Outcome([], rowcount)
        if len(raw_rows) == 1:
            # One row (most hot-path statements: the session by token, a membership, the next
            # sequence number): value by value, without the per-column lists below.
            return Outcome([self._convert(plan, raw_rows[0])], rowcount)
        # Column by column, then one dict per row built in C: several times faster than a
        # per-value comprehension on lists of a thousand rows.
        columns: list[Any] = []
        for index, (reader, memo) in enumerate(zip(plan.readers, plan.memoised, strict=True)):
            values = [raw[index] for raw in raw_rows]
            if reader is not None:
                read = _memoised(reader) if memo else reader
                values = [read(value) for value in values]
            columns.append(values)
        names = plan.columns
        return Outcome(
            [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)], rowcount
        )

    def run_stored(
        self, conn: Connection, params: Mapping[str, Any] | None = None
    ) -> list[tuple[Any, ...]]:
        """Execute, and return the rows as the database stored them (for a caller that keeps
        what it builds from a row per distinct stored row; :meth:`convert` reads one)."""
        _plan, raw_rows, _rowcount = self._execute(conn, params)
        return [tuple(raw) for raw in raw_rows]

    def convert(self, dialect: str, stored: Sequence[Any]) -> Row:
        """One row that :meth:`run_stored` returned on the named dialect, as :meth:`run` would
        have returned it."""
        return self._convert(self._plans[dialect], stored)

    @staticmethod
    def _convert(plan: _Plan, raw: Sequence[Any]) -> Row:
        return {
            name: value if reader is None else reader(value)
            for name, reader, value in zip(plan.columns, plan.readers, raw, strict=True)
        }

    def _execute(
        self, conn: Connection, params: Mapping[str, Any] | None
    ) -> tuple[_Plan, Sequence[Any], int]:
        dialect = conn.dialect
        plan = self._plan(dialect)
        given = params or {}
        values = []
        for name, binder in zip(plan.names, plan.binders, strict=True):
            value = given[name] if name in given else plan.defaults[name]
            values.append(binder(value) if binder is not None else value)
        arguments: Any = values if plan.positional else dict(zip(plan.names, values, strict=True))
        dbapi_connection = conn.connection.dbapi_connection
        if dbapi_connection is None:
            raise RuntimeError("connection is closed")
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(plan.sql, arguments)
            raw_rows = cursor.fetchall() if plan.columns else []
            rowcount = cursor.rowcount
        except dialect.loaded_dbapi.Error as exc:
            raise DBAPIError.instance(
                plan.sql,
                None,
                exc,
                dialect.loaded_dbapi.Error,
                hide_parameters=True,
                dialect=dialect,
            ) from exc
        finally:
            cursor.close()
        return plan, raw_rows, rowcount


def _memoised(reader: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Parse each distinct stored value once (a member id repeats across a whole list)."""
    seen: dict[Any, Any] = {}

    def read(value: Any) -> Any:
        if value is None:
            return None
        found = seen.get(value)
        if found is None:
            found = seen[value] = reader(value)
        return found

    return read
