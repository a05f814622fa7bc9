"""Audit event kinds. Details are structured data with ids and counts only, never content."""

from __future__ import annotations

from enum import StrEnum


class AuditKind(StrEnum):
    PRACTICE_CREATED = "practice.created"
    POLICY_CHANGED = "policy.changed"
    SIGN_IN = "auth.sign_in"
    SIGN_IN_FAILED = "auth.sign_in_failed"
    SIGN_IN_THROTTLED = "auth.sign_in_throttled"
    SIGN_OUT = "auth.sign_out"
    SESSION_EXPIRED = "auth.session_expired"
    PASSWORD_CHANGED = "auth.password_changed"  # noqa: S105 - an event name
    SECOND_FACTOR_ENABLED = "auth.second_factor_enabled"
    SECOND_FACTOR_DISABLED = "auth.second_factor_disabled"
    RECOVERY_CODES_REGENERATED = "auth.recovery_codes_regenerated"
    RECOVERY_CODE_USED = "auth.recovery_code_used"
    DEVICE_REVOKED = "device.revoked"
    APP_LOCKED = "device.app_locked"
    APP_UNLOCKED = "device.app_unlocked"
    APP_UNLOCK_FAILED = "device.app_unlock_failed"
    PIN_SET = "auth.pin_set"
    PIN_REMOVED = "auth.pin_removed"
    PUSH_ENABLED = "device.notifications_enabled"
    PUSH_DISABLED = "device.notifications_disabled"
    QUICK_REPLIES_CHANGED = "practice.quick_replies_changed"
    USER_CREATED = "user.created"
    USER_UPDATED = "user.updated"
    ROLE_CHANGED = "user.role_changed"
    USER_DEACTIVATED = "user.deactivated"
    USER_REACTIVATED = "user.reactivated"
    CONVERSATION_CREATED = "conversation.created"
    CONVERSATION_UPDATED = "conversation.updated"
    MEMBER_ADDED = "conversation.member_added"
    MEMBER_REMOVED = "conversation.member_removed"
    MESSAGE_SENT = "message.sent"
    MESSAGES_VIEWED = "message.viewed"
    MESSAGE_RECALLED = "message.recalled"
    MESSAGES_PURGED = "message.expiry_purged"
    AUDIT_QUERIED = "audit.queried"
    # Key rotation (quietline keys rotate): key ids and counts only.
    MASTER_KEY_ROTATED = "keys.master_key_rotated"
    PRACTICE_KEY_ROTATED = "keys.practice_key_rotated"
    # Oversight (issue 5): break-glass access to a conversation, and audit exports.
    EMERGENCY_ACCESS_OPENED = "access.emergency_opened"
    EMERGENCY_ACCESS_CLOSED = "access.emergency_closed"
    AUDIT_EXPORTED = "audit.exported"
    # staff joining and leaving
    INVITE_CREATED = "invite.created"
    INVITE_REVOKED = "invite.revoked"
    INVITE_ACCEPTED = "invite.accepted"
    INVITE_REFUSED = "invite.refused"
    USER_OFFBOARDED = "user.offboarded"
    # Retention and legal holds (issue 5)
    MESSAGES_RETENTION_PURGED = "message.retention_purged"
    LEGAL_HOLD_PLACED = "legal_hold.placed"
    LEGAL_HOLD_RELEASED = "legal_hold.released"
