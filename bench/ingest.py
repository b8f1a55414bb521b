"""Order ingestion throughput: single-request and batch, against the raw durable commit rate.

Starts a real server process (uvicorn with uvloop and httptools, the product's default stack) on a fresh
database, drives it over HTTP from this process with a minimal keep-alive HTTP/1.1 client (so that the
client's own overhead stays small on a 2-core machine), and measures in the same run the raw rate at
which the same database commits one row durably at a time. Phases alternate (raw, single, batch) over
several repetitions; the report gives medians and ratios, because absolute figures here swing with the
neighbours' load.

    .venv/bin/python bench/ingest.py --backend sqlite --backend postgresql --repetitions 3

PostgreSQL uses LOYALDESK_BENCH_DATABASE_URL (default: the local test database, which it empties).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("LOYALDESK_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


# -- a minimal HTTP/1.1 client -------------------------------------------------------------------
class Connection:
    """One keep-alive connection; one request at a time."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str) -> None:
        self.reader, self.writer, self.host = reader, writer, host

    @classmethod
    async def open(cls, host: str, port: int) -> Connection:
        reader, writer = await asyncio.open_connection(host, port)
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return cls(reader, writer, host)

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        head = [
            f"POST {path} HTTP/1.1",
            f"Host: {self.host}",
            "Content-Type: application/json",
            f"Content-Length: {len(body)}",
        ] + [f"{k}: {v}" for k, v in headers.items()]
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        length = 0
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        payload = await self.reader.readexactly(length)
        return status, payload

    def close(self) -> None:
        self.writer.close()


# -- workload ------------------------------------------------------------------------------------
def order(n: int, placed: datetime) -> dict[str, Any]:
    customer = n % 7919 if n % 3 else 100_000 + n  # a third new customers, the rest returning
    return {
        "external_id": f"bench-{n}",
        "customer": {"external_id": f"c{customer}", "email": f"c{customer}@example.com"},
        "currency": "EUR",
        "lines": [
            {
                "external_id": "1",
                "sku": f"SKU-{n % 50}",
                "title": "Organic tee",
                "category": "Apparel",
                "quantity": 1 + n % 3,
                "unit_price": 2500,
            },
            {
                "external_id": "2",
                "sku": "MUG",
                "title": "Mug",
                "category": "Home",
                "quantity": 1,
                "unit_price": 1200,
            },
        ],
        "shipping_total": 495,
        "status": "paid",
        "placed_at": (placed + timedelta(seconds=n)).isoformat(),
    }


@dataclass
class Counter:
    next: int = 0
    errors: list[str] = field(default_factory=list)

    def take(self, count: int = 1) -> int:
        start = self.next
        self.next += count
        return start


async def single_requests(port: int, token: str, counter: Counter, seconds: float, concurrency: int) -> float:
    """Orders/s with one order per request, ``concurrency`` clients at once."""
    placed = datetime(2026, 1, 1, tzinfo=UTC)
    headers = {"Authorization": f"Bearer {token}"}
    done = 0
    stop_at = time.perf_counter() + seconds

    async def client() -> None:
        nonlocal done
        connection = await Connection.open("127.0.0.1", port)
        try:
            while time.perf_counter() < stop_at:
                body = json.dumps(order(counter.take(), placed)).encode()
                status, payload = await connection.post("/api/v1/orders", body, headers)
                if status != 201:
                    counter.errors.append(f"{status} {payload[:200]!r}")
                    return
                done += 1
        finally:
            connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return done / (time.perf_counter() - started)


async def batches(
    port: int, token: str, counter: Counter, seconds: float, size: int, concurrency: int
) -> float:
    """Orders/s with ``size`` orders per request."""
    placed = datetime(2026, 1, 1, tzinfo=UTC)
    headers = {"Authorization": f"Bearer {token}"}
    done = 0
    stop_at = time.perf_counter() + seconds

    async def client() -> None:
        nonlocal done
        connection = await Connection.open("127.0.0.1", port)
        try:
            while time.perf_counter() < stop_at:
                start = counter.take(size)
                body = json.dumps({"orders": [order(start + i, placed) for i in range(size)]}).encode()
                status, payload = await connection.post("/api/v1/orders/batch", body, headers)
                result = json.loads(payload) if status == 200 else {}
                if status != 200 or result.get("created") != size:
                    counter.errors.append(f"{status} {payload[:200]!r}")
                    return
                done += size
        finally:
            connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return done / (time.perf_counter() - started)


# -- the raw limit -------------------------------------------------------------------------------
def raw_sqlite_commits(directory: Path, seconds: float) -> float:
    """Single-row durable commits per second: WAL, synchronous=FULL, BEGIN IMMEDIATE, one row each."""
    path = directory / "raw.db"
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")
    connection.execute("CREATE TABLE IF NOT EXISTS raw (id INTEGER PRIMARY KEY, payload TEXT)")
    count = 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("INSERT INTO raw (payload) VALUES (?)", ("x" * 200,))
        connection.execute("COMMIT")
        count += 1
    rate = count / (time.perf_counter() - started)
    connection.close()
    return rate


def raw_postgres_commits(url: str, seconds: float) -> float:
    """Single-row durable commits per second on one connection (synchronous_commit on)."""
    import psycopg

    connection = psycopg.connect(url.replace("+psycopg", ""), autocommit=True)
    connection.execute("CREATE TABLE IF NOT EXISTS bench_raw (id bigserial PRIMARY KEY, payload text)")
    count = 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        connection.execute("INSERT INTO bench_raw (payload) VALUES (%s)", ("x" * 200,))
        count += 1
    rate = count / (time.perf_counter() - started)
    connection.execute("DROP TABLE bench_raw")
    connection.close()
    return rate


# -- the server ----------------------------------------------------------------------------------
def prepare_database(backend: str, directory: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{directory / 'bench.db'}"
    import psycopg

    with psycopg.connect(PG_URL.replace("+psycopg", ""), autocommit=True) as connection:
        connection.execute("DROP SCHEMA IF EXISTS public CASCADE")
        connection.execute("CREATE SCHEMA public")
    return PG_URL


# A bench measures throughput, not the limits a stranger meets: every rate limit far above what it sends
# (the install's own defaults, e.g. 1,200 API requests a minute per key, would refuse most of a run).
UNLIMITED = {
    f"LOYALDESK_RATE_LIMIT_{name.upper()}": "1000000/minute"
    for name in (
        "api_requests_per_key",
        "widget_messages_per_contact",
        "widget_messages_per_address",
        "widget_messages_per_store",
        "new_contacts_per_address",
        "offline_messages_per_address",
        "anonymous_requests_per_address",
        "mail_messages_per_address",
    )
}


def server_environment(url: str, directory: Path) -> dict[str, str]:
    """The environment the bench's server processes (and the CLI calls that prepare them) run with."""
    return {
        **UNLIMITED,
        **os.environ,
        "LOYALDESK_DATABASE_URL": url,
        "LOYALDESK_DATA_DIR": str(directory / "var"),
        "LOYALDESK_SECRET_KEY": "bench",
    }


def start_server(url: str, directory: Path) -> tuple[subprocess.Popen[bytes], int, str]:
    """Migrate ``url``, create the store ``bench`` with an API key, start a server on it: (process, port,
    API token)."""
    python = sys.executable
    env = server_environment(url, directory)
    subprocess.run([python, "-m", "loyaldesk", "migrate"], env=env, check=True, capture_output=True)
    created = subprocess.run(
        [
            python,
            "-m",
            "loyaldesk",
            "stores",
            "create",
            "--slug",
            "bench",
            "--name",
            "Bench",
            "--owner-email",
            "owner@bench.example.com",
        ],
        env=env,
        input=b"bench-password\nbench-password\n",
        check=True,
        capture_output=True,
    )
    del created
    token = (
        subprocess.run(
            [python, "-m", "loyaldesk", "api-keys", "create", "--store", "bench", "--name", "bench"],
            env=env,
            check=True,
            capture_output=True,
        )
        .stdout.decode()
        .strip()
        .splitlines()[-1]
    )
    server, port = launch_server(env)
    return server, port, token


def launch_server(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], int]:
    """A uvicorn server process (the product's default stack) on a free port of 127.0.0.1, once it
    accepts connections: (process, port)."""
    python = sys.executable
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [
            python,
            "-m",
            "uvicorn",
            "loyaldesk.web.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env=env,
    )
    deadline = time.monotonic() + 120  # importing the app takes 40 s on a loaded 2-core machine
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return server, port
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("server did not start")


def in_process_batches(url: str, seconds: float, size: int) -> float:
    """Orders/s of ``ingest_orders`` called directly (no HTTP), ``size`` orders per transaction: the cost of
    ingestion itself, to tell it apart from the web stack's."""
    from pydantic import TypeAdapter

    from loyaldesk.commerce import OrderIn, ingest_orders
    from loyaldesk.composition import compose
    from loyaldesk.kernel.actors import system_for
    from loyaldesk.kernel.db import Database

    compose()
    database = Database(url)
    adapter = TypeAdapter(list[OrderIn])
    placed = datetime(2026, 1, 1, tzinfo=UTC)
    start, done, spent = 50_000_000, 0, 0.0
    while spent < seconds:
        payloads = [order(start + done + i, placed) for i in range(size)]  # not timed: the client's work
        began = time.perf_counter()
        database.write(ingest_orders, system_for(1), 1, adapter.validate_python(payloads))
        spent += time.perf_counter() - began
        done += size
    rate = done / spent
    database.dispose()
    return rate


def framework_floor(args: argparse.Namespace) -> float:
    """Requests/s of a do-nothing JSON POST on the same web stack, same client, same concurrency."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "framework_floor:app",
            "--app-dir",
            str(Path(__file__).parent),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ]
    )
    try:
        deadline = time.monotonic() + 120  # importing the app takes 40 s on a loaded 2-core machine
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.1)
        counter = Counter()
        asyncio.run(single_requests(port, "unused", counter, 1.0, args.concurrency))
        rates = [
            asyncio.run(single_requests(port, "unused", counter, args.seconds, args.concurrency))
            for _ in range(args.repetitions)
        ]
    finally:
        server.terminate()
        server.wait(timeout=30)
    return statistics.median(rates)


def run_backend(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(dir=ROOT / "var" if (ROOT / "var").exists() else None) as tmp:
        directory = Path(tmp)
        url = prepare_database(backend, directory)
        server, port, token = start_server(url, directory)
        counter = Counter()
        raw: list[float] = []
        single: list[float] = []
        batch: list[float] = []
        direct: list[float] = []
        try:
            asyncio.run(single_requests(port, token, counter, 1.0, args.concurrency))  # warm up
            for _ in range(args.repetitions):
                raw.append(
                    raw_sqlite_commits(directory, args.seconds)
                    if backend == "sqlite"
                    else raw_postgres_commits(url, args.seconds)
                )
                single.append(
                    asyncio.run(single_requests(port, token, counter, args.seconds, args.concurrency))
                )
                batch.append(asyncio.run(batches(port, token, counter, args.seconds, args.batch_size, 2)))
                direct.append(in_process_batches(url, args.seconds, args.batch_size))
        finally:
            server.terminate()
            server.wait(timeout=30)
        if counter.errors:
            raise RuntimeError(f"{len(counter.errors)} failed requests, first: {counter.errors[0]}")
    raw_median = statistics.median(raw)
    return {
        "backend": backend,
        "raw_commits_per_s": raw,
        "single_orders_per_s": single,
        "batch_orders_per_s": batch,
        "in_process_batch_orders_per_s": direct,
        "raw_median": raw_median,
        "single_median": statistics.median(single),
        "batch_median": statistics.median(batch),
        "in_process_median": statistics.median(direct),
        "single_ratio": statistics.median(single) / raw_median,
        "batch_ratio": statistics.median(batch) / raw_median,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", action="append", choices=["sqlite", "postgresql"])
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=4.0, help="per phase and repetition")
    parser.add_argument("--concurrency", type=int, default=16, help="clients sending single orders")
    parser.add_argument("--batch-size", type=int, default=1000)
    args = parser.parse_args()
    results = [run_backend(backend, args) for backend in (args.backend or ["sqlite"])]
    floor = framework_floor(args)
    print(
        f"# ingest benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    print(
        "| backend | raw durable commits/s | single-request orders/s | ratio | batch orders/s | ratio "
        "| in-process batch orders/s |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for result in results:
        print(
            f"| {result['backend']} | {result['raw_median']:,.0f} | {result['single_median']:,.0f} | "
            f"{result['single_ratio']:.2f} | {result['batch_median']:,.0f} | {result['batch_ratio']:.2f} "
            f"| {result['in_process_median']:,.0f} |"
        )
    print(
        f"\nframework floor (do-nothing JSON POST, same stack and client): {floor:,.0f} requests/s; "
        + ", ".join(
            f"{r['backend']} single-request ingestion = {r['single_median'] / floor:.0%} of it"
            for r in results
        )
    )
    print(json.dumps({"results": results, "framework_floor_requests_per_s": floor}, indent=1))


if __name__ == "__main__":
    main()
