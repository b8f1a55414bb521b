"""Does the server stay responsive while it works through what an import leaves for the background?

Starts a real ``loyaldesk serve`` on a fresh SQLite database in a temporary folder, creates a store, runs
``loyaldesk import orders`` of the given files in another process (as a user would), and meanwhile samples
``GET /healthz`` and a console page (the customer list, logged in as the owner) every quarter of a second.
and a write through the API (a customer's attribute changed, with a store API key). It then waits until
every event is dispatched and prints, for each phase (before the import, while the import runs, while the
server catches up after it), the latency percentiles of the three, plus how long the import and the
catch-up took and how many events the import left behind.

    .venv/bin/python bench/import_backlog.py ../shared/data/online_retail/*.parquet [--award-points]

The machine's load swings the absolute figures (see DESIGN.md); compare phases of one run with each other.
"""

from __future__ import annotations

import argparse
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

PASSWORD = "bench-import-password-2026"
OWNER = "owner@retail.example.com"
SAMPLE_EVERY = 0.25


@dataclass
class Samples:
    """Latencies (ms) of one URL, each with the moment it was taken."""

    taken: list[tuple[float, float]] = field(default_factory=list)
    errors: int = 0

    def between(self, start: float, end: float) -> list[float]:
        return [ms for moment, ms in self.taken if start <= moment < end]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _percentiles(values: list[float]) -> str:
    if not values:
        return "no samples"
    ordered = sorted(values)

    def at(share: float) -> float:
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]

    return (
        f"n={len(values):4d}  p50 {statistics.median(ordered):7.1f}  p95 {at(0.95):7.1f}  "
        f"p99 {at(0.99):7.1f}  max {ordered[-1]:7.1f} ms"
    )


def _sampler(client: httpx.Client, path: str, samples: Samples, stop: threading.Event) -> None:
    number = 0
    while not stop.is_set():
        started = time.perf_counter()
        number += 1
        try:
            if path.startswith("/api/"):  # a write: the probe customer's attribute changes every time
                response = client.put(path, json={"attributes": {"probe": number}}, timeout=120)
            else:
                response = client.get(path, timeout=120)
            if response.status_code not in (200, 201):
                samples.errors += 1
        except httpx.HTTPError:
            samples.errors += 1
        elapsed = time.perf_counter() - started
        samples.taken.append((time.monotonic(), elapsed * 1000))
        stop.wait(max(0.0, SAMPLE_EVERY - elapsed))


def _backlog(database: Path) -> int:
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)
    try:
        return int(
            connection.execute("SELECT count(*) FROM domain_events WHERE dispatched_at IS NULL").fetchone()[0]
        )
    finally:
        connection.close()


def _log_in(client: httpx.Client) -> None:
    page = client.get("/login")
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post(
        "/login", data={"email": OWNER, "password": PASSWORD, "csrf_token": token}, follow_redirects=False
    )
    if response.status_code != 303:
        raise SystemExit(f"login failed: {response.status_code} {response.text[:300]}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--award-points", action="store_true", help="import with --award-points")
    parser.add_argument("--timeout", type=float, default=3600, help="give up the catch-up after this (s)")
    arguments = parser.parse_args()
    files = [path.resolve() for path in arguments.files]
    loyaldesk = str(Path(sys.executable).with_name("loyaldesk"))
    with tempfile.TemporaryDirectory(prefix="import-backlog-") as folder:
        work = Path(folder)
        database = work / "loyaldesk.db"
        port = _free_port()
        environment = os.environ | {
            "LOYALDESK_DATABASE_URL": f"sqlite:///{database}",
            "LOYALDESK_DATA_DIR": str(work),
            "LOYALDESK_COOKIE_SECURE": "false",
            "COLUMNS": "120",
        }

        def run(*arguments: str, stdin: str | None = None) -> str:
            result = subprocess.run(
                [loyaldesk, *arguments],
                input=stdin,
                capture_output=True,
                text=True,
                env=environment,
                cwd=work,
                start_new_session=True,
            )
            if result.returncode != 0:
                raise SystemExit(f"loyaldesk {arguments[0]} failed:\n{result.stdout}\n{result.stderr}")
            return result.stdout

        run("migrate")
        run(
            "stores", "create", "--slug", "retail", "--name", "Online Retail", "--currency", "GBP",
            "--timezone", "Europe/London", "--owner-email", OWNER, stdin=f"{PASSWORD}\n{PASSWORD}\n",
        )  # fmt: skip
        token = run("api-keys", "create", "--store", "retail", "--name", "bench").strip().splitlines()[-1]
        server = subprocess.Popen(
            [loyaldesk, "serve", "--port", str(port), "--skip-migrations"],
            env=environment,
            cwd=work,
            stdout=subprocess.DEVNULL,
            stderr=open(work / "server.log", "w"),  # noqa: SIM115 - closed with the folder
            start_new_session=True,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit("the server did not start")
                time.sleep(0.2)
            health, page, write = Samples(), Samples(), Samples()
            stop = threading.Event()
            auth = {"Authorization": f"Bearer {token}"}
            with (
                httpx.Client(base_url=base) as plain,
                httpx.Client(base_url=base) as console,
                httpx.Client(base_url=base, headers=auth) as api,
            ):
                _log_in(console)
                threads = [
                    threading.Thread(target=_sampler, args=(plain, "/healthz", health, stop), daemon=True),
                    threading.Thread(
                        target=_sampler, args=(console, "/console/retail/customers", page, stop), daemon=True
                    ),
                    threading.Thread(
                        target=_sampler,
                        args=(api, "/api/v1/customers/by-external-id/bench-probe", write, stop),
                        daemon=True,
                    ),
                ]
                for thread in threads:
                    thread.start()
                time.sleep(5)
                import_started = time.monotonic()
                command = ["import", "orders", "--store", "retail", *map(str, files)]
                if arguments.award_points:
                    command.append("--award-points")
                output = run(*command)
                import_ended = time.monotonic()
                left = _backlog(database)
                peak_seen = left
                while left and time.monotonic() - import_ended < arguments.timeout:
                    time.sleep(1)
                    left = _backlog(database)
                caught_up = time.monotonic()
                time.sleep(3)
                stop.set()
                for thread in threads:
                    thread.join(timeout=130)
        finally:
            server.terminate()
            server.wait(timeout=30)
        print(output)
        print(f"import: {import_ended - import_started:.1f} s; events left behind: {peak_seen:,}")
        print(
            f"catch-up after the import: {caught_up - import_ended:.1f} s"
            + (f" (gave up with {left:,} left)" if left else "")
        )
        phases = (
            ("before", import_started - 5, import_started),
            ("import", import_started, import_ended),
            ("catch-up", import_ended, caught_up),
        )
        for label, samples in (("/healthz", health), ("console page", page), ("API write", write)):
            print(f"{label} ({samples.errors} errors)")
            for phase, start, end in phases:
                print(f"  {phase:9s} {_percentiles(samples.between(start, end))}")


if __name__ == "__main__":
    main()
