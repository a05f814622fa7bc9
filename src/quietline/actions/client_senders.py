"""Who may send to clients: the practice's ``client_senders`` setting
(:class:`~quietline.domain.client_policy.ClientMessagingPolicy`).

Sending to a client is anything that leaves for them in a staff member's name: a message in
their thread (by SMS, e-mail or the secure page) and the one-tap appointment texts (asking
for confirmation, running late). Staff-only notes never reach the client and stay open to
every member of the thread; the practice's automatic replies (after hours, crisis, STOP and
HELP, reminders) are the practice's and are not checked here. Owners always may, so a
practice cannot lock itself out.

The setting is read in the transaction of each request, so a change holds for everyone from
their next request on, without signing in again.
"""

from __future__ import annotations

from quietline.actions.context import Actor
from quietline.domain.client_policy import ClientMessagingPolicy
from quietline.domain.errors import Forbidden
from quietline.domain.roles import Role
from quietline.storage.unit import Unit

# How a sentence names the members of a role, in the order it lists them.
ROLE_PLURALS: dict[Role, str] = {
    Role.CLINICIAN: "clinicians",
    Role.SUPERVISOR: "supervisors",
    Role.FRONT_DESK: "front desk staff",
    Role.ADMIN: "admins",
    Role.OWNER: "owners",
}


def senders_in_words(policy: ClientMessagingPolicy) -> str:
    """``clinicians and owners``: the roles that may send to clients, as a person says it."""
    names = [
        plural
        for role, plural in ROLE_PLURALS.items()
        if role == Role.OWNER or role in policy.client_senders
    ]
    if len(names) == 1:
        return names[0]
    return f"{', '.join(names[:-1])} and {names[-1]}"


def may_message_clients(unit: Unit, actor: Actor) -> bool:
    """Whether the actor's role may send to clients under the practice's setting now."""
    policy = unit.practice_messaging.policy(actor.practice_id)
    return policy.may_message_clients(actor.user.role)


def check_client_sender(unit: Unit, actor: Actor, *, one_tap: bool = False) -> None:
    """Refuse (403) a member of staff whose role may not send to clients, with a sentence
    that says who may and what to do instead. ``one_tap``: an appointment text, where a
    staff note is no alternative."""
    policy = unit.practice_messaging.policy(actor.practice_id)
    if policy.may_message_clients(actor.user.role):
        return
    who = senders_in_words(policy)
    if one_tap:
        raise Forbidden(
            f"Your practice lets only {who} message clients, so nothing was sent. Ask one of "
            "them to send it, or an owner or admin to change who may message clients."
        )
    raise Forbidden(
        f"Your practice lets only {who} message clients. Add a staff note instead (it is not "
        "sent to the client), or ask an owner or admin to change who may message clients."
    )
