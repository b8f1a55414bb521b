"""The fan-out: every 2 seconds, the events committed since the last pass become deliveries to the
endpoints that subscribe to them.

It reads ``domain_events`` past a cursor (``WebhookFanOutCursor``) instead of subscribing a handler to
the dispatcher: the dispatcher stores events that no handler reacts to as already dispatched (the hot
path's saving), and a handler for "every type" would end that. The cursor is advanced in the
transaction that inserts the deliveries, and each original delivery is unique per (endpoint, event)
and inserted with "on conflict do nothing": two passes, or two workers, deliver an event to an
endpoint exactly once.

On PostgreSQL ids are taken from a sequence just before each commit, so a concurrent transaction may
make id 11 visible before id 10. The cursor never moves past a missing id until the id appears or has
been missing for ``GAP_GRACE`` (a transaction that rolled back after taking it: it never will).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from loyaldesk.channels.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookFanOutCursor
from loyaldesk.channels.webhooks.rules import subscribes_to
from loyaldesk.channels.webhooks.vocab import DeliveryStatus
from loyaldesk.kernel.db import Database, UnitOfWork
from loyaldesk.kernel.events import EventRecord, StoredEvent

GAP_GRACE = timedelta(seconds=30)
BATCH = 5000  # event ids read per pass; a backlog (an import) is worked through over several passes
CURSOR_ID = 1


def message_id_for(event_id: int) -> str:
    """The ``webhook-id`` of an event's deliveries: stable across retries, replays and endpoints."""
    return f"msg_{event_id}"


def newest_event_id(uow: UnitOfWork) -> int:
    """The id of the newest committed event (0 when there are none)."""
    return int(uow.session.scalar(select(func.max(EventRecord.id))) or 0)


def _insert(uow: UnitOfWork) -> Any:
    return (pg_insert if uow.is_postgresql else sqlite_insert)(WebhookDelivery)


def _lock_cursor(uow: UnitOfWork) -> WebhookFanOutCursor | None:
    """The cursor row, locked for this transaction; None when another worker holds it (PostgreSQL)."""
    query = select(WebhookFanOutCursor).where(WebhookFanOutCursor.id == CURSOR_ID)
    if uow.is_postgresql:
        query = query.with_for_update(skip_locked=True)
    cursor = uow.session.scalar(query)
    if cursor is None:
        insert = (pg_insert if uow.is_postgresql else sqlite_insert)(WebhookFanOutCursor)
        uow.session.execute(
            insert.values(id=CURSOR_ID, last_event_id=0).on_conflict_do_nothing(index_elements=["id"])
        )
        cursor = uow.session.scalar(query)
    return cursor


def _contiguous_end(uow: UnitOfWork, cursor: WebhookFanOutCursor, start: int) -> int:
    """The last id after ``start`` up to which every id is committed (or given up as never to be)."""
    ids = uow.session.scalars(
        select(EventRecord.id).where(EventRecord.id > start).order_by(EventRecord.id).limit(BATCH)
    ).all()
    now = uow.now()
    end = start
    for event_id in ids:
        if event_id != end + 1:
            missing = end + 1
            old_gap = (
                cursor.gap_event_id == missing
                and cursor.gap_seen_at is not None
                and now - cursor.gap_seen_at >= GAP_GRACE
            )
            if not old_gap:
                if cursor.gap_event_id != missing:
                    cursor.gap_event_id, cursor.gap_seen_at = missing, now
                return end
        end = event_id
    return end


def fan_out(uow: UnitOfWork) -> int:
    """The periodic job: turn the events committed since the last pass into deliveries for the
    enabled endpoints that subscribe to them; returns how many deliveries were queued."""
    endpoints = list(uow.session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.enabled.is_(True))))
    if not endpoints:
        return 0  # nobody listens: an endpoint enabled later starts from the newest event anyway
    cursor = _lock_cursor(uow)
    if cursor is None:
        return 0
    # Events up to every endpoint's starting point concern nobody: a cursor left behind while no
    # endpoint was enabled jumps ahead instead of reading them.
    start = max(cursor.last_event_id, min(endpoint.start_after_event_id for endpoint in endpoints))
    end = _contiguous_end(uow, cursor, start)
    if end == start:
        if cursor.last_event_id != start:
            cursor.last_event_id = start
        return 0
    by_store: dict[int, list[WebhookEndpoint]] = defaultdict(list)
    for endpoint in endpoints:
        by_store[endpoint.store_id].append(endpoint)
    records = uow.session.scalars(
        select(EventRecord)
        .where(EventRecord.id > start, EventRecord.id <= end, EventRecord.store_id.in_(list(by_store)))
        .order_by(EventRecord.id)
    )
    now = uow.now()
    rows: list[dict[str, Any]] = []
    for record in records:
        message: dict[str, Any] | None = None
        for endpoint in by_store[record.store_id]:
            if record.id <= endpoint.start_after_event_id:
                continue
            if not subscribes_to(endpoint.event_types, record.event_type):
                continue
            message = message or StoredEvent.from_record(record).as_message()
            rows.append(
                {
                    "store_id": record.store_id,
                    "endpoint_id": endpoint.id,
                    "event_id": record.id,
                    "event_type": record.event_type,
                    "message_id": message_id_for(record.id),
                    "replay_of_id": None,
                    "payload": message,
                    "status": DeliveryStatus.PENDING.value,
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                }
            )
    inserted = 0
    if rows:
        result = uow.session.execute(_insert(uow).on_conflict_do_nothing(), rows)
        inserted = max(int(getattr(result, "rowcount", 0) or 0), 0) or len(rows)
    cursor.last_event_id = end
    if cursor.gap_event_id is not None and cursor.gap_event_id <= end:
        cursor.gap_event_id, cursor.gap_seen_at = None, None
    return inserted


def run_fan_out(database: Database) -> int:
    """The periodic job: a read first, so that an install with no endpoint (or no new event) takes
    no write lock; then ``fan_out`` in one transaction."""
    with database.read() as session:
        listening = session.scalar(
            select(WebhookEndpoint.id).where(WebhookEndpoint.enabled.is_(True)).limit(1)
        )
        if listening is None:
            return 0
        cursor = session.get(WebhookFanOutCursor, CURSOR_ID)
        newest = session.scalar(select(func.max(EventRecord.id))) or 0
        if cursor is not None and cursor.last_event_id >= newest:
            return 0
    return database.write(fan_out)
