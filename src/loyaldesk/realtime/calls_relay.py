"""One party's connection to a call, once identified (``realtime.calls_socket``): the relay between the
agent and the shopper through the broker channel ``call:{session_id}``, so the two may sit on different
server processes.

Broker messages are ``"<kind> <role> <connection>\\n<payload>"``: ``frame`` (a clean client frame for the
other role), ``here`` (presence: ``join``, ``reply`` to a join or a probe, ``leave``), ``state`` (the
session after an action; every connection passes it on and closes when it is over) and ``probe`` (is
anyone still here? ``calls_grace``).

What a connection guarantees: the shopper's rrweb events are cleaned by ``calls.StreamSanitiser`` (one per
shopper connection: it follows that stream's nodes) before they leave this process or reach the
recording; control frames pass only while the session says ``control_allowed``; consent, answers and stop
are the calls actions' (this module never writes a table).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from typing import Any

import anyio
import orjson
from fastapi import WebSocket, WebSocketDisconnect
from starlette.websockets import WebSocketDisconnected, WebSocketState

from loyaldesk import calls
from loyaldesk.kernel.broker import Subscription
from loyaldesk.kernel.errors import DomainError
from loyaldesk.kernel.json_limits import JsonRefused, loads_limited
from loyaldesk.realtime import calls_frames as frames
from loyaldesk.realtime.calls_grace import count_usage, end_if_abandoned, miss_if_unanswered, take_usage
from loyaldesk.realtime.calls_socket import Participant
from loyaldesk.realtime.stream import receive_text_frame
from loyaldesk.runtime import Runtime

log = logging.getLogger("loyaldesk.realtime.calls")

# How long a new connection waits to hear whether the other party is already here.
PRESENCE_WAIT_SECONDS = 0.25
# A recording is stored in chunks: at most this many events, or this often, and a whole page (a full
# snapshot) at once. Only while the session is active (calls.append_recording): what is buffered when the
# other side stops is lost, a second at most.
RECORDING_CHUNK_EVENTS = 500
RECORDING_CHUNK_SECONDS = 1.0
FULL_SNAPSHOT = 2  # rrweb's EventType.FullSnapshot
# Larger rrweb frames are cleaned on a worker thread (a full snapshot takes a while).
CLEAN_IN_THREAD_CHARS = 64 * 1024


def call_channel(session_id: int) -> str:
    """The broker channel of one call's two parties."""
    return f"call:{session_id}"


def other_role(role: str) -> str:
    return "shopper" if role == "agent" else "agent"


def _state_is_open(session: dict[str, Any]) -> bool:
    return session.get("state") in ("requested", "active")


class CallConnection:
    def __init__(self, websocket: WebSocket, runtime: Runtime, participant: Participant, view: Any) -> None:
        self.websocket = websocket
        self.runtime = runtime
        self.me = participant
        self.session: dict[str, Any] = view.as_json()
        self.requested_at = view.requested_at
        self.channel = call_channel(participant.session_id)
        self.connection_id = uuid.uuid4().hex[:12]
        self.peers: set[str] = set()  # the other role's connections we know of
        self.rate = frames.FrameRate()
        self.sanitiser = (
            calls.StreamSanitiser(calls.MaskingPolicy()) if participant.role == "shopper" else None
        )
        self.recording: list[dict[str, Any]] = []
        self.recording_since = time.monotonic()
        self._send_lock = asyncio.Lock()
        self._recording_lock = asyncio.Lock()
        self.closed = False
        self.peer_heard = asyncio.Event()

    # -- the socket ----------------------------------------------------------------------------------

    async def send_text(self, text: str) -> None:
        if self.closed or self.websocket.application_state != WebSocketState.CONNECTED:
            return
        async with self._send_lock:
            try:
                await self.websocket.send_text(text)
            except (RuntimeError, OSError):
                self.closed = True

    async def send(self, frame: dict[str, Any]) -> None:
        await self.send_text(json.dumps(frame, separators=(",", ":")))

    async def close(self, code: int = 1000, reason: str = "the call ended") -> None:
        async with self._send_lock:
            already = self.closed or self.websocket.application_state != WebSocketState.CONNECTED
            self.closed = True
            if not already:
                with contextlib.suppress(RuntimeError, OSError):
                    await self.websocket.close(code, reason)

    def publish(self, kind: str, payload: str) -> None:
        self.runtime.broker.publish(self.channel, f"{kind} {self.me.role} {self.connection_id}\n{payload}")

    # -- the connection's life -------------------------------------------------------------------------

    async def run(self) -> None:
        subscription = await self.runtime.broker.subscribe(self.channel)
        listener = asyncio.create_task(self._listen(subscription), name="call-listen")
        flusher = asyncio.create_task(self._flush_every(), name="call-recording")
        try:
            self.publish("here", "join")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.peer_heard.wait(), PRESENCE_WAIT_SECONDS)
            await self.send(
                {
                    "type": "joined",
                    "role": self.me.role,
                    "session": self.session,
                    "peer_present": bool(self.peers),
                    "ice_servers": calls.ice_servers_for(
                        self.runtime.settings, self.me.session_id, self.runtime.clock.now()
                    ),
                    "ice_transport_policy": calls.ice_transport_policy(self.runtime.settings),
                    **self._media_room(),
                    **self._names(),
                }
            )
            if not _state_is_open(self.session):
                await self.close(1000, "this call is over")
                return
            if self.session.get("kind") != "cobrowse" and self.session.get("state") == "requested":
                miss_if_unanswered(self.runtime, self.me.store_id, self.me.session_id, self.requested_at)
            await self._receive_loop()
        except (WebSocketDisconnect, WebSocketDisconnected):
            pass
        finally:
            self.closed = True
            for task in (listener, flusher):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            await self._flush_recording()
            self.publish("here", "leave")
            with contextlib.suppress(Exception):
                await subscription.close()
            if not self.peers and self.session.get("state") == "active":
                end_if_abandoned(self.runtime, self.me.store_id, self.me.session_id)

    def _media_room(self) -> dict[str, Any]:
        """For a video or voice call: ``media_room``, None when the browsers connect to each other
        (``media_server`` peer), else where this party joins the store's media server
        (``calls.media_room_for``: provider, url, room and, for LiveKit, this party's own token). Nothing
        for co-browsing."""
        if self.session.get("kind") not in ("video", "voice"):
            return {}
        if self.runtime.settings.media_server == "peer":
            return {"media_room": None}
        if self.me.role == "agent":
            actor_id = self.me.actor.id if self.me.actor is not None else None
            identity = f"agent-{actor_id}"
            display_name = self.me.actor.label if self.me.actor is not None else "Support"
        elif self.me.contact_id is not None:
            identity, display_name = f"shopper-{self.me.contact_id}", "Customer"
        else:
            identity, display_name = f"member-{self.me.customer_id}", "Customer"
        room = calls.media_room_for(
            self.runtime.settings,
            session_id=self.me.session_id,
            identity=identity,
            display_name=display_name,
            now=self.runtime.clock.now(),
            room_secret=self.runtime.secret_key,
        )
        found = {"provider": room.adapter, "url": room.url, "room": room.room}
        if room.token is not None:
            found["token"] = room.token
        return {"media_room": found}

    def _names(self) -> dict[str, str]:
        """For the shopper's page: the store's name and the agent's first name (when known)."""
        if self.me.role != "shopper":
            return {}
        found = {"store_name": self.me.store_name, "agent_name": self.me.agent_name}
        return {key: value for key, value in found.items() if value}

    async def _listen(self, subscription: Subscription) -> None:
        while True:
            raw = await subscription.get()
            head, _, payload = raw.partition("\n")
            parts = head.split(" ")
            if len(parts) != 3:
                continue
            kind, role, connection = parts
            if connection == self.connection_id:
                if kind == "state":  # our own action's result reaches us like the peer's
                    await self._state(payload)
                continue
            try:
                await self._on_broker(kind, role, connection, payload)
            except Exception:  # one bad message never ends the connection
                log.warning("a call message could not be handled", exc_info=True)

    async def _on_broker(self, kind: str, role: str, connection: str, payload: str) -> None:
        if kind == "frame" and role != self.me.role:
            await self.send_text(payload)
        elif kind == "here" and role != self.me.role:
            was_present = bool(self.peers)
            if payload == "leave":
                self.peers.discard(connection)
            else:
                self.peers.add(connection)
                if payload == "join":
                    self.publish("here", "reply")  # the newcomer learns we are here
                self.peer_heard.set()
            if bool(self.peers) != was_present:
                await self.send({"type": "peer", "present": bool(self.peers)})
        elif kind == "probe":
            self.publish("here", "reply")
        elif kind == "state":
            await self._state(payload)

    async def _state(self, payload: str) -> None:
        try:
            session = json.loads(payload)
        except ValueError:
            return
        self.session = session
        await self.send({"type": "state", "session": session})
        if not _state_is_open(session):
            await self.close(1000, "the call ended")

    async def _receive_loop(self) -> None:
        while not self.closed:
            raw = await receive_text_frame(self.websocket)
            if raw is None:
                await self.send(frames.FrameRefused("bad_frame", "frames are JSON text").as_frame())
                continue
            try:
                await self._frame(raw)
            except frames.FrameRefused as refused:
                await self.send(refused.as_frame())
            except DomainError as error:
                await self.send({"type": "error", "code": error.code, "message": str(error)})

    async def _frame(self, raw: str) -> None:
        if len(raw) > frames.MAX_RRWEB_FRAME_CHARS:
            raise frames.FrameRefused(
                "too_large", f"a frame may have at most {frames.MAX_RRWEB_FRAME_CHARS} characters"
            )
        if not self.rate.allow():
            raise frames.FrameRefused("rate_limited", "too many frames; slow down")
        try:
            frame = loads_limited(
                raw, max_bytes=frames.MAX_RRWEB_FRAME_CHARS, max_depth=frames.MAX_RRWEB_DEPTH
            )
        except JsonRefused as refused:
            raise frames.FrameRefused("bad_frame", str(refused)) from None
        if not isinstance(frame, dict):
            raise frames.FrameRefused("bad_frame", "frames are JSON objects")
        kind = frame.get("type")
        if len(raw) > frames.cap_for(kind):
            raise frames.FrameRefused(
                "too_large", f"a {kind} frame may have at most {frames.cap_for(kind)} characters"
            )
        if kind in ("ping", "pong"):
            if kind == "ping":
                await self.send({"type": "pong"})
            return
        if kind in frames.AGENT_ONLY and self.me.role != "agent":
            raise frames.FrameRefused("not_allowed", f"only the agent sends {kind}")
        if kind in frames.SHOPPER_ONLY and self.me.role != "shopper":
            raise frames.FrameRefused("not_allowed", f"only the shopper sends {kind}")
        if kind == "rrweb":
            await self._rrweb(frame, len(raw))
        elif kind in frames.AGENT_ONLY:
            await self._agent_frame(frame)
        elif kind == "consent":
            await self._consent(frame)
        elif kind == "answer":
            await self._act(
                calls.answer_session,
                party=self.me.party,
                accept=bool(frame.get("accept")),
                audio_only=bool(frame.get("audio_only")),
                **self.me.action_identity,
            )
        elif kind == "stop":
            await self._stop()
        elif kind in ("signal", "media"):
            if self.session.get("kind") == "cobrowse" or not _state_is_open(self.session):
                raise frames.FrameRefused("not_allowed", f"{kind} frames are for open video and voice calls")
            clean = frames.clean_signal_frame(frame) if kind == "signal" else frames.clean_media_frame(frame)
            self._relay(json.dumps(clean, separators=(",", ":")))
        else:
            raise frames.FrameRefused("bad_frame", f"unknown frame type {kind!r}")

    # -- what each frame does --------------------------------------------------------------------------

    def _relay(self, text: str) -> None:
        count_usage(self.me.session_id, len(text))
        self.publish("frame", text)

    def _cobrowsing(self) -> bool:
        return self.session.get("kind") == "cobrowse" and self.session.get("state") == "active"

    async def _rrweb(self, frame: dict[str, Any], size: int) -> None:
        if not self._cobrowsing():
            raise frames.FrameRefused(
                "not_sharing", "the page is shared only in an active co-browsing session"
            )
        events = frames.rrweb_events(frame)
        sanitiser = self.sanitiser
        assert sanitiser is not None  # shoppers only (checked above)
        try:
            if size > CLEAN_IN_THREAD_CHARS:
                clean = await anyio.to_thread.run_sync(sanitiser.clean, events)
            else:
                clean = sanitiser.clean(events)
        except Exception:  # never relayed unclean: the frame is dropped
            log.warning("a co-browsing frame could not be sanitised", exc_info=True)
            raise frames.FrameRefused("bad_frame", "this part of the page could not be read") from None
        if not clean:
            return
        self._relay(orjson.dumps({"type": "rrweb", "events": clean}).decode())
        if self.session.get("recording_allowed"):
            self.recording.extend(clean)
            if (
                len(self.recording) >= RECORDING_CHUNK_EVENTS
                or time.monotonic() - self.recording_since >= RECORDING_CHUNK_SECONDS
                or any(event.get("type") == FULL_SNAPSHOT for event in clean)
            ):
                await self._flush_recording()

    async def _flush_every(self) -> None:
        """Store what the recording holds every ``RECORDING_CHUNK_SECONDS`` (a page that stops changing)."""
        while True:
            await asyncio.sleep(RECORDING_CHUNK_SECONDS)
            if self.recording:
                await self._flush_recording()

    async def _flush_recording(self) -> None:
        async with self._recording_lock:  # chunks are stored in the order they were cut
            await self._store_chunk()

    async def _store_chunk(self) -> None:
        events, self.recording = self.recording, []
        self.recording_since = time.monotonic()
        if not events:
            return
        try:
            await self.runtime.database.write_async(
                calls.append_recording,
                store_id=self.me.store_id,
                session_id=self.me.session_id,
                events_json=orjson.dumps(events).decode(),
            )
        except Exception:  # the stream goes on; a lost chunk only shortens the recording
            log.warning("a co-browsing recording chunk was not stored", exc_info=True)

    async def _agent_frame(self, frame: dict[str, Any]) -> None:
        if not self._cobrowsing():
            raise frames.FrameRefused("not_sharing", "the shopper is not sharing their page")
        clean = frames.clean_agent_frame(frame)
        if clean["type"] == "control" and not self.session.get("control_allowed"):
            raise frames.FrameRefused(
                "control_not_allowed", "the shopper has not let you click or type for them"
            )
        self._relay(json.dumps(clean, separators=(",", ":")))

    async def _consent(self, frame: dict[str, Any]) -> None:
        mode = frame.get("mode")
        granted = frame.get("granted")
        if mode not in ("view", "control") or not isinstance(granted, bool):
            raise frames.FrameRefused(
                "bad_frame", "consent needs mode (view or control) and granted (true or false)"
            )
        if mode == "view":
            await self._act(
                calls.answer_session,
                party=self.me.party,
                accept=granted,
                recording_allowed=bool(frame.get("keep_recording")),
                **self.me.action_identity,
            )
        else:
            await self._act(calls.set_control, allowed=granted, **self.me.action_identity)

    async def _stop(self) -> None:
        await self._flush_recording()  # while the session is still active
        bytes_relayed, frames_relayed = take_usage(self.me.session_id)
        usage = calls.RelayUsage(bytes_relayed=bytes_relayed, frames_relayed=frames_relayed)
        await self._act(calls.end_session, party=self.me.party, usage=usage, **self.me.action_identity)

    async def _act(self, action: Any, **arguments: Any) -> None:
        """Run one calls action for this party and announce the session it leaves to both sides."""
        identity = {key: value for key, value in arguments.items() if value is not None or key == "actor"}
        if self.me.role == "agent":
            identity.pop("contact_id", None)
            identity.pop("customer_id", None)
        else:
            identity.pop("actor", None)
        view = await self.runtime.database.write_async(
            action, store_id=self.me.store_id, session_id=self.me.session_id, **identity
        )
        self.publish("state", json.dumps(view.as_json(), separators=(",", ":")))
