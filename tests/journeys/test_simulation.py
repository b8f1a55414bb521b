"""The journeys simulation (bench/journeys_sim.py), small: the same checks the full run makes, on every
test run. The full run (10,000 customers, 30 days) is in docs/benchmarks.md."""

from __future__ import annotations

from pathlib import Path

import pytest
from bench.journeys_sim import simulate

from loyaldesk.kernel.migrations import upgrade_to_head


@pytest.mark.slow
def test_a_small_simulation_keeps_every_promise(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sim.db'}"
    upgrade_to_head(url)
    result = simulate(
        url, customers=200, days=3, workers=3, kill_rate=0.01, fail_rate=0.05, duplicate_rate=0.05, seed=3
    )
    figures = result["figures"]
    assert figures["delivered"] > 100
    assert (
        figures["workers_killed"] >= 1 and figures["refused_5xx"] >= 1 and figures["events_redelivered"] >= 1
    )
    assert result["checks"] == {name: True for name in result["checks"]}, figures["violations"]
