"""When a survey asks on its own, pure: a trigger as the store writes it, checked, and the journeys rule
that carries it out (trigger, conditions, steps).

* ``{"kind": "event", "event": "order.delivered", "delay_days": 7}``: after an event about the customer
  (a delivery, a resolved conversation, a paid order, or the store's own ``custom:<name>``), N days later.
* ``{"kind": "schedule", "recurrence": "monthly", "sample_percent": 10}``: a relationship survey asked
  of a random sample of the customers who have ordered, every week, month or quarter.
* ``{"kind": "api"}``: only when the store's site or app asks (or a person in the console).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

EVENTS = (
    "order.delivered",
    "order.fulfilled",
    "order.paid",
    "conversation.resolved",
)
EVENT_LABELS = {
    "order.delivered": "An order was delivered",
    "order.fulfilled": "An order was shipped",
    "order.paid": "An order was paid",
    "conversation.resolved": "A conversation was resolved",
}
RECURRENCES = {"weekly": "weekly", "monthly": "monthly"}
MAX_DELAY_DAYS = 90


class InvalidTrigger(ValueError):
    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where, self.message = where, message


def validate_trigger(trigger: Any) -> dict[str, Any]:
    """The trigger normalised, or ``InvalidTrigger`` naming what is wrong."""
    if not isinstance(trigger, dict):
        raise InvalidTrigger("trigger", 'like {"kind": "event", "event": "order.delivered", "delay_days": 7}')
    kind = trigger.get("kind")
    if kind == "api":
        return {"kind": "api"}
    if kind == "event":
        event = trigger.get("event")
        if not isinstance(event, str) or not (
            event in EVENTS or (event.startswith("custom:") and 7 < len(event) <= 57)
        ):
            raise InvalidTrigger("trigger.event", f"one of {', '.join(EVENTS)}, or custom:<name>")
        delay = trigger.get("delay_days", 0)
        if isinstance(delay, bool) or not isinstance(delay, int) or not 0 <= delay <= MAX_DELAY_DAYS:
            raise InvalidTrigger("trigger.delay_days", f"a whole number of days from 0 to {MAX_DELAY_DAYS}")
        return {"kind": "event", "event": event, "delay_days": delay}
    if kind == "schedule":
        recurrence = trigger.get("recurrence", "monthly")
        if recurrence not in RECURRENCES:
            raise InvalidTrigger("trigger.recurrence", f"one of {', '.join(RECURRENCES)}")
        sample = trigger.get("sample_percent", 10)
        if isinstance(sample, bool) or not isinstance(sample, int | float) or not 0.1 <= sample <= 100:
            raise InvalidTrigger("trigger.sample_percent", "a share from 0.1 to 100 percent")
        return {"kind": "schedule", "recurrence": recurrence, "sample_percent": sample}
    raise InvalidTrigger("trigger.kind", "one of event, schedule, api")


def rule_for(
    trigger: dict[str, Any], survey_id: int, channel: str, now: datetime
) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]] | None:
    """The journeys rule (trigger, conditions, steps) that asks the survey, None for ``api``. The step
    names a journeys channel (``_journeys_channel``); feedback's asker reads the survey's own channel
    to decide what asking means (a message, or an invitation waiting on the widget or member page)."""
    if trigger["kind"] == "api":
        return None
    ask: dict[str, Any] = {
        "kind": "ask_survey",
        "survey_id": survey_id,
        "channel": _journeys_channel(channel),
    }
    if trigger["kind"] == "event":
        steps: list[dict[str, Any]] = []
        if trigger["delay_days"]:
            steps.append({"kind": "wait", "days": trigger["delay_days"]})
        steps.append(ask)
        return {"kind": "event", "event": trigger["event"]}, {"all": []}, steps
    ask["sample_percent"] = trigger["sample_percent"]
    start = (now + timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)
    schedule = {
        "kind": "schedule",
        "at": start.replace(tzinfo=None).isoformat(timespec="minutes"),
        "recurrence": RECURRENCES[trigger["recurrence"]],
        "timezone": "recipient",
        "audience": {"all": [{"field": "orders.count", "op": "gte", "value": 1}]},
    }
    return schedule, {"all": []}, [ask]


def _journeys_channel(channel: str) -> str:
    """The journeys channel a survey channel asks on: email and SMS are sends; the widget, the member
    page and the API hold the invitation until the customer comes (journeys' widget channel)."""
    return channel if channel in ("email", "sms") else "widget"
