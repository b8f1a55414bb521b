"""Typed domain events and the table that keeps them (the transactional outbox and event log).

An action emits events into its unit of work (``uow.emit(SomethingHappened(...))``). They are written to
``domain_events`` in the same transaction as the change they describe, so an event exists if and only if
its change was committed. After the commit they are handed to in-process listeners (the realtime
publisher, the dispatcher's wake-up); the dispatcher later runs every domain's handlers for them, from the
table, so a crash between commit and handling loses nothing.

Each stored event has an increasing id that clients use to resume a stream.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict
from sqlalchemy import Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from loyaldesk.kernel.orm import Base, IdType, JSONType, UTCDateTime

_ENVELOPE = frozenset({"store_id", "customer_id", "occurred_at"})
_PLAIN = frozenset({str, int, float, bool, type(None)})


class DomainEvent(BaseModel):
    """Base of every event. Subclasses set ``event_type`` (``"order.placed"``) and their fields.

    ``store_id`` says whose event it is; ``customer_id``, when the event concerns a customer, puts it on
    that customer's timeline. Payloads carry ids and facts, not personal data that erasure would have
    to chase (names, emails, addresses stay in their tables).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: ClassVar[str] = ""
    subject_type: ClassVar[str] = ""

    store_id: int
    customer_id: int | None = None
    # When the fact happened, if not at commit time (an imported order placed last year).
    occurred_at: AwareDatetime | None = None

    _registry: ClassVar[dict[str, type[DomainEvent]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.event_type:
            if cls.event_type in DomainEvent._registry:
                raise TypeError(f"event type {cls.event_type!r} defined twice")
            DomainEvent._registry[cls.event_type] = cls

    def subject_id(self) -> int | None:
        """The id of the thing the event is about (an order id for order events), for lookups."""
        return None

    def payload(self) -> dict[str, Any]:
        """The event's own fields as JSON-ready data (without store, customer and time)."""
        fields = {key: value for key, value in self.__dict__.items() if key not in _ENVELOPE}
        # Most payloads are ids, numbers and short strings already: skip Pydantic's serializer for them.
        if all(type(value) in _PLAIN for value in fields.values()):
            return fields
        return self.model_dump(mode="json", exclude=set(_ENVELOPE))

    @classmethod
    def type_for(cls, event_type: str) -> type[DomainEvent] | None:
        return cls._registry.get(event_type)

    @classmethod
    def known_types(cls) -> list[str]:
        return sorted(cls._registry)


class EventRecord(Base):
    """One stored domain event: the outbox row and the permanent event log entry."""

    __tablename__ = "domain_events"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(IdType, index=True)
    event_type: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[int | None] = mapped_column(IdType)
    subject_type: Mapped[str] = mapped_column(String(32), default="")
    subject_id: Mapped[int | None] = mapped_column(IdType)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    dispatch_attempts: Mapped[int] = mapped_column(Integer, default=0)
    dispatch_error: Mapped[str | None] = mapped_column(Text)
    next_dispatch_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # How many reactions led to this event (see ``UnitOfWork.chain_depth``).
    chain_depth: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    __table_args__ = (
        Index("ix_domain_events_customer", "customer_id", "occurred_at", "id"),
        Index("ix_domain_events_subject", "subject_type", "subject_id"),
        # The dispatcher scans only what is still to be handled.
        Index(
            "ix_domain_events_undispatched",
            "id",
            postgresql_where=text("dispatched_at IS NULL"),
            sqlite_where=text("dispatched_at IS NULL"),
        ),
        # What is left for the background per store (the console's "catching up" notice), counted from
        # this small index alone: it holds only the events still to be handled.
        Index(
            "ix_domain_events_undispatched_store",
            "store_id",
            postgresql_where=text("dispatched_at IS NULL"),
            sqlite_where=text("dispatched_at IS NULL"),
        ),
    )


@dataclass(frozen=True)
class StoredEvent:
    """An event as committed: what listeners and handlers receive."""

    id: int
    store_id: int
    event_type: str
    customer_id: int | None
    subject_type: str
    subject_id: int | None
    payload: dict[str, Any]
    occurred_at: datetime
    # False when no handler reacts to this type: it was stored already dispatched.
    needs_dispatch: bool = True
    chain_depth: int = 0

    @classmethod
    def from_record(cls, record: EventRecord) -> StoredEvent:
        return cls(
            id=record.id,
            store_id=record.store_id,
            event_type=record.event_type,
            customer_id=record.customer_id,
            subject_type=record.subject_type,
            subject_id=record.subject_id,
            payload=record.payload,
            occurred_at=record.occurred_at,
            chain_depth=record.chain_depth or 0,
        )

    def as_message(self) -> dict[str, Any]:
        """The JSON shape sent to realtime clients and webhooks."""
        return {
            "id": self.id,
            "type": self.event_type,
            "store_id": self.store_id,
            "customer_id": self.customer_id,
            "subject": {"type": self.subject_type, "id": self.subject_id} if self.subject_type else None,
            "occurred_at": self.occurred_at.isoformat(),
            "data": self.payload,
        }
