"""Fixtures of the outgoing webhook tests: a real HTTP receiver on 127.0.0.1 that verifies every
delivery with the reference ``standardwebhooks`` library, an install that allows private networks (the
receiver is on loopback) and can mail, and the registered jobs run by name.

The clock is a fake one set to the real time: ``standardwebhooks`` checks ``webhook-timestamp``
against the real clock (five minutes either way), and the tests move the fake one to retry and to
disable.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from standardwebhooks import Webhook

from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from loyaldesk.kernel.jobs import jobs
from loyaldesk.settings import Settings
from tests.factories import StoreHandle


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp_path / "var",
        secret_key="test-secret-key-not-for-production",
        run_background_jobs=False,
        redis_url=None,
        allow_private_network=True,
        smtp_host="127.0.0.1",  # mail is queued (the account mail job is not run here)
        public_base_url="https://desk.example.com",
    )


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    verified: Any = None  # the payload as the library read it, or the exception it raised


@dataclass
class Receiver:
    """The store's endpoint: answers with ``answers`` in turn ("slow" waits past the sender's
    timeout), then 200; verifies each request with ``secret`` when it is set."""

    url: str = ""
    secret: str | None = None
    answers: list[int | str] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    slow_seconds: float = 2.0

    def handler(self) -> type[BaseHTTPRequestHandler]:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = {key.lower(): value for key, value in self.headers.items()}
                got = Received(headers, body)
                if outer.secret is not None:
                    try:
                        got.verified = Webhook(outer.secret).verify(body, headers)
                    except Exception as error:  # the test asserts on it
                        got.verified = error
                outer.received.append(got)
                answer = outer.answers.pop(0) if outer.answers else 200
                if answer == "slow":
                    time.sleep(outer.slow_seconds)
                    answer = 200
                payload = b'{"ok": true}' if answer == 200 else b"upstream exploded"
                self.send_response(int(answer))
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), found.handler())
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    found.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/loyaldesk"
    try:
        yield found
    finally:
        server.shutdown()
        server.server_close()


def run_job(name: str, database: Database) -> int:
    """Run one registered job as the background runner does."""
    job = next(job for job in jobs.all() if job.name == name)
    if job.in_transaction:
        return int(database.write(job.run))  # type: ignore[arg-type]
    return int(job.run(database))  # type: ignore[arg-type]


def deliver(database: Database) -> int:
    """One fan-out pass and one sender pass."""
    run_job("webhooks.fan_out", database)
    return run_job("webhooks.send_due", database)


def add_endpoint(
    client: TestClient, store: StoreHandle, url: str, event_types: list[str] | None = None
) -> dict[str, Any]:
    response = client.post(
        "/api/v1/webhooks", json={"url": url, "event_types": event_types or ["*"]}, headers=store.auth
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]
