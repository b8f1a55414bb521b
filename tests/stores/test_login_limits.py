"""Logins under pressure, through a real server on loopback: the attempt limit holds against concurrent
guesses (reserved before verifying), password hashing runs a bounded number at once while the server keeps
answering, old hashes are renewed at login, and password changes are rate limited."""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import time

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import select

from loyaldesk.kernel.db import Database
from loyaldesk.kernel.errors import RateLimited
from loyaldesk.runtime import Runtime
from loyaldesk.stores.models import AuditLogEntry, StaffAccount
from loyaldesk.stores.passwords import PasswordHashing, needs_rehash, verify_password
from tests.factories import TEST_PASSWORD, StoreHandle, csrf_of, login, make_staff


def password_hash_of(db: Database, email: str) -> str:
    with db.read() as session:
        return session.scalars(select(StaffAccount.password_hash).where(StaffAccount.email == email)).one()


def audit_count(db: Database, action: str) -> int:
    with db.read() as session:
        return len(session.scalars(select(AuditLogEntry.id).where(AuditLogEntry.action == action)).all())


async def _logins(base: str, attempts: list[tuple[str, str]]) -> list[int]:
    """Each attempt from its own browser (cookies), the form fetched first, then all posted at once."""
    clients = [httpx.AsyncClient(base_url=base, timeout=120) for _ in attempts]
    try:
        tokens = [csrf_of((await client.get("/login")).text) for client in clients]
        responses = await asyncio.gather(
            *(
                client.post("/login", data={"email": email, "password": password, "csrf_token": token})
                for client, token, (email, password) in zip(clients, tokens, attempts, strict=True)
            )
        )
        return [response.status_code for response in responses]
    finally:
        for client in clients:
            await client.aclose()


def test_concurrent_wrong_passwords_cannot_slip_past_the_limit(
    live_server: str, db: Database, store: StoreHandle, password_hash: str
) -> None:
    email = make_staff(db, store, "agent", password_hash)
    statuses = asyncio.run(_logins(live_server, [(email, f"guess number {i}") for i in range(20)]))
    # Five attempts per account per 15 minutes: five were checked (and failed), fifteen refused unchecked.
    assert sorted(statuses) == [401] * 5 + [429] * 15
    assert audit_count(db, "staff.login_failed") == 5
    assert asyncio.run(_logins(live_server, [(email, TEST_PASSWORD)])) == [429]


def test_password_hashing_runs_a_bounded_number_at_once_and_the_server_keeps_answering(
    live_server: str, live_runtime: Runtime, db: Database, store: StoreHandle
) -> None:
    gate = threading.Event()
    lock = threading.Lock()
    seen = {"now": 0, "most": 0}

    def held_verification(_password_hash: str | None, _password: str) -> bool:
        with lock:
            seen["now"] += 1
            seen["most"] = max(seen["most"], seen["now"])
        gate.wait(60)
        with lock:
            seen["now"] -= 1
        return False

    pool = PasswordHashing(2, verify_function=held_verification)
    live_runtime.password_hashing = pool
    results: list[int] = []

    def burst() -> None:
        results.extend(
            asyncio.run(_logins(live_server, [(f"p{i}@acme.example.com", "whatever1234") for i in range(10)]))
        )

    sender = threading.Thread(target=burst)
    sender.start()
    try:
        deadline = time.monotonic() + 60
        while (pool.running, pool.waiting) != (2, 8):
            assert time.monotonic() < deadline, f"running {pool.running}, waiting {pool.waiting}"
            time.sleep(0.02)
        # Ten logins are in: two verifying, eight queued for the pool, none holding a server thread.
        assert seen["most"] == 2
        health = httpx.get(f"{live_server}/healthz", timeout=10)
        assert health.status_code == 200
        assert httpx.get(f"{live_server}/login", timeout=10).status_code == 200
    finally:
        gate.set()
        sender.join(timeout=60)
    assert results == [401] * 10 and seen["most"] == 2


def test_a_full_hashing_queue_turns_work_away_instead_of_queueing_without_end() -> None:
    gate = threading.Event()

    def held(_password: str) -> str:
        gate.wait(30)
        return "hash"

    pool = PasswordHashing(1, max_waiting=1, hash_function=held)
    threads = []
    for expected in ((1, 0), (1, 1)):  # one hashing, then one waiting for it
        threads.append(threading.Thread(target=pool.run_sync, args=(pool._hash_function, "x")))
        threads[-1].start()
        deadline = time.monotonic() + 30
        while (pool.running, pool.waiting) != expected:
            assert time.monotonic() < deadline, (pool.running, pool.waiting)
            time.sleep(0.01)
    with pytest.raises(RateLimited) as refused:
        pool.run_sync(pool._hash_function, "x")
    assert refused.value.retry_after_seconds > 0
    gate.set()
    for thread in threads:
        thread.join(timeout=30)
    assert (pool.running, pool.waiting) == (0, 0)
    assert asyncio.run(pool.hash("y")) == "hash"
    pool.close()


def test_an_old_password_hash_is_renewed_at_login(
    client: TestClient, db: Database, store: StoreHandle
) -> None:
    old_parameters = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    old_hash = old_parameters.hash(TEST_PASSWORD)
    assert needs_rehash(old_hash)
    email = make_staff(db, store, "agent", old_hash)
    login(client, email)
    renewed = password_hash_of(db, email)
    assert renewed != old_hash and not needs_rehash(renewed) and verify_password(renewed, TEST_PASSWORD)
    assert audit_count(db, "staff.password_rehashed") == 1
    client.cookies.clear()
    login(client, email)  # still the same password; nothing to renew any more
    assert password_hash_of(db, email) == renewed and audit_count(db, "staff.password_rehashed") == 1


def test_password_changes_are_limited_per_account(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    email = make_staff(db, store, "agent", password_hash)
    login(client, email)
    token = csrf_of(client.get("/console/account").text)
    for attempt in range(5):
        wrong = client.post(
            "/console/account/password",
            data={
                "csrf_token": token,
                "current_password": f"guess {attempt} guess",
                "new_password": "x" * 12,
            },
        )
        assert wrong.status_code == 422 and "current password is not right" in wrong.text
    blocked = client.post(
        "/console/account/password",
        data={"csrf_token": token, "current_password": TEST_PASSWORD, "new_password": "a fine new one"},
    )
    assert blocked.status_code == 429
    assert "Too many password changes; try again in" in blocked.text
    assert 3000 < int(blocked.headers["retry-after"]) <= 3600
    assert password_hash_of(db, email) == password_hash  # nothing changed
    assert client.get("/console/account").status_code == 200  # and the session still works


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread priority is Linux's")
def test_hashing_threads_run_at_a_lower_cpu_priority() -> None:
    def own_priority(_password: str) -> str:
        return str(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))

    lowered = PasswordHashing(1, niceness=7, hash_function=own_priority)
    same = PasswordHashing(1, niceness=0, hash_function=own_priority)
    try:
        assert int(asyncio.run(lowered.hash("x"))) >= 7
        assert int(asyncio.run(same.hash("x"))) == os.getpriority(os.PRIO_PROCESS, 0)
        assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == os.getpriority(
            os.PRIO_PROCESS, 0
        )
    finally:
        lowered.close()
        same.close()
