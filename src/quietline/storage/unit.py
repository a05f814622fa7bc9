"""The unit of work an action receives: one transaction, its stores, its clock reading,
the key ring, the audit writer and the events to publish after commit."""

from __future__ import annotations

import logging
from datetime import datetime
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


class Unit:
    """Holds one open transaction. Not thread-safe; lives for one job on one worker thread."""

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
        # Writes read practice keys under a share lock (see PracticeStore.active_key).
        self.practices = PracticeStore(conn, lock_keys=not read_only)
        self.users = UserStore(conn)
        self.sessions = SessionStore(conn)
        self.throttle = ThrottleStore(conn)
        self.conversations = ConversationStore(conn)
        self.messages = MessageStore(conn)
        self.status = StatusStore(conn)
        self.notifications = NotificationStore(conn)
        self.passkeys = PasskeyStore(conn)
        self.maintenance = MaintenanceStore(conn)
        self.oversight = OversightStore(conn)
        self.staff_lifecycle = StaffLifecycleStore(conn)
        self.retention = RetentionStore(conn)
        # client messaging
        self.clients = ClientStore(conn)
        self.client_access = ClientAccessStore(conn)
        self.outbox = OutboxStore(conn)
        self.appointments = AppointmentStore(conn)
        self.practice_messaging = PracticeMessagingStore(conn)
        self.supervision = SupervisionStore(conn)  # decision 0021
        self.audit_log = AuditStore(conn, audit_key, audit_hints)
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
