"""How ``pytest -n 2`` (pytest-xdist) hands the tests to its workers: one test at a time, in collection
order, except that

- every test in a file that uses the run's Redis (its text names ``REDIS_URL``) goes to one worker, as one
  unit, first: Redis pub/sub channels are the same in every Redis database, so the brokers of two workers
  would hear each other (both workers' first store publishes on ``store:1:...``);
- the tests of files marked slow (``pytest.mark.slow``) go next, so that no long test is left for the end
  while the other worker idles.

xdist's own ``--dist loadgroup`` would do the first, but it marks groups by rewriting ``item._nodeid``,
which pytest 9 no longer reads; this decides from the node ids alone, on the controller. Imported only when
xdist runs (``tests/conftest.py``'s ``pytest_xdist_make_scheduler``).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest
from xdist.scheduler import LoadScopeScheduling

REDIS_GROUP = "redis"


@cache
def _source(rootpath: Path, file: str) -> str:
    try:
        return (rootpath / file).read_text(encoding="utf-8")
    except OSError:
        return ""


class SuiteScheduling(LoadScopeScheduling):
    """``LoadScopeScheduling`` with one scope per test, but one for every Redis file together; the Redis
    scope first, then the slow files' tests, then the rest in collection order."""

    def __init__(self, config: pytest.Config, log: Any = None) -> None:
        super().__init__(config, log)
        self._rootpath = config.rootpath
        self._ordered = False
        self._positions: dict[Any, dict[str, int]] = {}

    def _file_source(self, nodeid: str) -> str:
        return _source(self._rootpath, nodeid.split("::", 1)[0])

    def _split_scope(self, nodeid: str) -> str:
        return REDIS_GROUP if "REDIS_URL" in self._file_source(nodeid) else nodeid

    def _rank(self, scope: str) -> int:
        if scope == REDIS_GROUP:
            return 0
        return 1 if "pytest.mark.slow" in self._file_source(scope) else 2

    def _assign_work_unit(self, node: Any) -> None:
        """The base class's, with the queue put in this class's order once (stable: collection order
        within each rank), and a test's index in the worker's collection looked up in a dict."""
        if not self._ordered:
            units = sorted(self.workqueue.items(), key=lambda unit: self._rank(unit[0]))
            self.workqueue.clear()
            self.workqueue.update(units)
            self._ordered = True
        scope, work_unit = self.workqueue.popitem(last=False)
        self.assigned_work.setdefault(node, {})[scope] = work_unit
        if node not in self._positions:
            collection = self.registered_collections[node]
            self._positions[node] = {nodeid: index for index, nodeid in enumerate(collection)}
        positions = self._positions[node]
        node.send_runtest_some(
            [positions[nodeid] for nodeid, completed in work_unit.items() if not completed]
        )
