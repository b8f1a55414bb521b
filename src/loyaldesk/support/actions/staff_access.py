"""Which conversations a staff member (or the system) may act on, checked by every staff action."""

from __future__ import annotations

from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import NotFound
from loyaldesk.stores import Permission, authorize
from loyaldesk.support.models import Conversation


def require_staff(
    uow: UnitOfWork, actor: Actor, conversation_id: int, permission: Permission
) -> Conversation:
    """The conversation, when ``actor`` may act on it with ``permission`` (``NotFound`` when it is
    missing or another store's; the authorization error when the role does not allow it)."""
    conversation = uow.session.get(Conversation, conversation_id)
    if conversation is None or not may_know(actor, conversation.store_id):
        # Another store's conversation is answered like a missing one: its id tells nothing.
        raise NotFound("no such conversation")
    authorize(
        actor,
        conversation.store_id,
        scope="conversations:write" if permission != Permission.VIEW_CONVERSATIONS else "conversations:read",
        permission=permission,
    )
    return conversation


def may_know(actor: Actor, store_id: int) -> bool:
    """Whether ``actor`` acts for ``store_id`` at all (the system acting for every store does)."""
    return actor.store_id == store_id or (actor.kind == "system" and actor.store_id is None)
