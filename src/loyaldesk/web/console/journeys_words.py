"""Journeys in words, for the console: a rule's trigger ("When an order is delivered", "30 days before
points expire", "Every week on Monday 10:00, recipient's time"), each condition ("Tier is Gold"), each step
("Wait 2 days", "Send email “Points expiring”", "If … otherwise go to step 4"), the uplift with its
interval; and the context every journeys page shares (the section, the sub-navigation).

Pure: the names a rule refers to (templates, rewards, teams) are passed in as ``Names``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from loyaldesk.journeys.rules.conditions import FIELDS, OPERATOR_LABELS
from loyaldesk.journeys.vocab import LABELS, RulePurpose, StepKind, TriggerKind
from loyaldesk.web.console.session import Console

MINUS = "\u2212"

EVENTS = {
    "order.placed": "an order is placed",
    "order.paid": "an order is paid",
    "order.fulfilled": "an order is shipped",
    "order.delivered": "an order is delivered",
    "order.cancelled": "an order is cancelled",
    "order.refunded": "an order is refunded",
    "conversation.started": "a conversation starts",
    "conversation.status_changed": "a conversation changes status",
    "conversation.resolved": "a conversation is resolved",
    "conversation.assigned": "a conversation is assigned",
    "csat.submitted": "a customer rates the support",
    "sla.breached": "a conversation misses its service level",
    "customer.created": "a customer is added",
    "customer.updated": "a customer's profile changes",
    "loyalty.member_enrolled": "a customer joins the loyalty program",
    "loyalty.points_changed": "a member's points change",
    "loyalty.tier_changed": "a member changes tier",
    "loyalty.reward_redeemed": "a member redeems a reward",
    "loyalty.referral_recorded": "a member refers a friend",
    "loyalty.badge_awarded": "a member earns a badge",
}
DATES = {
    "birthday": ("the customer's birthday", "before the customer's birthday"),
    "points_expiring": ("the day points expire", "before points expire"),
    "signup_anniversary": ("the anniversary of signing up", "before the anniversary of signing up"),
    "tier_review": ("the member's tier review", "before the member's tier review"),
}
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
ZONES = {"recipient": "recipient's time", "store": "store time"}
SECTIONS = (
    ("rules", "", "Journeys"),
    ("calendar", "/calendar", "Calendar"),
    ("tasks", "/tasks", "Tasks"),
    ("templates", "/templates", "Templates"),
    ("settings", "/settings", "Settings"),
)


@dataclass(frozen=True)
class Names:
    """What a rule's ids and keys are called in this store."""

    templates: Mapping[str, str] = field(default_factory=dict)  # key -> name
    rewards: Mapping[int, str] = field(default_factory=dict)
    teams: Mapping[int, str] = field(default_factory=dict)
    staff: Mapping[int, str] = field(default_factory=dict)


def page_context(console: Console, tab: str, **values: Any) -> dict[str, Any]:
    """What every journeys page's template needs: the console, the section, the sub-navigation."""
    return {
        "console": console,
        "section": "journeys",
        "tab": tab,
        "tabs": SECTIONS,
        "journeys_base": f"/console/{console.store.slug}/journeys",
        "label": label_of,
        "purpose_label": purpose_label,
        "at": lambda moment: clock_text(moment, console.store.timezone),
        **values,
    }


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except Exception:
        return ZoneInfo("UTC")


def clock_text(moment: datetime | None, timezone: str) -> str:
    """``2 Mar 2026, 14:05`` in the store's zone: the ``when`` filter's words, without its cost (a page
    of 200 decisions would spend most of its time in Babel)."""
    if moment is None:
        return "—"
    local = moment.astimezone(_zone(timezone))
    return f"{local.day} {local:%b %Y, %H:%M}"


_BY_VALUE: dict[str, str] = {}
for _key, _text in LABELS.items():
    _BY_VALUE.setdefault(_key.value, _text)


def label_of(value: Any) -> str:
    """A vocabulary value's label (``LABELS``), for values stored as plain text (a value two
    vocabularies share, like "support", reads as the first's: use ``purpose_label`` for purposes)."""
    return _BY_VALUE.get(str(value), str(value or "").replace("_", " ").capitalize())


def purpose_label(value: Any) -> str:
    try:
        return LABELS[RulePurpose(str(value))]
    except (ValueError, KeyError):
        return label_of(value)


def _plural(number: float, unit: str) -> str:
    shown = f"{number:g}"
    return f"{shown} {unit}" if number == 1 else f"{shown} {unit}s"


def event_words(name: str) -> str:
    if name.startswith("custom:"):
        return f"your site sends “{name.removeprefix('custom:')}”"
    return EVENTS.get(name, f"“{name}” happens")


def _at(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def trigger_words(trigger: Mapping[str, Any]) -> str:
    """When the rule starts, in one sentence."""
    kind = trigger.get("kind")
    if kind == TriggerKind.EVENT:
        return f"When {event_words(str(trigger.get('event', '')))}"
    if kind == TriggerKind.DATE:
        on, before = DATES.get(str(trigger.get("date")), ("a date", "before a date"))
        days = int(trigger.get("days_before") or 0)
        return f"On {on}" if days == 0 else f"{_plural(days, 'day')} {before}"
    if kind == TriggerKind.SEGMENT:
        return "When a customer enters the segment: " + condition_words(trigger.get("condition") or {})
    if kind == TriggerKind.ATTRIBUTE:
        return "When a customer comes to match: " + condition_words(trigger.get("condition") or {})
    if kind == TriggerKind.SCHEDULE:
        return schedule_words(trigger)
    return "Never (the trigger is not set)"


def schedule_words(trigger: Mapping[str, Any]) -> str:
    at = _at(trigger.get("at"))
    zone = ZONES.get(str(trigger.get("timezone") or "store"), "store time")
    if at is None:
        return "On a schedule"
    clock = f"{at:%H:%M}, {zone}"
    recurrence = trigger.get("recurrence")
    if recurrence == "daily":
        words = f"Every day at {clock}, from {at.day} {at:%b %Y}"
    elif recurrence == "weekly":
        words = f"Every week on {WEEKDAYS[at.weekday()]} {clock}, from {at.day} {at:%b %Y}"
    elif recurrence == "monthly":
        words = f"Every month on day {min(at.day, 28)} at {clock}, from {at.day} {at:%b %Y}"
    else:
        words = f"Once, on {at.day} {at:%b %Y} at {clock}"
    if trigger.get("finished"):
        words += " (sent)"
    return words


def field_label(name: str) -> str:
    if name in FIELDS:
        return FIELDS[name].label
    if name.startswith("event."):
        return "The event's " + name.removeprefix("event.").replace("_", " ")
    if name.startswith("customer.attributes."):
        return "Attribute “" + name.removeprefix("customer.attributes.") + "”"
    return name


def value_words(value: Any) -> str:
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if value is None:
        return "unknown"
    if isinstance(value, list | tuple):
        items = [value_words(item) for item in value]
        if len(items) <= 1:
            return "".join(items)
        return ", ".join(items[:-1]) + " or " + items[-1]
    if isinstance(value, datetime):
        return f"{value.day} {value:%b %Y}"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def test_words(test: Mapping[str, Any]) -> str:
    """One test: "Tier is Gold", "Points available is at least 500", "Tier is known"."""
    op = str(test.get("op", ""))
    words = f"{field_label(str(test.get('field', '')))} {OPERATOR_LABELS.get(op, op)}"
    if op in ("exists", "not_exists"):
        return words
    return f"{words} {value_words(test.get('value'))}"


def condition_lines(tree: Mapping[str, Any]) -> tuple[str, list[str]]:
    """("all" or "any", one line per item) of a condition tree's top group; nested groups in brackets."""
    if not tree:
        return "all", []
    mode, items = next(iter(tree.items()))
    return str(mode), [_item_words(item) for item in items or []]


def _item_words(item: Any) -> str:
    if isinstance(item, Mapping) and ("all" in item or "any" in item):
        mode, items = next(iter(item.items()))
        joiner = " and " if mode == "all" else " or "
        return "(" + joiner.join(_item_words(inner) for inner in items or []) + ")"
    return test_words(item) if isinstance(item, Mapping) else str(item)


def condition_words(tree: Mapping[str, Any]) -> str:
    """A whole condition tree in one line ("everyone" for none)."""
    mode, lines = condition_lines(tree)
    if not lines:
        return "everyone"
    return (" and " if mode == "all" else " or ").join(lines)


def duration_words(step: Mapping[str, Any]) -> str:
    parts = [
        _plural(float(step[unit]), unit[:-1])
        for unit in ("days", "hours", "minutes")
        if isinstance(step.get(unit), int | float) and step[unit]
    ]
    return " ".join(parts) or "a moment"


def _channel(value: Any) -> str:
    words = {"email": "email", "sms": "SMS", "push": "web push", "widget": "widget message"}
    return words.get(str(value), str(value))


def step_words(step: Mapping[str, Any], index: int, count: int, names: Names) -> str:
    """What step ``index`` (from 0) of ``count`` does, in one sentence."""
    kind = step.get("kind")
    if kind == StepKind.SEND:
        template = names.templates.get(str(step.get("template")), str(step.get("template")))
        variants = step.get("variants") or {}
        if variants:
            shown = ", ".join(
                f"variant {variant} “{names.templates.get(str(key), str(key))}”"
                for variant, key in variants.items()
            )
            return f"Send {_channel(step.get('channel'))}: {shown}"
        return f"Send {_channel(step.get('channel'))} “{template}”"
    if kind == StepKind.WAIT:
        return f"Wait {duration_words(step)}"
    if kind == StepKind.WAIT_UNTIL:
        return f"Wait until {step.get('time')}, {ZONES.get(str(step.get('timezone') or 'recipient'))}"
    if kind == StepKind.WAIT_FOR_EVENT:
        hours = float(step.get("timeout_hours") or 0)
        on_event = "stop" if step.get("on_event") == "exit" else "go on"
        on_timeout = "stop" if step.get("on_timeout") == "exit" else "go on"
        return (
            f"Wait up to {_plural(hours, 'hour')} until {event_words(str(step.get('event', '')))}: "
            f"if it happens, {on_event}; if not, {on_timeout}"
        )
    if kind == StepKind.BRANCH:
        target = step.get("else_goto", count)
        otherwise = "stop" if not isinstance(target, int) or target >= count else f"go to step {target + 1}"
        return f"If {condition_words(step.get('if') or {})}, go on; otherwise {otherwise}"
    if kind == StepKind.SPLIT:
        shares = ", ".join(f"{name} {share:g}%" for name, share in (step.get("variants") or {}).items())
        return f"Split into variants: {shares}"
    if kind == StepKind.GRANT_POINTS:
        return f"Give {int(step.get('points') or 0):,} points"
    if kind == StepKind.GRANT_REWARD:
        reward = names.rewards.get(step.get("reward_id") or 0, f"reward {step.get('reward_id')}")
        return f"Give the reward “{reward}”"
    if kind == StepKind.TAG_CUSTOMER:
        return f"Tag the customer “{step.get('tag')}”"
    if kind == StepKind.TAG_CONVERSATION:
        return f"Tag the conversation “{step.get('tag')}”"
    if kind == StepKind.ASSIGN:
        if step.get("team_id") in names.teams:
            return f"Assign the conversation to the team “{names.teams[step['team_id']]}”"
        staff = names.staff.get(step.get("staff_id") or 0, f"staff member {step.get('staff_id')}")
        return f"Assign the conversation to {staff}"
    if kind == StepKind.SET_PRIORITY:
        return f"Set the conversation's priority to {step.get('priority')}"
    if kind == StepKind.REPLY:
        return f"Reply in the conversation: “{step.get('text')}”"
    if kind == StepKind.CREATE_TASK:
        due = f", due in {_plural(float(step['due_hours']), 'hour')}" if step.get("due_hours") else ""
        return f"Create a task for the team: “{step.get('title')}”{due}"
    if kind == StepKind.CALL_WEBHOOK:
        return f"Call the webhook {step.get('url')}"
    if kind == StepKind.EXIT:
        return "Stop"
    return str(kind)


def steps_words(steps: list[dict[str, Any]], names: Names) -> list[str]:
    return [step_words(step, index, len(steps), names) for index, step in enumerate(steps)]


def signed(points: float) -> str:
    """A difference in percentage points with its sign: ``+2.1``, or a minus sign and ``0.4``."""
    text = f"{abs(points):.1f}"
    if text == "0.0":
        return "0.0"
    return ("+" if points > 0 else MINUS) + text


def uplift_words(uplift: float | None, low: float | None, high: float | None) -> str:
    """ "+2.1 points (95% interval, minus 0.4 to +4.6)" with real minus signs; or what is missing."""
    if uplift is None or low is None or high is None:
        return "Not measured yet: it needs customers in both the treated and the holdout group."
    return f"{signed(uplift * 100)} points (95% interval {signed(low * 100)} to {signed(high * 100)})"


def uplift_verdict(low: float | None, high: float | None) -> str:
    if low is None or high is None:
        return ""
    if low > 0:
        return "The rule makes more customers order: the whole interval is above zero."
    if high < 0:
        return "Customers who get it order less than those held out: the whole interval is below zero."
    return "Not yet clear: the interval includes zero (more customers will narrow it)."
