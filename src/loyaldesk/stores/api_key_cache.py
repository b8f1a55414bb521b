"""A short-lived, in-process cache of authenticated API keys.

Every API request authenticates its key; without a cache that is a database round trip per request.
Entries live ``ttl_seconds`` (default 5). A revocation committed in this process clears the cache at once
(the runtime listens for ``api_key.revoked``); other processes stop honouring a revoked key within the TTL.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

from loyaldesk.kernel.events import StoredEvent
from loyaldesk.stores.credentials import sha256_hex
from loyaldesk.stores.queries import ApiCaller

MAX_ENTRIES = 10_000


class ApiKeyCache:
    def __init__(self, ttl_seconds: float = 5.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._entries: dict[str, tuple[float, ApiCaller]] = {}
        self._touched: dict[int, float] = {}
        self._lock = threading.Lock()

    def get_cached(self, token: str) -> ApiCaller | None:
        """The cached caller for ``token`` if fresh, else None (no I/O: safe on the event loop)."""
        with self._lock:
            entry = self._entries.get(sha256_hex(token))
        if entry is not None and entry[0] > self._clock():
            return entry[1]
        return None

    def get_or_load(self, token: str, load: Callable[[], ApiCaller]) -> ApiCaller:
        """The cached caller for ``token``, or ``load()`` (which raises for a bad key; never cached)."""
        key = sha256_hex(token)
        now = self._clock()
        with self._lock:
            entry = self._entries.get(key)
        if entry is not None and entry[0] > now:
            return entry[1]
        caller = load()
        with self._lock:
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            self._entries[key] = (now + self.ttl_seconds, caller)
        return caller

    def touch_due(self, caller: ApiCaller, every_seconds: float) -> bool:
        """Whether to record "last used" for this key now (at most once per ``every_seconds`` per process)."""
        now = self._clock()
        with self._lock:
            last = self._touched.get(caller.api_key_id)
            if last is not None and now - last < every_seconds:
                return False
            self._touched[caller.api_key_id] = now
        stored = caller.last_used_at
        return stored is None or time.time() - stored.timestamp() >= every_seconds

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def on_commit(self, stored: Sequence[StoredEvent]) -> None:
        """Commit listener: forget everything when a key was revoked."""
        if any(event.event_type == "api_key.revoked" for event in stored):
            self.clear()
