"""Password hashing with Argon2id (argon2-cffi's recommended parameters), and a bounded pool to run it.

One argon2 hash or verification takes tens to hundreds of milliseconds of CPU on several threads and
64 MiB of memory. Run in the web server's shared thread pool, a burst of logins would take every thread
(stalling unrelated requests such as ``/healthz``) and gigabytes of memory. ``PasswordHashing`` runs this
work in a pool of its own with at most ``concurrency`` at once, at a lower CPU priority; callers await
it without holding a thread, and when too many wait already they are told to come back (``RateLimited``)
instead of queueing without end.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from functools import lru_cache
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from loyaldesk.kernel.errors import RateLimited

T = TypeVar("T")


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    return PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher().hash("not-a-real-password-used-to-equalise-timing")


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches. With no hash (unknown account) spends the same time and says no."""
    try:
        return _hasher().verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with other parameters than today's (then hash the password again)."""
    try:
        return _hasher().check_needs_rehash(password_hash)
    except (InvalidHashError, ValueError):
        return True


# How much lower the hashing threads' CPU priority is by default (Linux ``nice``; argon2's own lane
# threads inherit it): when the CPUs are busy, the event loop and request threads are served first.
DEFAULT_NICENESS = 10


def _lower_priority(niceness: int) -> None:
    """Runs in each new hashing thread. Linux applies ``setpriority`` to one thread when given its id;
    elsewhere it would lower the whole process, so nothing is done there."""
    if niceness and sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), niceness)


def default_concurrency(cpu_count: int | None = None) -> int:
    """Half the CPUs, at least one: the other half stays free for everything else the server does."""
    return max(1, (cpu_count or os.cpu_count() or 2) // 2)


class PasswordHashing:
    """Argon2 work off the event loop, at most ``concurrency`` at once, at most ``max_waiting`` queued,
    ``niceness`` lower in CPU priority.

    ``running`` and ``waiting`` say how many calls are hashing and queued now (for tests and the bench).
    """

    def __init__(
        self,
        concurrency: int = 0,
        *,
        niceness: int = DEFAULT_NICENESS,
        max_waiting: int = 200,
        hash_function: Callable[[str], str] = hash_password,
        verify_function: Callable[[str | None, str], bool] = verify_password,
    ) -> None:
        self.concurrency = concurrency or default_concurrency()
        self.niceness = niceness
        self.max_waiting = max_waiting
        self._hash_function = hash_function
        self._verify_function = verify_function
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self.running = 0
        self.waiting = 0

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """``verify_password`` in the pool."""
        return await self._run(self._verify_function, password_hash, password)

    async def hash(self, password: str) -> str:
        """``hash_password`` in the pool."""
        return await self._run(self._hash_function, password)

    async def _run(self, function: Callable[..., T], *args: object) -> T:
        return await asyncio.wrap_future(self._submit(function, *args))

    def run_sync(self, function: Callable[..., T], *args: object) -> T:
        """The same bound, for code that runs in a worker thread already."""
        return self._submit(function, *args).result()

    def _submit(self, function: Callable[..., T], *args: object) -> Future[T]:
        with self._lock:
            if self.waiting >= self.max_waiting:
                raise RateLimited(
                    "too many logins are being checked at once; try again in a few seconds",
                    retry_after_seconds=2,
                )
            self.waiting += 1
            if self._executor is None:
                self._executor = ThreadPoolExecutor(
                    max_workers=self.concurrency,
                    thread_name_prefix="loyaldesk-argon2",
                    initializer=_lower_priority,
                    initargs=(self.niceness,),
                )
            executor = self._executor

        def task() -> T:
            with self._lock:
                self.waiting -= 1
                self.running += 1
            try:
                return function(*args)
            finally:
                with self._lock:
                    self.running -= 1

        try:
            return executor.submit(task)
        except RuntimeError:  # shut down under us
            with self._lock:
                self.waiting -= 1
            raise

    def close(self) -> None:
        """Let the pool's threads go (a later call starts a new pool)."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=False)
