"""A rule's definition: its trigger, conditions and steps, checked as a whole at save so that a rule that
cannot run is refused with the reason (never discovered at send time). Pure: what the store has
(templates, rewards, teams) is passed in as ``Catalogue``.

Steps are a flat list run in order; ``branch`` jumps (``else_goto``: a step index, or the list's length to
end) and ``wait_for_event`` may end the run; so a journey reads top to bottom in the console.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any

from loyaldesk.journeys.rules.conditions import InvalidDefinition, validate
from loyaldesk.journeys.rules.variables import UnknownVariable, variables_in
from loyaldesk.journeys.vocab import Channel, MessageCategory, StepKind, TriggerKind

MAX_STEPS = 30
MAX_WAIT_DAYS = 400
DATE_TRIGGERS = ("birthday", "points_expiring", "signup_anniversary", "tier_review")
RECURRENCES = ("daily", "weekly", "monthly")
_CUSTOM = re.compile(r"^custom:[a-z0-9_.\-]{1,50}$")
PRIORITIES = ("low", "normal", "high", "urgent")


@dataclass(frozen=True)
class Catalogue:
    """What a rule may refer to in this store."""

    event_types: dict[str, frozenset[str]]  # domain event type -> its payload's fields
    templates: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)  # key -> (channel, texts)
    reward_ids: frozenset[int] = frozenset()
    team_ids: frozenset[int] = frozenset()
    staff_ids: frozenset[int] = frozenset()
    survey_ids: frozenset[int] = frozenset()  # what an ``ask_survey`` step may ask (feedback's surveys)


def event_fields(trigger: dict[str, Any], catalogue: Catalogue) -> frozenset[str] | None:
    """The payload fields ``event.*`` conditions may name, for an event trigger (None otherwise)."""
    if trigger.get("kind") != TriggerKind.EVENT:
        return None
    name = str(trigger.get("event", ""))
    if name.startswith("custom:"):
        return frozenset({"name", "properties"})
    return catalogue.event_types.get(name, frozenset())


def validate_rule(
    trigger: Any, conditions: Any, steps: Any, catalogue: Catalogue, category: MessageCategory
) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    """The definition normalised, or ``InvalidDefinition`` naming the part that is wrong."""
    trigger = validate_trigger(trigger, catalogue)
    fields = event_fields(trigger, catalogue)
    conditions = validate(conditions, fields, "conditions")
    steps = validate_steps(steps, catalogue, fields, category)
    return trigger, conditions, steps


def validate_trigger(trigger: Any, catalogue: Catalogue) -> dict[str, Any]:
    if not isinstance(trigger, dict) or "kind" not in trigger:
        raise InvalidDefinition("trigger", 'must say its "kind"')
    try:
        kind = TriggerKind(trigger["kind"])
    except ValueError:
        raise InvalidDefinition("trigger.kind", f"one of {', '.join(TriggerKind)}") from None
    if kind is TriggerKind.EVENT:
        name = trigger.get("event")
        if not isinstance(name, str) or not (name in catalogue.event_types or _CUSTOM.match(name)):
            raise InvalidDefinition(
                "trigger.event", f"{name!r} is not an event loyaldesk knows (or custom:<name> for your own)"
            )
    elif kind is TriggerKind.DATE:
        if trigger.get("date") not in DATE_TRIGGERS:
            raise InvalidDefinition("trigger.date", f"one of {', '.join(DATE_TRIGGERS)}")
        days = trigger.get("days_before", 0)
        if not isinstance(days, int) or isinstance(days, bool) or not 0 <= days <= 365:
            raise InvalidDefinition("trigger.days_before", "a whole number of days from 0 to 365")
    elif kind in (TriggerKind.SEGMENT, TriggerKind.ATTRIBUTE):
        trigger["condition"] = validate(trigger.get("condition"), None, "trigger.condition")
        if not trigger["condition"].get("all") and not trigger["condition"].get("any"):
            raise InvalidDefinition("trigger.condition", "say who is in the segment")
    elif kind is TriggerKind.SCHEDULE:
        at = trigger.get("at")
        try:
            datetime.fromisoformat(str(at))
        except ValueError:
            raise InvalidDefinition(
                "trigger.at", f"a date and time like 2026-12-24T10:00, not {at!r}"
            ) from None
        if trigger.get("recurrence") not in (None, *RECURRENCES):
            raise InvalidDefinition("trigger.recurrence", f"none or one of {', '.join(RECURRENCES)}")
        if trigger.get("timezone", "store") not in ("store", "recipient"):
            raise InvalidDefinition("trigger.timezone", '"store" or "recipient"')
        trigger["audience"] = validate(trigger.get("audience"), None, "trigger.audience")
    return trigger


def validate_steps(
    steps: Any, catalogue: Catalogue, fields: frozenset[str] | None, category: MessageCategory
) -> list[dict[str, Any]]:
    if not isinstance(steps, list) or not steps:
        raise InvalidDefinition("steps", "a rule needs at least one step")
    if len(steps) > MAX_STEPS:
        raise InvalidDefinition("steps", f"at most {MAX_STEPS} steps")
    for index, step in enumerate(steps):
        _validate_step(step, index, len(steps), catalogue, fields, category)
    return steps


def _number(
    step: dict[str, Any], key: str, where: str, low: float, high: float, required: bool = True
) -> None:
    value = step.get(key)
    if value is None and not required:
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise InvalidDefinition(f"{where}.{key}", f"a number from {low:g} to {high:g}")


def _validate_step(
    step: Any,
    index: int,
    count: int,
    catalogue: Catalogue,
    fields: frozenset[str] | None,
    category: MessageCategory,
) -> None:
    where = f"steps[{index}]"
    if not isinstance(step, dict) or "kind" not in step:
        raise InvalidDefinition(where, 'must say its "kind"')
    try:
        kind = StepKind(step["kind"])
    except ValueError:
        raise InvalidDefinition(f"{where}.kind", f"one of {', '.join(StepKind)}") from None
    if kind is StepKind.SEND:
        _validate_send(step, where, catalogue)
    elif kind is StepKind.WAIT:
        total = sum(
            float(step.get(unit, 0) or 0) for unit in ("minutes", "hours", "days") if _is_num(step.get(unit))
        )
        for unit, high in (
            ("minutes", 60 * 24 * MAX_WAIT_DAYS),
            ("hours", 24 * MAX_WAIT_DAYS),
            ("days", MAX_WAIT_DAYS),
        ):
            _number(step, unit, where, 0, high, required=False)
        if total <= 0:
            raise InvalidDefinition(where, "a wait needs minutes, hours or days above zero")
    elif kind is StepKind.WAIT_UNTIL:
        try:
            time.fromisoformat(str(step.get("time")))
        except ValueError:
            raise InvalidDefinition(f"{where}.time", "a time of day like 10:00") from None
        if step.get("timezone", "recipient") not in ("store", "recipient"):
            raise InvalidDefinition(f"{where}.timezone", '"store" or "recipient"')
    elif kind is StepKind.WAIT_FOR_EVENT:
        name = step.get("event")
        if not isinstance(name, str) or not (name in catalogue.event_types or _CUSTOM.match(name)):
            raise InvalidDefinition(f"{where}.event", f"{name!r} is not a known event")
        _number(step, "timeout_hours", where, 1 / 60, 24 * MAX_WAIT_DAYS)
        for key in ("on_event", "on_timeout"):
            if step.get(key, "continue") not in ("continue", "exit"):
                raise InvalidDefinition(f"{where}.{key}", '"continue" or "exit"')
    elif kind is StepKind.BRANCH:
        step["if"] = validate(step.get("if"), fields, f"{where}.if")
        target = step.get("else_goto", count)
        if not isinstance(target, int) or isinstance(target, bool) or not index < target <= count:
            raise InvalidDefinition(
                f"{where}.else_goto", f"a later step's number ({index + 2} to {count + 1})"
            )
    elif kind is StepKind.SPLIT:
        variants = step.get("variants")
        if (
            not isinstance(variants, dict)
            or len(variants) < 2
            or not all(_is_num(v) for v in variants.values())
        ):
            raise InvalidDefinition(f"{where}.variants", 'two or more, like {"A": 50, "B": 50}')
        if not 99.5 <= sum(variants.values()) < 100.5:  # NaN and infinity fail too
            raise InvalidDefinition(f"{where}.variants", "the shares must add up to 100")
    elif kind is StepKind.GRANT_POINTS:
        _number(step, "points", where, 1, 1_000_000)
    elif kind is StepKind.GRANT_REWARD:
        if not _is_id(step.get("reward_id")) or step["reward_id"] not in catalogue.reward_ids:
            raise InvalidDefinition(f"{where}.reward_id", "not one of this store's rewards")
    elif kind in (StepKind.TAG_CUSTOMER, StepKind.TAG_CONVERSATION):
        tag = step.get("tag")
        if not isinstance(tag, str) or not 0 < len(tag.strip()) <= 50:
            raise InvalidDefinition(f"{where}.tag", "a tag of 1 to 50 characters")
    elif kind is StepKind.ASSIGN:
        team, staff = step.get("team_id"), step.get("staff_id")
        if not (_is_id(team) and team in catalogue.team_ids) and not (
            _is_id(staff) and staff in catalogue.staff_ids
        ):
            raise InvalidDefinition(
                where, "assign to one of this store's teams (team_id) or staff (staff_id)"
            )
    elif kind is StepKind.SET_PRIORITY:
        if step.get("priority") not in PRIORITIES:
            raise InvalidDefinition(f"{where}.priority", f"one of {', '.join(PRIORITIES)}")
    elif kind is StepKind.REPLY:
        _text(step, "text", where, 2000)
    elif kind is StepKind.CREATE_TASK:
        _text(step, "title", where, 300)
        _number(step, "due_hours", where, 0, 24 * 60, required=False)
    elif kind is StepKind.ASK_SURVEY:
        if not _is_id(step.get("survey_id")) or step["survey_id"] not in catalogue.survey_ids:
            raise InvalidDefinition(f"{where}.survey_id", "not one of this store's surveys")
        try:
            Channel(str(step.get("channel", "email")))
        except ValueError:
            raise InvalidDefinition(f"{where}.channel", f"one of {', '.join(Channel)}") from None
        _number(step, "sample_percent", where, 0.1, 100, required=False)
    elif kind is StepKind.CALL_WEBHOOK:
        url = step.get("url")
        if not isinstance(url, str) or not re.match(r"^https?://[^\s/]+", url):
            raise InvalidDefinition(f"{where}.url", "an http(s) address")


def _is_id(value: Any) -> bool:
    """A row id as JSON gives it (an int, not a bool; nothing unhashable reaches a set lookup)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _is_num(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _text(step: dict[str, Any], key: str, where: str, longest: int) -> None:
    value = step.get(key)
    if not isinstance(value, str) or not 0 < len(value.strip()) <= longest:
        raise InvalidDefinition(f"{where}.{key}", f"text of 1 to {longest} characters")
    try:
        variables_in(value)
    except (UnknownVariable, ValueError) as error:
        raise InvalidDefinition(f"{where}.{key}", str(error)) from None


def _validate_send(step: dict[str, Any], where: str, catalogue: Catalogue) -> None:
    try:
        channel = Channel(str(step.get("channel")))
    except ValueError:
        raise InvalidDefinition(f"{where}.channel", f"one of {', '.join(Channel)}") from None
    keys = step.get("variants") or {"": step.get("template")}
    if not isinstance(keys, dict):
        raise InvalidDefinition(f"{where}.variants", 'like {"A": "template-a", "B": "template-b"}')
    for variant, key in keys.items():
        here = f"{where}.template" if not variant else f"{where}.variants.{variant}"
        if not isinstance(key, str) or key not in catalogue.templates:
            raise InvalidDefinition(here, f"no message template {key!r} in this store")
        template_channel, texts = catalogue.templates[key]
        if template_channel != channel:
            raise InvalidDefinition(here, f"template {key!r} is for {template_channel}, not {channel}")
        for text in texts:
            try:
                variables_in(text)
            except (UnknownVariable, ValueError) as error:
                raise InvalidDefinition(here, f"template {key!r}: {error}") from None
