"""Live chat latency: a customer's message from the widget to the agent's console (persisted, then
delivered), p50/p90/p99/max, with 100 and 1,000 concurrent conversations each sending one message per
second, beside a raw Starlette WebSocket echo measured in the same run; memory per idle connection.

Scenarios (``--scenario``, default all three; each at every ``--conversations`` level, default 100 and
1,000; every level gets fresh server processes and a fresh database):

* ``echo``: the floor. A minimal Starlette app (one WebSocket route that sends back each text frame)
  served by ``uvicorn.run`` with the same settings as ``loyaldesk serve`` (one process, ``loop``/``http``/
  ``ws`` on ``auto``: uvloop, httptools, the ``websockets`` implementation; proxy headers; log level info).
  Each connection sends a hello (echoed: its greeting), one untimed warm-up frame, then one frame per
  second shaped like a chat message; latency = send -> the echo received on the same connection.
* ``sqlite``: one ``python -m loyaldesk serve`` process on a fresh SQLite file (in-memory broker,
  default settings: write batching and background jobs on). Widgets and the console all on it.
* ``postgresql``: two ``loyaldesk serve`` processes sharing the bench PostgreSQL database and Redis
  (``LOYALDESK_REDIS_URL``); widgets alternate between the two, the agent's console is on the second:
  half the customers reach the agent through Redis.

Setup per loyaldesk scenario (untimed): ``loyaldesk migrate``, ``loyaldesk stores create`` (the owner)
and ``loyaldesk staff add --role agent`` through the CLI as ``bench/ingest.py`` does; the agent logs in
through the login form (CSRF token, session cookie) and opens ONE console WebSocket
(``/ws/console/bench`` with the cookie and the server's own ``Origin``; ``{"type": "resume"}`` ->
``ready``). The agent is online, so routing gives them conversations up to their capacity; the others
wait in the queue, and every message still reaches the console as a store event. On PostgreSQL the ids of
stores and conversations start above 1,000,000,000 so that the bench's broker channels
(``store:{id}:events``, ``conversation:{id}:public``) cannot mix with those of a test suite sharing the
Redis server (Redis pub/sub ignores database numbers).

The load: this one Python process (asyncio, uvloop when importable, the ``websockets`` client; it offers
permessage-deflate as browsers do, ``--no-compression`` to turn it off) opens N widget connections
(``/ws/widget/bench``; ``hello`` -> ``welcome``; 64 handshakes at a time), each sends a first message
(untimed: it creates the conversation and routes it; 64 in flight at a time, each waiting for its
``ack``), then for ``--seconds`` (20) each conversation sends one message per second at a random phase
(open loop: a widget does not wait for its ack before its next message, as a customer does not), with
``conversation_id`` once known, as the real widget does. Measured per message, with
``time.perf_counter`` in this process:

* *delivery*: from the widget's send to the moment the console receives the
  ``conversation.message_posted`` event carrying that ``client_message_id``. The server announces an
  event only after its commit, so this is "persisted, then delivered";
* *ack*: from the send to the widget's ``ack`` (persisted; for context).

Sending stops after ``--seconds``; the run then waits at most ``--timeout`` (10) seconds for the
deliveries still due, so it ends in bounded time even when the server cannot keep up. A message is
*late* when it reached the console more than ``--timeout`` seconds after its send, or when it never did
but had not been acked (persisted) ``--timeout`` seconds before the run ended (so it may still have been
queued in a server, or on its way from one to the other); it is *lost* when it never reached the console
although its ack came at least ``--timeout`` seconds before the end. The goals need every message on
time (none late or lost).
*backlog* = sent but not yet delivered when sending stopped; *delivered/s* = messages delivered /
(last delivery - first send): the rate the server sustained, to compare with the offered N/s.
Percentiles are over the delivered messages (nearest rank). Every ``{"type": "ping"}`` gets a ``pong``.

Memory per idle connection: the server process's VmRSS (``/proc/<pid>/status``) after a warm-up
connection was opened and closed (and, for loyaldesk, with the console open), then again one second
after the N connections are open and greeted, before any message: (after - before) / N, in KiB. For the
two processes, each process's growth over the connections it holds. The RSS after the warm-up messages
(each widget then watches a conversation) and at the end are in the JSON.

The client and the servers share the machine's cores (2 here): the client's own CPU time over the load
phase (``resource.getrusage``) is reported beside each server process's (``/proc/<pid>/stat``), with the
client's event-loop lag (a 10 ms ticker's oversleep) and its send lag (actual send - scheduled), which say
how much of a latency figure may be the client's own queueing. Load averages are recorded before and
after every phase.

Goals (printed, met or not): delivery p99 <= 25 ms at 1,000 conversations on one process (``sqlite``),
and delivery p99 within 3x the echo's p99 at the same concurrency, every message on time.

    .venv/bin/python bench/chat.py --json /tmp/chat-bench.json
    .venv/bin/python bench/chat.py --scenario sqlite --conversations 100 --seconds 5

PostgreSQL: the server of LOYALDESK_BENCH_DATABASE_URL (default: the local test server), database
``loyaldesk_bench`` (created if missing, emptied on every run), as ``bench/loyalty.py``. Redis:
LOYALDESK_BENCH_REDIS_URL (default ``redis://127.0.0.1:6379/0``). Everything listens on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import platform
import random
import resource
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
import ingest  # bench/ is not a package: the sibling benchmarks' database helpers
import loyalty

ROOT = ingest.ROOT
SCENARIOS = ("echo", "sqlite", "postgresql")
LEVELS = (100, 1000)
REDIS_URL = os.environ.get("LOYALDESK_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
STORE = "bench"
OWNER_EMAIL = "owner@bench.example.com"
AGENT_EMAIL = "agent@bench.example.com"
PASSWORD = "bench-password"
SECRET_KEY = "chat-bench-key-shared-by-both-processes"
ID_BASE = 1_000_000_000  # PostgreSQL: stores and conversations start here (channels apart from tests')
OPEN_CONCURRENCY = 64
WARM_UP_IN_FLIGHT = 64
STEP_TIMEOUT = 120.0  # opening all connections, or all warm-up messages, must fit in this
LAG_TICK = 0.01
GOAL_P99_MS = 25.0
GOAL_RATIO = 3.0


def dumps(frame: dict[str, Any]) -> str:
    """A text frame (orjson gives bytes, which websockets would send as a binary frame)."""
    return orjson.dumps(frame).decode()


# -- figures --------------------------------------------------------------------------------------
def percentile(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile ``q`` (0-100) of an ascending list; NaN when empty."""
    if not ordered:
        return float("nan")
    rank = max(1, math.ceil(len(ordered) * q / 100 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


def summary_ms(seconds: list[float]) -> dict[str, float | int | None]:
    """count, p50, p90, p99, p99.9 and max of durations given in seconds, in milliseconds."""
    ordered = sorted(seconds)

    def ms(value: float) -> float | None:
        return None if value != value else round(value * 1000, 3)  # NaN -> null in the JSON

    return {
        "count": len(ordered),
        "p50_ms": ms(percentile(ordered, 50)),
        "p90_ms": ms(percentile(ordered, 90)),
        "p99_ms": ms(percentile(ordered, 99)),
        "p999_ms": ms(percentile(ordered, 99.9)),
        "max_ms": ms(ordered[-1] if ordered else float("nan")),
    }


def vm_rss_kib(pid: int) -> int:
    """The resident set size of process ``pid`` in KiB (VmRSS of /proc/<pid>/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds process ``pid`` has used so far (/proc/<pid>/stat)."""
    rest = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(rest[11]) + int(rest[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    """User + system CPU seconds of this (client) process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def load_average() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# -- the echo floor -------------------------------------------------------------------------------
def echo_app() -> Any:
    """A Starlette app: ``/ws/echo`` sends every text frame back; ``/healthz`` answers ok."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route, WebSocketRoute
    from starlette.websockets import WebSocket, WebSocketDisconnect

    async def echo(websocket: WebSocket) -> None:
        await websocket.accept()
        try:
            while True:
                await websocket.send_text(await websocket.receive_text())
        except WebSocketDisconnect:
            pass

    async def healthz(request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    return Starlette(routes=[WebSocketRoute("/ws/echo", echo), Route("/healthz", healthz)])


def serve_echo(port: int) -> None:
    """Serve ``echo_app`` with the uvicorn arguments of ``loyaldesk serve`` (see loyaldesk.cli.server)."""
    import uvicorn

    uvicorn.run(
        echo_app(),
        host="127.0.0.1",
        port=port,
        workers=1,
        proxy_headers=True,
        ws_per_message_deflate=False,
        log_level="info",
    )


# -- server processes -----------------------------------------------------------------------------
@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_base(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def problems(self, examples: int = 2) -> dict[str, Any]:
        """What went wrong in the server's log: warning and error lines (uvicorn's info lines left out)
        and tracebacks, counted by their final line, with the first ``examples`` tracebacks in full."""
        lines = self.log.read_text(errors="replace").splitlines() if self.log.exists() else []
        marks = ("WARNING", "ERROR", "CRITICAL")
        messages: dict[str, int] = {}
        exceptions: dict[str, int] = {}
        tracebacks: list[str] = []
        current: list[str] | None = None
        for line in lines:
            if current is not None:
                current.append(line)
                if (
                    line
                    and not line[0].isspace()
                    and not line.startswith(("Traceback", "The above", "During"))
                ):
                    exceptions[line[:300]] = exceptions.get(line[:300], 0) + 1
                    if len(tracebacks) < examples:
                        tracebacks.append("\n".join(current[-40:]))
                    current = None
                continue
            if line.startswith("Traceback"):
                current = [line]
            elif any(line.startswith(mark) or f" {mark} " in line for mark in marks):
                messages[line[:300]] = messages.get(line[:300], 0) + 1
        return {
            "count": sum(messages.values()) + sum(exceptions.values()),
            "messages": messages,
            "exceptions": exceptions,
            "tracebacks": tracebacks,
        }


def launch(
    name: str, command: list[str], env: dict[str, str], directory: Path, *, start_seconds: float = 60
) -> Server:
    """Start a server process on a free port (the command gets ``--port``) and wait up to
    ``start_seconds`` for ``/healthz``."""
    import httpx

    port = free_port()
    log = directory / f"{name}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [*command, "--port", str(port)], env=env, cwd=directory, stdout=sink, stderr=subprocess.STDOUT
        )
    server = Server(name, process, port, log)
    deadline = time.monotonic() + start_seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}: {server.log_tail()}")
        try:
            if httpx.get(f"{server.base}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    stop([server])
    raise RuntimeError(f"{name} did not start: {server.log_tail()}")


def stop(servers: list[Server]) -> None:
    """Terminate, then kill what is still running after 15 seconds."""
    for server in servers:
        if server.process.poll() is None:
            server.process.terminate()
    for server in servers:
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=15)


def loyaldesk_env(backend: str, directory: Path) -> dict[str, str]:
    """The environment of the CLI and the servers: a fresh database, shared secret key, plain-http cookies."""
    if backend == "sqlite":
        url = f"sqlite:///{directory / 'chat.db'}"
    else:
        ingest.PG_URL = loyalty.bench_postgres_url()  # ingest.prepare_database empties this database
        url = ingest.prepare_database("postgresql", directory)
    env = {**ingest.UNLIMITED, **{k: v for k, v in os.environ.items() if k != "LOYALDESK_REDIS_URL"}}
    env.update(
        {
            "LOYALDESK_DATABASE_URL": url,
            "LOYALDESK_SECRET_KEY": SECRET_KEY,
            "LOYALDESK_COOKIE_SECURE": "false",
            "LOYALDESK_DATA_DIR": str(directory / "var"),
        }
    )
    if backend == "postgresql":
        env["LOYALDESK_REDIS_URL"] = REDIS_URL
    return env


def set_up_store(env: dict[str, str], directory: Path) -> None:
    """Migrate, then create the store (with its owner) and the agent through the CLI."""

    def cli(*arguments: str, stdin: bytes = b"") -> None:
        done = subprocess.run(
            [sys.executable, "-m", "loyaldesk", *arguments],
            env=env,
            cwd=directory,
            input=stdin,
            capture_output=True,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"loyaldesk {' '.join(arguments)}: {done.stdout[-2000:]!r} {done.stderr[-2000:]!r}"
            )

    cli("migrate")
    url = env["LOYALDESK_DATABASE_URL"]
    if url.startswith("postgresql"):
        import psycopg

        with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as connection:
            for table in ("stores", "support_conversations"):
                connection.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {ID_BASE})")
    password = f"{PASSWORD}\n{PASSWORD}\n".encode()
    cli("stores", "create", "--slug", STORE, "--name", "Bench", "--owner-email", OWNER_EMAIL, stdin=password)
    cli(
        "staff",
        "add",
        "--store",
        STORE,
        "--email",
        AGENT_EMAIL,
        "--role",
        "agent",
        "--name",
        "Agent",
        stdin=password,
    )


def log_in(server: Server) -> str:
    """The agent logs in through the login form; returns the Cookie header of their session."""
    import httpx

    with httpx.Client(base_url=server.base, follow_redirects=False, timeout=30) as http:
        page = http.get("/login")
        token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        response = http.post(
            "/login",
            data={"email": AGENT_EMAIL, "password": PASSWORD, "csrf_token": token, "next": "/console"},
        )
        if response.status_code != 303:
            raise RuntimeError(f"login failed: {response.status_code} {response.text[:500]}")
        return "; ".join(f"{name}={value}" for name, value in http.cookies.items())


# -- the client -----------------------------------------------------------------------------------
@dataclass
class Probe:
    """Send, ack and delivery times (perf_counter) by client_message_id, and what went wrong."""

    sent: dict[str, float] = field(default_factory=dict)
    acked: dict[str, float] = field(default_factory=dict)
    delivered: dict[str, float] = field(default_factory=dict)
    duplicates: int = 0
    errors: list[str] = field(default_factory=list)
    send_lag: list[float] = field(default_factory=list)

    def on_ack(self, client_message_id: Any, now: float) -> None:
        if isinstance(client_message_id, str) and client_message_id in self.sent:
            self.acked.setdefault(client_message_id, now)

    def on_delivered(self, client_message_id: Any, now: float) -> None:
        if not isinstance(client_message_id, str) or client_message_id not in self.sent:
            return  # not ours (another test's store on the same Redis, say)
        if client_message_id in self.delivered:
            self.duplicates += 1
        else:
            self.delivered[client_message_id] = now

    def error(self, text: str) -> None:
        if len(self.errors) < 1000:
            self.errors.append(text)


class Client:
    """One widget (``mode="widget"``) or one echo connection (``mode="echo"``) and its reader task."""

    def __init__(self, index: int, mode: str, probe: Probe) -> None:
        self.index = index
        self.mode = mode
        self.probe = probe
        self.ws: Any = None
        self.reader: asyncio.Task[None] | None = None
        self.conversation_id: int | None = None
        self.waiting: dict[str, asyncio.Future[None]] = {}
        self.closing = False
        self.count = 0

    async def open(self, url: str, compression: str | None) -> None:
        """Connect and greet (widget: hello -> welcome; echo: hello -> the same hello), then read on."""
        from websockets.asyncio.client import connect

        self.ws = await connect(
            url, compression=compression, ping_interval=None, open_timeout=30, close_timeout=5
        )
        await self.ws.send(dumps({"type": "hello"}))
        expected = "welcome" if self.mode == "widget" else "hello"
        while True:
            frame = orjson.loads(await asyncio.wait_for(self.ws.recv(), 30))
            if frame.get("type") == expected:
                break
            if frame.get("type") == "error":
                raise RuntimeError(f"widget {self.index} refused: {frame}")
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            async for raw in self.ws:
                now = time.perf_counter()
                frame = orjson.loads(raw)
                kind = frame.get("type")
                if kind == "ack":
                    client_id = frame.get("client_message_id")
                    self.probe.on_ack(client_id, now)
                    self.conversation_id = frame.get("conversation_id")
                    waiter = self.waiting.pop(client_id, None)
                    if waiter is not None and not waiter.done():
                        waiter.set_result(None)
                elif kind == "message" and self.mode == "echo":
                    self.probe.on_delivered(frame.get("client_message_id"), now)
                    waiter = self.waiting.pop(frame.get("client_message_id"), None)
                    if waiter is not None and not waiter.done():
                        waiter.set_result(None)
                elif kind == "ping":
                    await self.ws.send('{"type":"pong"}')
                elif kind == "error":
                    self.probe.error(f"widget {self.index}: {frame}")
                    waiter = self.waiting.pop(frame.get("client_message_id"), None)
                    if waiter is not None and not waiter.done():
                        waiter.set_exception(RuntimeError(str(frame)))
        except ConnectionClosed as closed:
            if not self.closing:
                self.probe.error(f"{self.mode} {self.index} closed by the server: {closed!r}")

    async def send(self, client_message_id: str) -> None:
        """Send one chat message frame and record its send time."""
        self.count += 1
        frame: dict[str, Any] = {
            "type": "message",
            "client_message_id": client_message_id,
            "body": f"Hello, where is my order #{10_000 + self.index}? (message {self.count})",
        }
        if self.conversation_id is not None:
            frame["conversation_id"] = self.conversation_id
        payload = dumps(frame)
        self.probe.sent[client_message_id] = time.perf_counter()
        await self.ws.send(payload)

    async def send_and_wait(self, client_message_id: str, timeout: float) -> None:
        """Send and wait for the ack (widget) or the echo (echo)."""
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiting[client_message_id] = waiter
        await self.send(client_message_id)
        await asyncio.wait_for(waiter, timeout)

    async def close(self) -> None:
        self.closing = True
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.ws.close(), 10)
        if self.reader is not None:
            self.reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.reader


class Console:
    """The agent's one console WebSocket: records when each customer message's event arrives."""

    def __init__(self, probe: Probe) -> None:
        self.probe = probe
        self.ws: Any = None
        self.reader: asyncio.Task[None] | None = None
        self.closing = False
        self.frames = 0

    async def open(self, server: Server, cookie: str, compression: str | None) -> None:
        from websockets.asyncio.client import connect

        self.ws = await connect(
            f"{server.ws_base}/ws/console/{STORE}",
            additional_headers={"Cookie": cookie, "Origin": server.base},
            compression=compression,
            ping_interval=None,
            open_timeout=30,
            close_timeout=5,
        )
        await self.ws.send(dumps({"type": "resume"}))  # no last_event_id: start from now, without waiting
        while True:
            frame = orjson.loads(await asyncio.wait_for(self.ws.recv(), 30))
            if frame.get("type") == "ready":
                break
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            async for raw in self.ws:
                now = time.perf_counter()
                self.frames += 1
                if "conversation.message_posted" in raw:
                    frame = orjson.loads(raw)
                    if frame.get("event") == "conversation.message_posted":
                        message = (frame.get("data") or {}).get("message") or {}
                        if message.get("author_kind") == "customer":
                            self.probe.on_delivered(message.get("client_message_id"), now)
                elif '"ping"' in raw and orjson.loads(raw).get("type") == "ping":
                    await self.ws.send('{"type":"pong"}')
        except ConnectionClosed as closed:
            if not self.closing:
                self.probe.error(f"console closed by the server: {closed!r}")

    async def close(self) -> None:
        self.closing = True
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.ws.close(), 10)
        if self.reader is not None:
            self.reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.reader


async def bounded(jobs: list[Callable[[], Coroutine[Any, Any, None]]], limit: int, timeout: float) -> None:
    """Run ``jobs``, at most ``limit`` at a time, all within ``timeout`` seconds; raise the first failure."""
    gate = asyncio.Semaphore(limit)

    async def one(job: Callable[[], Coroutine[Any, Any, None]]) -> None:
        async with gate:
            await job()

    outcomes = await asyncio.wait_for(
        asyncio.gather(*(one(j) for j in jobs), return_exceptions=True), timeout
    )
    failures = [o for o in outcomes if isinstance(o, BaseException)]
    if failures:
        raise RuntimeError(f"{len(failures)} of {len(jobs)} failed, first: {failures[0]!r}")


async def wait_delivered(probe: Probe, ids: list[str], timeout: float) -> bool:
    """Wait until every id in ``ids`` was delivered, at most ``timeout`` seconds."""
    deadline = time.perf_counter() + timeout
    pending = [i for i in ids if i not in probe.delivered]
    while pending and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)
        pending = [i for i in pending if i not in probe.delivered]
    return not pending


def rss(servers: list[Server]) -> dict[str, int]:
    return {server.name: vm_rss_kib(server.process.pid) for server in servers}


async def measure(
    mode: str,
    servers: list[Server],
    widget_servers: list[Server],
    cookie: str | None,
    conversations: int,
    args: argparse.Namespace,
) -> dict[str, Any]:
    """Open the connections, warm up, run the load, drain; return every figure of this run."""
    compression = None if args.no_compression else "deflate"
    path = "/ws/echo" if mode == "echo" else f"/ws/widget/{STORE}"
    probe = Probe()
    result: dict[str, Any] = {}
    console: Console | None = None
    clients = [Client(i, mode, probe) for i in range(conversations)]
    urls = [f"{widget_servers[i % len(widget_servers)].ws_base}{path}" for i in range(conversations)]
    try:
        if mode == "widget":
            assert cookie is not None
            console = Console(probe)
            await console.open(servers[-1], cookie, compression)
        for server in widget_servers:  # warm the route (lazy imports, first-use caches), then let go
            warm = Client(-1, mode, probe)
            await warm.open(f"{server.ws_base}{path}", compression)
            await warm.close()
        await asyncio.sleep(1.0)
        rss_before = rss(servers)

        started = time.perf_counter()
        await bounded(
            [lambda c=c, u=u: c.open(u, compression) for c, u in zip(clients, urls, strict=True)],
            OPEN_CONCURRENCY,
            STEP_TIMEOUT,
        )
        result["open_s"] = round(time.perf_counter() - started, 2)
        await asyncio.sleep(1.0)
        rss_idle = rss(servers)
        held = {server.name: 0 for server in servers}
        for i in range(conversations):
            held[widget_servers[i % len(widget_servers)].name] += 1
        result["rss_kib"] = {"before": rss_before, "idle": rss_idle}
        result["kib_per_idle_connection"] = {
            name: round((rss_idle[name] - rss_before[name]) / held[name], 1) for name in held if held[name]
        }

        # The first message of each conversation: untimed (creates and routes the conversation).
        started = time.perf_counter()
        warm_ids = [f"w{c.index}" for c in clients]
        await bounded(
            [lambda c=c, i=i: c.send_and_wait(i, 60) for c, i in zip(clients, warm_ids, strict=True)],
            WARM_UP_IN_FLIGHT,
            STEP_TIMEOUT,
        )
        if not await wait_delivered(probe, warm_ids, 60):
            missing = sum(1 for i in warm_ids if i not in probe.delivered)
            raise RuntimeError(f"{missing} warm-up messages never reached the console")
        result["warm_up_s"] = round(time.perf_counter() - started, 2)
        await asyncio.sleep(1.0)
        result["rss_kib"]["with_conversation"] = rss(servers)

        # The load: one message per conversation per second, random phase, open loop.
        load_ids: list[str] = []
        stop_lag = asyncio.Event()
        lags: list[float] = []

        async def lag_monitor() -> None:
            while not stop_lag.is_set():
                tick = time.perf_counter()
                await asyncio.sleep(LAG_TICK)
                lags.append(time.perf_counter() - tick - LAG_TICK)

        async def sender(client: Client, first: float) -> None:
            for k in range(args.seconds):
                target = first + k
                delay = target - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                client_id = f"t{client.index}-{k}"
                load_ids.append(client_id)
                probe.send_lag.append(time.perf_counter() - target)
                try:
                    await client.send(client_id)
                except Exception as error:  # a closed connection: counted, never delivered
                    probe.error(f"send {client_id}: {error!r}")

        rng = random.Random(conversations)
        load_before = load_average()
        cpu_before = {server.name: cpu_seconds(server.process.pid) for server in servers}
        client_cpu_before = own_cpu_seconds()
        began = time.perf_counter()
        t0 = began + 0.2
        monitor = asyncio.create_task(lag_monitor())
        await asyncio.wait_for(
            asyncio.gather(*(sender(c, t0 + rng.random()) for c in clients)), args.seconds + 30
        )
        sending_done = time.perf_counter()
        backlog = sum(1 for i in load_ids if i not in probe.delivered)
        await wait_delivered(probe, load_ids, args.timeout)
        stop_lag.set()
        await monitor
        ended = time.perf_counter()
        elapsed = ended - began
        client_cpu = own_cpu_seconds() - client_cpu_before
        server_cpu_seconds = {
            server.name: cpu_seconds(server.process.pid) - cpu_before[server.name] for server in servers
        }
        server_cpu = {name: round(100 * used / elapsed, 1) for name, used in server_cpu_seconds.items()}
        load_after = load_average()
        result["rss_kib"]["end"] = rss(servers)

        delivered = [probe.delivered[i] - probe.sent[i] for i in load_ids if i in probe.delivered]
        # Late: delivered more than ``--timeout`` after its send, or not delivered by the end and not
        # acked (persisted) at least ``--timeout`` before it (still queued in a server, or between them).
        # Lost: acked at least ``--timeout`` before the end, and never delivered to the console.
        undelivered = [i for i in load_ids if i not in probe.delivered]
        lost = [i for i in undelivered if i in probe.acked and probe.acked[i] <= ended - args.timeout]
        acks = [probe.acked[i] - probe.sent[i] for i in load_ids if i in probe.acked]
        first_send = min(probe.sent[i] for i in load_ids) if load_ids else began
        last_delivery = max(
            (probe.delivered[i] for i in load_ids if i in probe.delivered), default=first_send
        )
        span = max(last_delivery - first_send, 1e-9)
        result.update(
            {
                "sent": len(load_ids),
                "delivered": len(delivered),
                "late": sum(1 for x in delivered if x > args.timeout) + len(undelivered) - len(lost),
                "lost": len(lost),
                "undelivered": len(load_ids) - len(delivered),
                "on_time": sum(1 for x in delivered if x <= args.timeout),
                "acked": len(acks),
                "duplicates": probe.duplicates,
                "backlog_when_sending_stopped": backlog,
                "offered_per_s": conversations,
                "sent_per_s": round(len(load_ids) / max(sending_done - t0, 1e-9), 1),
                "delivered_per_s": round(len(delivered) / span, 1),
                "delivery": summary_ms(delivered),
                "ack": summary_ms(acks) if mode == "widget" else None,
                "client_send_lag": summary_ms(probe.send_lag),
                "client_loop_lag": summary_ms(lags),
                "client_cpu_percent": round(100 * client_cpu / elapsed, 1),
                "server_cpu_percent": server_cpu,
                # All the servers' CPU time over the load phase (and the wait for late deliveries) per
                # message delivered (echo: per frame echoed).
                "server_cpu_ms_per_message": round(
                    1000 * sum(server_cpu_seconds.values()) / max(len(delivered), 1), 3
                ),
                "load_average_before": load_before,
                "load_average_after": load_after,
                "console_frames": console.frames if console else None,
                "errors": len(probe.errors),
                "first_errors": probe.errors[:10],
            }
        )
        return result
    finally:
        closers = [c.close() for c in clients] + ([console.close()] if console else [])
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.gather(*closers, return_exceptions=True), 30)


def event_loop_factory() -> Callable[[], asyncio.AbstractEventLoop]:
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop
    return uvloop.new_event_loop  # type: ignore[no-any-return]


def run_one(scenario: str, conversations: int, args: argparse.Namespace) -> dict[str, Any]:
    """One scenario at one concurrency level, on fresh server processes and a fresh database."""
    result: dict[str, Any] = {"scenario": scenario, "conversations": conversations}
    servers: list[Server] = []
    print(f"[{scenario} x {conversations}] starting", file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory(prefix="loyaldesk-chat-bench-") as tmp:
        directory = Path(tmp)
        try:
            if scenario == "echo":
                env = {**os.environ}
                servers.append(
                    launch(
                        "echo",
                        [sys.executable, str(Path(__file__).resolve()), "--serve-echo"],
                        env,
                        directory,
                    )
                )
                cookie = None
                widget_servers = servers
                mode = "echo"
            else:
                env = loyaldesk_env(scenario, directory)
                set_up_store(env, directory)
                serve = [
                    sys.executable,
                    "-m",
                    "loyaldesk",
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--skip-migrations",
                ]
                names = ["loyaldesk"] if scenario == "sqlite" else ["loyaldesk-A", "loyaldesk-B"]
                for name in names:
                    servers.append(launch(name, serve, env, directory))
                cookie = log_in(servers[-1])
                widget_servers = servers
                mode = "widget"
            with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
                result.update(runner.run(measure(mode, servers, widget_servers, cookie, conversations, args)))
        except Exception as error:
            result["failed"] = f"{type(error).__name__}: {error}"
            for server in servers:
                result.setdefault("server_log_tails", {})[server.name] = server.log_tail(2000)
        finally:
            result["server_log_problems"] = {server.name: server.problems() for server in servers}
            stop(servers)
            result["server_exit_codes"] = {server.name: server.process.returncode for server in servers}
    keys = ("sent", "delivered", "late", "lost", "delivered_per_s", "failed")
    summary = {k: result.get(k) for k in keys}
    print(f"[{scenario} x {conversations}] {json.dumps(summary)}", file=sys.stderr, flush=True)
    return result


# -- the report -----------------------------------------------------------------------------------
def fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def echo_p99(results: list[dict[str, Any]], conversations: int) -> float | None:
    for r in results:
        if r["scenario"] == "echo" and r["conversations"] == conversations and "delivery" in r:
            return r["delivery"]["p99_ms"]  # type: ignore[no-any-return]
    return None


def marginal_memory(results: list[dict[str, Any]]) -> dict[str, float]:
    """KiB per idle connection between the lowest and highest level of each server process: the growth
    from the extra connections alone, without what the first ones cost once (thread pools, caches)."""
    out: dict[str, float] = {}
    for scenario in SCENARIOS:
        runs = sorted(
            (r for r in results if r["scenario"] == scenario and "rss_kib" in r),
            key=lambda r: r["conversations"],
        )
        if len(runs) < 2 or runs[0]["conversations"] == runs[-1]["conversations"]:
            continue
        low, high = runs[0], runs[-1]
        for name in high["rss_kib"]["idle"]:
            grown = [r["rss_kib"]["idle"][name] - r["rss_kib"]["before"][name] for r in (low, high)]
            share = len(high["rss_kib"]["idle"])  # two processes hold half the widgets each
            extra = (high["conversations"] - low["conversations"]) / share
            out[f"{scenario}/{name}"] = round((grown[1] - grown[0]) / extra, 1)
    return out


def goals(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each goal of the issue, with the figure measured and whether it is met."""
    out: list[dict[str, Any]] = []
    one = [r for r in results if r["scenario"] == "sqlite" and r["conversations"] == 1000]
    if one and "delivery" in one[0]:
        p99 = one[0]["delivery"]["p99_ms"]
        met = p99 is not None and p99 <= GOAL_P99_MS and one[0]["on_time"] == one[0]["sent"]
        out.append(
            {
                "goal": "delivery p99 <= 25 ms at 1,000 conversations, one process (sqlite)",
                "p99_ms": p99,
                "late": one[0]["late"],
                "lost": one[0]["lost"],
                "met": met,
            }
        )
    else:
        out.append(
            {"goal": "delivery p99 <= 25 ms at 1,000 conversations, one process (sqlite)", "met": None}
        )
    for r in results:
        if r["scenario"] == "echo" or "delivery" not in r:
            continue
        floor = echo_p99(results, r["conversations"])
        p99 = r["delivery"]["p99_ms"]
        ratio = p99 / floor if floor and p99 is not None else None
        out.append(
            {
                "goal": f"{r['scenario']} x {r['conversations']}: delivery p99 within 3x the echo's p99",
                "p99_ms": p99,
                "echo_p99_ms": floor,
                "ratio": None if ratio is None else round(ratio, 2),
                "late": r["late"],
                "lost": r["lost"],
                "met": None if ratio is None else ratio <= GOAL_RATIO and r["on_time"] == r["sent"],
            }
        )
    return out


def report(results: list[dict[str, Any]], document: dict[str, Any]) -> None:
    machine = document["machine"]
    print(
        f"\n# chat latency benchmark, {machine['date']}, {machine['node']}, {machine['cpus']} CPUs, "
        f"Python {machine['python']}, commit {document['source']['commit']}"
        f"{' + uncommitted src/ changes' if document['source_dirty'] else ''}, "
        f"{document['arguments']['seconds']} s per run, compression "
        f"{'off' if document['arguments']['no_compression'] == 'True' else 'permessage-deflate'}"
    )
    columns = [
        "scenario",
        "conv.",
        "sent/s",
        "delivered/s",
        "backlog at stop",
        "late",
        "lost",
        "delivery p50",
        "p90",
        "p99",
        "max",
        "p99 / echo p99",
        "ack p50",
        "ack p99",
        "KiB per idle conn.",
        "server CPU %",
        "server CPU ms / msg",
        "client CPU %",
        "client loop lag p99 / send lag p99",
    ]
    print("\n| " + " | ".join(columns) + " |")
    print("|---" + "|---:" * (len(columns) - 1) + "|")
    for r in results:
        if "failed" in r:
            print(f"| {r['scenario']} | {r['conversations']:,} | FAILED: {r['failed'][:150]} |")
            continue
        d, a = r["delivery"], r["ack"] or {}
        floor = echo_p99(results, r["conversations"])
        ratio = d["p99_ms"] / floor if floor and d["p99_ms"] is not None and r["scenario"] != "echo" else None
        cells = [
            r["scenario"],
            f"{r['conversations']:,}",
            fmt(r["sent_per_s"]),
            fmt(r["delivered_per_s"]),
            fmt(r["backlog_when_sending_stopped"]),
            fmt(r["late"]),
            fmt(r["lost"]),
            fmt(d["p50_ms"], 2),
            fmt(d["p90_ms"], 2),
            fmt(d["p99_ms"], 2),
            fmt(d["max_ms"], 2),
            fmt(ratio, 2),
            fmt(a.get("p50_ms"), 2),
            fmt(a.get("p99_ms"), 2),
            ", ".join(f"{v:,.1f}" for v in r["kib_per_idle_connection"].values()),
            ", ".join(f"{v:.0f}" for v in r["server_cpu_percent"].values()),
            fmt(r.get("server_cpu_ms_per_message"), 2),
            fmt(r["client_cpu_percent"], 0),
            f"{fmt(r['client_loop_lag']['p99_ms'], 2)} / {fmt(r['client_send_lag']['p99_ms'], 2)}",
        ]
        print("| " + " | ".join(cells) + " |")
    print("\nDelivery = widget send -> the console receives conversation.message_posted (persisted, then")
    print("delivered); echo: send -> echo back. Milliseconds. postgresql: memory and CPU per process (A, B).")
    print(
        "\nload average (1, 5, 15 min) at the end of each load phase: "
        + "; ".join(f"{r['scenario']} x {r['conversations']}: {r.get('load_average_after')}" for r in results)
    )
    for r in results:
        problems = {k: v for k, v in r.get("server_log_problems", {}).items() if v["count"]}
        if problems or r.get("errors") or r.get("duplicates"):
            print(
                f"note {r['scenario']} x {r['conversations']}: client errors {r.get('errors')}, "
                f"duplicate deliveries {r.get('duplicates')}"
                + (f", first: {r['first_errors'][0][:200]}" if r.get("first_errors") else "")
            )
            for name, found in problems.items():
                lines = {**found["messages"], **found["exceptions"]}
                print(
                    f"  {name} log: "
                    + "; ".join(f"{n} x {line[:160]}" for line, n in list(lines.items())[:4])
                )
    if document["marginal_kib_per_connection"]:
        print(
            "memory per idle connection between the lowest and highest level (KiB): "
            + ", ".join(f"{k} {v:,.1f}" for k, v in document["marginal_kib_per_connection"].items())
        )
    print("\nGoals:")
    for goal in document["goals"]:
        verdict = {True: "MET", False: "NOT MET", None: "not measured"}[goal["met"]]
        figures = ", ".join(f"{k}={v}" for k, v in goal.items() if k not in ("goal", "met"))
        print(f"  [{verdict}] {goal['goal']}" + (f" ({figures})" if figures else ""))


def machine_info() -> dict[str, Any]:
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "node": platform.node(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average": load_average(),
    }


def raise_file_limit() -> int:
    """Raise this process's open-file limit to the hard limit (the servers inherit it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scenario", action="append", choices=SCENARIOS, help="default: all three")
    parser.add_argument("--conversations", action="append", type=int, help="default: 100 and 1,000")
    parser.add_argument("--seconds", type=int, default=20, help="load phase: one message per second each")
    parser.add_argument("--timeout", type=float, default=10.0, help="a message later than this is late")
    parser.add_argument("--no-compression", action="store_true", help="do not offer permessage-deflate")
    parser.add_argument("--json", type=Path, help="also write every figure here")
    parser.add_argument("--serve-echo", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_echo:
        serve_echo(args.port)
        return
    limit = raise_file_limit()
    levels = args.conversations or list(LEVELS)
    if max(levels) * 2 + 100 > limit:
        parser.error(f"the open-file limit ({limit}) is too low for {max(levels):,} connections")
    source = loyalty.source_fingerprint()
    dirty = subprocess.run(
        ["git", "-C", str(ROOT), "status", "--porcelain", "--", "src"], capture_output=True, text=True
    ).stdout.strip()
    machine = machine_info()
    results: list[dict[str, Any]] = []
    for scenario in args.scenario or list(SCENARIOS):
        for conversations in levels:
            results.append(run_one(scenario, conversations, args))
    machine["load_average_after"] = load_average()
    if loyalty.source_fingerprint() != source:
        print(
            "WARNING: src/ changed during the run; the server processes may run newer code", file=sys.stderr
        )
    document: dict[str, Any] = {
        "benchmark": "bench/chat.py",
        "machine": machine,
        "source": source,
        "source_dirty": bool(dirty),
        "arguments": {k: str(v) for k, v in vars(args).items() if k not in ("serve_echo", "port")},
        "results": results,
    }
    document["goals"] = goals(results)
    document["marginal_kib_per_connection"] = marginal_memory(results)
    report(results, document)
    print(f"\nsource: {source}{' (src/ has uncommitted changes)' if dirty else ''}")
    if args.json:
        args.json.write_text(json.dumps(document, indent=1))
        print(f"JSON: {args.json}")


if __name__ == "__main__":
    main()
