"""Shout-outs: one staff member thanks another for their work in one of the store's conversations."""

from __future__ import annotations

from sqlalchemy import select

from loyaldesk.feedback.models import Shoutout
from loyaldesk.feedback.team.events import ShoutoutReceived
from loyaldesk.feedback.team.staff import staff_member
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import FieldProblem, Invalid, PermissionDenied
from loyaldesk.stores import Permission, authorize, record_audit
from loyaldesk.support import Conversation

MAX_MESSAGE = 500


def give_shoutout(
    uow: UnitOfWork,
    actor: Actor,
    store_id: int,
    *,
    to_staff_id: int,
    conversation_id: int,
    message: str,
) -> Shoutout:
    """``actor`` (a staff member of the store) thanks ``to_staff_id`` (another staff member of the same
    store) for their work in ``conversation_id`` (a conversation of the store), with ``message`` (1-500
    characters). Refused with every reason at once, storing nothing: oneself, someone not on the store's
    staff, a conversation of another store or none, an empty or too long message. Audited; the recipient
    is told (``ShoutoutReceived``)."""
    authorize(actor, store_id, scope="feedback:write", permission=Permission.VIEW_FEEDBACK)
    if actor.kind != "staff" or actor.id is None:
        raise PermissionDenied("only staff give shout-outs")
    problems: list[FieldProblem] = []
    text = (message or "").strip()
    if not text:
        problems.append(FieldProblem("message", "write a few words of thanks"))
    elif len(text) > MAX_MESSAGE:
        problems.append(FieldProblem("message", f"at most {MAX_MESSAGE} characters (this has {len(text)})"))
    if to_staff_id == actor.id:
        problems.append(FieldProblem("to_staff_id", "a shout-out is for someone else, not yourself"))
    elif staff_member(uow.session, store_id, to_staff_id) is None:
        problems.append(FieldProblem("to_staff_id", "is not on this store's staff"))
    found = uow.session.scalar(
        select(Conversation.id).where(Conversation.id == conversation_id, Conversation.store_id == store_id)
    )
    if found is None:
        problems.append(FieldProblem("conversation_id", "no such conversation in this store"))
    if problems:
        raise Invalid("the shout-out was not given", problems)
    shoutout = Shoutout(
        store_id=store_id,
        from_staff_id=actor.id,
        to_staff_id=to_staff_id,
        conversation_id=conversation_id,
        message=text,
        created_at=uow.now(),
    )
    uow.session.add(shoutout)
    uow.session.flush()
    record_audit(
        uow,
        actor,
        "feedback.shoutout_given",
        store_id=store_id,
        target_type="staff",
        target_id=to_staff_id,
        details={"shoutout_id": shoutout.id, "conversation_id": conversation_id},
    )
    uow.emit(
        ShoutoutReceived(
            store_id=store_id,
            shoutout_id=shoutout.id,
            to_staff_id=to_staff_id,
            from_staff_id=actor.id,
            conversation_id=conversation_id,
        )
    )
    return shoutout
