"""Exactly once across a crash: a real server process is killed with SIGKILL while clients keep sending
writes with Idempotency-Keys; after each restart every key is retried at once. Each retry succeeds on
its first try (no 409 while a dead process's claim runs out), a request answered before the crash is
replayed with the very same response, and every key's effect exists exactly once, though the write used
here (a customer without an external id) would happily run twice.
"""

from __future__ import annotations

import random
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from loyaldesk.customers import Customer
from loyaldesk.kernel.db import Database
from tests.factories import StoreHandle
from tests.servers import free_port, start_server_process

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
ROUNDS = 3
CLIENTS = 4


def _start(database_url: str, tmp_path: Path, port: int) -> subprocess.Popen[bytes]:
    environment = {
        "LOYALDESK_DATABASE_URL": database_url,
        "LOYALDESK_SECRET_KEY": "crash-test-key",
        "LOYALDESK_DATA_DIR": str(tmp_path / "var"),
        "LOYALDESK_RUN_BACKGROUND_JOBS": "false",
        "LOYALDESK_RATE_LIMIT_API_REQUESTS_PER_KEY": "100000/minute",
    }
    return start_server_process(port, tmp_path, environment, without=("LOYALDESK_REDIS_URL",))


def _create(http: httpx.Client, base: str, token: str, key: str) -> httpx.Response:
    return http.post(
        f"{base}/api/v1/customers",
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key},
        json={"email": f"{key}@example.com", "first_name": "Crash"},
        timeout=30,
    )


class Clients:
    """Clients sending creates with fresh keys until stopped or until the server dies under them."""

    def __init__(
        self, base: str, token: str, prefix: str, sent: list[str], answered: dict[str, dict[str, Any]]
    ) -> None:
        self.base, self.token, self.prefix = base, token, prefix
        self.sent, self.answered = sent, answered
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.in_flight: set[str] = set()

    def run(self, number: int) -> None:
        with httpx.Client() as http:
            count = 0
            while not self.stop.is_set():
                count += 1
                key = f"{self.prefix}-c{number}-{count}"
                with self.lock:
                    self.sent.append(key)
                    self.in_flight.add(key)
                try:
                    response = _create(http, self.base, self.token, key)
                except httpx.HTTPError:
                    return  # the server died under this request: it stays in flight
                with self.lock:
                    self.in_flight.discard(key)
                    if response.status_code == 201:
                        self.answered[key] = response.json()


def test_writes_in_flight_when_the_server_dies_happen_exactly_once(
    db: Database, database_url: str, store: StoreHandle, tmp_path: Path
) -> None:
    rng = random.Random(12)
    answered: dict[str, dict[str, Any]] = {}  # key -> the body of its 201, from before a crash
    sent: list[str] = []
    in_flight_at_kills = 0
    retry_statuses: list[int] = []
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    for round_number in range(ROUNDS):
        process = _start(database_url, tmp_path, port)
        clients = Clients(base, store.token, f"r{round_number}", sent, answered)
        threads = [threading.Thread(target=clients.run, args=(n,)) for n in range(CLIENTS)]
        for thread in threads:
            thread.start()
        time.sleep(rng.uniform(0.5, 1.5))
        process.send_signal(signal.SIGKILL)
        process.wait()
        clients.stop.set()
        for thread in threads:
            thread.join()
        in_flight_at_kills += len(clients.in_flight)

        # Restarted, every key of the round is retried at once, as a client would after an error.
        process = _start(database_url, tmp_path, port)
        try:
            with httpx.Client() as http:
                for key in [key for key in sent if key.startswith(f"r{round_number}-")]:
                    response = _create(http, base, store.token, key)
                    retry_statuses.append(response.status_code)
                    assert response.status_code == 201, (key, response.status_code, response.text)
                    if key in answered:  # answered before the crash: the same response, replayed
                        assert response.headers.get("idempotent-replayed") == "true"
                        assert response.json() == answered[key]
                    answered[key] = response.json()
        finally:
            process.terminate()
            process.wait(timeout=30)

    assert in_flight_at_kills > 0  # the kills did land in the middle of requests
    assert set(retry_statuses) == {201}
    with db.read() as session:
        counts = dict(
            session.execute(
                select(Customer.email, func.count())
                .where(Customer.store_id == store.id)
                .group_by(Customer.email)
            ).all()
        )
        ids = dict(session.execute(select(Customer.email, Customer.id)).all())
    assert set(counts) == {f"{key}@example.com" for key in sent}
    assert set(counts.values()) == {1}, {email: n for email, n in counts.items() if n != 1}
    assert all(ids[f"{key}@example.com"] == body["id"] for key, body in answered.items())
