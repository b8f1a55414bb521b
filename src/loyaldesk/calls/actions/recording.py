"""Keeping a co-browsing recording, only with the shopper's consent."""

from __future__ import annotations

from loyaldesk.kernel.db import UnitOfWork

# A chunk larger than this is refused (the gateway batches rrweb events well below it).
MAX_CHUNK_BYTES = 2_000_000


def append_recording(uow: UnitOfWork, *, store_id: int, session_id: int, events_json: str) -> bool:
    """Keep one chunk of (already server-sanitised) rrweb events of an ``active`` ``COBROWSE`` session, next
    in its sequence, only when the shopper allowed recording (``recording_allowed``); returns whether it
    was kept (``False``: not allowed, not co-browsing, not active, or empty). No event (the gateway calls
    it for every batch).

    Refusals: ``NotFound`` (no such session in the store), ``Invalid`` (``events_json`` larger than
    ``MAX_CHUNK_BYTES`` or not a JSON array)."""
    raise NotImplementedError
