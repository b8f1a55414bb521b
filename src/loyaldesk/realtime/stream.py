"""One client's live stream: broker subscriptions merged into one WebSocket, resumable by event id.

Contract: ``EventStream`` subscribes *before* the caller replays the backlog from the event log, and
never sends an event whose id it has sent already, so replay plus live stream deliver every event once,
in id order per channel. Ephemeral frames (typing) have no id and are never replayed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from loyaldesk.kernel.broker import Broker, Subscription
from loyaldesk.kernel.db import Database
from loyaldesk.kernel.events import EventRecord

log = logging.getLogger("loyaldesk.realtime")

HEARTBEAT_SECONDS = 20.0
REPLAY_LIMIT = 1000
# How many sent event ids a stream remembers above its floor (late events from another process, whose
# ids commit out of order, are still recognised within this window).
SENT_WINDOW = 5000

EventFilter = Callable[[dict[str, Any]], bool]

# Broker messages decoded once for every stream that receives them (a store event reaches the agents'
# consoles and the customer's widget): raw text -> (message, the client frame's text or None for a
# frame without an id). Read-only for everyone; cleared when full (it only saves work).
_DECODED: dict[str, tuple[dict[str, Any], str | None]] = {}
_DECODED_LIMIT = 2048


def decoded(raw: str) -> tuple[dict[str, Any], str | None] | None:
    """The broker message ``raw`` as a dict and, for a stored event, its client frame as JSON text (both
    shared: never change them); None when ``raw`` is not a JSON object."""
    found = _DECODED.get(raw)
    if found is None:
        try:
            message = json.loads(raw)
        except ValueError:
            return None
        if not isinstance(message, dict):
            return None
        text = (
            json.dumps(event_frame(message), separators=(",", ":")) if message.get("id") is not None else None
        )
        if len(_DECODED) >= _DECODED_LIMIT:
            _DECODED.clear()
        found = _DECODED[raw] = (message, text)
    return found


def event_frame(message: dict[str, Any]) -> dict[str, Any]:
    """The frame a client receives for a stored event (``StoredEvent.as_message`` shape)."""
    subject = message.get("subject") or {}
    return {
        "type": "event",
        "id": message["id"],
        "event": message["type"],
        "conversation_id": subject.get("id") if subject.get("type") == "conversation" else None,
        "occurred_at": message.get("occurred_at"),
        "data": message.get("data") or {},
    }


class EventStream:
    def __init__(
        self, websocket: WebSocket, broker: Broker, accept: EventFilter, *, gated: bool = False
    ) -> None:
        """``gated``: hold live events until ``open_gate()`` (after the first frame, say ``ready``)."""
        self.websocket = websocket
        self.broker = broker
        self.accept = accept
        # Every event id at or below ``floor`` counts as sent; above it, ``sent`` remembers which were.
        self.floor = 0
        self.sent: set[int] = set()
        self._subscriptions: dict[str, Subscription] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._send_lock = asyncio.Lock()
        self._gate = asyncio.Event()
        if not gated:
            self._gate.set()
        self.closed = False

    def open_gate(self) -> None:
        """Let held and later live events through (they are still de-duplicated against the replay)."""
        self._gate.set()

    async def send(self, frame: dict[str, Any]) -> None:
        await self.send_text(json.dumps(frame, separators=(",", ":")))

    async def send_text(self, text: str) -> None:
        """Send a frame already serialised (one serialisation shared by every recipient)."""
        if self.closed or self.websocket.application_state != WebSocketState.CONNECTED:
            return
        async with self._send_lock:
            try:
                await self.websocket.send_text(text)
            except (RuntimeError, OSError):  # closed under us (starlette's WebSocketDisconnected is one)
                self.closed = True

    async def end(self, code: int, reason: str) -> None:
        """Close the socket with ``code`` and ``reason``; nothing is sent after it (a frame being sent
        finishes first)."""
        async with self._send_lock:
            already = self.closed or self.websocket.application_state != WebSocketState.CONNECTED
            self.closed = True
            if not already:
                with contextlib.suppress(RuntimeError, OSError):
                    await self.websocket.close(code, reason)

    async def send_event(self, message: dict[str, Any], text: str | None = None) -> None:
        """Send a stored event unless already sent or not for this client (``text``: its frame, already
        serialised)."""
        event_id = message.get("id")
        if event_id is not None:
            if event_id <= self.floor or event_id in self.sent or not self.accept(message):
                return
            self.sent.add(event_id)
            if len(self.sent) > SENT_WINDOW * 2:
                # Forget the older half: an event older than the last SENT_WINDOW sent ones is very late.
                kept = sorted(self.sent)[-SENT_WINDOW:]
                self.floor = kept[0] - 1
                self.sent = set(kept)
        if text is not None:
            await self.send_text(text)
        else:
            await self.send(event_frame(message) if event_id is not None else message)

    async def watch(self, channel: str) -> None:
        """Start forwarding ``channel`` (idempotent)."""
        if channel in self._subscriptions or self.closed:
            return
        subscription = await self.broker.subscribe(channel)
        self._subscriptions[channel] = subscription
        self._tasks.append(asyncio.create_task(self._forward(subscription), name=f"ws-forward {channel}"))

    async def _forward(self, subscription: Subscription) -> None:
        try:
            while True:
                raw = await subscription.get()
                await self._gate.wait()
                found = decoded(raw)
                if found is not None:
                    await self.send_event(*found)
        except asyncio.CancelledError:
            raise
        except Exception:  # a closed socket ends the forwarder; the receive loop notices too
            log.debug("forwarding stopped", exc_info=True)

    def start_heartbeat(self) -> None:
        async def beat() -> None:
            while True:
                await asyncio.sleep(HEARTBEAT_SECONDS)
                await self.send({"type": "ping"})

        self._tasks.append(asyncio.create_task(beat(), name="ws-heartbeat"))

    async def close(self) -> None:
        self.closed = True
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for subscription in self._subscriptions.values():
            with contextlib.suppress(Exception):
                await subscription.close()
        self._subscriptions.clear()


def latest_event_id(session: Session, store_id: int) -> int:
    """The id of the store's latest stored event (0: none yet)."""
    found = session.scalar(
        select(EventRecord.id)
        .where(EventRecord.store_id == store_id)
        .order_by(EventRecord.id.desc())
        .limit(1)
    )
    return int(found or 0)


def backlog(
    database: Database,
    store_id: int,
    after_id: int,
    *,
    conversation_ids: list[int] | None = None,
    limit: int = REPLAY_LIMIT,
) -> list[dict[str, Any]] | None:
    """Stored events of the store after ``after_id`` (only those conversations' when given), oldest first,
    as broker messages; None when more than ``limit`` were missed (the client should reload instead)."""
    from loyaldesk.kernel.events import StoredEvent

    query = select(EventRecord).where(EventRecord.store_id == store_id, EventRecord.id > after_id)
    if conversation_ids is not None:
        if not conversation_ids:
            return []
        query = query.where(
            EventRecord.subject_type == "conversation", EventRecord.subject_id.in_(conversation_ids)
        )
    with database.read() as session:
        records = list(session.scalars(query.order_by(EventRecord.id).limit(limit + 1)))
        if len(records) > limit:
            return None
        return [StoredEvent.from_record(record).as_message() for record in records]


async def receive_text_frame(websocket: WebSocket) -> str | None:
    """The next frame's text, or None for a binary frame (the protocols speak JSON text; Starlette's
    ``receive_text`` would raise KeyError on one). ``WebSocketDisconnect`` when the client left."""
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000), message.get("reason"))
    text = message.get("text")
    return text if isinstance(text, str) else None
