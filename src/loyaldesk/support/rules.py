"""Pure rules of live support: conversation status changes, snoozing, priorities, queue order, routing to
an agent, and canned replies. No I/O, no clock of its own: every instant is passed in.

Canned replies use a small regular-expression renderer rather than Jinja2: stores write placeholders in
the Liquid style they know from their shop themes (``{{ customer.first_name | default: "there" }}``),
which is not Jinja syntax, and a reply template needs nothing beyond variables and a fallback, so there is
no template language to sandbox.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from fractions import Fraction
from types import MappingProxyType
from typing import Any

from loyaldesk.kernel.errors import Invalid
from loyaldesk.support.business_hours import aware_utc

# --- Conversation status ---------------------------------------------------------------------------------


class ConversationStatus(StrEnum):
    OPEN = "open"
    PENDING = "pending"  # waiting on the customer
    SNOOZED = "snoozed"  # put aside until ``snoozed_until`` (or the customer writes)
    RESOLVED = "resolved"
    CLOSED = "closed"


# Where an agent may move a conversation from each status (staying put is always allowed).
STATUS_CHANGES: Mapping[ConversationStatus, tuple[ConversationStatus, ...]] = MappingProxyType(
    {
        ConversationStatus.OPEN: (
            ConversationStatus.PENDING,
            ConversationStatus.SNOOZED,
            ConversationStatus.RESOLVED,
            ConversationStatus.CLOSED,
        ),
        ConversationStatus.PENDING: (
            ConversationStatus.OPEN,
            ConversationStatus.SNOOZED,
            ConversationStatus.RESOLVED,
            ConversationStatus.CLOSED,
        ),
        ConversationStatus.SNOOZED: (
            ConversationStatus.OPEN,
            ConversationStatus.PENDING,
            ConversationStatus.RESOLVED,
            ConversationStatus.CLOSED,
        ),
        ConversationStatus.RESOLVED: (ConversationStatus.OPEN, ConversationStatus.CLOSED),
        ConversationStatus.CLOSED: (ConversationStatus.OPEN,),
    }
)


def _words(items: Sequence[str]) -> str:
    """``a, b or c``."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} or {items[-1]}"


def _as_status(value: str, field_name: str = "status") -> ConversationStatus:
    try:
        return ConversationStatus(value)
    except ValueError:
        valid = _words([status.value for status in ConversationStatus])
        raise Invalid.field(field_name, f"{value!r} is not a status; use {valid}") from None


def check_status_change(current: str, target: str) -> ConversationStatus:
    """The status ``target`` if an agent may move a conversation from ``current`` to it.

    Staying in the same status is allowed (a no-op). Otherwise raises ``Invalid`` on field ``status``:
    naming the valid statuses for an unknown one, or the statuses reachable from ``current``. Moving to
    ``snoozed`` is allowed here; the caller must also check the wake-up time with ``check_snooze_until``.
    """
    current_status = _as_status(current)
    target_status = _as_status(target)
    if target_status == current_status:
        return target_status
    allowed = STATUS_CHANGES[current_status]
    if target_status not in allowed:
        raise Invalid.field(
            "status",
            f"a {current_status.value} conversation cannot become {target_status.value}; "
            f"it can become {_words([status.value for status in allowed])}",
        )
    return target_status


def status_after_customer_message(current: str) -> ConversationStatus:
    """The status after the customer writes: a new customer message reopens every conversation.

    Pending (the agent waited on the customer), snoozed, resolved and closed all become open; open stays
    open. Raises ``Invalid`` on field ``status`` for an unknown status.
    """
    _as_status(current)
    return ConversationStatus.OPEN


def check_snooze_until(until: datetime, now: datetime, *, max_days: int = 90) -> datetime:
    """``until`` in UTC if it is a valid wake-up time for a snoozed conversation.

    It must be timezone-aware, strictly after ``now`` and at most ``max_days`` after ``now``; otherwise
    ``Invalid`` on field ``snoozed_until``. ``now`` must be timezone-aware (``ValueError`` otherwise: a
    naive clock is a programming error, not bad input).
    """
    now = aware_utc(now, "now")
    if not isinstance(until, datetime) or until.tzinfo is None or until.utcoffset() is None:
        raise Invalid.field("snoozed_until", "must be a date and time with a time zone")
    until = until.astimezone(UTC)
    if until <= now:
        raise Invalid.field("snoozed_until", "must be in the future")
    if until > now + timedelta(days=max_days):
        raise Invalid.field("snoozed_until", f"must be at most {max_days} days ahead")
    return until


# --- Priority ------------------------------------------------------------------------------------------


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


PRIORITIES: tuple[Priority, ...] = (Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT)
# The channels a conversation can come from.
CHANNELS = ("webchat", "email", "api")
_RANKS: Mapping[Priority, int] = MappingProxyType(
    {priority: rank for rank, priority in enumerate(PRIORITIES)}
)
PRIORITY_SUPPORT_PERK = "priority_support"


def _as_priority(value: Priority | str, field_name: str = "priority") -> Priority:
    try:
        return Priority(value)
    except ValueError:
        valid = _words([priority.value for priority in PRIORITIES])
        raise Invalid.field(field_name, f"{value!r} is not a priority; use {valid}") from None


def priority_rank(priority: Priority | str) -> int:
    """0 for low, 1 normal, 2 high, 3 urgent. ``Invalid`` on field ``priority`` for anything else."""
    return _RANKS[_as_priority(priority)]


@dataclass(frozen=True)
class PriorityPolicy:
    """How a store sets the priority of a new conversation (see ``priority_for``).

    Priorities given as strings are converted to ``Priority`` on construction; an unknown one raises
    ``Invalid`` naming the entry (``tier_priorities.Gold``). Tier names match case-insensitively.
    """

    tier_priorities: Mapping[str, Priority] = field(default_factory=dict)
    priority_support_perk: Priority = Priority.HIGH  # for a tier with the "priority_support" perk
    high_value_threshold_minor: int | None = None  # lifetime spend (minor units) from which HIGH applies
    channel_priorities: Mapping[str, Priority] = field(default_factory=dict)  # replaces the NORMAL baseline

    def __post_init__(self) -> None:
        tiers = {
            name: _as_priority(value, f"tier_priorities.{name}")
            for name, value in self.tier_priorities.items()
        }
        channels = {
            name: _as_priority(value, f"channel_priorities.{name}")
            for name, value in self.channel_priorities.items()
        }
        object.__setattr__(self, "tier_priorities", MappingProxyType(tiers))
        object.__setattr__(self, "channel_priorities", MappingProxyType(channels))
        object.__setattr__(
            self, "priority_support_perk", _as_priority(self.priority_support_perk, "priority_support_perk")
        )
        threshold = self.high_value_threshold_minor
        if threshold is not None and (isinstance(threshold, bool) or threshold < 0):
            raise Invalid.field("high_value_threshold_minor", "must be a non-negative amount in minor units")


def priority_for(
    policy: PriorityPolicy,
    *,
    tier_name: str | None,
    tier_perks: Collection[str] = (),
    lifetime_spend_minor: int = 0,
    channel: str,
) -> tuple[Priority, str]:
    """The priority of a new conversation and a short reason a person can read.

    The highest of: the baseline (the channel's configured priority, else NORMAL), the tier's configured
    priority, the perk priority when ``"priority_support"`` is among ``tier_perks``, and HIGH when
    ``lifetime_spend_minor`` reaches ``policy.high_value_threshold_minor``. On a tie the customer's own
    reason is given (tier, then perk, then spend) rather than the baseline. Reasons read like
    ``"tier Gold"``, ``"priority support perk (Gold)"``, ``"high value customer"``,
    ``"webchat channel default"`` or ``"default"``.
    """
    candidates: list[tuple[Priority, str]] = []
    if tier_name is not None:
        wanted = tier_name.strip().casefold()
        for name, priority in policy.tier_priorities.items():
            if name.strip().casefold() == wanted:
                candidates.append((priority, f"tier {tier_name}"))
                break
    if PRIORITY_SUPPORT_PERK in tier_perks:
        reason = f"priority support perk ({tier_name})" if tier_name else "priority support perk"
        candidates.append((policy.priority_support_perk, reason))
    threshold = policy.high_value_threshold_minor
    if threshold is not None and lifetime_spend_minor >= threshold:
        candidates.append((Priority.HIGH, "high value customer"))
    if channel in policy.channel_priorities:
        candidates.append((policy.channel_priorities[channel], f"{channel} channel default"))
    else:
        candidates.append((Priority.NORMAL, "default"))
    # max() keeps the first of equal maxima, so the order above is the tie-break.
    return max(candidates, key=lambda candidate: _RANKS[candidate[0]])


def queue_sort_key(priority: str, waiting_since: datetime, conversation_id: int) -> tuple[int, datetime, int]:
    """Sort key for the queue: ascending order puts higher priority first, then the longest waiting
    (earliest ``waiting_since``), then the lower id. ``waiting_since`` must be timezone-aware."""
    return (-priority_rank(priority), aware_utc(waiting_since, "waiting_since"), conversation_id)


# --- Routing -------------------------------------------------------------------------------------------


class RoutingMethod(StrEnum):
    ROUND_ROBIN = "round_robin"  # the agent assigned least recently
    LEAST_LOAD = "least_load"  # the agent with the lowest share of their capacity in use


@dataclass(frozen=True)
class AgentLoad:
    """What routing needs to know about one agent right now."""

    agent_id: int
    online: bool
    open_conversations: int
    capacity: int  # 0: takes no automatic assignments
    last_assigned_at: datetime | None  # None: never assigned
    teams: frozenset[int] = frozenset()


def _recency_key(agent: AgentLoad) -> tuple[bool, datetime, int]:
    # Never assigned sorts before any instant; the datetime is a placeholder then.
    if agent.last_assigned_at is None:
        return (False, datetime.min.replace(tzinfo=UTC), agent.agent_id)
    return (True, aware_utc(agent.last_assigned_at, "last_assigned_at"), agent.agent_id)


def choose_agent(
    agents: Sequence[AgentLoad], method: RoutingMethod | str, *, team_id: int | None = None
) -> int | None:
    """The id of the agent who should get the next conversation, or None if nobody can take it.

    Only online agents below their capacity (capacity 0 takes no automatic assignments) and, when
    ``team_id`` is given, members of that team are eligible. Round robin picks the one assigned least
    recently (never assigned first), ties by lowest ``agent_id``. Least load picks the lowest
    ``open_conversations / capacity`` (compared exactly, as fractions), ties by least recently assigned
    then lowest ``agent_id``. ``Invalid`` on field ``routing_method`` for an unknown method.
    """
    try:
        routing = RoutingMethod(method)
    except ValueError:
        valid = _words([choice.value for choice in RoutingMethod])
        raise Invalid.field("routing_method", f"{method!r} is not a routing method; use {valid}") from None
    eligible = [
        agent
        for agent in agents
        if agent.online
        and agent.capacity > 0
        and agent.open_conversations < agent.capacity
        and (team_id is None or team_id in agent.teams)
    ]
    if not eligible:
        return None
    if routing == RoutingMethod.ROUND_ROBIN:
        return min(eligible, key=_recency_key).agent_id
    return min(
        eligible,
        key=lambda agent: (Fraction(max(agent.open_conversations, 0), agent.capacity), _recency_key(agent)),
    ).agent_id


# --- Canned replies ------------------------------------------------------------------------------------

CANNED_VARIABLES: Mapping[str, str] = MappingProxyType(
    {
        "customer.first_name": "The customer's first name",
        "customer.last_name": "The customer's last name",
        "customer.name": "The customer's full name",
        "customer.email": "The customer's email address",
        "loyalty.points": "Points the customer can spend now",
        "loyalty.pending_points": "Points earned but not yet spendable",
        "loyalty.tier": "The customer's loyalty tier",
        "order.latest.number": "The number of the customer's latest order, e.g. #1001",
        "order.latest.status": "The status of the customer's latest order",
        "agent.first_name": "The replying agent's first name",
        "store.name": "The store's name",
    }
)
MAX_CANNED_REPLY_LENGTH = 5000

# {{ customer.first_name }} or {{ customer.first_name | default: "there" }} (single quotes too; a
# backslash escapes a quote or a backslash inside the fallback). One line; whitespace inside is free.
_PLACEHOLDER = re.compile(
    r"""\{\{[ \t]*
        (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
        [ \t]*
        (?:\|[ \t]*default[ \t]*:[ \t]*
            (?:"(?P<double>(?:[^"\\\n]|\\.)*)"|'(?P<single>(?:[^'\\\n]|\\.)*)')
        [ \t]*)?
        \}\}""",
    re.VERBOSE,
)
_ESCAPE = re.compile(r"\\(.)")


def _fallback(match: re.Match[str]) -> str:
    quoted = match.group("double")
    if quoted is None:
        quoted = match.group("single")
    return "" if quoted is None else _ESCAPE.sub(r"\1", quoted)


def _look_up(values: Mapping[str, Any], dotted_name: str) -> Any:
    current: Any = values
    for part in dotted_name.split("."):
        if not isinstance(current, Mapping) or part not in current:
            return None
        current = current[part]
    return current


def render_canned_reply(template: str, values: Mapping[str, Any]) -> str:
    """``template`` with every ``{{ variable }}`` replaced from the nested mapping ``values``.

    ``{{ customer.first_name }}`` reads ``values["customer"]["first_name"]``. A missing value (absent,
    None, an empty string, or a mapping rather than a value) renders as the fallback of
    ``{{ customer.first_name | default: "there" }}``, or as nothing without one. Values are rendered with
    ``str``. The output is plain text, not HTML-escaped: it goes through ``render_message_html`` like any
    message. Malformed placeholders are left as written (``check_canned_reply`` rejects them on save).
    """

    def replace(match: re.Match[str]) -> str:
        value = _look_up(values, match.group("name"))
        if value is None or isinstance(value, Mapping) or value == "":
            return _fallback(match)
        return str(value)

    return _PLACEHOLDER.sub(replace, template)


def _placeholders(template: str) -> tuple[list[re.Match[str]], list[int]]:
    """The well-formed placeholders, and the offsets of each ``{{`` that does not start one."""
    found: list[re.Match[str]] = []
    malformed: list[int] = []
    position = template.find("{{")
    while position != -1:
        match = _PLACEHOLDER.match(template, position)
        if match:
            found.append(match)
            position = template.find("{{", match.end())
        else:
            malformed.append(position)
            position = template.find("{{", position + 2)
    return found, malformed


def unknown_canned_variables(template: str) -> list[str]:
    """The variables used in ``template`` that are not in ``CANNED_VARIABLES``, each once, in order."""
    unknown: list[str] = []
    for match in _placeholders(template)[0]:
        name = match.group("name")
        if name not in CANNED_VARIABLES and name not in unknown:
            unknown.append(name)
    return unknown


def check_canned_reply(template: str) -> str:
    """``template`` with ``\\r\\n`` made ``\\n`` and surrounding whitespace stripped, if it can be saved as
    a canned reply.

    ``Invalid`` on field ``body`` if it is empty, longer than ``MAX_CANNED_REPLY_LENGTH`` characters, has a
    ``{{`` that does not open a well-formed placeholder (unclosed, or an expression other than a variable
    with an optional ``| default: "..."``), or uses a variable not in ``CANNED_VARIABLES``.
    """
    body = template.replace("\r\n", "\n").strip()
    if not body:
        raise Invalid.field("body", "must not be empty")
    if len(body) > MAX_CANNED_REPLY_LENGTH:
        raise Invalid.field("body", f"must be at most {MAX_CANNED_REPLY_LENGTH} characters, got {len(body)}")
    _, malformed = _placeholders(body)
    if malformed:
        snippet = body[malformed[0] : malformed[0] + 40].split("\n", 1)[0]
        raise Invalid.field(
            "body",
            f"malformed placeholder {snippet!r}: write {{{{ variable }}}} or "
            f'{{{{ variable | default: "fallback" }}}} on one line',
        )
    unknown = unknown_canned_variables(body)
    if unknown:
        raise Invalid.field(
            "body",
            f"unknown variable{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
            f"available: {', '.join(CANNED_VARIABLES)}",
        )
    return body
