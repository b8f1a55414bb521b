"""Keeping a co-browsing recording, only with the shopper's consent."""

from __future__ import annotations

import orjson
from sqlalchemy import func, select

from loyaldesk.calls.actions.common import locked_session
from loyaldesk.calls.models import RecordingChunk
from loyaldesk.calls.vocab import CallKind, CallState
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Invalid

# A chunk larger than this is refused (the gateway batches rrweb events well below it).
MAX_CHUNK_BYTES = 2_000_000


def append_recording(uow: UnitOfWork, *, store_id: int, session_id: int, events_json: str) -> bool:
    """Keep one chunk of (already server-sanitised) rrweb events of an ``active`` ``COBROWSE`` session, next
    in its sequence, only when the shopper allowed recording (``recording_allowed``); returns whether it
    was kept (``False``: not allowed, not co-browsing, not active, or empty). No event (the gateway calls
    it for every batch).

    Refusals: ``NotFound`` (no such session in the store), ``Invalid`` (``events_json`` larger than
    ``MAX_CHUNK_BYTES`` or not a JSON array)."""
    size = len(events_json.encode())
    if size > MAX_CHUNK_BYTES:
        raise Invalid.field("events_json", f"is larger than {MAX_CHUNK_BYTES} bytes")
    try:
        events = orjson.loads(events_json)
    except orjson.JSONDecodeError:
        raise Invalid.field("events_json", "is not JSON") from None
    if not isinstance(events, list):
        raise Invalid.field("events_json", "must be a JSON array of rrweb events")
    row = locked_session(uow, store_id, session_id)  # also orders the chunks of one session
    keep = row.recording_allowed and row.kind == CallKind.COBROWSE and row.state == CallState.ACTIVE
    if not keep or not events:
        return False
    last = uow.session.scalar(
        select(func.max(RecordingChunk.sequence)).where(RecordingChunk.session_id == row.id)
    )
    uow.session.add(
        RecordingChunk(
            store_id=store_id,
            session_id=row.id,
            sequence=(last or 0) + 1,
            events_json=events_json,
            size_bytes=size,
            created_at=uow.now(),
        )
    )
    uow.session.flush()
    return True
