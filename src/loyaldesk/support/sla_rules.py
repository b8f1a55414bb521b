"""SLA targets, SLA clocks and the SLA status of a conversation. Pure: no I/O, no clock of its own.

An SLA clock counts *business time* (see ``business_hours``) from the instant it starts, except while the
conversation is paused (waiting on the customer, or snoozed): a pause pushes the due time out by the
business time it covered. Every pause pauses every clock.

Deadlines are half-open. A clock is ``running`` until ``warning_at``, in ``warning`` from ``warning_at``
until ``due_at``, and ``breached`` from ``due_at`` on; a response strictly before ``due_at`` is on time.
Everything is evaluated *as of* an explicit ``now``: events and pause ends later than ``now`` are
ignored, so one timeline replayed at a series of ``now`` values behaves like the live system.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from loyaldesk.support.business_hours import (
    ZERO,
    BusinessCalendar,
    add_business_time,
    aware_utc,
    business_time_between,
)


class SlaMetric(StrEnum):
    FIRST_RESPONSE = "first_response"  # from opening to the first agent reply
    NEXT_RESPONSE = "next_response"  # from a customer message after an agent reply to the next reply
    RESOLUTION = "resolution"  # from opening to resolution


class SlaState(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    WARNING = "warning"  # at most the warning lead is left
    BREACHED = "breached"  # the due time passed without the target being met
    MET = "met"  # the clock was stopped by the response (or resolution); see ``breached`` for lateness
    NOT_APPLICABLE = "not_applicable"  # no target, the clock never started, or resolution made it moot


class PauseReason(StrEnum):
    WAITING_ON_CUSTOMER = "waiting_on_customer"
    SNOOZED = "snoozed"
    ASSISTANT = "assistant"  # the store's assistant answered; the clocks start when it hands off


class EscalationKind(StrEnum):
    WARNING = "warning"
    BREACH = "breach"


@dataclass(frozen=True)
class Pause:
    """The clocks stand still from ``started_at`` until ``ended_at`` (``None``: still paused)."""

    started_at: datetime
    ended_at: datetime | None = None
    reason: PauseReason = PauseReason.WAITING_ON_CUSTOMER

    def __post_init__(self) -> None:
        object.__setattr__(self, "started_at", aware_utc(self.started_at, "pause started_at"))
        if self.ended_at is not None:
            ended_at = aware_utc(self.ended_at, "pause ended_at")
            if ended_at < self.started_at:
                raise ValueError("a pause cannot end before it starts")
            object.__setattr__(self, "ended_at", ended_at)


@dataclass(frozen=True)
class SlaTargets:
    """Business-time targets per metric (``None``: no target) and when to warn before a breach.

    ``warn_before`` is either a fraction of the target in ``[0, 1)`` (0.25: warn with a quarter left) or
    a fixed ``timedelta`` of business time (capped at the target). Raises ``ValueError`` when invalid.
    """

    first_response: timedelta | None = None
    next_response: timedelta | None = None
    resolution: timedelta | None = None
    warn_before: timedelta | float = 0.25

    def __post_init__(self) -> None:
        for metric in SlaMetric:
            target = self.target_for(metric)
            if target is not None and (not isinstance(target, timedelta) or target <= ZERO):
                raise ValueError(f"{metric.value} target must be a positive timedelta, got {target!r}")
        lead = self.warn_before
        if isinstance(lead, timedelta):
            if lead < ZERO:
                raise ValueError("warn_before cannot be negative")
        elif isinstance(lead, bool) or not isinstance(lead, int | float) or not 0 <= lead < 1:
            raise ValueError(f"warn_before must be a fraction in [0, 1) or a timedelta, got {lead!r}")

    def target_for(self, metric: SlaMetric) -> timedelta | None:
        return {
            SlaMetric.FIRST_RESPONSE: self.first_response,
            SlaMetric.NEXT_RESPONSE: self.next_response,
            SlaMetric.RESOLUTION: self.resolution,
        }[metric]

    def warning_lead(self, target: timedelta) -> timedelta:
        """How much business time is left when the warning starts, for ``target``; never above it."""
        if isinstance(self.warn_before, timedelta):
            return min(self.warn_before, target)
        return target * self.warn_before


@dataclass(frozen=True)
class SlaClock:
    """One clock: counts business time on ``calendar`` from ``started_at`` towards ``target``."""

    calendar: BusinessCalendar
    started_at: datetime
    target: timedelta
    warning_lead: timedelta = ZERO
    pauses: tuple[Pause, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "started_at", aware_utc(self.started_at, "started_at"))
        object.__setattr__(self, "pauses", tuple(self.pauses))
        if self.target <= ZERO or not ZERO <= self.warning_lead <= self.target:
            raise ValueError("a clock needs a positive target and a warning lead between zero and it")


@dataclass(frozen=True)
class ClockReading:
    """A clock as of one instant. ``remaining`` is negative by the overdue business time once breached."""

    state: SlaState  # running, paused, warning or breached
    due_at: datetime | None  # None while paused (unknown until the pause ends), unless already breached
    warning_at: datetime | None
    breached_at: datetime | None
    elapsed: timedelta
    remaining: timedelta


def read_clock(clock: SlaClock, now: datetime) -> ClockReading:
    """The clock's state, due and warning instants, elapsed and remaining business time at ``now``.

    Breached wins over paused (a clock that breached and was then paused stays breached); paused wins
    over warning. Raises ``ValueError`` for a positive target on a calendar that is never open.
    """
    now = aware_utc(now, "now")
    pauses = _pauses_as_of(clock.pauses, clock.started_at, now)
    due_at = _reach(clock.calendar, clock.started_at, clock.target, pauses)
    warning_at = _reach(clock.calendar, clock.started_at, clock.target - clock.warning_lead, pauses)
    elapsed = _counted(clock.calendar, clock.started_at, now, pauses)
    remaining = clock.target - elapsed
    if due_at is not None and now >= due_at:
        return ClockReading(SlaState.BREACHED, due_at, warning_at, due_at, elapsed, remaining)
    if pauses and pauses[-1][1] is None:
        return ClockReading(SlaState.PAUSED, None, warning_at, None, elapsed, remaining)
    assert due_at is not None and warning_at is not None  # no open-ended pause: both are reached
    state = SlaState.WARNING if now >= warning_at else SlaState.RUNNING
    return ClockReading(state, due_at, warning_at, None, elapsed, remaining)


# --- a conversation's SLA status ----------------------------------------------------------------------


@dataclass(frozen=True)
class ConversationTimeline:
    """What the SLA needs to know of a conversation; any instants, normalized to sorted UTC tuples.

    ``customer_messages`` and ``agent_replies`` are when each was sent (agent replies: public replies
    only). ``resolved_at`` is the current resolution (``None`` while open or after reopening).
    """

    opened_at: datetime
    customer_messages: tuple[datetime, ...] = ()
    agent_replies: tuple[datetime, ...] = ()
    resolved_at: datetime | None = None
    pauses: tuple[Pause, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "opened_at", aware_utc(self.opened_at, "opened_at"))
        for name in ("customer_messages", "agent_replies"):
            instants = sorted(aware_utc(instant, name) for instant in getattr(self, name))
            object.__setattr__(self, name, tuple(instants))
        if self.resolved_at is not None:
            object.__setattr__(self, "resolved_at", aware_utc(self.resolved_at, "resolved_at"))
        object.__setattr__(self, "pauses", tuple(sorted(self.pauses, key=lambda pause: pause.started_at)))


@dataclass(frozen=True)
class ResponseCycle:
    """A customer waiting for an agent after the first response: since their first unanswered message."""

    waiting_since: datetime
    replied_at: datetime | None


@dataclass(frozen=True)
class MetricStatus:
    """One metric as of ``now``. ``due_at`` is ``None`` when met, not applicable or paused."""

    metric: SlaMetric
    state: SlaState
    clock_started_at: datetime | None
    due_at: datetime | None
    warning_at: datetime | None
    met_at: datetime | None
    breached: bool
    breached_at: datetime | None
    elapsed: timedelta  # business time counted, pauses excluded
    remaining: timedelta | None  # target minus elapsed (negative when overdue); None without a clock


@dataclass(frozen=True)
class SlaStatus:
    first_response: MetricStatus
    next_response: MetricStatus
    resolution: MetricStatus

    @property
    def metrics(self) -> tuple[MetricStatus, MetricStatus, MetricStatus]:
        return (self.first_response, self.next_response, self.resolution)


def first_response_at(timeline: ConversationTimeline, now: datetime) -> datetime | None:
    """The first agent reply at or after opening and at or before ``now``."""
    now = aware_utc(now, "now")
    return next((reply for reply in timeline.agent_replies if timeline.opened_at <= reply <= now), None)


def next_response_cycles(timeline: ConversationTimeline, now: datetime) -> tuple[ResponseCycle, ...]:
    """Every wait for a next response as of ``now``, oldest first; only the last may be unanswered.

    A cycle starts at the first customer message after the latest agent reply (once the first response
    was given) and ends at the next agent reply. A reply at the same instant as a message answers it.
    """
    now = aware_utc(now, "now")
    first_reply = first_response_at(timeline, now)
    if first_reply is None:
        return ()
    # Customer messages sort before agent replies sent at the same instant.
    events = sorted(
        [(sent, 0) for sent in timeline.customer_messages if first_reply < sent <= now]
        + [(sent, 1) for sent in timeline.agent_replies if first_reply < sent <= now]
    )
    cycles: list[ResponseCycle] = []
    waiting_since: datetime | None = None
    for sent, from_agent in events:
        if not from_agent and waiting_since is None:
            waiting_since = sent
        elif from_agent and waiting_since is not None:
            cycles.append(ResponseCycle(waiting_since, sent))
            waiting_since = None
    if waiting_since is not None:
        cycles.append(ResponseCycle(waiting_since, None))
    return tuple(cycles)


def sla_status(
    calendar: BusinessCalendar, targets: SlaTargets, timeline: ConversationTimeline, now: datetime
) -> SlaStatus:
    """Each metric's state, due time, met time, breach and elapsed business time as of ``now``.

    - first response: from ``opened_at`` to the first agent reply;
    - next response: the latest cycle of ``next_response_cycles`` (a new customer message after an
      agent reply starts a fresh clock); not applicable before the first response;
    - resolution: from ``opened_at`` to ``resolved_at``.
    Resolution stops the response clocks: an unanswered one is ``not_applicable`` if it had not breached
    by then and stays ``breached`` if it had. Nothing has started before ``opened_at``.
    """
    now = aware_utc(now, "now")
    opened_at = timeline.opened_at if timeline.opened_at <= now else None
    resolved_at = timeline.resolved_at if timeline.resolved_at and timeline.resolved_at <= now else None
    cycles = next_response_cycles(timeline, now) if opened_at else ()
    last_cycle = cycles[-1] if cycles else None

    def status(
        metric: SlaMetric, started: datetime | None, met: datetime | None, stop: datetime | None
    ) -> MetricStatus:
        return _metric_status(calendar, targets, timeline.pauses, now, metric, started, met, stop)

    return SlaStatus(
        first_response=status(
            SlaMetric.FIRST_RESPONSE, opened_at, first_response_at(timeline, now), resolved_at
        ),
        next_response=status(
            SlaMetric.NEXT_RESPONSE,
            last_cycle.waiting_since if last_cycle else None,
            last_cycle.replied_at if last_cycle else None,
            resolved_at,
        ),
        resolution=status(SlaMetric.RESOLUTION, opened_at, resolved_at, None),
    )


def _metric_status(
    calendar: BusinessCalendar,
    targets: SlaTargets,
    pauses: Sequence[Pause],
    now: datetime,
    metric: SlaMetric,
    started_at: datetime | None,
    met_at: datetime | None,
    stopped_at: datetime | None,
) -> MetricStatus:
    target = targets.target_for(metric)
    if target is None or started_at is None:
        return MetricStatus(
            metric, SlaState.NOT_APPLICABLE, started_at, None, None, None, False, None, ZERO, None
        )
    clock = SlaClock(calendar, started_at, target, targets.warning_lead(target), tuple(pauses))
    if met_at is not None and (stopped_at is None or met_at <= stopped_at):
        return _from_reading(metric, SlaState.MET, started_at, read_clock(clock, met_at), met_at)
    reading = read_clock(clock, now if stopped_at is None else stopped_at)
    if stopped_at is not None and reading.state is not SlaState.BREACHED:
        return _from_reading(metric, SlaState.NOT_APPLICABLE, started_at, reading, None)
    return _from_reading(metric, reading.state, started_at, reading, None)


def _from_reading(
    metric: SlaMetric, state: SlaState, started_at: datetime, reading: ClockReading, met_at: datetime | None
) -> MetricStatus:
    # A stopped clock (met, or made moot by resolution) has no due or warning instant any more.
    live = state not in (SlaState.MET, SlaState.NOT_APPLICABLE)
    breached = reading.state is SlaState.BREACHED
    return MetricStatus(
        metric=metric,
        state=state,
        clock_started_at=started_at,
        due_at=reading.due_at if live else None,
        warning_at=reading.warning_at if live else None,
        met_at=met_at,
        breached=breached,
        breached_at=reading.breached_at if breached else None,
        elapsed=reading.elapsed,
        remaining=reading.remaining,
    )


# --- escalation -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Escalation:
    """One escalation step of one clock. Identity is (metric, kind, clock_started_at): record fired steps
    and pass them back, and a step is never due twice; a new next-response cycle is a new clock.
    """

    metric: SlaMetric
    kind: EscalationKind
    clock_started_at: datetime
    occurred_at: datetime = field(compare=False)  # when the warning or breach happened


def escalations_due(status: SlaStatus, already_fired: Collection[Escalation]) -> tuple[Escalation, ...]:
    """The escalation steps due in ``status`` that are not in ``already_fired``, in metric order.

    A breach step is due once a metric is breached (also when it was met late); a warning step only
    while the metric is in ``warning`` (a clock seen first when already breached gets the breach only).
    """
    due: list[Escalation] = []
    for metric in status.metrics:
        started_at, step = metric.clock_started_at, None
        if started_at is not None and metric.breached and metric.breached_at is not None:
            step = Escalation(metric.metric, EscalationKind.BREACH, started_at, metric.breached_at)
        elif started_at is not None and metric.state is SlaState.WARNING and metric.warning_at is not None:
            step = Escalation(metric.metric, EscalationKind.WARNING, started_at, metric.warning_at)
        if step is not None and step not in already_fired:
            due.append(step)
    return tuple(due)


def next_escalation_at(status: SlaStatus, already_fired: Collection[Escalation]) -> datetime | None:
    """The earliest instant at which ``escalations_due`` would return a new step if nothing else happened;
    ``None`` when no running clock has one ahead (a paused clock waits for its pause to end).
    """
    upcoming: list[datetime] = []
    for metric in status.metrics:
        started_at, due_at, warning_at = metric.clock_started_at, metric.due_at, metric.warning_at
        if metric.state not in (SlaState.RUNNING, SlaState.WARNING) or started_at is None or due_at is None:
            continue
        warning = Escalation(metric.metric, EscalationKind.WARNING, started_at, warning_at or due_at)
        warns_first = warning_at is not None and warning_at < due_at and warning not in already_fired
        if metric.state is SlaState.RUNNING and warns_first and warning_at is not None:
            upcoming.append(warning_at)
        else:
            upcoming.append(due_at)
    return min(upcoming, default=None)


# --- clock internals ------------------------------------------------------------------------------

_Interval = tuple[datetime, datetime | None]


def _pauses_as_of(pauses: Sequence[Pause], started_at: datetime, now: datetime) -> list[_Interval]:
    """Pauses as known at ``now``, clipped to the clock, merged, sorted; one still going has end ``None``."""
    intervals: list[_Interval] = []
    for pause in pauses:
        if pause.started_at > now:
            continue
        begin = max(pause.started_at, started_at)
        end = pause.ended_at if pause.ended_at is not None and pause.ended_at <= now else None
        if end is None or end > begin:
            intervals.append((begin, end))
    intervals.sort(key=lambda interval: interval[0])
    merged: list[_Interval] = []
    for begin, end in intervals:
        if merged and (merged[-1][1] is None or begin <= merged[-1][1]):
            last_begin, last_end = merged[-1]
            merged[-1] = (last_begin, None if last_end is None or end is None else max(last_end, end))
        else:
            merged.append((begin, end))
    return merged


def _counted(
    calendar: BusinessCalendar, started_at: datetime, until: datetime, pauses: list[_Interval]
) -> timedelta:
    total = business_time_between(calendar, started_at, until)
    for begin, end in pauses:
        total -= business_time_between(calendar, begin, until if end is None else min(end, until))
    return total


def _reach(
    calendar: BusinessCalendar, started_at: datetime, amount: timedelta, pauses: list[_Interval]
) -> datetime | None:
    """The first instant by which ``amount`` of unpaused business time has passed since ``started_at``."""
    cursor, remaining = started_at, amount
    for begin, end in pauses:
        if remaining <= ZERO:
            return cursor
        if begin > cursor:
            before_pause = business_time_between(calendar, cursor, begin)
            if before_pause >= remaining:
                return add_business_time(calendar, cursor, remaining)
            remaining -= before_pause
        if end is None:
            return None
        cursor = max(cursor, end)
    return add_business_time(calendar, cursor, remaining)
