"""Memory soak: one real server process under steady chat and order load for ten minutes; does its
resident memory stay flat?

One ``loyaldesk serve`` process (uvicorn with the production settings: uvloop, httptools, write batching
and the background jobs ON: the server dispatches events and runs due jobs itself) on a fresh SQLite
database under /tmp (``--backend postgresql``: PostgreSQL + Redis, see below). Setup (untimed), as
``bench/chat.py`` does: ``loyaldesk migrate``, the store and its owner and an agent through the CLI, an
API key (``loyaldesk api-keys create``), the loyalty program of ``bench/loyalty.py`` (tiers, rules,
a sign-up reward, through the manager's actions) so that every order earns points. Then, for
``--seconds`` (600):

* ``--conversations`` (500) widget connections (``/ws/widget/bench``), each sending one message a second
  at a random phase (open loop), after an untimed first message that creates its conversation; the agent
  is logged in through the login form with ONE console WebSocket receiving every message as a store event
  (``bench/chat.py``'s client, imported);
* ``--orders-per-second`` (20) orders posted one per request to ``POST /api/v1/orders`` over
  ``--order-connections`` (4) keep-alive connections (``bench/ingest.py``'s HTTP client), on a fixed
  schedule; each order (1-4 lines, 90% from 2,000 returning customers, 10% new) turns into points in the
  background (the server's dispatcher runs the loyalty, journeys and other handlers). The schedule is
  bounded: an order whose turn comes while ``10 x rate`` orders already wait to be sent is skipped
  (counted as *skipped by the client*), so a server that cannot keep up does not grow the client's queue;
* every ``--sample-every`` (10) seconds: the server's VmRSS (``/proc/PID/status``) and its CPU (user +
  system from ``/proc/PID/stat``, as a share of one core over the interval), the client's CPU, the
  load average and the messages/orders so far.

Reported: RSS after the warm-up (the sample at ``--warm-up`` = 60 s of load) and at the end of the load;
the growth between them in % (goal < 10%); the slope of a least-squares line through the samples of
the second half, in MiB/min; messages sent, delivered, late and lost (``bench/chat.py``'s definitions:
late = delivered more than ``--timeout`` seconds after its send, or never delivered and not acked
``--timeout`` seconds before the end; lost = acked (persisted) at least ``--timeout`` seconds before the end
and never delivered); delivery (widget send -> the console receives ``conversation.message_posted``) p50
and p99 per minute of the run; orders accepted (201) and their latency; the events left undispatched in
the outbox when the load stops and after at most ``--drain`` seconds more; warning/error lines and
tracebacks in the server log; the rows and on-disk size of the main tables (for docs/capacity.md).

Finding what grows: ``--tracemalloc`` runs the server under a debug hook of this script only (the
product has none): this script serves through ``--serve`` (which calls the same Typer ``serve`` command
as ``python -m loyaldesk serve``); when ``LOYALDESK_SOAK_TRACEMALLOC`` is set it starts ``tracemalloc``
with that many frames, takes a baseline snapshot on SIGUSR1 (sent by the soak when the warm-up ends) and
then, every ``--tracemalloc-every`` seconds and on SIGUSR2 (sent at the end of the load), compares a new
snapshot to the baseline and logs the top growers (``tracemalloc:`` lines in the server log, and JSON
lines in ``tracemalloc.jsonl``). tracemalloc slows the server down (2-4x here; one snapshot and comparison
of a 200 MiB heap took minutes on a loaded machine, so dumps come late): read its figures for
*what* grows, and take the RSS and latency figures from a run without it.

Everything listens on 127.0.0.1; the run is bounded in time (setup steps have their own timeouts, the
load stops after ``--seconds``, the drain after ``--timeout`` + ``--drain``) and in count.

    .venv/bin/python bench/soak.py --json /tmp/soak-500.json
    .venv/bin/python bench/soak.py --conversations 200 --seconds 120
    .venv/bin/python bench/soak.py --seconds 300 --tracemalloc 1 --tracemalloc-every 60

PostgreSQL (``--backend postgresql``): the database of ``--database-url`` (default
LOYALDESK_SOAK_DATABASE_URL), emptied (its ``public`` schema dropped) before the run; Redis at
``--redis-url`` (default LOYALDESK_SOAK_REDIS_URL, else ``redis://127.0.0.1:6379/0``). Store and
conversation ids start above 1,600,000,000 so that the broker's channels cannot mix with a test suite's or
``bench/chat.py``'s on the same Redis server (pub/sub ignores database numbers).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import chat  # bench/ is not a package: the chat bench's server harness and clients
import ingest
import loyalty

SOAK_ID_BASE = 1_600_000_000
GOAL_GROWTH_PERCENT = 10.0
TRACE_ENV = "LOYALDESK_SOAK_TRACEMALLOC"
TRACE_EVERY_ENV = "LOYALDESK_SOAK_TRACEMALLOC_EVERY"
TRACE_TOP = 25
TABLES = (
    "support_messages",
    "support_conversations",
    "support_contacts",
    "orders",
    "order_lines",
    "products",
    "customers",
    "loyalty_members",
    "loyalty_entries",
    "loyalty_postings",
    "loyalty_lots",
    "loyalty_lot_movements",
    "domain_events",
    "idempotency_keys",
)


# -- the server side: the debug hook (bench only) --------------------------------------------------
def serve_with_hook(port: int) -> None:
    """Serve through the product's own ``loyaldesk serve`` command, with the tracemalloc hook when
    ``LOYALDESK_SOAK_TRACEMALLOC`` (the number of frames) is set."""
    frames = int(os.environ.get(TRACE_ENV) or 0)
    if frames > 0:
        install_tracemalloc_hook(frames, float(os.environ.get(TRACE_EVERY_ENV) or 60))
    from loyaldesk.cli import app

    app(["serve", "--host", "127.0.0.1", "--skip-migrations", "--port", str(port)])


def install_tracemalloc_hook(frames: int, every: float) -> None:
    """Start tracemalloc; SIGUSR1 takes the baseline; every ``every`` seconds after it and on SIGUSR2,
    log the top growers since the baseline (stderr, and JSON lines in ./tracemalloc.jsonl)."""
    import threading
    import tracemalloc

    tracemalloc.start(frames)
    baseline_wanted, dump_wanted = threading.Event(), threading.Event()
    ignore = (
        tracemalloc.Filter(False, tracemalloc.__file__),
        tracemalloc.Filter(False, "<unknown>"),
    )
    out = Path("tracemalloc.jsonl")

    def snapshot() -> tracemalloc.Snapshot:
        return tracemalloc.take_snapshot().filter_traces(ignore)

    def worker() -> None:
        baseline_wanted.wait()
        baseline, began = snapshot(), time.monotonic()
        print(
            f"tracemalloc: baseline taken, {tracemalloc.get_traced_memory()[0] / 2**20:.1f} MiB traced",
            file=sys.stderr,
            flush=True,
        )
        while True:
            final = dump_wanted.wait(every)
            dump_wanted.clear()
            current = snapshot()
            key = "lineno" if frames == 1 else "traceback"
            stats = current.compare_to(baseline, key)[:TRACE_TOP]
            by_file = current.compare_to(baseline, "filename")[:TRACE_TOP]
            traced, peak = tracemalloc.get_traced_memory()
            record = {
                "seconds_since_baseline": round(time.monotonic() - began, 1),
                "final": final,
                "traced_mib": round(traced / 2**20, 2),
                "peak_mib": round(peak / 2**20, 2),
                "top": [
                    {
                        "where": [f"{frame.filename}:{frame.lineno}" for frame in stat.traceback],
                        "size_diff_kib": round(stat.size_diff / 1024, 1),
                        "count_diff": stat.count_diff,
                        "size_kib": round(stat.size / 1024, 1),
                        "count": stat.count,
                    }
                    for stat in stats
                ],
                # Imports show as <frozen importlib._bootstrap_external> (code objects) and module files.
                "top_files": [
                    {
                        "file": stat.traceback[0].filename,
                        "size_diff_kib": round(stat.size_diff / 1024, 1),
                        "count_diff": stat.count_diff,
                    }
                    for stat in by_file
                ],
            }
            with out.open("a") as sink:
                sink.write(json.dumps(record) + "\n")
            print(
                f"tracemalloc: +{record['seconds_since_baseline']} s, traced {record['traced_mib']} MiB; "
                "top growers:",
                file=sys.stderr,
            )
            for item in record["top"][:10]:
                print(
                    f"tracemalloc:   {item['size_diff_kib']:+,.1f} KiB ({item['count_diff']:+,} blocks) "
                    f"{item['where'][0]}",
                    file=sys.stderr,
                )
            sys.stderr.flush()

    threading.Thread(target=worker, name="soak-tracemalloc", daemon=True).start()
    signal.signal(signal.SIGUSR1, lambda *_: baseline_wanted.set())
    signal.signal(signal.SIGUSR2, lambda *_: dump_wanted.set())


# -- setup ----------------------------------------------------------------------------------------
def environment(args: argparse.Namespace, directory: Path) -> dict[str, str]:
    """The CLI's and the server's environment: a fresh database, rate limits out of the way."""
    if args.backend == "sqlite":
        url = f"sqlite:///{directory / 'soak.db'}"
    else:
        if not args.database_url:
            raise SystemExit("--backend postgresql needs --database-url or LOYALDESK_SOAK_DATABASE_URL")
        ingest.PG_URL = args.database_url
        url = ingest.prepare_database("postgresql", directory)  # drops and recreates its public schema
    env = {**ingest.UNLIMITED, **{k: v for k, v in os.environ.items() if k != "LOYALDESK_REDIS_URL"}}
    env.update(
        {
            "LOYALDESK_DATABASE_URL": url,
            "LOYALDESK_SECRET_KEY": chat.SECRET_KEY,
            "LOYALDESK_COOKIE_SECURE": "false",
            "LOYALDESK_DATA_DIR": str(directory / "var"),
            "LOYALDESK_RUN_BACKGROUND_JOBS": "true",
            "LOYALDESK_WRITE_BATCHING": "true",
        }
    )
    if args.backend == "postgresql":
        env["LOYALDESK_REDIS_URL"] = args.redis_url
    if args.tracemalloc:
        env[TRACE_ENV] = str(args.tracemalloc)
        env[TRACE_EVERY_ENV] = str(args.tracemalloc_every)
    return env


def set_up(env: dict[str, str], directory: Path) -> str:
    """Store, owner, agent (``bench/chat.py``), the loyalty program (``bench/loyalty.py``); the API key."""
    chat.ID_BASE = SOAK_ID_BASE
    chat.set_up_store(env, directory)
    done = subprocess.run(
        [sys.executable, "-m", "loyaldesk", "api-keys", "create", "--store", chat.STORE, "--name", "soak"],
        env=env,
        cwd=directory,
        capture_output=True,
        check=True,
        timeout=120,
    )
    token = done.stdout.decode().strip().splitlines()[-1]
    from sqlalchemy import select

    from loyaldesk.composition import compose
    from loyaldesk.kernel.db import Database
    from loyaldesk.stores import Store

    compose()
    database = Database(env["LOYALDESK_DATABASE_URL"])
    try:
        with database.read() as session:
            store_id = session.scalar(select(Store.id).where(Store.slug == chat.STORE))
        loyalty.set_up_program(database, store_id)
    finally:
        database.dispose()
    return token


# -- measuring the database -----------------------------------------------------------------------
def scalar(url: str, statement: str) -> Any:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text(statement)).scalar()
    finally:
        engine.dispose()


def undispatched(url: str) -> int:
    return int(scalar(url, "SELECT count(*) FROM domain_events WHERE dispatched_at IS NULL"))


def table_sizes(url: str) -> dict[str, Any]:
    """Rows and bytes (table + its indexes; PostgreSQL: + TOAST) of the main tables, and the database's
    total size."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    tables: dict[str, dict[str, int]] = {}
    try:
        with engine.connect() as connection:
            if url.startswith("sqlite"):
                by_object = dict(
                    connection.execute(text("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name")).all()
                )
                indexes = connection.execute(
                    text("SELECT name, tbl_name FROM sqlite_master WHERE type = 'index'")
                ).all()
                total = int(sum(by_object.values()))
                for table in TABLES:
                    size = by_object.get(table, 0) + sum(
                        by_object.get(index, 0) for index, owner in indexes if owner == table
                    )
                    rows = connection.execute(text(f"SELECT count(*) FROM {table}")).scalar()
                    tables[table] = {"rows": int(rows or 0), "bytes": int(size)}
            else:
                total = int(connection.execute(text("SELECT pg_database_size(current_database())")).scalar())
                for table in TABLES:
                    size = connection.execute(text(f"SELECT pg_total_relation_size('{table}')")).scalar()
                    rows = connection.execute(text(f"SELECT count(*) FROM {table}")).scalar()
                    tables[table] = {"rows": int(rows or 0), "bytes": int(size or 0)}
    finally:
        engine.dispose()
    for figures in tables.values():
        figures["bytes_per_row"] = round(figures["bytes"] / figures["rows"]) if figures["rows"] else 0
    return {"total_bytes": total, "tables": tables}


# -- the load -------------------------------------------------------------------------------------
class CountingProbe(chat.Probe):
    """``bench/chat.py``'s probe, counting every error frame (it keeps only the first 1,000), and the
    messages the server refused because the widget had too many waiting to be stored."""

    def __init__(self) -> None:
        super().__init__()
        self.error_count = 0
        self.refused_busy = 0

    def error(self, text: str) -> None:
        self.error_count += 1
        if "too many messages at once" in text:
            self.refused_busy += 1
        super().error(text)


class Orders:
    """Orders posted one per request on a fixed schedule; what came back."""

    def __init__(self, rate: float, connections: int) -> None:
        self.rate = rate
        self.connections = connections
        self.workload = loyalty.Workload(2000)
        self.accepted = 0
        self.refused: dict[str, int] = {}
        self.skipped = 0
        self.unsent_at_end = 0
        self.in_flight_at_end = 0
        self.latencies: list[float] = []
        self.errors: list[str] = []

    async def run(self, port: int, token: str, started: float, stop_at: float, grace: float) -> None:
        if self.rate <= 0:
            return
        queue: asyncio.Queue[tuple[bytes, float] | None] = asyncio.Queue()
        limit = max(10, int(self.rate * 10))
        headers = {"Authorization": f"Bearer {token}"}

        async def poster() -> None:
            connection = await ingest.Connection.open("127.0.0.1", port)
            try:
                while (item := await queue.get()) is not None:
                    body, due = item
                    try:
                        status, payload = await asyncio.wait_for(
                            connection.post("/api/v1/orders", body, headers), 60
                        )
                    except Exception as error:
                        if len(self.errors) < 100:
                            self.errors.append(repr(error))
                        connection.close()
                        connection = await ingest.Connection.open("127.0.0.1", port)
                        continue
                    if status == 201:
                        self.accepted += 1
                        self.latencies.append(time.perf_counter() - due)
                    else:
                        key = f"{status} {payload[:120]!r}"
                        self.refused[key] = self.refused.get(key, 0) + 1
            finally:
                connection.close()

        posters = [asyncio.create_task(poster()) for _ in range(self.connections)]
        n = 0
        while (due := started + n / self.rate) < stop_at:
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            if queue.qsize() >= limit:
                self.skipped += 1
            else:
                payload = self.workload.payload(self.workload.customer())
                queue.put_nowait((json.dumps(payload).encode(), due))
            n += 1
        # The load is over: orders still waiting to be sent are dropped (counted), those in flight get
        # ``grace`` seconds to come back, so that a saturated server cannot stretch the run.
        while not queue.empty():
            queue.get_nowait()
            self.unsent_at_end += 1
        for _ in posters:
            queue.put_nowait(None)
        _, pending = await asyncio.wait(posters, timeout=grace)
        self.in_flight_at_end = len(pending)
        for task in pending:
            task.cancel()
        await asyncio.gather(*posters, return_exceptions=True)


def slope_mib_per_minute(samples: list[dict[str, Any]], since: float) -> float | None:
    """Least-squares slope of RSS over time for the samples at or after ``since`` seconds."""
    points = [(s["t_s"], s["rss_kib"] / 1024) for s in samples if s["t_s"] >= since]
    if len(points) < 2:
        return None
    mean_t = sum(t for t, _ in points) / len(points)
    mean_r = sum(r for _, r in points) / len(points)
    spread = sum((t - mean_t) ** 2 for t, _ in points)
    if spread == 0:
        return None
    return round(60 * sum((t - mean_t) * (r - mean_r) for t, r in points) / spread, 3)


async def soak(
    server: chat.Server, cookie: str, token: str, url: str, args: argparse.Namespace
) -> dict[str, Any]:
    """Open everything, run the load for ``args.seconds`` with sampling, drain; every figure."""
    compression = None if args.no_compression else "deflate"
    pid = server.process.pid
    probe = CountingProbe()
    clients = [chat.Client(i, "widget", probe) for i in range(args.conversations)]
    console = chat.Console(probe)
    result: dict[str, Any] = {"rss_kib_at_start": chat.vm_rss_kib(pid)}
    widget_url = f"{server.ws_base}/ws/widget/{chat.STORE}"
    try:
        await console.open(server, cookie, compression)
        began, cpu_began, rss_began = time.perf_counter(), chat.cpu_seconds(pid), chat.vm_rss_kib(pid)
        await chat.bounded(
            [lambda c=c: c.open(widget_url, compression) for c in clients], chat.OPEN_CONCURRENCY, 300
        )
        # What a shopper's page costs the server before any chat: the widget opens its socket on page load.
        result["widget_connect"] = {
            "server_cpu_ms_per_connection": round(
                1000 * (chat.cpu_seconds(pid) - cpu_began) / max(len(clients), 1), 2
            ),
            "rss_kib_per_idle_connection": round(
                (chat.vm_rss_kib(pid) - rss_began) / max(len(clients), 1), 1
            ),
        }
        cpu_began = chat.cpu_seconds(pid)
        warm_ids = [f"w{c.index}" for c in clients]
        await chat.bounded(
            [lambda c=c, i=i: c.send_and_wait(i, 60) for c, i in zip(clients, warm_ids, strict=True)],
            chat.WARM_UP_IN_FLIGHT,
            300,
        )
        if not await chat.wait_delivered(probe, warm_ids, 60):
            raise RuntimeError("some first messages never reached the console")
        result["setup_s"] = round(time.perf_counter() - began, 1)
        result["first_message_server_cpu_ms"] = round(
            1000 * (chat.cpu_seconds(pid) - cpu_began) / max(len(clients), 1), 2
        )
        result["rss_kib_with_conversations"] = chat.vm_rss_kib(pid)

        load_ids: list[str] = []
        sent_at_k: dict[str, float] = {}
        orders = Orders(args.orders_per_second, args.order_connections)
        samples: list[dict[str, Any]] = []
        t0 = time.perf_counter() + 0.5
        stop_at = t0 + args.seconds

        async def sender(client: chat.Client, first: float) -> None:
            for k in range(args.seconds):
                target = first + k
                if target >= stop_at:
                    return
                delay = target - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                client_id = f"t{client.index}-{k}"
                load_ids.append(client_id)
                sent_at_k[client_id] = target - t0
                probe.send_lag.append(time.perf_counter() - target)
                try:
                    await client.send(client_id)
                except Exception as error:
                    probe.error(f"send {client_id}: {error!r}")

        async def sampler() -> None:
            last_cpu, last_own, last_t = chat.cpu_seconds(pid), chat.own_cpu_seconds(), time.perf_counter()
            tick = 0
            while True:
                tick += 1
                due = t0 + tick * args.sample_every
                if due > stop_at + 0.01:
                    return
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
                now, cpu, own = time.perf_counter(), chat.cpu_seconds(pid), chat.own_cpu_seconds()
                span = now - last_t
                samples.append(
                    {
                        "t_s": round(now - t0, 1),
                        "rss_kib": chat.vm_rss_kib(pid),
                        "server_cpu_percent": round(100 * (cpu - last_cpu) / span, 1),
                        "client_cpu_percent": round(100 * (own - last_own) / span, 1),
                        "load_average": chat.load_average(),
                        "sent": len(load_ids),
                        "delivered": len(probe.delivered) - len(warm_ids),
                        "orders_accepted": orders.accepted,
                        "undispatched_events": await asyncio.to_thread(undispatched, url),
                    }
                )
                if tick * args.sample_every == args.warm_up and args.tracemalloc:
                    server.process.send_signal(signal.SIGUSR1)  # the hook's baseline: after the warm-up
                last_cpu, last_own, last_t = cpu, own, now
                print(f"[soak] {json.dumps(samples[-1])}", file=sys.stderr, flush=True)

        rng = random.Random(args.conversations)
        cpu_before, own_before, load_before = (
            chat.cpu_seconds(pid),
            chat.own_cpu_seconds(),
            chat.load_average(),
        )
        tasks = [sender(c, t0 + rng.random()) for c in clients]
        # Every part ends by itself after ``--seconds``; the bound is a safety net that keeps what was
        # measured (the figures below are computed from whatever the load recorded).
        load = asyncio.gather(sampler(), orders.run(server.port, token, t0, stop_at, args.timeout), *tasks)
        try:
            await asyncio.wait_for(load, args.seconds + 120)
        except TimeoutError:
            result["load_phase_overran"] = True
        load_ended = time.perf_counter()
        elapsed = load_ended - t0
        server_cpu_s = chat.cpu_seconds(pid) - cpu_before
        client_cpu_s = chat.own_cpu_seconds() - own_before
        result["load_average_before"], result["load_average_after"] = load_before, chat.load_average()
        if args.tracemalloc:
            server.process.send_signal(signal.SIGUSR2)
        backlog = sum(1 for i in load_ids if i not in probe.delivered)
        result["undispatched_events_when_load_stopped"] = undispatched(url)
        await chat.wait_delivered(probe, load_ids, args.timeout)
        ended = time.perf_counter()
        drain_until = time.monotonic() + args.drain
        while (left := undispatched(url)) and time.monotonic() < drain_until:
            await asyncio.sleep(1)
        result["undispatched_events_after_drain"] = left
        result["drain_s"] = round(time.perf_counter() - load_ended, 1)
        result["rss_kib_after_drain"] = chat.vm_rss_kib(pid)

        # messages
        delivered = {i: probe.delivered[i] - probe.sent[i] for i in load_ids if i in probe.delivered}
        undelivered = [i for i in load_ids if i not in probe.delivered]
        lost = [i for i in undelivered if i in probe.acked and probe.acked[i] <= ended - args.timeout]
        minutes: dict[int, list[float]] = {}
        for i, seconds in delivered.items():
            minutes.setdefault(int(sent_at_k[i] // 60), []).append(seconds)
        per_minute = [{"minute": m + 1, **chat.summary_ms(values)} for m, values in sorted(minutes.items())]
        # memory
        warm = next((s for s in samples if s["t_s"] >= args.warm_up - 1), samples[0] if samples else None)
        end = samples[-1] if samples else None
        growth = (
            round(100 * (end["rss_kib"] - warm["rss_kib"]) / warm["rss_kib"], 2) if warm and end else None
        )
        result.update(
            {
                "messages": {
                    "sent": len(load_ids),
                    "offered_per_s": args.conversations,
                    "delivered": len(delivered),
                    "late": sum(1 for x in delivered.values() if x > args.timeout)
                    + len(undelivered)
                    - len(lost),
                    "lost": len(lost),
                    "duplicates": probe.duplicates,
                    "backlog_when_load_stopped": backlog,
                    "delivered_per_s": round(len(delivered) / max(elapsed, 1e-9), 1),
                    "delivery": chat.summary_ms(list(delivered.values())),
                    "ack": chat.summary_ms(
                        [probe.acked[i] - probe.sent[i] for i in load_ids if i in probe.acked]
                    ),
                    "delivery_per_minute": per_minute,
                    "client_send_lag": chat.summary_ms(probe.send_lag),
                    "client_errors": probe.error_count,
                    "refused_too_many_waiting": probe.refused_busy,
                    "first_client_errors": probe.errors[:5],
                },
                "orders": {
                    "offered_per_s": args.orders_per_second,
                    "accepted": orders.accepted,
                    "accepted_per_s": round(orders.accepted / max(elapsed, 1e-9), 1),
                    "refused": orders.refused,
                    "skipped_by_client": orders.skipped,
                    "unsent_at_end": orders.unsent_at_end,
                    "in_flight_at_end": orders.in_flight_at_end,
                    "errors": orders.errors[:5],
                    "latency": chat.summary_ms(orders.latencies),
                },
                "memory": {
                    "warm_up_s": args.warm_up,
                    "rss_mib_after_warm_up": round(warm["rss_kib"] / 1024, 1) if warm else None,
                    "rss_mib_at_end": round(end["rss_kib"] / 1024, 1) if end else None,
                    "growth_percent": growth,
                    "goal_percent": GOAL_GROWTH_PERCENT,
                    "met": None if growth is None else growth < GOAL_GROWTH_PERCENT,
                    "slope_mib_per_min_second_half": slope_mib_per_minute(samples, args.seconds / 2),
                    "rss_mib_peak": round(max(s["rss_kib"] for s in samples) / 1024, 1) if samples else None,
                },
                "cpu": {
                    "server_percent_of_one_core": round(100 * server_cpu_s / elapsed, 1),
                    "server_cpu_s": round(server_cpu_s, 1),
                    "client_percent_of_one_core": round(100 * client_cpu_s / elapsed, 1),
                    "server_cpu_ms_per_message_and_order": round(
                        1000 * server_cpu_s / max(len(delivered) + orders.accepted, 1), 3
                    ),
                },
                "load_s": round(elapsed, 1),
                "samples": samples,
            }
        )
        return result
    finally:
        closers = [c.close() for c in clients] + [console.close()]
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.gather(*closers, return_exceptions=True), 60)


def launch_patiently(name: str, command: list[str], env: dict[str, str], directory: Path) -> chat.Server:
    """``bench/chat.py``'s ``launch``, allowed 5 minutes to answer: a loaded machine imports slowly."""
    return chat.launch(name, command, env, directory, start_seconds=300)


def run(args: argparse.Namespace) -> dict[str, Any]:
    document: dict[str, Any] = {
        "benchmark": "bench/soak.py",
        "machine": chat.machine_info(),
        "source": loyalty.source_fingerprint(),
        "arguments": {k: str(v) for k, v in vars(args).items() if k not in ("serve", "port")},
    }
    with tempfile.TemporaryDirectory(prefix="loyaldesk-soak-") as tmp:
        directory = Path(tmp)
        env = environment(args, directory)
        url = env["LOYALDESK_DATABASE_URL"]
        print("[soak] setting up", file=sys.stderr, flush=True)
        token = set_up(env, directory)
        server = launch_patiently(
            "loyaldesk", [sys.executable, str(Path(__file__).resolve()), "--serve"], env, directory
        )
        try:
            cookie = chat.log_in(server)
            with asyncio.Runner(loop_factory=chat.event_loop_factory()) as runner:
                document.update(runner.run(soak(server, cookie, token, url, args)))
        except Exception as error:
            document["failed"] = f"{type(error).__name__}: {error}"
            document["server_log_tail"] = server.log_tail(3000)
        finally:
            chat.stop([server])
            document["server_exit_code"] = server.process.returncode
            document["server_log_problems"] = server.problems()  # the hook's lines are neither
        trace = directory / "tracemalloc.jsonl"
        if trace.exists():
            records = [json.loads(line) for line in trace.read_text().splitlines() if line.strip()]
            document["tracemalloc"] = records[-1] if records else None
            document["tracemalloc_series"] = [
                {"seconds_since_baseline": r["seconds_since_baseline"], "traced_mib": r["traced_mib"]}
                for r in records
            ]
        try:
            document["database"] = table_sizes(url)
        except Exception as error:
            document["database"] = {"failed": repr(error)}
        if args.keep_database and url.startswith("sqlite"):
            import shutil

            shutil.copy(directory / "soak.db", args.keep_database)
    document["machine"]["load_average_after"] = chat.load_average()
    return document


def report(document: dict[str, Any]) -> None:
    machine, args = document["machine"], document["arguments"]
    print(
        f"\n# memory soak, {machine['date']}, {machine['node']}, {machine['cpus']} CPUs, Python "
        f"{machine['python']}, commit {document['source']['commit']}, backend {args['backend']}, "
        f"{args['conversations']} conversations x 1 msg/s + {args['orders_per_second']} orders/s for "
        f"{args['seconds']} s{', tracemalloc ON' if args['tracemalloc'] != '0' else ''}"
    )
    if "failed" in document:
        print(f"FAILED: {document['failed']}\n{document.get('server_log_tail', '')[-1500:]}")
        return
    m, msg, o, c = document["memory"], document["messages"], document["orders"], document["cpu"]
    verdict = {True: "MET", False: "NOT MET", None: "not measured"}[m["met"]]
    rows = [
        ("RSS after warm-up (MiB)", f"{m['rss_mib_after_warm_up']} (at {m['warm_up_s']} s)"),
        ("RSS at the end (MiB)", f"{m['rss_mib_at_end']} (peak {m['rss_mib_peak']})"),
        ("growth", f"{m['growth_percent']} % (goal < {m['goal_percent']} %: {verdict})"),
        ("slope over the second half", f"{m['slope_mib_per_min_second_half']} MiB/min"),
        ("messages sent / delivered", f"{msg['sent']:,} / {msg['delivered']:,} ({msg['delivered_per_s']}/s)"),
        (
            "late / lost / duplicates / refused (too many waiting)",
            f"{msg['late']:,} / {msg['lost']:,} / {msg['duplicates']:,} / "
            f"{msg['refused_too_many_waiting']:,}",
        ),
        (
            "delivery p50 / p99 / max (ms)",
            f"{msg['delivery']['p50_ms']} / {msg['delivery']['p99_ms']} / {msg['delivery']['max_ms']}",
        ),
        (
            "orders accepted",
            f"{o['accepted']:,} ({o['accepted_per_s']}/s of {o['offered_per_s']}/s offered; "
            f"skipped {o['skipped_by_client']}, unsent at the end {o['unsent_at_end']}, "
            f"unanswered {o['in_flight_at_end']}, refused {sum(o['refused'].values())})",
        ),
        ("order latency p50 / p99 (ms)", f"{o['latency']['p50_ms']} / {o['latency']['p99_ms']}"),
        (
            "events undispatched: load stop / after drain",
            f"{document['undispatched_events_when_load_stopped']:,} / "
            f"{document['undispatched_events_after_drain']:,} (drain {document['drain_s']} s)",
        ),
        ("server CPU (% of one core)", f"{c['server_percent_of_one_core']} ({c['server_cpu_s']} s)"),
        ("client CPU (% of one core)", f"{c['client_percent_of_one_core']}"),
        (
            "widget connect: server CPU ms / RSS KiB each",
            f"{document['widget_connect']['server_cpu_ms_per_connection']} / "
            f"{document['widget_connect']['rss_kib_per_idle_connection']}",
        ),
        ("first message (new conversation): server CPU ms", f"{document['first_message_server_cpu_ms']}"),
        ("server log problems", f"{document['server_log_problems']['count']}"),
        (
            "load average before / after",
            f"{document['load_average_before']} / {document['load_average_after']}",
        ),
    ]
    print("\n| figure | value |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")
    print("\n| minute | delivered | p50 ms | p99 ms | max ms |\n|---:|---:|---:|---:|---:|")
    for row in msg["delivery_per_minute"]:
        print(f"| {row['minute']} | {row['count']:,} | {row['p50_ms']} | {row['p99_ms']} | {row['max_ms']} |")
    print(
        "\n| t (s) | RSS MiB | server CPU % | client CPU % | sent | delivered | orders | undispatched |\n"
        "|---:|---:|---:|---:|---:|---:|---:|---:|"
    )
    for s in document["samples"]:
        print(
            f"| {s['t_s']} | {s['rss_kib'] / 1024:.1f} | {s['server_cpu_percent']} "
            f"| {s['client_cpu_percent']} | {s['sent']:,} | {s['delivered']:,} | {s['orders_accepted']:,} "
            f"| {s.get('undispatched_events', '-')} |"
        )
    problems = document["server_log_problems"]
    for line, n in list({**problems["messages"], **problems["exceptions"]}.items())[:8]:
        print(f"  log: {n} x {line[:200]}")
    database = document.get("database", {})
    if "tables" in database:
        print(f"\ndatabase: {database['total_bytes'] / 2**20:.1f} MiB in all")
        print("| table | rows | MiB | bytes/row |\n|---|---:|---:|---:|")
        for name, t in database["tables"].items():
            print(f"| {name} | {t['rows']:,} | {t['bytes'] / 2**20:.2f} | {t['bytes_per_row']} |")
    trace = document.get("tracemalloc")
    if trace:
        print(
            f"\ntracemalloc: {trace['seconds_since_baseline']} s after the baseline, "
            f"{trace['traced_mib']} MiB traced; top growers:"
        )
        for item in trace["top"][:15]:
            print(
                f"  {item['size_diff_kib']:+,.1f} KiB ({item['count_diff']:+,} blocks) "
                + " <- ".join(item["where"][:3])
            )
        print("by file:")
        for item in trace.get("top_files", [])[:10]:
            print(f"  {item['size_diff_kib']:+,.1f} KiB ({item['count_diff']:+,} blocks) {item['file']}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=600, help="the load's duration (default 600)")
    parser.add_argument("--conversations", type=int, default=500, help="widgets, one message a second each")
    parser.add_argument("--orders-per-second", type=float, default=20.0, help="orders posted (0: none)")
    parser.add_argument("--order-connections", type=int, default=4, help="keep-alive connections for them")
    parser.add_argument("--warm-up", type=int, default=60, help="seconds of load before the reference RSS")
    parser.add_argument("--sample-every", type=int, default=10, help="seconds between samples")
    parser.add_argument("--timeout", type=float, default=10.0, help="a message later than this is late")
    parser.add_argument("--drain", type=float, default=60.0, help="at most this long for the outbox to empty")
    parser.add_argument("--no-compression", action="store_true", help="do not offer permessage-deflate")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--database-url", default=os.environ.get("LOYALDESK_SOAK_DATABASE_URL"))
    parser.add_argument(
        "--redis-url", default=os.environ.get("LOYALDESK_SOAK_REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    parser.add_argument("--tracemalloc", type=int, default=0, help="frames per trace (0: off)")
    parser.add_argument("--tracemalloc-every", type=float, default=60.0, help="seconds between dumps")
    parser.add_argument("--keep-database", type=Path, help="SQLite: copy the database here at the end")
    parser.add_argument("--json", type=Path, help="also write every figure here")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve_with_hook(args.port)
        return
    if args.warm_up % args.sample_every or args.warm_up >= args.seconds:
        parser.error("--warm-up must be a multiple of --sample-every and shorter than --seconds")
    limit = chat.raise_file_limit()
    if args.conversations * 2 + 100 > limit:
        parser.error(f"the open-file limit ({limit}) is too low for {args.conversations:,} connections")
    document = run(args)
    report(document)
    if args.json:
        args.json.write_text(json.dumps(document, indent=1))
        print(f"JSON: {args.json}")


if __name__ == "__main__":
    main()
