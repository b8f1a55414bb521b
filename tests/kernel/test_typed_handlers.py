"""Handlers subscribe by event class and receive the typed event; the composition root wires them once."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from loyaldesk.composition import compose
from loyaldesk.kernel.db import Database, UnitOfWork
from loyaldesk.kernel.dispatcher import HandlerRegistry, dispatch_until_idle
from loyaldesk.kernel.events import DomainEvent, StoredEvent
from loyaldesk.kernel.jobs import JobRegistry
from loyaldesk.settings import Settings
from loyaldesk.support import SupportSettings
from tests.factories import StoreHandle
from tests.kernel.test_dispatcher import _store


class Rang(DomainEvent):
    event_type = "test.rang"
    times: int
    note: str | None = None


def test_a_handler_subscribed_by_class_receives_the_typed_event(db: Database) -> None:
    store_id = _store(db)
    registry = HandlerRegistry()
    seen: list[tuple[int, int, str | None]] = []

    def heard(uow: UnitOfWork, stored: StoredEvent, event: Rang) -> None:
        assert isinstance(event, Rang) and event.store_id == stored.store_id
        seen.append((stored.id, event.times, event.note))

    registry.on(Rang)(heard)
    registry.on(Rang)(heard)  # registering again changes nothing
    with db.transaction() as uow:
        uow.emit(Rang(store_id=store_id, times=3))
    assert dispatch_until_idle(db, registry) == 1
    assert [(times, note) for _id, times, note in seen] == [(3, None)]


def _batch_handlers_of(handlers: HandlerRegistry, event_type: str) -> list[Any]:
    return [handler for handler, types in handlers.batch_handlers() if event_type in types]


def test_composing_again_replaces_what_was_registered() -> None:
    handlers, jobs = HandlerRegistry(), JobRegistry()
    compose(Settings(mail_domain="one.example"), handlers=handlers, jobs=jobs)
    posted = len(handlers.for_type("conversation.message_posted"))
    posted_in_batches = _batch_handlers_of(handlers, "conversation.message_posted")
    names = sorted(job.name for job in jobs.all())
    compose(Settings(mail_domain="two.example"), handlers=handlers, jobs=jobs)
    # the email and API channels and feedback noting the team's first reply to a detractor, one by one;
    # the assistant answering customers, in batches
    assert len(handlers.for_type("conversation.message_posted")) == posted == 3
    assert _batch_handlers_of(handlers, "conversation.message_posted") == posted_in_batches
    assert [handler.__name__ for handler in posted_in_batches] == ["answer_customers"]
    assert sorted(job.name for job in jobs.all()) == names
    assert "support.send_due_email" in names and "stores.send_account_mail" in names


def test_a_new_store_has_its_desk_settings(db: Database, store: StoreHandle) -> None:
    with db.read() as session:
        desk = session.scalar(select(SupportSettings).where(SupportSettings.store_id == store.id))
    assert desk is not None
    assert desk.goodwill_budgets == {"agent": 500, "admin": 2000, "owner": None}
