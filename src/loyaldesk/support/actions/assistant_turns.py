"""The desk's side of the assistant: its messages, and the moments a conversation passes between the
assistant and people.

While ``Conversation.assistant_active`` holds, the conversation waits for no one: it is not routed, its SLA
clock does not run and ``waiting_since`` is cleared by each of the assistant's answers. Handing it to
people puts it in the normal queue as if the customer had just written (waiting from now, routed, SLA
policy applied); handing it back takes it out again.
"""

from __future__ import annotations

from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.support.actions import sla
from loyaldesk.support.actions.post_message import _append_message
from loyaldesk.support.actions.routing import route_waiting
from loyaldesk.support.message_format import check_message_body
from loyaldesk.support.models import Conversation, Message
from loyaldesk.support.sla_rules import PauseReason

ASSISTANT_AUTHOR = "assistant"


def post_assistant_message(
    uow: UnitOfWork, conversation: Conversation, author_name: str, body: str, *, internal: bool = False
) -> Message:
    """A message written by the store's assistant (``author_kind`` "assistant", shown with its name):
    an answer the customer sees live like an agent's reply, or (``internal``) a note for staff such as
    the hand-off packet. An answer ends the customer's wait while the assistant handles the
    conversation; it is never counted as a person's first response."""
    message = _append_message(
        uow,
        conversation,
        author_kind=ASSISTANT_AUTHOR,
        author_name=author_name,
        body=check_message_body(body),
        internal=internal,
    )
    if not internal and conversation.assistant_active:
        conversation.waiting_since = None
    return message


def release_to_people(uow: UnitOfWork, conversation: Conversation) -> None:
    """The assistant stops answering: the conversation waits for a person from now, is routed like a new
    one and gets its SLA policy."""
    if not conversation.assistant_active:
        return
    now = uow.now()
    conversation.assistant_active = False
    conversation.waiting_since = now
    conversation.updated_at = now
    pauses = [list(pause) for pause in conversation.sla_pauses or []]
    open_pause = next((p for p in pauses if p[1] is None and p[2] == PauseReason.ASSISTANT), None)
    if open_pause is not None:
        open_pause[1] = now.isoformat()
    else:  # the assistant answered from the start: no clock ran before now
        pauses.append([conversation.created_at.isoformat(), now.isoformat(), PauseReason.ASSISTANT.value])
    conversation.sla_pauses = pauses
    uow.session.flush()
    sla.refresh(uow, conversation)
    if conversation.assignee_id is None and conversation.status == "open":
        route_waiting(uow, conversation.store_id)


def return_to_assistant(uow: UnitOfWork, conversation: Conversation) -> None:
    """The assistant answers again (an agent handed the conversation back): nobody waits on a person."""
    if conversation.assistant_active:
        return
    now = uow.now()
    conversation.assistant_active = True
    conversation.waiting_since = None
    conversation.updated_at = now
    pauses = [list(pause) for pause in conversation.sla_pauses or []]
    conversation.sla_pauses = [*pauses, [now.isoformat(), None, PauseReason.ASSISTANT.value]]
    sla.refresh(uow, conversation)
