"""The store's intents: its own (created, changed, deleted with their examples) and the built-in ones
switched on or off. Each change asks for a retraining."""

from __future__ import annotations

from sqlalchemy import delete, select

from loyaldesk.assistant.teaching import rules
from loyaldesk.assistant.teaching.actions.retraining import request_retraining
from loyaldesk.assistant.teaching.events import IntentsChanged
from loyaldesk.assistant.teaching.models import IntentExample, StoreIntent
from loyaldesk.assistant.teaching.trainer import current_trainer
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Conflict, Invalid, NotFound
from loyaldesk.stores import Permission, authorize, record_audit


def _builtin_names() -> set[str]:
    return {info.name for info in current_trainer().builtin_intents()}


def _changed(uow: UnitOfWork, actor: Actor, store_id: int, name: str, change: str) -> None:
    uow.emit(IntentsChanged(store_id=store_id, intent=name, change=change))
    record_audit(
        uow,
        actor,
        f"assistant.intent_{change}",
        store_id=store_id,
        target_type="intent",
        target_id=name,
    )
    request_retraining(uow, store_id)


def save_intent(
    uow: UnitOfWork,
    actor: Actor,
    store_id: int,
    *,
    name: str,
    label: str,
    description: str = "",
    existing: bool = False,
) -> StoreIntent:
    """Create the store's own intent ``name`` (``existing``: change its label and description).

    ``Invalid`` names ``name`` (its form, a built-in's name), ``label`` or ``description``; ``Conflict``
    when the store has an intent of that name already; ``NotFound`` changing one it does not have."""
    authorize(actor, store_id, scope="assistant:write", permission=Permission.MANAGE_SUPPORT)
    if not existing:
        name = rules.check_intent_name(name)
        if name in _builtin_names():
            raise Invalid.field("name", f"{name} is a built-in intent: teach it examples instead")
    label, description = rules.check_intent_text(label, description)
    row = uow.session.scalar(
        select(StoreIntent).where(StoreIntent.store_id == store_id, StoreIntent.name == name)
    )
    if existing:
        if row is None or row.builtin:
            raise NotFound("no such intent of the store's own")
        row.label, row.description, row.updated_at = label, description, uow.now()
        _changed(uow, actor, store_id, name, "changed")
        return row
    if row is not None:
        raise Conflict(f"name: the store has an intent called {name} already")
    row = StoreIntent(
        store_id=store_id,
        name=name,
        builtin=False,
        enabled=True,
        label=label,
        description=description,
        created_at=uow.now(),
        updated_at=uow.now(),
    )
    uow.session.add(row)
    uow.session.flush()
    _changed(uow, actor, store_id, name, "created")
    return row


def delete_intent(uow: UnitOfWork, actor: Actor, store_id: int, name: str) -> int:
    """Delete the store's own intent and its examples; returns how many examples went with it."""
    authorize(actor, store_id, scope="assistant:write", permission=Permission.MANAGE_SUPPORT)
    row = uow.session.scalar(
        select(StoreIntent).where(
            StoreIntent.store_id == store_id, StoreIntent.name == name, StoreIntent.builtin.is_(False)
        )
    )
    if row is None:
        raise NotFound("no such intent of the store's own")
    removed = uow.session.execute(
        delete(IntentExample).where(IntentExample.store_id == store_id, IntentExample.intent == name)
    ).rowcount  # type: ignore[attr-defined]
    uow.session.delete(row)
    _changed(uow, actor, store_id, name, "deleted")
    return int(removed or 0)


def switch_builtin_intent(uow: UnitOfWork, actor: Actor, store_id: int, name: str, *, enabled: bool) -> None:
    """Switch a built-in intent on or off for the store (off: the assistant reads it as out of scope and
    the store's model is trained without it)."""
    authorize(actor, store_id, scope="assistant:write", permission=Permission.MANAGE_SUPPORT)
    info = next((info for info in current_trainer().builtin_intents() if info.name == name), None)
    if info is None:
        raise NotFound("no such built-in intent")
    row = uow.session.scalar(
        select(StoreIntent).where(StoreIntent.store_id == store_id, StoreIntent.name == name)
    )
    if row is None:
        row = StoreIntent(
            store_id=store_id,
            name=name,
            builtin=True,
            enabled=enabled,
            label=info.label[:80],
            description="",
            created_at=uow.now(),
            updated_at=uow.now(),
        )
        uow.session.add(row)
    elif row.enabled == enabled:
        return
    row.enabled, row.updated_at = enabled, uow.now()
    _changed(uow, actor, store_id, name, "enabled" if enabled else "disabled")
