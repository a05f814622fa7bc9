"""Encrypted fields: the only functions that turn stored ciphertext back into text.

Every purpose has its own associated data built from immutable ids, so ciphertext moved
to another row, conversation, practice or purpose fails to decrypt.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from quietline.crypto.envelope import (
    associated_data,
    associated_data_for,
    new_key,
    open_envelope,
    seal,
)

_DEK_ID = "dek"
_CK_ID = "ck"


@dataclass(frozen=True, slots=True)
class SealedMessage:
    body: bytes
    wrapped_dek: bytes


def seal_message_body(
    conversation_key: bytes, practice_id: UUID, conversation_id: UUID, message_id: UUID, body: str
) -> SealedMessage:
    """Encrypt a message body under a fresh data key, itself wrapped by the conversation key."""
    dek = new_key()
    body_aad, key_aad = _message_aads(practice_id, conversation_id, message_id)
    sealed_body = seal(dek, _DEK_ID, body.encode(), body_aad)
    wrapped = seal(conversation_key, _CK_ID, dek, key_aad)
    return SealedMessage(sealed_body, wrapped)


def open_message_body(
    conversation_key: bytes,
    practice_id: UUID,
    conversation_id: UUID,
    message_id: UUID,
    sealed: SealedMessage,
) -> str:
    body_aad, key_aad = _message_aads(practice_id, conversation_id, message_id)
    dek = open_envelope(conversation_key, sealed.wrapped_dek, key_aad)
    return open_envelope(dek, sealed.body, body_aad).decode()


def _message_aads(
    practice_id: UUID, conversation_id: UUID, message_id: UUID
) -> tuple[bytes, bytes]:
    """The associated data of a message's body and of its data key."""
    body_aad, key_aad = associated_data_for(
        ("message-body", "message-key"),
        practice=practice_id,
        conversation=conversation_id,
        message=message_id,
    )
    return body_aad, key_aad


def seal_conversation_title(
    conversation_key: bytes, practice_id: UUID, conversation_id: UUID, title: str
) -> bytes:
    aad = associated_data("conversation-title", practice=practice_id, conversation=conversation_id)
    return seal(conversation_key, _CK_ID, title.encode(), aad)


def open_conversation_title(
    conversation_key: bytes, practice_id: UUID, conversation_id: UUID, sealed: bytes
) -> str:
    aad = associated_data("conversation-title", practice=practice_id, conversation=conversation_id)
    return open_envelope(conversation_key, sealed, aad).decode()


def seal_user_secret(
    practice_key: bytes,
    practice_key_id: str,
    practice_id: UUID,
    user_id: UUID,
    purpose: str,
    secret: str,
) -> bytes:
    """Per-user secrets (the TOTP seed) sealed by the practice key."""
    aad = associated_data(f"user-secret/{purpose}", practice=practice_id, user=user_id)
    return seal(practice_key, practice_key_id, secret.encode(), aad)


def open_user_secret(
    practice_key: bytes, practice_id: UUID, user_id: UUID, purpose: str, sealed: bytes
) -> str:
    aad = associated_data(f"user-secret/{purpose}", practice=practice_id, user=user_id)
    return open_envelope(practice_key, sealed, aad).decode()


def seal_emergency_reason(
    practice_key: bytes,
    practice_key_id: str,
    practice_id: UUID,
    conversation_id: UUID,
    grant_id: UUID,
    reason: str,
) -> bytes:
    """The stated reason for emergency access (it may name a client), sealed by the practice
    key and bound to its grant: copied to another grant or conversation, it fails to open."""
    aad = associated_data(
        "emergency-access-reason",
        practice=practice_id,
        conversation=conversation_id,
        grant=grant_id,
    )
    return seal(practice_key, practice_key_id, reason.encode(), aad)


def open_emergency_reason(
    practice_key: bytes, practice_id: UUID, conversation_id: UUID, grant_id: UUID, sealed: bytes
) -> str:
    aad = associated_data(
        "emergency-access-reason",
        practice=practice_id,
        conversation=conversation_id,
        grant=grant_id,
    )
    return open_envelope(practice_key, sealed, aad).decode()


def legal_hold_aad(
    practice_id: UUID, conversation_id: UUID | None, client_id: UUID | None, hold_id: UUID
) -> bytes:
    """The associated data of a hold's reason: bound to its hold and to what it holds, a
    conversation or (``conversation_id`` None) a client. Key rotation rebuilds it with this."""
    if conversation_id is None:
        return associated_data(
            "legal-hold-reason", practice=practice_id, client=client_id, hold=hold_id
        )
    return associated_data(
        "legal-hold-reason", practice=practice_id, conversation=conversation_id, hold=hold_id
    )


def seal_legal_hold_reason(
    practice_key: bytes,
    practice_key_id: str,
    practice_id: UUID,
    conversation_id: UUID | None,
    hold_id: UUID,
    reason: str,
    *,
    client_id: UUID | None = None,
) -> bytes:
    """Why a conversation or a client is under legal hold (it may name a client or a case),
    sealed by the practice key and bound to its hold and to what it holds."""
    aad = legal_hold_aad(practice_id, conversation_id, client_id, hold_id)
    return seal(practice_key, practice_key_id, reason.encode(), aad)


def open_legal_hold_reason(
    practice_key: bytes,
    practice_id: UUID,
    conversation_id: UUID | None,
    hold_id: UUID,
    sealed: bytes,
    *,
    client_id: UUID | None = None,
) -> str:
    aad = legal_hold_aad(practice_id, conversation_id, client_id, hold_id)
    return open_envelope(practice_key, sealed, aad).decode()


def _record_aad(practice_id: UUID, table: str, column: str, row_id: UUID) -> bytes:
    return associated_data(f"record/{table}.{column}", practice=practice_id, row=row_id)


def seal_record_field(
    practice_key: bytes,
    practice_key_id: str,
    practice_id: UUID,
    table: str,
    column: str,
    row_id: UUID,
    value: str,
) -> bytes:
    """A personal field of a practice record (a client's name, phone number, notes; a queued
    SMS's address and text), sealed by the practice key and bound to its practice, table,
    column and row: moved anywhere else, it fails to open."""
    return seal(
        practice_key,
        practice_key_id,
        value.encode(),
        _record_aad(practice_id, table, column, row_id),
    )


def open_record_field(
    practice_key: bytes, practice_id: UUID, table: str, column: str, row_id: UUID, sealed: bytes
) -> str:
    return open_envelope(
        practice_key, sealed, _record_aad(practice_id, table, column, row_id)
    ).decode()


def record_field_aad(practice_id: UUID, table: str, column: str, row_id: UUID) -> bytes:
    """The associated data of a record field (key rotation re-seals with it)."""
    return _record_aad(practice_id, table, column, row_id)
