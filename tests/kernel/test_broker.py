"""The broker interface: in-memory and Redis behave alike; events reach subscribers after commit."""

from __future__ import annotations

import asyncio
import json

import pytest

from loyaldesk.kernel.broker import Broker, MemoryBroker, RedisBroker
from tests.conftest import REDIS_URL

BROKERS = ["memory"] + (["redis"] if REDIS_URL else [])


def _broker(kind: str) -> Broker:
    return MemoryBroker() if kind == "memory" else RedisBroker(REDIS_URL or "")


@pytest.mark.parametrize("kind", BROKERS)
def test_subscribers_get_messages_in_order_and_only_their_channel(kind: str) -> None:
    async def scenario() -> None:
        first, second = _broker(kind), _broker(kind)  # two "processes"
        await first.start()
        await second.start()
        try:
            on_second = await second.subscribe("store:1:events")
            other = await second.subscribe("store:2:events")
            await asyncio.sleep(0.05)
            for n in range(50):
                first.publish("store:1:events", json.dumps({"n": n}))
            received = [json.loads(await asyncio.wait_for(on_second.get(), 5))["n"] for _ in range(50)]
            assert received == list(range(50))
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(other.get(), 0.2)
            await on_second.close()
            await other.close()
        finally:
            await first.stop()
            await second.stop()

    if kind == "memory":
        # In memory, both "processes" are one: share the instance.
        async def shared() -> None:
            broker = MemoryBroker()
            await broker.start()
            sub = await broker.subscribe("c")
            broker.publish("c", "hello")
            assert await asyncio.wait_for(sub.get(), 1) == "hello"
            await sub.close()

        asyncio.run(shared())
    else:
        asyncio.run(scenario())


@pytest.mark.parametrize("kind", BROKERS)
def test_publishing_from_another_thread_is_safe(kind: str) -> None:
    async def scenario() -> None:
        broker = _broker(kind)
        await broker.start()
        try:
            subscription = await broker.subscribe("t")
            await asyncio.sleep(0.05)
            await asyncio.to_thread(lambda: [broker.publish("t", str(n)) for n in range(200)])
            got = [await asyncio.wait_for(subscription.get(), 5) for _ in range(200)]
            assert got == [str(n) for n in range(200)]
            await subscription.close()
        finally:
            await broker.stop()

    asyncio.run(scenario())


@pytest.mark.skipif(not REDIS_URL, reason="needs LOYALDESK_TEST_REDIS_URL")
def test_installs_on_different_redis_databases_do_not_hear_each_other() -> None:
    from redis.connection import parse_url

    assert REDIS_URL is not None
    number = int(parse_url(REDIS_URL).get("db", 0) or 0)
    base = REDIS_URL.rsplit("/", 1)[0] if "/" in REDIS_URL.split("://", 1)[1] else REDIS_URL
    neighbour_url = f"{base}/{(number + 5) % 16}"

    async def scenario() -> None:
        ours, neighbours = RedisBroker(REDIS_URL or ""), RedisBroker(neighbour_url)
        await ours.start()
        await neighbours.start()
        try:
            ours_listening = await ours.subscribe("store:1:events")
            theirs_listening = await neighbours.subscribe("store:1:events")
            await asyncio.sleep(0.05)
            neighbours.publish("store:1:events", "theirs")
            ours.publish("store:1:events", "ours")
            assert await asyncio.wait_for(ours_listening.get(), 5) == "ours"
            assert await asyncio.wait_for(theirs_listening.get(), 5) == "theirs"
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(ours_listening.get(), 0.3)
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(theirs_listening.get(), 0.3)
            await ours_listening.close()
            await theirs_listening.close()
        finally:
            await ours.stop()
            await neighbours.stop()

    asyncio.run(scenario())
