"""The clinical-content guard at send time.

Before staff text goes where clinical content does not belong (to a client in the clear, by
plain SMS or e-mail; or into a staff channel the practice marked logistics-only),
:func:`quietline.safety.clinical.assess_clinical` reads it. When it reads as clinical, the
practice's ``ClientMessagingPolicy.clinical_guard`` decides:

* ``warn``: the send is refused with a 409 problem of type ``clinical-content`` saying why
  (the detector's fixed reasons, never the text) and offering the secure page (client
  threads: send again with ``delivery: "secure_page"``) or ``acknowledge_clinical: true``,
  which sends it anyway and is audited (``CLINICAL_GUARD_OVERRIDDEN``);
* ``block``: refused, offering only the secure page (or another conversation), and audited
  (``CLINICAL_GUARD_BLOCKED``) without content. The refusal rolls the send back, so the
  audit entry is written by :func:`do_record_guard_block` in a job of its own.
"""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from quietline.actions.context import Actor
from quietline.domain.audit import AuditKind
from quietline.domain.errors import Conflict
from quietline.domain.models import Conversation
from quietline.safety.clinical import ClinicalAssessment, assess_clinical
from quietline.storage.unit import Unit

Where = Literal["client", "channel"]
GuardAction = Literal["none", "warn", "block"]


def _listed(reasons: tuple[str, ...]) -> str:
    return "; ".join(reasons) or "it reads as clinical"


class ClinicalContentRefused(Conflict):
    """The guard stopped a send. Carries ids and the detector's categories, never text."""

    code = "clinical-content"
    title = "Reads as clinical content"

    def __init__(
        self,
        *,
        mode: Literal["warn", "block"],
        where: Where,
        assessment: ClinicalAssessment,
        practice_id: UUID,
        conversation_id: UUID,
        actor_user_id: UUID,
        actor_session_id: UUID,
    ) -> None:
        reasons = _listed(assessment.reasons)
        if where == "client":
            plain = (
                f"This message reads as clinical ({reasons}), and it would go to the client "
                "as a plain, unencrypted text or e-mail."
            )
            if mode == "warn":
                detail = (
                    f"{plain} Send it through the secure page instead (send again with "
                    'delivery "secure_page"), or, if it is really only scheduling, send again '
                    "with acknowledge_clinical set to true."
                )
                options = ["secure_page", "acknowledge_clinical"]
            else:
                detail = (
                    f"{plain} Your practice does not allow that: send it through the secure "
                    'page (send again with delivery "secure_page").'
                )
                options = ["secure_page"]
        else:
            plain = (
                f"This channel is for scheduling only, and this message reads as clinical "
                f"({reasons})."
            )
            if mode == "warn":
                detail = (
                    f"{plain} Send it in another conversation, or, if it is really only "
                    "scheduling, send again with acknowledge_clinical set to true."
                )
                options = ["another_conversation", "acknowledge_clinical"]
            else:
                detail = (
                    f"{plain} Your practice does not allow that here: send it in another "
                    "conversation."
                )
                options = ["another_conversation"]
        super().__init__(
            detail,
            extra={
                "guard": mode,
                "reasons": list(assessment.reasons),
                "categories": list(assessment.categories),
                "options": options,
            },
        )
        self.mode = mode
        self.where = where
        self.categories = assessment.categories
        self.practice_id = practice_id
        self.conversation_id = conversation_id
        self.actor_user_id = actor_user_id
        self.actor_session_id = actor_session_id


def guard_mode(unit: Unit, practice_id: UUID) -> Literal["warn", "block"]:
    return unit.practice_messaging.policy(practice_id).clinical_guard


def check_clinical(
    unit: Unit,
    actor: Actor,
    conversation_id: UUID,
    text: str,
    *,
    where: Where,
    acknowledged: bool,
) -> ClinicalAssessment | None:
    """Apply the guard to text about to go where clinical content does not belong.

    Returns None when the text does not read as clinical, the assessment when it does and
    the sender acknowledged it under ``warn`` (the caller audits the override with
    :func:`record_override` once the message exists); raises
    :class:`ClinicalContentRefused` otherwise.
    """
    assessment = assess_clinical(text)
    if not assessment.clinical:
        return None
    mode = guard_mode(unit, actor.practice_id)
    if mode == "warn" and acknowledged:
        return assessment
    raise ClinicalContentRefused(
        mode=mode,
        where=where,
        assessment=assessment,
        practice_id=actor.practice_id,
        conversation_id=conversation_id,
        actor_user_id=actor.user_id,
        actor_session_id=actor.session_id,
    )


def record_override(
    unit: Unit,
    actor: Actor,
    conversation_id: UUID,
    message_id: UUID,
    assessment: ClinicalAssessment,
    *,
    where: Where,
) -> None:
    unit.audit(
        AuditKind.CLINICAL_GUARD_OVERRIDDEN,
        actor.practice_id,
        actor_user_id=actor.user_id,
        actor_session_id=actor.session_id,
        subject_type="message",
        subject_id=message_id,
        details={
            "conversation": str(conversation_id),
            "where": where,
            "categories": list(assessment.categories),
        },
    )


def do_record_guard_block(unit: Unit, refused: ClinicalContentRefused) -> None:
    """Audit a blocked send (its own job: the refused send was rolled back). A ``warn``
    refusal is not audited: nothing was sent and nothing overridden."""
    if refused.mode != "block":
        return
    unit.audit(
        AuditKind.CLINICAL_GUARD_BLOCKED,
        refused.practice_id,
        actor_user_id=refused.actor_user_id,
        actor_session_id=refused.actor_session_id,
        subject_type="conversation",
        subject_id=refused.conversation_id,
        details={"where": refused.where, "categories": list(refused.categories)},
    )


def guard_logistics_channel(
    unit: Unit,
    actor: Actor,
    conversation: Conversation,
    body: str,
    *,
    acknowledged: bool,
) -> ClinicalAssessment | None:
    """The guard for an ordinary send into a staff channel marked logistics-only (None for
    any other conversation, or text that does not read as clinical)."""
    if not conversation.logistics_only:
        return None
    return check_clinical(
        unit, actor, conversation.id, body, where="channel", acknowledged=acknowledged
    )
