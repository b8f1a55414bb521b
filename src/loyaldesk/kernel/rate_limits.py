"""Named rate limits over the ``limits`` library, counted in memory or in Redis (shared by every process).

Each limit has a name, a rate in ``limits``' notation (``"30/minute"``, ``"600 per 10 minutes"``) and is
counted per identifier (a contact, an address, a store, an API key) in a moving window. ``hit`` counts
one attempt and raises ``RateLimited`` (HTTP 429 with ``Retry-After``) when the window is full; a refused
attempt counts too, so a client that keeps hammering stays refused. Checking several limits for one
action (per contact, per address, per store) stops at the first that refuses.

The rates are install settings (``LOYALDESK_RATE_LIMIT_*``, see README "Configuration"); the runtime
builds one ``RateLimits`` per process from them.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass

from limits import RateLimitItem, parse, storage, strategies

from loyaldesk.kernel.errors import RateLimited


@dataclass(frozen=True)
class LimitSpec:
    """A limit everyone knows by ``name``: what it counts (in words, for the 429 message) and its
    default rate."""

    name: str
    counts: str
    default: str


API_REQUESTS_PER_KEY = LimitSpec("api_requests_per_key", "API requests with this key", "1200/minute")
WIDGET_MESSAGES_PER_CONTACT = LimitSpec("widget_messages_per_contact", "chat messages from you", "20/minute")
WIDGET_MESSAGES_PER_ADDRESS = LimitSpec(
    "widget_messages_per_address", "chat messages from your network address", "60/minute"
)
WIDGET_MESSAGES_PER_STORE = LimitSpec(
    "widget_messages_per_store", "chat messages to this store", "1200/minute"
)
NEW_CONTACTS_PER_ADDRESS = LimitSpec(
    "new_contacts_per_address", "new chats from your network address", "30/10 minutes"
)
OFFLINE_MESSAGES_PER_ADDRESS = LimitSpec(
    "offline_messages_per_address", "messages left from your network address", "10/hour"
)
ANONYMOUS_REQUESTS_PER_ADDRESS = LimitSpec(
    "anonymous_requests_per_address",
    "requests without a login or key from your network address",
    "600/minute",
)
MAIL_MESSAGES_PER_ADDRESS = LimitSpec(
    "mail_messages_per_address", "messages from this mail server", "120/minute"
)
WIDGET_ACTIONS_PER_CONTACT = LimitSpec(
    "widget_actions_per_contact",
    "notification subscriptions and dismissed notices from you",
    "30/10 minutes",
)
HELP_SEARCHES_PER_ADDRESS = LimitSpec(
    "help_searches_per_address", "help center searches from your network address", "30/minute"
)
ARTICLE_FEEDBACK_PER_ADDRESS = LimitSpec(
    "article_feedback_per_address", 'answers to "did this help?" from your network address', "20/10 minutes"
)

ALL_LIMITS = (
    API_REQUESTS_PER_KEY,
    WIDGET_MESSAGES_PER_CONTACT,
    WIDGET_MESSAGES_PER_ADDRESS,
    WIDGET_MESSAGES_PER_STORE,
    NEW_CONTACTS_PER_ADDRESS,
    OFFLINE_MESSAGES_PER_ADDRESS,
    ANONYMOUS_REQUESTS_PER_ADDRESS,
    MAIL_MESSAGES_PER_ADDRESS,
    WIDGET_ACTIONS_PER_CONTACT,
    HELP_SEARCHES_PER_ADDRESS,
    ARTICLE_FEEDBACK_PER_ADDRESS,
)


def check_rate(text: str) -> str:
    """``text`` if ``limits`` reads it as a rate (``"30/minute"``), else ValueError saying so."""
    try:
        parse(text)
    except ValueError:
        raise ValueError(f"not a rate: {text!r} (write it like 30/minute or 600 per 10 minutes)") from None
    return text


class RateLimits:
    """The process's limits. ``rates`` maps a limit's name to its rate (defaults for those missing)."""

    def __init__(self, rates: Mapping[str, str] | None = None, *, redis_url: str | None = None) -> None:
        backend = storage.storage_from_string(redis_url) if redis_url else storage.MemoryStorage()
        self._limiter = strategies.MovingWindowRateLimiter(backend)
        given = dict(rates or {})
        self._items: dict[str, RateLimitItem] = {
            spec.name: parse(given.pop(spec.name, spec.default)) for spec in ALL_LIMITS
        }
        self._counts = {spec.name: spec.counts for spec in ALL_LIMITS}
        if given:
            raise ValueError(f"unknown rate limits: {', '.join(sorted(given))}")

    def hit(self, limit: LimitSpec, identifier: str | int) -> None:
        """Count one attempt for ``identifier``; ``RateLimited`` (with the seconds to wait) when over."""
        item = self._items[limit.name]
        key = str(identifier)
        if self._limiter.hit(item, limit.name, key):
            return
        reset_at, _remaining = self._limiter.get_window_stats(item, limit.name, key)
        wait = max(1, math.ceil(reset_at - time.time()))
        raise RateLimited(
            f"too many {self._counts[limit.name]} (at most {item.amount} per {_window(item)}); "
            f"try again in {wait} s",
            retry_after_seconds=wait,
        )

    def hit_all(self, *checks: tuple[LimitSpec, str | int | None]) -> None:
        """``hit`` each ``(limit, identifier)`` in order, skipping unknown identifiers (None)."""
        for limit, identifier in checks:
            if identifier is not None:
                self.hit(limit, identifier)

    def reset(self) -> None:
        """Forget every count (tests, and an admin who lifts a block)."""
        self._limiter.storage.reset()


def _window(item: RateLimitItem) -> str:
    seconds = item.get_expiry()
    for unit, length in (("day", 86_400), ("hour", 3600), ("minute", 60)):
        if seconds % length == 0:
            count = seconds // length
            return unit if count == 1 else f"{count} {unit}s"
    return f"{seconds} s"
