"""Publish/subscribe between processes: one interface, an in-memory and a Redis implementation.

The broker carries realtime fan-out only (a chat message to the agents watching). Durable facts live in
the database; a message lost by the broker is recovered by a client resuming from its last event id.

Contract: ``publish(channel, message)`` is fire-and-forget and may be called from any thread;
``subscribe(channel)`` returns a ``Subscription`` whose ``get()`` yields messages published after it was
made, in publish order per publisher; ``close()`` ends it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections import defaultdict
from typing import Protocol

log = logging.getLogger("loyaldesk.broker")


class Subscription(Protocol):
    async def get(self) -> str:
        """The next message; waits until one arrives."""
        ...

    async def close(self) -> None: ...


class Broker(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    def publish(self, channel: str, message: str) -> None:
        """Send ``message`` to every current subscriber of ``channel``. Thread-safe; never blocks."""
        ...

    async def subscribe(self, channel: str) -> Subscription: ...


class _QueueSubscription:
    def __init__(self, broker: MemoryBroker, channel: str, maxsize: int) -> None:
        self._broker = broker
        self.channel = channel
        self.queue: asyncio.Queue[str] = asyncio.Queue(maxsize=maxsize)
        self.loop = asyncio.get_running_loop()

    async def get(self) -> str:
        return await self.queue.get()

    def deliver(self, message: str) -> None:
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            # A stalled consumer must not hold up everyone else; it resumes from the event log.
            log.warning("subscriber on %s is not keeping up; dropping a message", self.channel)

    async def close(self) -> None:
        self._broker._remove(self)


class MemoryBroker:
    """Fan-out inside one process. The default when no Redis URL is configured."""

    def __init__(self, *, subscriber_queue_size: int = 10_000) -> None:
        self._subscribers: dict[str, set[_QueueSubscription]] = defaultdict(set)
        self._lock = threading.Lock()
        self._queue_size = subscriber_queue_size

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        with self._lock:
            self._subscribers.clear()

    def publish(self, channel: str, message: str) -> None:
        with self._lock:
            targets = list(self._subscribers.get(channel, ()))
        for subscription in targets:
            try:
                running = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            if running is subscription.loop:
                subscription.deliver(message)
            else:
                subscription.loop.call_soon_threadsafe(subscription.deliver, message)

    async def subscribe(self, channel: str) -> Subscription:
        subscription = _QueueSubscription(self, channel, self._queue_size)
        with self._lock:
            self._subscribers[channel].add(subscription)
        return subscription

    def _remove(self, subscription: _QueueSubscription) -> None:
        with self._lock:
            subscribers = self._subscribers.get(subscription.channel)
            if subscribers is not None:
                subscribers.discard(subscription)
                if not subscribers:
                    del self._subscribers[subscription.channel]


class RedisBroker:
    """Fan-out across processes through Redis pub/sub.

    Publishing goes through one connection that pipelines whatever is waiting (redis-py's pool ran out
    of connections under 200 concurrent publishes here). Each process keeps one subscriber connection
    and fans messages out to its local subscribers through a ``MemoryBroker``.

    Redis pub/sub ignores database numbers, so two installs sharing one Redis server on different
    databases would hear each other's ``store:1:...`` events. Channels in Redis therefore carry the
    URL's database number as a prefix (``db3:store:1:events``); subscribers see the plain names.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self._prefix = f"db{redis_database_number(url)}:"
        self._local = MemoryBroker()
        self._outbox: asyncio.Queue[tuple[str, str]] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._channel_counts: dict[str, int] = defaultdict(int)
        self._pubsub_ready = asyncio.Event()

    async def start(self) -> None:
        import redis.asyncio as aioredis

        self._loop = asyncio.get_running_loop()
        self._outbox = asyncio.Queue()
        self._publisher = aioredis.Redis.from_url(self.url, single_connection_client=True)
        self._subscriber = aioredis.Redis.from_url(self.url, single_connection_client=True)
        self._pubsub = self._subscriber.pubsub(ignore_subscribe_messages=True)
        await self._publisher.ping()
        self._tasks = [
            asyncio.create_task(self._publish_loop(), name="redis-broker-publish"),
            asyncio.create_task(self._listen_loop(), name="redis-broker-listen"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []
        with contextlib.suppress(Exception):
            await self._pubsub.aclose()
        with contextlib.suppress(Exception):
            await self._subscriber.aclose()
        with contextlib.suppress(Exception):
            await self._publisher.aclose()

    def publish(self, channel: str, message: str) -> None:
        if self._loop is None or self._outbox is None:
            raise RuntimeError("RedisBroker.publish before start()")
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self._loop:
            self._outbox.put_nowait((channel, message))
        else:
            self._loop.call_soon_threadsafe(self._outbox.put_nowait, (channel, message))

    async def subscribe(self, channel: str) -> Subscription:
        subscription = await self._local.subscribe(channel)
        self._channel_counts[channel] += 1
        if self._channel_counts[channel] == 1:
            await self._pubsub.subscribe(self._prefix + channel)
            self._pubsub_ready.set()
        return _RedisSubscription(self, channel, subscription)

    async def _unsubscribe(self, channel: str) -> None:
        self._channel_counts[channel] -= 1
        if self._channel_counts[channel] <= 0:
            del self._channel_counts[channel]
            with contextlib.suppress(Exception):
                await self._pubsub.unsubscribe(self._prefix + channel)

    async def _publish_loop(self) -> None:
        assert self._outbox is not None
        while True:
            channel, message = await self._outbox.get()
            pending = [(channel, message)]
            while not self._outbox.empty() and len(pending) < 1000:
                pending.append(self._outbox.get_nowait())
            try:
                async with self._publisher.pipeline(transaction=False) as pipe:
                    for item_channel, item_message in pending:
                        pipe.publish(self._prefix + item_channel, item_message)
                    await pipe.execute()
            except Exception:
                log.exception("publishing %d messages to Redis failed", len(pending))

    async def _listen_loop(self) -> None:
        while True:
            await self._pubsub_ready.wait()
            try:
                message = await self._pubsub.get_message(timeout=1.0)
            except Exception:
                log.exception("reading from Redis failed; retrying")
                await asyncio.sleep(0.5)
                continue
            if message is None or message.get("type") != "message":
                continue
            channel = message["channel"].decode().removeprefix(self._prefix)
            data = message["data"]
            self._local.publish(channel, data.decode() if isinstance(data, bytes) else str(data))


class _RedisSubscription:
    def __init__(self, broker: RedisBroker, channel: str, inner: Subscription) -> None:
        self._broker = broker
        self._channel = channel
        self._inner = inner

    async def get(self) -> str:
        return await self._inner.get()

    async def close(self) -> None:
        await self._inner.close()
        await self._broker._unsubscribe(self._channel)


def redis_database_number(url: str) -> int:
    """The database number a Redis URL names (``redis://host:6379/3`` or ``?db=3``); 0 when it names none."""
    from redis.connection import parse_url

    return int(parse_url(url).get("db", 0) or 0)


def broker_for(redis_url: str | None) -> Broker:
    """The broker the settings ask for: Redis when a URL is given, else in-memory."""
    if redis_url:
        return RedisBroker(redis_url)
    return MemoryBroker()
