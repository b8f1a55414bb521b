"""A burst of logins against a real server: does ``/healthz`` stay fast while argon2 works?

One ``python -m loyaldesk serve`` process on a fresh SQLite file (or ``--database-url`` PostgreSQL), with
``--logins`` (60) staff accounts that share one password (hashed once, untimed). Each login comes from its
own client (its own cookies): the login form is fetched first (untimed; its CSRF token), then all the
``POST /login`` are sent at once (asyncio, httpx). Meanwhile a separate thread samples ``GET /healthz``
back to back (one request in flight, a new one 10 ms after each answer) from the first login sent to the
last login answered. Before the burst, the same sampler runs ``--idle-seconds`` (5) on the idle server:
the raw limit of this machine at this moment, which the burst's figures are divided by.

Variants (``--variant``, default ``0:10 0:0 64:0``), each ``concurrency:niceness``: the server's
``LOYALDESK_PASSWORD_HASHING_CONCURRENCY`` (0 is loyaldesk's default: half the CPUs, at least one; 64
lets every login of the burst hash at once) and ``LOYALDESK_PASSWORD_HASHING_NICENESS`` (10, the default,
runs hashing at a lower CPU priority; 0 at the same as everything else). ``64:0`` is what a server without
either does. Repetitions alternate the variants (A B C A B C ...; ``--repeat`` 3);
each repetition uses a fresh server process and database. Medians over the repetitions are printed and
written, with every sample's figures, to ``bench/results/login_burst.json``.

Figures: /healthz latency p50/p99/max during the burst (nearest rank), the same divided by the idle p99,
the burst's duration (first login sent to last answered), logins/s, and the answers (303 = logged in).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

PASSWORD = "bench password, long enough"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))]


def _prepare(url: str, logins: int) -> list[str]:
    """Migrate and create a store with ``logins`` agents (untimed); their emails."""
    from loyaldesk.composition import compose
    from loyaldesk.kernel.actors import SYSTEM, system_for
    from loyaldesk.kernel.db import Database
    from loyaldesk.kernel.migrations import upgrade_to_head
    from loyaldesk.stores import actions, hash_password

    compose()
    upgrade_to_head(url)
    database = Database(url)
    password_hash = hash_password(PASSWORD)
    emails = [f"agent{i}@bench.example.com" for i in range(logins)]

    def create(uow):  # type: ignore[no-untyped-def]
        store = actions.create_store(uow, SYSTEM, slug="bench", name="Bench")
        for email in emails:
            actions.add_staff_member(
                uow,
                system_for(store.id),
                store.id,
                email=email,
                name=email,
                role="agent",
                password_hash=password_hash,
            )

    try:
        database.write(create)
    finally:
        database.dispose()
    return emails


def _reset_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def _start(url: str, port: int, variant: str, work: Path) -> subprocess.Popen[bytes]:
    concurrency, niceness = variant.split(":")
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO / "src"),
        "LOYALDESK_DATABASE_URL": url,
        "LOYALDESK_SECRET_KEY": "bench-secret",
        "LOYALDESK_COOKIE_SECURE": "false",
        "LOYALDESK_DATA_DIR": str(work / "var"),
        "LOYALDESK_LOGIN_ATTEMPTS_PER_IP": "100000",
        "LOYALDESK_PASSWORD_HASHING_CONCURRENCY": concurrency,
        "LOYALDESK_PASSWORD_HASHING_NICENESS": niceness,
    }
    env.pop("LOYALDESK_REDIS_URL", None)
    return subprocess.Popen(
        [sys.executable, "-m", "loyaldesk", "serve", "--port", str(port), "--skip-migrations"],
        env=env,
        cwd=work,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait_ready(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited with {process.returncode}")
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("the server did not start")


class Sampler(threading.Thread):
    """``GET /healthz`` back to back, 10 ms apart, until stopped; each latency in ms."""

    def __init__(self, base: str) -> None:
        super().__init__(daemon=True)
        self.base = base
        self.latencies: list[float] = []
        self.failures = 0
        self.stop_event = threading.Event()

    def run(self) -> None:
        with httpx.Client(base_url=self.base, timeout=30) as client:
            while not self.stop_event.is_set():
                started = time.perf_counter()
                try:
                    ok = client.get("/healthz").status_code == 200
                except httpx.HTTPError:
                    ok = False
                elapsed = (time.perf_counter() - started) * 1000
                if ok:
                    self.latencies.append(elapsed)
                else:
                    self.failures += 1
                self.stop_event.wait(0.01)


def _sample_idle(base: str, seconds: float) -> list[float]:
    sampler = Sampler(base)
    sampler.start()
    time.sleep(seconds)
    sampler.stop_event.set()
    sampler.join()
    return sampler.latencies


async def _burst(base: str, emails: list[str]) -> tuple[list[int], float]:
    clients = [httpx.AsyncClient(base_url=base, timeout=300) for _ in emails]
    try:
        tokens = []
        for client in clients:
            page = (await client.get("/login")).text
            tokens.append(page.split('name="csrf_token" value="')[1].split('"')[0])
        started = time.perf_counter()
        answers = await asyncio.gather(
            *(
                client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
                for client, token, email in zip(clients, tokens, emails, strict=True)
            )
        )
        return [answer.status_code for answer in answers], time.perf_counter() - started
    finally:
        for client in clients:
            await client.aclose()


def run_once(variant: str, logins: int, idle_seconds: float, database_url: str | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="loyaldesk-login-burst-") as folder:
        work = Path(folder)
        url = database_url or f"sqlite:///{work / 'bench.db'}"
        if database_url:
            _reset_postgres(database_url)
        emails = _prepare(url, logins)
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        process = _start(url, port, variant, work)
        try:
            _wait_ready(base, process)
            idle = _sample_idle(base, idle_seconds)
            sampler = Sampler(base)
            sampler.start()
            statuses, seconds = asyncio.run(_burst(base, emails))
            sampler.stop_event.set()
            sampler.join()
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
    during = sampler.latencies
    idle_p99 = _percentile(idle, 0.99)
    return {
        "variant": variant,
        "idle_p50_ms": _percentile(idle, 0.50),
        "idle_p99_ms": idle_p99,
        "burst_p50_ms": _percentile(during, 0.50),
        "burst_p99_ms": _percentile(during, 0.99),
        "burst_max_ms": max(during),
        "burst_p99_over_idle_p99": _percentile(during, 0.99) / idle_p99,
        "healthz_samples": len(during),
        "healthz_failures": sampler.failures,
        "burst_seconds": seconds,
        "logins_per_second": logins / seconds,
        "logged_in": statuses.count(303),
        "other_answers": sorted(status for status in statuses if status != 303),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--logins", type=int, default=60)
    parser.add_argument("--variant", nargs="+", default=["0:10", "0:0", "64:0"], help="concurrency:niceness")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--idle-seconds", type=float, default=5.0)
    parser.add_argument(
        "--database-url", help="PostgreSQL URL (its public schema is dropped!); SQLite if not given"
    )
    parser.add_argument("--output", type=Path, default=REPO / "bench" / "results" / "login_burst.json")
    arguments = parser.parse_args()

    runs: list[dict[str, Any]] = []
    for repetition in range(arguments.repeat):
        for variant in arguments.variant:  # alternating: A B C A B C ...
            result = run_once(variant, arguments.logins, arguments.idle_seconds, arguments.database_url)
            result["repetition"] = repetition
            runs.append(result)
            print(
                f"rep {repetition} {variant}: healthz p50 {result['burst_p50_ms']:.1f} "
                f"p99 {result['burst_p99_ms']:.1f} max {result['burst_max_ms']:.1f} ms "
                f"(idle p99 {result['idle_p99_ms']:.1f}); {result['logged_in']}/{arguments.logins} logged in "
                f"in {result['burst_seconds']:.1f} s",
                flush=True,
            )
    medians: dict[str, dict[str, float]] = {}
    keys = (
        "idle_p99_ms",
        "burst_p50_ms",
        "burst_p99_ms",
        "burst_max_ms",
        "burst_p99_over_idle_p99",
        "burst_seconds",
        "logins_per_second",
    )
    for variant in arguments.variant:
        mine = [run for run in runs if run["variant"] == variant]
        medians[variant] = {key: statistics.median(run[key] for run in mine) for key in keys}
    print("\nmedians over", arguments.repeat, "repetitions:")
    columns = ("idle p99", "burst p50", "burst p99", "max", "p99/idle", "burst s", "logins/s")
    print(f"{'at once:nice':>16}" + "".join(f"{column:>11}" for column in columns))
    for variant, figures in medians.items():
        print(f"{variant:>16}" + "".join(f"{figures[key]:>11.1f}" for key in keys))
    arguments.output.parent.mkdir(parents=True, exist_ok=True)
    arguments.output.write_text(
        json.dumps(
            {"cpus": os.cpu_count(), "logins": arguments.logins, "runs": runs, "medians": medians}, indent=2
        )
    )
    print(f"\nwritten to {arguments.output}")


if __name__ == "__main__":
    main()
