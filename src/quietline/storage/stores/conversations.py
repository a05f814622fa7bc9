from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import String, and_, bindparam, case, delete, func, literal, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from quietline.domain.models import Conversation, ConversationSummary, Membership
from quietline.storage.deferred import CounterMoved, DeferredCounters
from quietline.storage.prepared import Prepared
from quietline.storage.tables import conversation_members, conversations, messages

_CONVERSATION_COLUMNS = (
    conversations.c.id,
    conversations.c.practice_id,
    conversations.c.kind,
    conversations.c.title_sealed,
    conversations.c.key_wrapped,
    conversations.c.practice_key_id,
    conversations.c.last_seq,
    conversations.c.default_ttl_seconds,
    conversations.c.created_by,
    conversations.c.created_at,
    conversations.c.last_activity_at,
    conversations.c.logistics_only,
    conversations.c.client_id,
)


_SCOPE = (
    conversations.c.practice_id == bindparam("practice_id"),
    conversations.c.id == bindparam("conversation_id"),
)
_MEMBER_SCOPE = (
    conversation_members.c.practice_id == bindparam("practice_id"),
    conversation_members.c.conversation_id == bindparam("conversation_id"),
    conversation_members.c.user_id == bindparam("user_id"),
)
_INSERT = conversations.insert()
_GET = Prepared(select(*_CONVERSATION_COLUMNS).where(*_SCOPE))
_GET_IF_MEMBER_STATEMENT = (
    select(*_CONVERSATION_COLUMNS)
    .join(
        conversation_members,
        and_(
            conversation_members.c.conversation_id == conversations.c.id,
            conversation_members.c.user_id == bindparam("user_id"),
            conversation_members.c.practice_id == conversations.c.practice_id,
        ),
    )
    .where(*_SCOPE)
)
# UPDATE statements cannot bind a name that is also a column name: "b_" marks them.
_GET_IF_MEMBER = Prepared(_GET_IF_MEMBER_STATEMENT)
_GET_IF_MEMBER_LOCKED = Prepared(_GET_IF_MEMBER_STATEMENT.with_for_update(of=conversations))
_NEXT_SEQ = Prepared(
    update(conversations)
    .where(
        conversations.c.practice_id == bindparam("b_practice_id"),
        conversations.c.id == bindparam("conversation_id"),
    )
    .values(last_seq=conversations.c.last_seq + 1, last_activity_at=bindparam("now"))
    .returning(conversations.c.last_seq)
)
# Stores the numbers a writer transaction took in memory (storage.deferred): moves the row
# only from the value this transaction wrote into it.
_STORE_SEQ = Prepared(
    update(conversations)
    .where(
        conversations.c.practice_id == bindparam("b_practice_id"),
        conversations.c.id == bindparam("conversation_id"),
        conversations.c.last_seq == bindparam("stored"),
    )
    .values(last_seq=bindparam("taken"), last_activity_at=bindparam("now"))
)
_ADD_MEMBER = conversation_members.insert()
_MEMBERSHIP = Prepared(select(conversation_members).where(*_MEMBER_SCOPE))
_MEMBER_IDS = select(conversation_members.c.user_id).where(
    conversation_members.c.practice_id == bindparam("practice_id"),
    conversation_members.c.conversation_id == bindparam("conversation_id"),
)

_MINE = conversation_members.alias("mine")
# Written by someone else: another staff member, or the client of a client thread.
_FROM_SOMEONE_ELSE = or_(
    messages.c.sender_id.is_(None), messages.c.sender_id != bindparam("user_id")
)
# Unread: others' readable messages above my seen cursor, counted up to UNREAD_CAP per
# conversation (the covering index answers it; a cap keeps a long-unread list fast).
UNREAD_CAP = 100
_UNREAD_ROWS = (
    select(literal(1))
    .select_from(messages)
    .where(
        messages.c.conversation_id == conversations.c.id,
        messages.c.seq > _MINE.c.seen_seq,
        _FROM_SOMEONE_ELSE,
        messages.c.recalled_at.is_(None),
        or_(messages.c.expires_at.is_(None), messages.c.expires_at > bindparam("now")),
    )
    .limit(UNREAD_CAP)
    .correlate_except(messages)
    .subquery()
)
# An unread urgent message among the latest UNREAD_CAP messages (bounded like the count).
# One lower bound, the larger of the two: a database uses only one range bound of an index,
# and the seen cursor alone (0 when nothing was read) would scan the whole conversation.
_WINDOW_START = case(
    (_MINE.c.seen_seq > conversations.c.last_seq - UNREAD_CAP, _MINE.c.seen_seq),
    else_=conversations.c.last_seq - UNREAD_CAP,
)
_URGENT_UNREAD = (
    select(literal(1))
    .select_from(messages)
    .where(
        messages.c.conversation_id == conversations.c.id,
        messages.c.seq > _WINDOW_START,
        messages.c.urgent.is_(True),
        _FROM_SOMEONE_ELSE,
        messages.c.recalled_at.is_(None),
        or_(messages.c.expires_at.is_(None), messages.c.expires_at > bindparam("now")),
    )
    .correlate_except(messages)
    .exists()
)


class IdList(FunctionElement[str]):
    """The ids of a correlated subquery's rows as one comma-separated string: SQLite's
    ``group_concat``, PostgreSQL's ``string_agg`` (the separator is part of the SQL, so the
    statement stays a fixed :class:`Prepared` one)."""

    name = "id_list"
    type = String()
    inherit_cache = True


@compiles(IdList, "sqlite")
def _id_list_sqlite(element: IdList, compiler: SQLCompiler, **kw: Any) -> str:
    return f"group_concat({compiler.process(element.clauses, **kw)}, ',')"


@compiles(IdList, "postgresql")
def _id_list_postgresql(element: IdList, compiler: SQLCompiler, **kw: Any) -> str:
    return f"string_agg(CAST({compiler.process(element.clauses, **kw)} AS VARCHAR), ',')"


# Nothing can be unread unless the conversation went past the seen cursor.
_HAS_UNSEEN = conversations.c.last_seq > _MINE.c.seen_seq
# Every member of the conversation in one column: one row per conversation instead of one per
# member, whose building and conversion took a third of the list's time (benchmarks.md).
_MEMBERS = conversation_members.alias("members")
_MEMBER_LIST = (
    select(IdList(_MEMBERS.c.user_id))
    .where(_MEMBERS.c.conversation_id == conversations.c.id)
    .correlate(conversations)
    .scalar_subquery()
)
_MY_CONVERSATIONS_QUERY = (
    select(
        *_CONVERSATION_COLUMNS,
        # Most conversations are read to the end: skip their subqueries altogether.
        case(
            (_HAS_UNSEEN, select(func.count()).select_from(_UNREAD_ROWS).scalar_subquery()),
            else_=0,
        ).label("unread"),
        case((_HAS_UNSEEN, _URGENT_UNREAD), else_=False).label("urgent_unread"),
        _MEMBER_LIST.label("member_list"),
    )
    .join(_MINE, _MINE.c.conversation_id == conversations.c.id)
    .where(_MINE.c.practice_id == bindparam("practice_id"), _MINE.c.user_id == bindparam("user_id"))
)
_MY_CONVERSATIONS = Prepared(
    _MY_CONVERSATIONS_QUERY.order_by(conversations.c.last_activity_at.desc())
)
# The same for one conversation (opening it), instead of the whole list.
_MY_CONVERSATION = Prepared(
    _MY_CONVERSATIONS_QUERY.where(conversations.c.id == bindparam("conversation_id"))
)

_ADVANCE = {
    kind: Prepared(
        update(conversation_members)
        .where(
            conversation_members.c.practice_id == bindparam("b_practice_id"),
            conversation_members.c.conversation_id == bindparam("b_conversation_id"),
            conversation_members.c.user_id == bindparam("b_user_id"),
            column < bindparam("up_to"),
        )
        .values({column.name: bindparam("up_to")})
    )
    for kind, column in (
        ("seen", conversation_members.c.seen_seq),
        ("delivered", conversation_members.c.delivered_seq),
    )
}


_CONVERSATION_FIELDS = tuple(c.name for c in _CONVERSATION_COLUMNS)


def _conversation(m: Mapping[Any, Any]) -> Conversation:
    return Conversation(**{name: m[name] for name in _CONVERSATION_FIELDS})


def _summaries(rows: list[dict[str, Any]]) -> list[ConversationSummary]:
    # A colleague's id recurs across the list: parse each distinct one once.
    ids: dict[str, UUID] = {}
    return [
        ConversationSummary(
            _conversation(r),
            int(r["unread"]),
            [
                ids.get(text) or ids.setdefault(text, UUID(text))
                for text in (r["member_list"] or "").split(",")
                if text
            ],
            urgent_unread=bool(r["urgent_unread"]),
        )
        for r in rows
    ]


def _membership(m: Mapping[Any, Any]) -> Membership:
    return Membership(**{c.name: m[c.name] for c in conversation_members.c})


class ConversationStore:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def insert(
        self,
        *,
        conversation_id: UUID,
        practice_id: UUID,
        kind: str,
        title_sealed: bytes | None,
        key_wrapped: bytes,
        practice_key_id: str,
        direct_pair: str | None,
        default_ttl_seconds: int | None,
        created_by: UUID | None,
        now: datetime,
        client_id: UUID | None = None,
    ) -> None:
        """``client_id`` is set for a client's thread (kind 'client'); ``created_by`` is None
        when no staff member created it (a client who first wrote in)."""
        self._conn.execute(
            _INSERT,
            {
                "id": conversation_id,
                "practice_id": practice_id,
                "kind": kind,
                "title_sealed": title_sealed,
                "key_wrapped": key_wrapped,
                "practice_key_id": practice_key_id,
                "direct_pair": direct_pair,
                "last_seq": 0,
                "default_ttl_seconds": default_ttl_seconds,
                "created_by": created_by,
                "created_at": now,
                "last_activity_at": now,
                "client_id": client_id,
            },
        )

    def get(self, practice_id: UUID, conversation_id: UUID) -> Conversation | None:
        row = _GET.run(
            self._conn, {"practice_id": practice_id, "conversation_id": conversation_id}
        ).first()
        return _conversation(row) if row else None

    def get_if_member(
        self, practice_id: UUID, conversation_id: UUID, user_id: UUID, *, lock: bool = False
    ) -> Conversation | None:
        """The conversation only if ``user_id`` is a member (one query: the hot access check).

        ``lock`` takes the conversation's row lock (PostgreSQL; SQLite has a single writer) so
        that senders to one conversation go one at a time from here to commit.
        """
        row = (
            (_GET_IF_MEMBER_LOCKED if lock else _GET_IF_MEMBER)
            .run(
                self._conn,
                {
                    "practice_id": practice_id,
                    "conversation_id": conversation_id,
                    "user_id": user_id,
                },
            )
            .first()
        )
        return _conversation(row) if row else None

    def for_client(self, practice_id: UUID, client_id: UUID) -> Conversation | None:
        """A client's thread (there is at most one per client)."""
        row = self._conn.execute(
            select(*_CONVERSATION_COLUMNS).where(
                conversations.c.practice_id == practice_id,
                conversations.c.client_id == client_id,
            )
        ).first()
        return _conversation(row._mapping) if row else None

    def find_direct(self, practice_id: UUID, direct_pair: str) -> Conversation | None:
        row = self._conn.execute(
            select(*_CONVERSATION_COLUMNS).where(
                conversations.c.practice_id == practice_id,
                conversations.c.direct_pair == direct_pair,
            )
        ).first()
        return _conversation(row._mapping) if row else None

    def update(self, practice_id: UUID, conversation_id: UUID, **values: Any) -> None:
        self._conn.execute(
            update(conversations)
            .where(
                conversations.c.practice_id == practice_id, conversations.c.id == conversation_id
            )
            .values(**values)
        )

    # -- key rotation (operations/keys.py) ------------------------------------------
    def keys_not_wrapped_by(
        self, practice_id: UUID, practice_key_id: str, limit: int
    ) -> list[tuple[UUID, bytes, str]]:
        """(id, wrapped key, practice key id) of conversations wrapped by another key."""
        rows = self._conn.execute(
            select(conversations.c.id, conversations.c.key_wrapped, conversations.c.practice_key_id)
            .where(
                conversations.c.practice_id == practice_id,
                conversations.c.practice_key_id != practice_key_id,
            )
            .order_by(conversations.c.id)
            .limit(limit)
        )
        return [(r.id, bytes(r.key_wrapped), r.practice_key_id) for r in rows]

    def count_keys_wrapped_by(self, practice_id: UUID, practice_key_ids: list[str]) -> int:
        return int(
            self._conn.execute(
                select(func.count()).where(
                    conversations.c.practice_id == practice_id,
                    conversations.c.practice_key_id.in_(practice_key_ids),
                )
            ).scalar_one()
        )

    def rewrap_key(
        self,
        practice_id: UUID,
        conversation_id: UUID,
        old_practice_key_id: str,
        new_practice_key_id: str,
        wrapped: bytes,
    ) -> bool:
        """Store the conversation key wrapped by another practice key, if the row is still
        wrapped by ``old_practice_key_id``."""
        result = self._conn.execute(
            update(conversations)
            .where(
                conversations.c.practice_id == practice_id,
                conversations.c.id == conversation_id,
                conversations.c.practice_key_id == old_practice_key_id,
            )
            .values(key_wrapped=wrapped, practice_key_id=new_practice_key_id)
        )
        return result.rowcount == 1

    def next_seq(self, practice_id: UUID, conversation_id: UUID, now: datetime) -> int:
        """Take the next sequence number. The row lock this takes orders concurrent senders.

        In a writer batch, only the first number a transaction takes from a conversation is
        written to its row at once; the rest are counted in memory and stored before the
        commit (:mod:`quietline.storage.deferred`)."""
        counters = DeferredCounters.of(self._conn)
        if counters is not None:
            taken = counters.take_seq(conversation_id, now)
            if taken is not None:
                return taken
        row = _NEXT_SEQ.run(
            self._conn,
            {"b_practice_id": practice_id, "conversation_id": conversation_id, "now": now},
        ).one()
        seq = int(row["last_seq"])
        if counters is not None:
            counters.seq_stored(practice_id, conversation_id, seq, now)
        return seq

    # -- membership ---------------------------------------------------------------
    def add_member(
        self, practice_id: UUID, conversation_id: UUID, user_id: UUID, now: datetime, seq: int
    ) -> None:
        self._conn.execute(
            _ADD_MEMBER,
            {
                "conversation_id": conversation_id,
                "user_id": user_id,
                "practice_id": practice_id,
                "joined_at": now,
                "delivered_seq": seq,
                "seen_seq": seq,
            },
        )

    def remove_member(self, practice_id: UUID, conversation_id: UUID, user_id: UUID) -> bool:
        result = self._conn.execute(
            delete(conversation_members).where(
                conversation_members.c.practice_id == practice_id,
                conversation_members.c.conversation_id == conversation_id,
                conversation_members.c.user_id == user_id,
            )
        )
        return result.rowcount == 1

    def membership(
        self, practice_id: UUID, conversation_id: UUID, user_id: UUID
    ) -> Membership | None:
        row = _MEMBERSHIP.run(
            self._conn,
            {"practice_id": practice_id, "conversation_id": conversation_id, "user_id": user_id},
        ).first()
        return _membership(row) if row else None

    def memberships(self, practice_id: UUID, conversation_id: UUID) -> list[Membership]:
        rows = self._conn.execute(
            select(conversation_members).where(
                conversation_members.c.practice_id == practice_id,
                conversation_members.c.conversation_id == conversation_id,
            )
        )
        return [_membership(r._mapping) for r in rows]

    def member_ids(self, practice_id: UUID, conversation_id: UUID) -> list[UUID]:
        rows = self._conn.execute(
            _MEMBER_IDS, {"practice_id": practice_id, "conversation_id": conversation_id}
        )
        return [r.user_id for r in rows]

    def conversation_ids_for_user(self, practice_id: UUID, user_id: UUID) -> list[UUID]:
        rows = self._conn.execute(
            select(conversation_members.c.conversation_id).where(
                conversation_members.c.practice_id == practice_id,
                conversation_members.c.user_id == user_id,
            )
        )
        return [r.conversation_id for r in rows]

    def last_seqs_for_user(self, practice_id: UUID, user_id: UUID) -> dict[UUID, int]:
        rows = self._conn.execute(
            select(conversations.c.id, conversations.c.last_seq)
            .join(
                conversation_members, conversation_members.c.conversation_id == conversations.c.id
            )
            .where(
                conversation_members.c.practice_id == practice_id,
                conversation_members.c.user_id == user_id,
            )
        )
        return {r.id: int(r.last_seq) for r in rows}

    def advance_cursor(
        self,
        practice_id: UUID,
        conversation_id: UUID,
        user_id: UUID,
        kind: str,
        up_to_seq: int,
    ) -> bool:
        """Move the delivered or seen cursor forward (never back). True when it moved.

        Seen implies delivered, so a seen mark also advances the delivered cursor.
        """
        params = {
            "b_practice_id": practice_id,
            "b_conversation_id": conversation_id,
            "b_user_id": user_id,
            "up_to": up_to_seq,
        }
        result = _ADVANCE[kind].run(self._conn, params)
        if kind == "seen":
            _ADVANCE["delivered"].run(self._conn, params)
        return result.rowcount == 1

    def summaries_for_user(
        self, practice_id: UUID, user_id: UUID, now: datetime
    ) -> list[ConversationSummary]:
        """Every conversation of the user with its unread count (capped at ``UNREAD_CAP``)
        and members, most recent activity first. One prepared query whatever the number of
        conversations."""
        rows = _MY_CONVERSATIONS.run(
            self._conn, {"practice_id": practice_id, "user_id": user_id, "now": now}
        ).rows
        summaries = _summaries(rows)
        # Urgent first, then most recent activity (the query's order; the sort is stable).
        summaries.sort(key=lambda s: not s.urgent_unread)
        return summaries

    def summary_for_user(
        self, practice_id: UUID, user_id: UUID, conversation_id: UUID, now: datetime
    ) -> ConversationSummary | None:
        """One conversation as :meth:`summaries_for_user` shows it; None if not a member."""
        params = {
            "practice_id": practice_id,
            "user_id": user_id,
            "conversation_id": conversation_id,
            "now": now,
        }
        found = _summaries(_MY_CONVERSATION.run(self._conn, params).rows)
        return found[0] if found else None


def store_deferred_seq(
    conn: Connection,
    practice_id: UUID,
    conversation_id: UUID,
    stored: int,
    taken: int,
    now: datetime,
) -> None:
    """Write the last number a writer transaction took (:mod:`quietline.storage.deferred`)."""
    moved = _STORE_SEQ.run(
        conn,
        {
            "b_practice_id": practice_id,
            "conversation_id": conversation_id,
            "stored": stored,
            "taken": taken,
            "now": now,
        },
    ).rowcount
    if moved != 1:
        raise CounterMoved("a conversation's sequence number moved under its writer")
