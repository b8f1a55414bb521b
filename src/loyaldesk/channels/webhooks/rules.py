"""Pure rules of outgoing webhooks: which URLs and event types an endpoint may have, whether an event
goes to an endpoint, and when a failed delivery is tried again. No I/O."""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import timedelta
from urllib.parse import urlsplit

from loyaldesk.channels.webhooks.vocab import ALL_EVENTS
from loyaldesk.kernel.errors import FieldProblem
from loyaldesk.kernel.outbound import OutboundPolicy, parse_address

MAX_URL_LENGTH = 500
MAX_EVENT_TYPES = 100

# The wait after the 1st, 2nd ... failed attempt; after the last one, every 10 hours. Like Stripe's and
# Svix's schedules: quick retries for a blip, then hours apart for an outage, until the endpoint has
# failed for days (``Settings.webhook_disable_after_days``).
RETRY_SCHEDULE: tuple[timedelta, ...] = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
)
JITTER = 0.1  # each wait is spread by up to ±10%, so that retries after an outage do not arrive together


def retry_delay(failed_attempts: int, rng: random.Random | None = None) -> timedelta:
    """The wait before the next attempt after ``failed_attempts`` (1 or more) failed ones, jittered."""
    base = RETRY_SCHEDULE[min(max(failed_attempts, 1), len(RETRY_SCHEDULE)) - 1]
    spread = (rng or random).uniform(-JITTER, JITTER)
    return base * (1 + spread)


def _is_local(host: str) -> bool:
    name = host.strip().rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    address = parse_address(name)
    return address is not None and address.is_loopback


def url_problems(url: str, policy: OutboundPolicy) -> list[FieldProblem]:
    """Why ``url`` cannot be an endpoint's (none when it can): https, or http to this machine when the
    install allows private networks; no credentials; a host the ``policy`` does not refuse outright
    (names are checked again on every delivery, against what they resolve to then)."""
    if not url or len(url) > MAX_URL_LENGTH:
        return [FieldProblem("url", f"give a URL of at most {MAX_URL_LENGTH} characters")]
    if any(c.isspace() or not c.isprintable() for c in url):
        return [FieldProblem("url", "must not contain spaces or control characters")]
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return [FieldProblem("url", "not a valid URL (check the port)")]
    if parts.scheme not in ("https", "http") or not parts.hostname or port == 0:
        return [FieldProblem("url", "must be an https:// URL")]
    if parts.username is not None or parts.password is not None:
        return [FieldProblem("url", "must not carry a user name or password: check the signature instead")]
    if parts.fragment:
        return [FieldProblem("url", "must not have a #fragment")]
    if parts.scheme == "http" and not (policy.allow_private_network and _is_local(parts.hostname)):
        return [
            FieldProblem(
                "url",
                "must be an https:// URL (http only to this machine, on an install "
                "that allows private networks)",
            )
        ]
    refusal = policy.refusal_of_literal(parts.hostname)
    if refusal is not None:
        return [FieldProblem("url", refusal)]
    return []


def event_type_problems(
    event_types: Iterable[str], known: Iterable[str]
) -> tuple[list[str], list[FieldProblem]]:
    """The subscription cleaned (``["*"]`` or sorted known names) and the problems, each naming the
    position of the type at fault (``event_types.2``)."""
    given = [str(item).strip() for item in event_types]
    known_set = set(known)
    if not given:
        return [], [FieldProblem("event_types", 'choose at least one event type, or "*" for all events')]
    if len(given) > MAX_EVENT_TYPES:
        return [], [FieldProblem("event_types", f"at most {MAX_EVENT_TYPES} event types")]
    if ALL_EVENTS in given:
        if len(set(given)) > 1:
            return [], [FieldProblem("event_types", '"*" (all events) goes alone')]
        return [ALL_EVENTS], []
    problems = [
        FieldProblem(f"event_types.{index}", f"{name[:64]!r} is not an event type")
        for index, name in enumerate(given)
        if name not in known_set
    ]
    return sorted(set(given)), problems


def subscribes_to(event_types: list[str], event_type: str) -> bool:
    """Whether an endpoint with ``event_types`` receives events of ``event_type``."""
    return ALL_EVENTS in event_types or event_type in event_types
