"""The unit of work an action receives: one transaction, its stores, its clock reading,
the key ring, the audit writer and the events to publish after commit."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Generic, TypeVar, overload
from uuid import UUID

from sqlalchemy.engine import Connection

from quietline.crypto.envelope import DecryptionError
from quietline.crypto.fields import open_conversation_title
from quietline.crypto.keys import KeyRing, WrappedKey
from quietline.domain.audit import AuditKind
from quietline.domain.clock import Clock
from quietline.domain.events import Event
from quietline.domain.models import Conversation
from quietline.storage.stores.appointments import AppointmentStore
from quietline.storage.stores.audit import AuditHeadHints, AuditStore
from quietline.storage.stores.client_access import ClientAccessStore
from quietline.storage.stores.clients import ClientStore
from quietline.storage.stores.conversations import ConversationStore
from quietline.storage.stores.maintenance import MaintenanceStore
from quietline.storage.stores.messages import MessageStore
from quietline.storage.stores.notifications import NotificationStore
from quietline.storage.stores.outbox import OutboxStore
from quietline.storage.stores.oversight import OversightStore
from quietline.storage.stores.passkeys import PasskeyStore
from quietline.storage.stores.practice_messaging import PracticeMessagingStore
from quietline.storage.stores.practices import PracticeStore
from quietline.storage.stores.retention import RetentionStore
from quietline.storage.stores.sessions import SessionStore, ThrottleStore
from quietline.storage.stores.staff_lifecycle import StaffLifecycleStore
from quietline.storage.stores.status import StatusStore
from quietline.storage.stores.supervision import SupervisionStore
from quietline.storage.stores.users import UserStore

log = logging.getLogger(__name__)


S = TypeVar("S")


class _Store(Generic[S]):
    """A store the unit makes on first use. Every job gets a unit and uses a few of its
    twenty stores: making all of them up front cost 3.7 µs a job; a send's unit with the
    five stores it uses now costs 2.5. After the first use the store is a plain attribute
    of the unit."""

    def __init__(self, make: Callable[[Unit], S]) -> None:
        self._make = make
        self._name = ""

    def __set_name__(self, owner: type[Unit], name: str) -> None:
        self._name = name

    @overload
    def __get__(self, unit: None, owner: type[Unit]) -> _Store[S]: ...
    @overload
    def __get__(self, unit: Unit, owner: type[Unit]) -> S: ...
    def __get__(self, unit: Unit | None, owner: type[Unit]) -> S | _Store[S]:
        if unit is None:
            return self
        store = self._make(unit)
        unit.__dict__[self._name] = store  # found there from now on, before this descriptor
        return store


class Unit:
    """Holds one open transaction. Not thread-safe; lives for one job on one worker thread."""

    conn: Connection
    read_only: bool
    _audit_key: bytes
    _audit_hints: AuditHeadHints | None

    # Writes read practice keys under a share lock (see PracticeStore.active_key).
    practices = _Store(lambda u: PracticeStore(u.conn, lock_keys=not u.read_only))
    users = _Store(lambda u: UserStore(u.conn))
    sessions = _Store(lambda u: SessionStore(u.conn))
    throttle = _Store(lambda u: ThrottleStore(u.conn))
    conversations = _Store(lambda u: ConversationStore(u.conn))
    messages = _Store(lambda u: MessageStore(u.conn))
    status = _Store(lambda u: StatusStore(u.conn))
    notifications = _Store(lambda u: NotificationStore(u.conn))
    passkeys = _Store(lambda u: PasskeyStore(u.conn))
    maintenance = _Store(lambda u: MaintenanceStore(u.conn))
    oversight = _Store(lambda u: OversightStore(u.conn))
    staff_lifecycle = _Store(lambda u: StaffLifecycleStore(u.conn))
    retention = _Store(lambda u: RetentionStore(u.conn))
    # client messaging
    clients = _Store(lambda u: ClientStore(u.conn))
    client_access = _Store(lambda u: ClientAccessStore(u.conn))
    outbox = _Store(lambda u: OutboxStore(u.conn))
    appointments = _Store(lambda u: AppointmentStore(u.conn))
    practice_messaging = _Store(lambda u: PracticeMessagingStore(u.conn))
    supervision = _Store(lambda u: SupervisionStore(u.conn))  # decision 0021
    audit_log = _Store(lambda u: AuditStore(u.conn, u._audit_key, u._audit_hints))

    def __init__(
        self,
        conn: Connection,
        *,
        read_only: bool,
        clock: Clock,
        keyring: KeyRing,
        audit_key: bytes,
        audit_hints: AuditHeadHints | None = None,
    ) -> None:
        self.conn = conn
        self.read_only = read_only
        self.now: datetime = clock.now()
        self.keyring = keyring
        self._audit_key = audit_key
        self._audit_hints = audit_hints
        self.events: list[Event] = []
        # The newest audit chain head per practice this unit wrote (for the outside anchor).
        self.audit_heads: dict[UUID, tuple[int, bytes]] = {}

    def emit(self, event: Event) -> None:
        """Queue an event; it is published only if and after this transaction commits."""
        self._writable()
        self.events.append(event)

    def audit(
        self,
        kind: AuditKind,
        practice_id: UUID,
        *,
        actor_user_id: UUID | None = None,
        actor_session_id: UUID | None = None,
        subject_type: str | None = None,
        subject_id: object | None = None,
        details: dict[str, object] | None = None,
    ) -> None:
        """Append to the practice's audit chain in this same transaction."""
        self._writable()
        self.audit_heads[practice_id] = self.audit_log.append(
            practice_id=practice_id,
            at=self.now,
            kind=kind.value,
            actor_user_id=actor_user_id,
            actor_session_id=actor_session_id,
            subject_type=subject_type,
            subject_id=str(subject_id) if subject_id is not None else None,
            details=details or {},
        )

    # -- keys -----------------------------------------------------------------------
    def practice_key(self, practice_id: UUID) -> tuple[WrappedKey, bytes]:
        stored = self.practices.active_key(practice_id)
        return stored, self.keyring.practice_key(practice_id, stored)

    def conversation_key(self, conversation: Conversation) -> bytes:
        cached = self.keyring.cached_conversation_key(conversation.id, conversation.practice_key_id)
        if cached is not None:
            return cached
        stored = self.practices.key(conversation.practice_id, conversation.practice_key_id)
        return self.keyring.conversation_key(
            conversation.practice_id, conversation.id, conversation.key_wrapped, stored
        )

    def conversation_title(self, conversation: Conversation) -> str | None:
        """The conversation's title, opened once per process. None when it has none, or when
        it cannot be opened: a damaged title must not take a whole list down with it (logged
        by conversation id only)."""
        sealed = conversation.title_sealed
        if sealed is None:
            return None
        title = self.keyring.cached_title(conversation.id, sealed)
        if title is None:
            try:
                title = open_conversation_title(
                    self.conversation_key(conversation),
                    conversation.practice_id,
                    conversation.id,
                    sealed,
                )
            except DecryptionError:
                log.error("title of conversation %s cannot be decrypted", conversation.id)
                return None
            self.keyring.remember_title(conversation.id, sealed, title)
        return title

    def _writable(self) -> None:
        if self.read_only:
            raise RuntimeError("this unit of work is read-only")
