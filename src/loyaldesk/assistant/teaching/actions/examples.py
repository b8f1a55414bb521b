"""Teaching by example: a phrasing typed on the intents page (or posted through the API), or a
customer's message an agent labels in the inbox. Each change asks for a retraining (debounced)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from loyaldesk.assistant.teaching import rules
from loyaldesk.assistant.teaching.actions.retraining import request_retraining
from loyaldesk.assistant.teaching.events import IntentExampleAdded, IntentExampleRemoved
from loyaldesk.assistant.teaching.models import IntentExample
from loyaldesk.assistant.teaching.queries.intents import enabled_intent_names
from loyaldesk.assistant.teaching.vocab import ExampleSource
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Conflict, Invalid, NotFound
from loyaldesk.stores import Permission, authorize, record_audit


def _check_intent(uow: UnitOfWork, store_id: int, intent: str) -> str:
    intent = (intent or "").strip()
    if not intent:
        raise Invalid.field("intent", "is required: choose an intent")
    if intent not in enabled_intent_names(uow.session, store_id):
        raise Invalid.field("intent", f"{intent!r} is not an intent of this store that is switched on")
    return intent


def _insert(
    uow: UnitOfWork,
    actor: Actor,
    store_id: int,
    intent: str,
    text: str,
    source: ExampleSource,
    message_id: int | None,
) -> IntentExample:
    normalized = rules.normalize_example(text)
    clash = uow.session.scalar(
        select(IntentExample.id).where(
            IntentExample.store_id == store_id,
            IntentExample.intent == intent,
            IntentExample.normalized_text == normalized,
        )
    )
    if clash is not None:
        raise Conflict(f"text: this example is taught for {intent} already")
    example = IntentExample(
        store_id=store_id,
        intent=intent,
        text=text,
        normalized_text=normalized,
        source=source.value,
        message_id=message_id,
        added_by_staff_id=actor.id if actor.kind == "staff" else None,
        created_at=uow.now(),
    )
    try:
        with uow.session.begin_nested():
            uow.session.add(example)
    except IntegrityError:  # the same example, added at the same moment by someone else
        raise Conflict(f"text: this example is taught for {intent} already") from None
    uow.emit(
        IntentExampleAdded(
            store_id=store_id,
            example_id=example.id,
            intent=intent,
            source=source.value,
            message_id=message_id,
        )
    )
    record_audit(
        uow,
        actor,
        "assistant.example_added",
        store_id=store_id,
        target_type="intent_example",
        target_id=example.id,
        details={"intent": intent, "source": source.value},
    )
    request_retraining(uow, store_id)
    return example


def add_example(uow: UnitOfWork, actor: Actor, store_id: int, *, intent: str, text: str) -> IntentExample:
    """Teach ``text`` as a way of saying ``intent`` (an intent of the store that is switched on).

    ``Invalid`` names ``text`` (empty, too long, no words) or ``intent`` (unknown, switched off);
    ``Conflict`` when the same text (case and spaces aside) is taught for that intent already."""
    authorize(actor, store_id, scope="assistant:write", permission=Permission.MANAGE_SUPPORT)
    cleaned = rules.check_example_text(text)
    intent = _check_intent(uow, store_id, intent)
    return _insert(uow, actor, store_id, intent, cleaned, ExampleSource.CONSOLE, None)


def label_message(
    uow: UnitOfWork, actor: Actor, store_id: int, *, message_id: int, intent: str
) -> IntentExample:
    """Teach a customer's message of this store as a way of saying ``intent``. Labelling a message that
    carries a label already moves it to the new intent.

    ``NotFound`` for a message of another store (or none); ``Invalid`` naming ``message_id`` for a
    message that is not the customer's (an agent's reply, an internal note, the assistant's answer)."""
    from loyaldesk.support import Message

    authorize(actor, store_id, scope="assistant:write", permission=Permission.ANSWER_CONVERSATIONS)
    message = uow.session.get(Message, message_id)
    if message is None or message.store_id != store_id:
        raise NotFound("no such message")
    if message.author_kind != "customer" or message.internal:
        raise Invalid.field("message_id", "is not a customer's message: only what customers write teaches")
    intent = _check_intent(uow, store_id, intent)
    text = rules.check_example_text(message.body[: rules.MAX_EXAMPLE_LENGTH], field="message_id")
    labelled = uow.session.scalar(
        select(IntentExample).where(
            IntentExample.store_id == store_id, IntentExample.message_id == message_id
        )
    )
    if labelled is not None:
        if labelled.intent == intent:
            return labelled
        _remove(uow, actor, labelled)
        uow.session.flush()
    return _insert(uow, actor, store_id, intent, text, ExampleSource.INBOX_LABEL, message_id)


def _remove(uow: UnitOfWork, actor: Actor, example: IntentExample) -> None:
    uow.session.delete(example)
    uow.emit(IntentExampleRemoved(store_id=example.store_id, example_id=example.id, intent=example.intent))
    record_audit(
        uow,
        actor,
        "assistant.example_removed",
        store_id=example.store_id,
        target_type="intent_example",
        target_id=example.id,
        details={"intent": example.intent},
    )


def remove_example(uow: UnitOfWork, actor: Actor, store_id: int, example_id: int) -> None:
    """Forget one of the store's examples (``NotFound`` for another store's) and ask for a retraining."""
    authorize(actor, store_id, scope="assistant:write", permission=Permission.MANAGE_SUPPORT)
    example = uow.session.get(IntentExample, example_id)
    if example is None or example.store_id != store_id:
        raise NotFound("no such example")
    _remove(uow, actor, example)
    request_retraining(uow, store_id)
