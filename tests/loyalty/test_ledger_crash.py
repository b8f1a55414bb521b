"""Kill the ledger writer with SIGKILL many times: every acknowledged write survives, nothing is torn."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from loyaldesk.kernel.db import Database
from loyaldesk.loyalty.models import LedgerEntry
from loyaldesk.loyalty.queries.check_ledger import check_ledger
from tests.factories import StoreHandle, make_member

pytestmark = pytest.mark.slow  # scheduled first by tests/xdist_scheduling.py, so it never ends the run

WRITER = Path(__file__).with_name("crash_writer.py")
KILLS = 8


def _run_until_killed(url: str, store_id: int, member_id: int, first: int, seconds: float) -> list[str]:
    process = subprocess.Popen(
        [sys.executable, str(WRITER), url, str(store_id), str(member_id), str(first)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    acknowledged: list[str] = []

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("ACK "):
                acknowledged.append(line.split()[1])

    reader = threading.Thread(target=read)
    reader.start()
    deadline = time.monotonic() + 20
    while not acknowledged and time.monotonic() < deadline:  # let it get going before the timer starts
        time.sleep(0.01)
    time.sleep(seconds)
    process.send_signal(signal.SIGKILL)
    process.wait()
    reader.join()
    return acknowledged


def test_acknowledged_writes_survive_kill_minus_nine(
    db: Database, database_url: str, store: StoreHandle
) -> None:
    member_id = make_member(db, store)
    rng = random.Random(7)
    acknowledged: list[str] = []
    first = 0
    for _ in range(KILLS):
        got = _run_until_killed(database_url, store.id, member_id, first, rng.uniform(0.05, 0.6))
        acknowledged.extend(got)
        # The next run starts after the last acknowledged write; a write cut off before its ACK is retried
        # with the same key, as a real client would.
        first = int(got[-1].split("-")[1]) + 1 if got else first
    assert len(acknowledged) > KILLS
    with db.read() as session:
        stored = set(session.scalars(select(LedgerEntry.idempotency_key)))
        assert set(acknowledged) <= stored
        assert check_ledger(session) == []
