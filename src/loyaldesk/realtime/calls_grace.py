"""Ending calls nobody is in any more, and what this process relayed for each call.

A ringing video or voice call nobody answers within ``RING_SECONDS`` is missed (``miss_if_unanswered``).
When the last connection this process knows of leaves an active call, ``end_if_abandoned`` waits
``ABANDONED_GRACE_SECONDS`` (a shopper moving to the store's next page reconnects well within it), then
asks the call's broker channel whether anyone is still here, from any process; if nobody answers within
``PROBE_WAIT_SECONDS`` the session is ended by the system with the usage this process counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from datetime import datetime
from typing import Any

import anyio

from loyaldesk import calls
from loyaldesk.runtime import Runtime

log = logging.getLogger("loyaldesk.realtime.calls")

# Not a setting: the tests shorten it (``calls_grace.ABANDONED_GRACE_SECONDS = 0.2``).
ABANDONED_GRACE_SECONDS = 30.0
# A video or voice call nobody answered within this long is missed (ended by the system).
RING_SECONDS = 60.0
PROBE_WAIT_SECONDS = 0.5

# session id -> [bytes, frames] relayed by this process (handed to end_session once).
_usage: dict[int, list[int]] = {}
_timers: set[asyncio.Task[None]] = set()
_ringing: set[int] = set()  # sessions whose ring this process times


def count_usage(session_id: int, size: int) -> None:
    """Count one relayed frame of ``size`` characters for the session."""
    counted = _usage.setdefault(session_id, [0, 0])
    counted[0] += size
    counted[1] += 1


def take_usage(session_id: int) -> tuple[int, int]:
    """(bytes, frames) relayed for the session by this process, forgotten once taken."""
    bytes_relayed, frames_relayed = _usage.pop(session_id, [0, 0])
    return bytes_relayed, frames_relayed


def end_if_abandoned(runtime: Runtime, store_id: int, session_id: int) -> None:
    """Start the grace timer of a call its last local connection left (returns at once)."""
    task = asyncio.create_task(
        _end_if_abandoned(runtime, store_id, session_id), name=f"call-grace {session_id}"
    )
    _timers.add(task)
    task.add_done_callback(_timers.discard)


def miss_if_unanswered(runtime: Runtime, store_id: int, session_id: int, requested_at: datetime) -> None:
    """Time a ringing video or voice call: still unanswered ``RING_SECONDS`` after it was asked, it is
    ended by the system (``missed``) and both sides are told. Once per session per process."""
    if session_id in _ringing:
        return
    _ringing.add(session_id)
    wait = RING_SECONDS - (runtime.clock.now() - requested_at).total_seconds()
    task = asyncio.create_task(
        _miss(runtime, store_id, session_id, max(0.0, wait)), name=f"call-ring {session_id}"
    )
    _timers.add(task)
    task.add_done_callback(_timers.discard)


async def _miss(runtime: Runtime, store_id: int, session_id: int, wait: float) -> None:
    from loyaldesk.realtime.calls_relay import call_channel

    try:
        await asyncio.sleep(wait)

        def still_ringing() -> bool:
            with runtime.database.read() as session:
                view = calls.session_view(session, store_id, session_id)
                return bool(view.state == calls.CallState.REQUESTED)

        if not await anyio.to_thread.run_sync(still_ringing):
            return
        view: Any = await runtime.database.write_async(
            calls.end_session, store_id=store_id, session_id=session_id, party=calls.CallParty.SYSTEM
        )
        runtime.broker.publish(call_channel(session_id), "state system ring\n" + json.dumps(view.as_json()))
    except asyncio.CancelledError:
        raise
    except Exception:
        log.warning("ending an unanswered call failed", exc_info=True)
    finally:
        _ringing.discard(session_id)


async def _anyone_here(runtime: Runtime, channel: str) -> bool:
    subscription = await runtime.broker.subscribe(channel)
    try:
        runtime.broker.publish(channel, "probe system grace\n")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + PROBE_WAIT_SECONDS
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            try:
                raw = await asyncio.wait_for(subscription.get(), remaining)
            except TimeoutError:
                return False
            head, _, payload = raw.partition("\n")
            if head.startswith("here ") and payload in ("join", "reply"):
                return True
    finally:
        with contextlib.suppress(Exception):
            await subscription.close()


async def _end_if_abandoned(runtime: Runtime, store_id: int, session_id: int) -> None:
    from loyaldesk.realtime.calls_relay import call_channel

    try:
        await asyncio.sleep(ABANDONED_GRACE_SECONDS)
        channel = call_channel(session_id)
        if await _anyone_here(runtime, channel):
            return

        def still_active() -> bool:
            with runtime.database.read() as session:
                view = calls.session_view(session, store_id, session_id)
                return bool(view.state == calls.CallState.ACTIVE)

        if not await anyio.to_thread.run_sync(still_active):
            return
        bytes_relayed, frames_relayed = take_usage(session_id)
        view: Any = await runtime.database.write_async(
            calls.end_session,
            store_id=store_id,
            session_id=session_id,
            party=calls.CallParty.SYSTEM,
            usage=calls.RelayUsage(bytes_relayed=bytes_relayed, frames_relayed=frames_relayed),
        )
        runtime.broker.publish(channel, "state system grace\n" + json.dumps(view.as_json()))
    except asyncio.CancelledError:
        raise
    except Exception:
        log.warning("ending an abandoned call failed", exc_info=True)
