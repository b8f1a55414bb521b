"""Store teaching's part of a customer's erasure: examples copied from the customer's messages (labelled
in the inbox) are deleted, and the store's model is retrained without them."""

from __future__ import annotations

from sqlalchemy import delete, select

from loyaldesk.assistant.teaching.actions.retraining import request_retraining
from loyaldesk.assistant.teaching.models import IntentExample
from loyaldesk.kernel.db import UnitOfWork


def erase_examples(uow: UnitOfWork, store_id: int, customer_id: int) -> None:
    """An ``customers.ErasureStep``: delete the store's examples taken from this customer's messages."""
    from loyaldesk.support import Conversation, Message

    messages = (
        select(Message.id)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(Conversation.store_id == store_id, Conversation.customer_id == customer_id)
    )
    erased = uow.session.execute(
        delete(IntentExample)
        .where(IntentExample.store_id == store_id, IntentExample.message_id.in_(messages))
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    if erased:
        request_retraining(uow, store_id)
