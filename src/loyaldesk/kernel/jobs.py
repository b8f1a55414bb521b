"""Background work: the event dispatcher and periodic due-work jobs, in one runner.

Durable state lives in the database (undispatched events, due-time columns). A job is a function
``job(uow) -> int`` that does whatever is due now and returns how much it did; it must be safe to run in
several processes at once (claim rows with ``FOR UPDATE SKIP LOCKED`` or make the work idempotent).

The web server runs a ``BackgroundRunner`` in a daemon thread by default; at scale, ``loyaldesk worker``
processes run it in the foreground and the servers are started with ``LOYALDESK_RUN_BACKGROUND_JOBS=false``.

In the server, the runner shares the process (its CPU, the GIL, the single writer) with requests. When a
long backlog builds up (an import leaves a hundred thousand events), it works through it at most
``share`` of the time: after each full batch it pauses as long as the batch took (share 0.5), so that
pages and the API keep answering while it catches up. A worker process has nothing else to do (share 1).
Either way a pass dispatches for at most ``dispatch_seconds`` before the periodic jobs get their turn (SLA
checks must not wait for an import's backlog), and the next pass follows at once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from loyaldesk.kernel.db import Database, UnitOfWork
from loyaldesk.kernel.dispatcher import HandlerRegistry, dispatch_until_idle, handlers
from loyaldesk.kernel.events import StoredEvent

log = logging.getLogger("loyaldesk.jobs")

Job = Callable[[UnitOfWork], int]
# A job that talks to the outside world (a mail server): it gets the database and opens its own short
# transactions, so that no lock is held while it waits on the network.
OutsideJob = Callable[[Database], int]


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    run: Job | OutsideJob
    every_seconds: float
    in_transaction: bool = True


class JobRegistry:
    """The periodic jobs of every domain, registered at import time with ``@jobs.every(...)``."""

    def __init__(self) -> None:
        self._jobs: dict[str, PeriodicJob] = {}

    def every(self, seconds: float, name: str | None = None) -> Callable[[Job], Job]:
        def register(fn: Job) -> Job:
            job_name = name or f"{fn.__module__}.{fn.__name__}"
            self._jobs[job_name] = PeriodicJob(job_name, fn, seconds)
            return fn

        return register

    def every_outside(self, seconds: float, name: str | None = None) -> Callable[[OutsideJob], OutsideJob]:
        """Register ``fn(database) -> int``, run outside any transaction (see ``OutsideJob``)."""

        def register(fn: OutsideJob) -> OutsideJob:
            job_name = name or f"{fn.__module__}.{fn.__name__}"
            self._jobs[job_name] = PeriodicJob(job_name, fn, seconds, in_transaction=False)
            return fn

        return register

    def all(self) -> list[PeriodicJob]:
        return list(self._jobs.values())


jobs = JobRegistry()


class BackgroundRunner:
    """Dispatches events as soon as they commit and runs each periodic job at its interval."""

    def __init__(
        self,
        database: Database,
        *,
        handler_registry: HandlerRegistry = handlers,
        job_registry: JobRegistry = jobs,
        poll_seconds: float = 1.0,
        share: float = 1.0,
        dispatch_seconds: float = 10.0,
    ) -> None:
        if not 0 < share <= 1:
            raise ValueError("share is a fraction of the time, above 0 and at most 1")
        self.database = database
        self.handler_registry = handler_registry
        self.job_registry = job_registry
        self.poll_seconds = poll_seconds
        self.share = share
        self.dispatch_seconds = dispatch_seconds
        self._dispatch_until = 0.0
        self._cut_short = False
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_run: dict[str, float] = {}

    def _on_commit(self, stored: Sequence[StoredEvent]) -> None:
        if any(event.needs_dispatch for event in stored):
            self._wake.set()

    def start(self) -> None:
        """Run in a daemon thread until ``stop()``."""
        self.database.add_commit_listener(self._on_commit)
        self._thread = threading.Thread(target=self.run_forever, name="loyaldesk-background", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self.database.remove_commit_listener(self._on_commit)
        if self._thread is not None:
            self._thread.join(timeout=30)

    def run_forever(self) -> None:
        if self._thread is None:  # foreground (worker): still wake on our own process's commits
            self.database.add_commit_listener(self._on_commit)
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:
                log.exception("background pass failed")
            if not self._cut_short:  # else events are waiting: the next pass starts at once
                self._wake.wait(self.poll_seconds)
            self._wake.clear()

    def run_once(self) -> int:
        """One pass: the due events (for at most ``dispatch_seconds``), then every job whose interval has
        passed. Returns work done."""
        self._cut_short = False
        self._dispatch_until = time.monotonic() + self.dispatch_seconds
        done = dispatch_until_idle(self.database, self.handler_registry, after_batch=self._give_way)
        now = time.monotonic()
        for job in self.job_registry.all():
            last = self._last_run.get(job.name)
            if last is not None and now - last < job.every_seconds:
                continue
            self._last_run[job.name] = now
            try:
                if job.in_transaction:
                    done += self.database.write(job.run)  # type: ignore[arg-type]
                else:
                    done += job.run(self.database)  # type: ignore[arg-type]
            except Exception:
                log.exception("job %s failed", job.name)
        return done

    def _give_way(self, batch_seconds: float) -> bool:
        """After a full batch: pause so that the background takes at most ``share`` of the time; whether
        to go on (not when the runner is stopping, nor once this pass has dispatched long enough)."""
        if self.share < 1:
            self._stop.wait(batch_seconds * (1 - self.share) / self.share)
        if time.monotonic() >= self._dispatch_until:
            self._cut_short = True
        return not (self._stop.is_set() or self._cut_short)

    def request_stop(self) -> None:
        self._stop.set()
        self._wake.set()
