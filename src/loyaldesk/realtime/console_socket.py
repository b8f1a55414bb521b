"""The agent console's WebSocket: ``/ws/console/{store_slug}``.

Authenticated by the console's session cookie; refused unless the page that opens it is loyaldesk's own
(the ``Origin`` header names this server) and the staff member may view the store's conversations.
While it is open the agent counts as connected (online unless they chose "away"), and routing may give
them conversations.

Protocol: the client may first send ``{"type": "resume", "last_event_id": n}`` (within a second of
connecting; otherwise it starts from now); the server answers ``{"type": "ready", "last_event_id"}``
(``"reset": true`` when too much was missed: reload the inbox), replays, then streams every support event
of the store (``conversation.*``, ``csat.*``, ``agent.*``, ``sla.*``) and ephemeral ``typing`` frames.
Client frames: ``typing`` {conversation_id, typing}, ``presence`` {presence: online|away}, ``ping``.

The socket follows its staff member's access: it closes with 4401 ("log in again") when its session
ends (logout, a password change or reset, expiry), with 4403 when the person no longer works for the
store or their role may not see conversations, and with 4000 (reconnect) when their role changed. It
re-checks at once when an action announces a change on the person's access channel (through the
broker, so from any process) and every ``LOYALDESK_CONSOLE_SOCKET_RECHECK_SECONDS`` in any case.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any
from urllib.parse import urlsplit

import anyio
from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from starlette.websockets import WebSocketDisconnected

from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.broker import Subscription
from loyaldesk.kernel.errors import DomainError
from loyaldesk.kernel.json_limits import JsonRefused, loads_limited
from loyaldesk.realtime.channels import conversation_channel, is_console_event
from loyaldesk.realtime.stream import EventStream, backlog, latest_event_id, receive_text_frame
from loyaldesk.runtime import Runtime, store_events_channel
from loyaldesk.stores import ConsoleSession, Permission, StoreAccess, staff_access_channel
from loyaldesk.stores import queries as store_queries
from loyaldesk.support import Conversation
from loyaldesk.support.actions import routing

router = APIRouter()
log = logging.getLogger("loyaldesk.realtime.console")

RESUME_WAIT_SECONDS = 1.0
MAX_FRAME_BYTES = 64 * 1024
MAX_FRAME_DEPTH = 8
BINARY_FRAME_ERROR = {"type": "error", "code": "bad_frame", "message": "frames are JSON text"}


DEFAULT_PORTS = {"http": 80, "https": 443}
# Close codes the console's script understands (``inbox.js``).
SESSION_ENDED = (4401, "your session ended; log in again")
NOT_A_MEMBER = (4403, "you no longer work for this store")
ROLE_MAY_NOT_SEE = (4403, "your role may not see conversations")
ROLE_CHANGED = (4000, "your role changed; reconnecting")


def _origin_tuple(scheme: str, host: str | None, port: int | None) -> tuple[str, str, int] | None:
    if scheme not in DEFAULT_PORTS or not host:
        return None
    return scheme, host.lower().rstrip("."), port or DEFAULT_PORTS[scheme]


def parse_origin(value: str) -> tuple[str, str, int] | None:
    """``(scheme, host, port)`` of an ``Origin`` header (``https://shop.example:8443``), else None."""
    try:
        parts = urlsplit(value.strip())
        if parts.path or parts.query or parts.fragment or parts.username or parts.password:
            return None
        return _origin_tuple(parts.scheme.lower(), parts.hostname, parts.port)
    except ValueError:
        return None


def served_origin(websocket: WebSocket) -> tuple[str, str, int] | None:
    """The origin of the address this socket was opened at: its scheme (ws: http, wss: https; a proxy's
    ``X-Forwarded-Proto`` applies when uvicorn trusts it) and its ``Host`` header."""
    host = websocket.headers.get("host")
    if not host:
        return None
    scheme = {"ws": "http", "wss": "https"}.get(websocket.url.scheme, websocket.url.scheme)
    try:
        parts = urlsplit(f"//{host}")
        return _origin_tuple(scheme, parts.hostname, parts.port)
    except ValueError:
        return None


def same_origin(websocket: WebSocket, public_base_url: str | None = None) -> bool:
    """Whether the page that opened the socket was served by this server (no cross-site hijacking).

    The ``Origin`` must equal, in scheme, host and port, either the address the socket was opened at or
    the install's public address (``LOYALDESK_PUBLIC_BASE_URL``, for a proxy that hides the scheme).
    Exact comparison: no prefix, suffix or substring of another site passes."""
    origin = parse_origin(websocket.headers.get("origin") or "")
    if origin is None:
        return False
    allowed = {served_origin(websocket)}
    if public_base_url:
        allowed.add(parse_origin(public_base_url.rstrip("/")))
    return origin in allowed - {None}


def _who(runtime: Runtime, token: Any, store_slug: str) -> tuple[ConsoleSession, StoreAccess] | None:
    if not isinstance(token, str) or not token:
        return None
    with runtime.database.read() as session:
        login = store_queries.console_session(session, token, runtime.clock.now())
        if login is None:
            return None
        try:
            access = store_queries.access_store(session, login.account.id, store_slug)
        except DomainError:
            return None
    return login, access


def _recheck(runtime: Runtime, token: str, store_slug: str, role: str) -> tuple[int, str] | None:
    """Why an open socket must close now (a close code and reason), or None while its access holds."""
    with runtime.database.read() as session:
        login = store_queries.console_session(session, token, runtime.clock.now())
        if login is None:
            return SESSION_ENDED
        try:
            access = store_queries.access_store(session, login.account.id, store_slug)
        except DomainError:
            return NOT_A_MEMBER
    if not access.can(Permission.VIEW_CONVERSATIONS):
        return ROLE_MAY_NOT_SEE
    if access.role != role:
        return ROLE_CHANGED
    return None


@router.websocket("/ws/console/{store_slug}")
async def console_socket(websocket: WebSocket, store_slug: str) -> None:
    runtime: Runtime = websocket.app.state.runtime
    if not same_origin(websocket, runtime.settings.public_base_url):
        await websocket.close(4403, "open the console from loyaldesk itself")
        return
    token = websocket.session.get("sid") if "session" in websocket.scope else None
    who = await anyio.to_thread.run_sync(_who, runtime, token, store_slug)
    if who is None:
        await websocket.close(4401, "please log in")
        return
    login, access = who
    if not access.can(Permission.VIEW_CONVERSATIONS):
        await websocket.close(4403, "your role may not see conversations")
        return
    await websocket.accept()
    ip = websocket.client.host if websocket.client else None
    await ConsoleConnection(
        websocket,
        runtime,
        access.actor_for(login.account, ip),
        access,
        token=str(token),
        store_slug=store_slug,
    ).run()


class ConsoleConnection:
    def __init__(
        self,
        websocket: WebSocket,
        runtime: Runtime,
        actor: Actor,
        access: StoreAccess,
        *,
        token: str,
        store_slug: str,
    ):
        self.websocket = websocket
        self.runtime = runtime
        self.actor = actor
        self.store_id: int = access.store.id
        self.staff_id: int = actor.id or 0
        self.role = access.role
        self.answers = access.can(Permission.ANSWER_CONVERSATIONS)
        self.token = token
        self.store_slug = store_slug
        # Gated: the client's first frame is "ready", even if our own presence change is announced first.
        self.stream = EventStream(websocket, runtime.broker, self._accept, gated=True)

    def _accept(self, message: dict[str, Any]) -> bool:
        return message.get("store_id") == self.store_id and is_console_event(message.get("type", ""))

    async def run(self) -> None:
        connected = False
        notices = await self.runtime.broker.subscribe(staff_access_channel(self.staff_id))
        guard: asyncio.Task[None] | None = None
        try:
            # Subscribed before this first re-check: a change committed since the socket was authorised
            # is either seen by the check or announced to the subscription.
            if await self._closed_by_recheck():
                return
            guard = asyncio.create_task(self._follow_access(notices), name="console-access")
            await self.stream.watch(store_events_channel(self.store_id))
            resume_from = await self._resume_request()
            if self.answers:  # online before "ready", so a client that saw "ready" is routed chats
                await self.runtime.database.write_async(
                    routing.agent_connected, self.store_id, self.staff_id, delta=1
                )
                connected = True
            await self._ready(resume_from)
            self.stream.open_gate()
            self.stream.start_heartbeat()
            receiving = asyncio.create_task(self._receive_loop(), name="console-receive")
            try:
                # Whichever ends first: the client leaving, or the guard closing the socket.
                await asyncio.wait({receiving, guard}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                receiving.cancel()
                # RuntimeError: starlette's "not connected" once the guard has closed the socket.
                with contextlib.suppress(
                    asyncio.CancelledError, WebSocketDisconnect, WebSocketDisconnected, RuntimeError
                ):
                    await receiving
        except (WebSocketDisconnect, WebSocketDisconnected):  # the client left, or the server closed it
            pass
        finally:
            if guard is not None:
                guard.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await guard
            with contextlib.suppress(Exception):
                await notices.close()
            await self.stream.close()
            if connected:
                with contextlib.suppress(Exception):
                    await self.runtime.database.write_async(
                        routing.agent_connected, self.store_id, self.staff_id, delta=-1
                    )

    async def _closed_by_recheck(self) -> bool:
        """Re-check the session and access; close the socket (and say True) when they no longer hold."""
        verdict = await anyio.to_thread.run_sync(
            _recheck, self.runtime, self.token, self.store_slug, self.role
        )
        if verdict is None:
            return False
        await self.stream.end(*verdict)
        return True

    async def _follow_access(self, notices: Subscription) -> None:
        """Re-check when the person's access is announced to have changed, and periodically anyway
        (a session also ends by expiring, and a notice can be lost)."""
        every = self.runtime.settings.console_socket_recheck_seconds
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(notices.get(), every)
            try:
                if await self._closed_by_recheck():
                    return
            except Exception:  # the database is away for a moment: try again at the next tick
                log.warning("re-checking a console socket's access failed", exc_info=True)

    async def _resume_request(self) -> int | None:
        try:
            raw = await asyncio.wait_for(receive_text_frame(self.websocket), RESUME_WAIT_SECONDS)
        except TimeoutError:
            return None
        try:
            frame = loads_limited(raw or "", max_bytes=MAX_FRAME_BYTES, max_depth=MAX_FRAME_DEPTH)
        except JsonRefused:
            return None
        if isinstance(frame, dict) and frame.get("type") == "resume":
            last = frame.get("last_event_id")
            return last if isinstance(last, int) and last >= 0 else None
        return None

    async def _ready(self, resume_from: int | None) -> None:
        database = self.runtime.database

        def head() -> int:
            with database.read() as session:
                return latest_event_id(session, self.store_id)

        if resume_from is None:
            self.stream.floor = await anyio.to_thread.run_sync(head)
            await self.stream.send({"type": "ready", "last_event_id": self.stream.floor})
            return
        missed = await anyio.to_thread.run_sync(lambda: backlog(database, self.store_id, resume_from))
        if missed is None:
            self.stream.floor = await anyio.to_thread.run_sync(head)
            await self.stream.send({"type": "ready", "last_event_id": self.stream.floor, "reset": True})
            return
        self.stream.floor = resume_from
        await self.stream.send({"type": "ready", "last_event_id": resume_from})
        for message in missed:
            await self.stream.send_event(message)

    async def _receive_loop(self) -> None:
        while True:
            raw = await receive_text_frame(self.websocket)
            if raw is None:
                await self.stream.send(
                    {"type": "error", "code": "bad_frame", "message": "frames are JSON text"}
                )
                continue
            try:
                frame = loads_limited(raw, max_bytes=MAX_FRAME_BYTES, max_depth=MAX_FRAME_DEPTH)
            except JsonRefused as refused:
                await self.stream.send({"type": "error", "code": "bad_frame", "message": str(refused)})
                continue
            if not isinstance(frame, dict):
                continue
            kind = frame.get("type")
            try:
                if kind == "typing":
                    await self._typing(frame)
                elif kind == "presence":
                    presence = await self.runtime.database.write_async(
                        routing.choose_presence, self.actor, self.store_id, str(frame.get("presence"))
                    )
                    await self.stream.send({"type": "presence", "presence": presence})
                elif kind == "ping":
                    await self.stream.send({"type": "pong"})
            except DomainError as error:
                await self.stream.send({"type": "error", "for": kind, "message": str(error)})

    async def _typing(self, frame: dict[str, Any]) -> None:
        conversation_id = frame.get("conversation_id")
        if not self.answers or not isinstance(conversation_id, int):
            return

        def owned() -> bool:
            with self.runtime.database.read() as session:
                conversation = session.get(Conversation, conversation_id)
                return conversation is not None and conversation.store_id == self.store_id

        if not await anyio.to_thread.run_sync(owned):
            return
        typing = bool(frame.get("typing"))
        ephemeral = {"type": "typing", "conversation_id": conversation_id, "who": "agent", "typing": typing}
        self.runtime.broker.publish(conversation_channel(conversation_id), json.dumps(ephemeral))
        self.runtime.broker.publish(
            store_events_channel(self.store_id), json.dumps({**ephemeral, "staff_id": self.staff_id})
        )
