"""SLA clocks and conversation SLA status with a fake clock (explicit instants): pauses, warning, breach,
met before due, next response per customer message, resolution, escalation that fires once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loyaldesk.support.business_hours import add_business_time, always_open, business_calendar, is_open
from loyaldesk.support.sla_rules import (
    ConversationTimeline,
    Escalation,
    EscalationKind,
    Pause,
    PauseReason,
    ResponseCycle,
    SlaClock,
    SlaMetric,
    SlaState,
    SlaStatus,
    SlaTargets,
    escalations_due,
    next_escalation_at,
    next_response_cycles,
    read_clock,
    sla_status,
)

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
# Monday to Friday 09:00-12:30 and 13:30-17:30 in Amsterdam. In March 2026 before the 29th that is
# 08:00-11:30Z and 12:30-16:30Z; 2026-03-02 is a Monday.
OFFICE = business_calendar("Europe/Amsterdam", {weekday: "09:00-12:30, 13:30-17:30" for weekday in range(5)})
TARGETS = SlaTargets(
    first_response=timedelta(hours=2), next_response=timedelta(hours=1), resolution=timedelta(hours=16)
)
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)


def ams(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=AMSTERDAM)


def clock(*pauses: Pause, target: timedelta = 2 * HOUR, lead: timedelta = 30 * MINUTE) -> SlaClock:
    return SlaClock(OFFICE, ams(2, 10), target, lead, pauses)


# --- values ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "arguments",
    [
        {"first_response": timedelta(0)},
        {"resolution": -HOUR},
        {"warn_before": 1.0},
        {"warn_before": -0.1},
        {"warn_before": True},
        {"warn_before": -MINUTE},
        {"warn_before": "10%"},
    ],
)
def test_invalid_targets_are_refused(arguments: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        SlaTargets(**arguments)  # type: ignore[arg-type]


def test_warning_lead_is_a_fraction_or_a_capped_fixed_time() -> None:
    assert SlaTargets(warn_before=0.25).warning_lead(4 * HOUR) == HOUR
    assert SlaTargets(warn_before=0).warning_lead(4 * HOUR) == timedelta(0)
    assert SlaTargets(warn_before=15 * MINUTE).warning_lead(4 * HOUR) == 15 * MINUTE
    assert SlaTargets(warn_before=8 * HOUR).warning_lead(4 * HOUR) == 4 * HOUR


def test_invalid_pauses_and_clocks_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Pause(datetime(2026, 3, 2, 10))
    with pytest.raises(ValueError, match="before it starts"):
        Pause(ams(2, 11), ams(2, 10))
    with pytest.raises(ValueError):
        SlaClock(OFFICE, ams(2, 10), timedelta(0))
    with pytest.raises(ValueError):
        SlaClock(OFFICE, ams(2, 10), HOUR, 2 * HOUR)


# --- one clock ------------------------------------------------------------------------------------


def test_running_then_warning_then_breached_with_half_open_deadlines() -> None:
    sla = clock()  # starts Monday 10:00, 2 hours, warning with 30 minutes left
    running = read_clock(sla, ams(2, 10, 30))
    assert running.state is SlaState.RUNNING
    assert running.due_at == ams(2, 12) and running.warning_at == ams(2, 11, 30)
    assert (running.elapsed, running.remaining) == (30 * MINUTE, 90 * MINUTE)
    assert read_clock(sla, ams(2, 11, 29)).state is SlaState.RUNNING
    assert read_clock(sla, ams(2, 11, 30)).state is SlaState.WARNING
    assert read_clock(sla, ams(2, 11, 59)).state is SlaState.WARNING
    breached = read_clock(sla, ams(2, 12))
    assert breached.state is SlaState.BREACHED and breached.breached_at == ams(2, 12)
    later = read_clock(sla, ams(2, 14))
    assert (
        later.state is SlaState.BREACHED and later.remaining == -HOUR
    )  # 12:00-12:30 and 13:30-14:00 overdue
    assert all(instant.tzinfo is UTC for instant in (later.due_at, later.warning_at, later.breached_at))


def test_a_clock_started_outside_hours_counts_from_the_next_opening() -> None:
    saturday = SlaClock(OFFICE, ams(7, 15), 2 * HOUR)
    reading = read_clock(saturday, ams(8, 12))
    assert reading.state is SlaState.RUNNING and reading.elapsed == timedelta(0)
    assert reading.due_at == ams(9, 11)


def test_waiting_on_customer_during_hours_pushes_the_due_time() -> None:
    reading = read_clock(clock(Pause(ams(2, 10, 30), ams(2, 11))), ams(2, 11, 15))
    assert reading.state is SlaState.RUNNING
    assert reading.due_at == ams(2, 12, 30) - timedelta(
        0
    )  # 12:30 is lunch: the last 30 minutes come after it
    assert reading.due_at == ams(2, 12, 30)
    assert reading.elapsed == 45 * MINUTE


def test_a_pause_over_lunch_or_overnight_changes_nothing() -> None:
    lunch = Pause(ams(2, 12, 30), ams(2, 13, 30), PauseReason.SNOOZED)
    overnight = Pause(ams(2, 18), ams(3, 8), PauseReason.SNOOZED)
    long_clock = SlaClock(OFFICE, ams(2, 10), 8 * HOUR)
    plain = read_clock(long_clock, ams(3, 9))
    paused = read_clock(SlaClock(OFFICE, ams(2, 10), 8 * HOUR, pauses=(lunch, overnight)), ams(3, 9))
    assert paused.due_at == plain.due_at == ams(3, 10, 30)  # 6.5 hours on Monday, 1.5 on Tuesday
    assert paused.elapsed == plain.elapsed


def test_a_snooze_straddling_closing_time_counts_only_its_open_part() -> None:
    long_clock = SlaClock(
        OFFICE, ams(2, 10), 8 * HOUR, pauses=(Pause(ams(2, 17), ams(3, 10), PauseReason.SNOOZED),)
    )
    # 30 minutes on Monday evening and 60 on Tuesday morning were paused: due 90 business minutes later.
    assert read_clock(long_clock, ams(3, 10)).due_at == ams(3, 10, 30) + timedelta(minutes=90)


def test_an_open_ended_pause_freezes_the_clock() -> None:
    sla = clock(Pause(ams(2, 11), None, PauseReason.SNOOZED))
    first, second = read_clock(sla, ams(2, 11, 45)), read_clock(sla, ams(3, 15))
    for reading in (first, second):
        assert reading.state is SlaState.PAUSED and reading.due_at is None and reading.breached_at is None
        assert (reading.elapsed, reading.remaining) == (HOUR, HOUR)
    assert read_clock(sla, ams(2, 10, 30)).due_at == ams(2, 12)  # before the pause began it was not known


def test_a_pause_known_to_end_later_is_still_paused_now() -> None:
    sla = clock(Pause(ams(2, 11), ams(2, 14)))
    assert read_clock(sla, ams(2, 13)).state is SlaState.PAUSED
    after = read_clock(sla, ams(2, 14))
    assert after.state is SlaState.RUNNING and after.due_at == ams(2, 15)  # 11:00-14:00 held 2 open hours
    assert (after.elapsed, after.remaining) == (HOUR, HOUR)


def test_breach_wins_over_a_later_pause() -> None:
    reading = read_clock(clock(Pause(ams(2, 13, 45))), ams(2, 16))
    assert reading.state is SlaState.BREACHED and reading.breached_at == ams(2, 12)


def test_overlapping_pauses_count_once_and_pauses_before_the_start_are_clipped() -> None:
    waiting = Pause(ams(2, 9), ams(2, 11), PauseReason.WAITING_ON_CUSTOMER)
    snoozed = Pause(ams(2, 10, 30), ams(2, 11, 15), PauseReason.SNOOZED)
    reading = read_clock(clock(waiting, snoozed), ams(2, 14))
    assert reading.elapsed == 105 * MINUTE  # 11:15-12:30 and 13:30-14:00
    assert reading.due_at == ams(2, 14, 15)


def test_a_pause_nested_in_another_and_one_starting_at_the_due_time() -> None:
    waiting = Pause(ams(2, 10, 30), ams(2, 11, 30), PauseReason.WAITING_ON_CUSTOMER)
    snoozed = Pause(ams(2, 10, 45), ams(2, 11), PauseReason.SNOOZED)
    assert read_clock(clock(waiting, snoozed), ams(2, 16)).due_at == ams(2, 14)
    # The target is reached at 12:00, just as the pause begins: the pause cannot postpone it.
    at_due = read_clock(clock(Pause(ams(2, 12), None)), ams(2, 12, 10))
    assert at_due.state is SlaState.BREACHED and at_due.breached_at == ams(2, 12)


# --- a conversation -------------------------------------------------------------------------------


def status(timeline: ConversationTimeline, now: datetime, targets: SlaTargets = TARGETS) -> SlaStatus:
    return sla_status(OFFICE, targets, timeline, now)


def test_a_new_conversation_waits_for_its_first_response() -> None:
    timeline = ConversationTimeline(ams(2, 10), customer_messages=(ams(2, 10),))
    now = status(timeline, ams(2, 10, 45))
    assert now.first_response.state is SlaState.RUNNING and now.first_response.due_at == ams(2, 12)
    assert now.next_response.state is SlaState.NOT_APPLICABLE and now.next_response.due_at is None
    assert now.resolution.state is SlaState.RUNNING
    assert now.resolution.due_at == ams(4, 11)  # 6h Monday, 7.5h Tuesday, 2.5h Wednesday
    assert status(timeline, ams(2, 11, 30)).first_response.state is SlaState.WARNING
    breached = status(timeline, ams(2, 12)).first_response
    assert breached.state is SlaState.BREACHED and breached.breached and breached.breached_at == ams(2, 12)


def test_first_response_met_before_due() -> None:
    timeline = ConversationTimeline(ams(2, 10), (ams(2, 10),), agent_replies=(ams(2, 11),))
    first = status(timeline, ams(2, 16)).first_response
    assert first.state is SlaState.MET and not first.breached and first.breached_at is None
    assert (first.met_at, first.due_at, first.elapsed, first.remaining) == (ams(2, 11), None, HOUR, HOUR)


def test_first_response_met_late_is_met_and_breached() -> None:
    timeline = ConversationTimeline(ams(2, 10), (ams(2, 10),), agent_replies=(ams(2, 14),))
    first = status(timeline, ams(2, 16)).first_response
    assert first.state is SlaState.MET and first.breached and first.breached_at == ams(2, 12)
    assert first.elapsed == 3 * HOUR
    exactly_at_due = ConversationTimeline(ams(2, 10), (ams(2, 10),), agent_replies=(ams(2, 12),))
    assert status(exactly_at_due, ams(2, 16)).first_response.breached  # due is the first late instant


def test_next_response_for_a_second_customer_message_after_an_agent_reply() -> None:
    timeline = ConversationTimeline(
        ams(2, 10),
        customer_messages=(ams(2, 10), ams(2, 14), ams(2, 14, 20), ams(3, 9, 30)),
        agent_replies=(ams(2, 10, 15), ams(2, 14, 40)),
    )
    assert status(timeline, ams(2, 13)).next_response.state is SlaState.NOT_APPLICABLE
    waiting = status(timeline, ams(2, 14, 30)).next_response
    assert waiting.state is SlaState.RUNNING and waiting.clock_started_at == ams(
        2, 14
    )  # the first unanswered
    assert waiting.due_at == ams(2, 15)
    answered = status(timeline, ams(2, 16)).next_response
    assert answered.state is SlaState.MET and answered.met_at == ams(2, 14, 40) and not answered.breached
    third = status(timeline, ams(3, 10, 30)).next_response
    assert third.clock_started_at == ams(3, 9, 30) and third.state is SlaState.BREACHED
    assert next_response_cycles(timeline, ams(3, 10, 30)) == (
        ResponseCycle(ams(2, 14), ams(2, 14, 40)),
        ResponseCycle(ams(3, 9, 30), None),
    )


def test_a_reply_at_the_same_instant_answers_the_message_and_later_events_are_ignored() -> None:
    timeline = ConversationTimeline(
        ams(2, 10),
        customer_messages=(ams(2, 10), ams(2, 11)),
        agent_replies=(ams(2, 10, 30), ams(2, 11), ams(2, 15)),
    )
    assert next_response_cycles(timeline, ams(2, 16)) == (ResponseCycle(ams(2, 11), ams(2, 11)),)
    future = ConversationTimeline(
        ams(2, 10),
        (ams(2, 10), ams(2, 11, 30)),
        agent_replies=(ams(2, 10, 30), ams(2, 12)),
        resolved_at=ams(2, 16),
    )
    as_of = status(future, ams(2, 11, 45))
    assert as_of.next_response.state is SlaState.RUNNING and as_of.resolution.state is SlaState.RUNNING
    assert all(metric.state is SlaState.NOT_APPLICABLE for metric in status(future, ams(2, 9)).metrics)


def test_resolution_is_met_and_stops_the_response_clocks() -> None:
    unanswered = ConversationTimeline(ams(2, 10), (ams(2, 10),), resolved_at=ams(2, 11))
    done = status(unanswered, ams(5, 9))
    assert (
        done.resolution.state is SlaState.MET
        and done.resolution.elapsed == HOUR
        and not done.resolution.breached
    )
    assert done.first_response.state is SlaState.NOT_APPLICABLE and not done.first_response.breached
    late = ConversationTimeline(ams(2, 10), (ams(2, 10),), resolved_at=ams(2, 15))
    breached = status(late, ams(5, 9)).first_response
    assert breached.state is SlaState.BREACHED and breached.breached_at == ams(2, 12)
    assert breached.elapsed == 4 * HOUR  # the clock stopped at resolution


def test_resolution_over_several_days_with_waiting_on_customer() -> None:
    timeline = ConversationTimeline(
        ams(2, 10),
        customer_messages=(ams(2, 10), ams(4, 9)),
        agent_replies=(ams(2, 10, 30),),
        pauses=(Pause(ams(2, 10, 30), ams(4, 9), PauseReason.WAITING_ON_CUSTOMER),),
    )
    paused = status(timeline, ams(3, 12))
    assert paused.resolution.state is SlaState.PAUSED and paused.resolution.due_at is None
    resumed = status(timeline, ams(4, 9, 30)).resolution
    # 30 minutes on Monday, then from Wednesday 09:00: 7.5h Wednesday, 7.5h Thursday, 30 min Friday.
    assert resumed.state is SlaState.RUNNING and resumed.due_at == ams(6, 9, 30)
    resolved = ConversationTimeline(
        timeline.opened_at, timeline.customer_messages, timeline.agent_replies, ams(6, 9, 45), timeline.pauses
    )
    assert status(resolved, ams(6, 10)).resolution.breached


def test_targets_without_a_metric_and_warn_before_zero() -> None:
    timeline = ConversationTimeline(ams(2, 10), (ams(2, 10),))
    only_resolution = SlaTargets(resolution=4 * HOUR, warn_before=0)
    result = status(timeline, ams(2, 13, 59), only_resolution)
    assert result.first_response.state is SlaState.NOT_APPLICABLE and result.first_response.remaining is None
    assert (
        result.resolution.state is SlaState.RUNNING
        and result.resolution.warning_at == result.resolution.due_at
    )


def test_due_times_across_the_amsterdam_spring_transition() -> None:
    timeline = ConversationTimeline(ams(27, 16), (ams(27, 16),))  # Friday 16:00 CET = 15:00Z
    first = status(timeline, ams(27, 16, 30)).first_response
    assert first.due_at == datetime(2026, 3, 30, 7, 30, tzinfo=UTC)  # Monday 09:30 CEST
    assert status(timeline, datetime(2026, 3, 30, 7, 0, tzinfo=UTC)).first_response.state is SlaState.WARNING


# --- escalation -----------------------------------------------------------------------------------


def test_warning_and_breach_each_fire_once() -> None:
    timeline = ConversationTimeline(ams(2, 10), (ams(2, 10),))
    fired: set[Escalation] = set()
    assert escalations_due(status(timeline, ams(2, 11)), fired) == ()
    warning = escalations_due(status(timeline, ams(2, 11, 40)), fired)
    assert [(step.metric, step.kind, step.occurred_at) for step in warning] == [
        (SlaMetric.FIRST_RESPONSE, EscalationKind.WARNING, ams(2, 11, 30))
    ]
    fired.update(warning)
    assert escalations_due(status(timeline, ams(2, 11, 50)), fired) == ()
    breach = escalations_due(status(timeline, ams(2, 12, 5)), fired)
    assert [(step.kind, step.occurred_at) for step in breach] == [(EscalationKind.BREACH, ams(2, 12))]
    fired.update(breach)
    assert escalations_due(status(timeline, ams(2, 16)), fired) == ()


def test_a_clock_first_seen_breached_gets_only_the_breach_and_a_late_reply_still_reports_it() -> None:
    timeline = ConversationTimeline(ams(2, 10), (ams(2, 10),), agent_replies=(ams(2, 14),))
    steps = escalations_due(status(timeline, ams(2, 15)), ())
    assert [(step.metric, step.kind) for step in steps] == [(SlaMetric.FIRST_RESPONSE, EscalationKind.BREACH)]


def test_each_next_response_cycle_escalates_on_its_own() -> None:
    timeline = ConversationTimeline(
        ams(2, 9), (ams(2, 9), ams(2, 9, 30), ams(2, 14)), agent_replies=(ams(2, 9, 10), ams(2, 13, 40))
    )
    first_cycle = escalations_due(status(timeline, ams(2, 13)), ())
    assert [(step.metric, step.clock_started_at) for step in first_cycle] == [
        (SlaMetric.NEXT_RESPONSE, ams(2, 9, 30))
    ]
    second_cycle = escalations_due(status(timeline, ams(2, 15, 30)), first_cycle)
    assert [(step.kind, step.clock_started_at) for step in second_cycle] == [
        (EscalationKind.BREACH, ams(2, 14))
    ]


def test_next_escalation_at_points_to_the_next_step() -> None:
    timeline = ConversationTimeline(ams(2, 10), (ams(2, 10),))
    first = status(timeline, ams(2, 10, 15))
    assert next_escalation_at(first, ()) == ams(2, 11, 30)  # the first response's warning
    fired = escalations_due(status(timeline, ams(2, 11, 30)), ())
    assert next_escalation_at(status(timeline, ams(2, 11, 30)), fired) == ams(2, 12)
    paused = ConversationTimeline(ams(2, 10), (ams(2, 10),), pauses=(Pause(ams(2, 10, 5)),))
    assert next_escalation_at(status(paused, ams(2, 10, 15)), ()) is None


# --- properties -----------------------------------------------------------------------------------

BASE = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)  # Monday 08:00 in Amsterdam
offsets = st.integers(0, 4 * 24 * 60).map(lambda minutes: minutes * MINUTE)


@st.composite
def timelines(draw: st.DrawFn) -> ConversationTimeline:
    opened_at = BASE + draw(st.integers(0, 3 * 60)) * MINUTE
    later = st.integers(0, 4 * 24 * 60).map(lambda minutes: opened_at + minutes * MINUTE)
    pauses = [
        Pause(start, None if length is None else start + length * MINUTE, reason)
        for start, length, reason in draw(
            st.lists(
                st.tuples(later, st.none() | st.integers(1, 24 * 60), st.sampled_from(PauseReason)),
                max_size=3,
            )
        )
    ]
    return ConversationTimeline(
        opened_at,
        customer_messages=(opened_at, *draw(st.lists(later, max_size=6))),
        agent_replies=tuple(draw(st.lists(later, max_size=6))),
        resolved_at=draw(st.sampled_from([None, None, None]) | later),
        pauses=tuple(pauses),
    )


calendars = st.sampled_from([OFFICE, always_open("Europe/Amsterdam")])
targets = st.builds(
    SlaTargets,
    first_response=st.integers(1, 600).map(lambda minutes: minutes * MINUTE),
    next_response=st.integers(1, 600).map(lambda minutes: minutes * MINUTE),
    resolution=st.integers(60, 3000).map(lambda minutes: minutes * MINUTE),
    warn_before=st.floats(0, 0.9) | st.integers(0, 120).map(lambda minutes: minutes * MINUTE),
)
property_settings = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@property_settings
@given(calendars, targets, timelines(), st.lists(offsets, min_size=1, max_size=25))
def test_escalation_steps_fire_exactly_once_over_a_sequence_of_nows(
    calendar, sla_targets: SlaTargets, timeline: ConversationTimeline, moments: list[timedelta]
) -> None:
    fired: list[Escalation] = []
    now = BASE
    for moment in sorted(moments):
        now = BASE + moment
        current = sla_status(calendar, sla_targets, timeline, now)
        for step in escalations_due(current, fired):
            assert step not in fired and step.occurred_at <= now
            fired.append(step)
    assert len(fired) == len(set(fired))
    final = sla_status(calendar, sla_targets, timeline, now)
    for metric in final.metrics:
        assert metric.breached == (metric.breached_at is not None)
        if metric.breached:  # the breach of the clock as it stands now has fired, exactly once
            breach = Escalation(
                metric.metric, EscalationKind.BREACH, metric.clock_started_at, metric.breached_at
            )  # type: ignore[arg-type]
            assert fired.count(breach) == 1
    assert escalations_due(final, fired) == ()


@property_settings
@given(calendars, targets, timelines(), offsets)
def test_status_is_consistent_with_the_clock_arithmetic(
    calendar, sla_targets: SlaTargets, timeline: ConversationTimeline, moment: timedelta
) -> None:
    now = BASE + moment
    for metric in sla_status(calendar, sla_targets, timeline, now).metrics:
        target = sla_targets.target_for(metric.metric)
        assert metric.elapsed >= timedelta(0)
        if metric.state in (SlaState.RUNNING, SlaState.WARNING):
            assert metric.due_at is not None and now < metric.due_at and metric.remaining > timedelta(0)
            assert (metric.state is SlaState.WARNING) == (now >= metric.warning_at)
            assert metric.remaining == target - metric.elapsed
        if metric.state is SlaState.BREACHED:
            assert metric.breached and metric.breached_at <= now and metric.remaining <= timedelta(0)
        if metric.state is SlaState.MET:
            assert metric.met_at <= now and metric.due_at is None
        never_paused = not any(pause.started_at <= now for pause in timeline.pauses)
        live = (SlaState.RUNNING, SlaState.WARNING, SlaState.BREACHED)
        if never_paused and metric.clock_started_at and metric.state in live:
            # Without pauses a clock's due time is plain business-time addition.
            unpaused_due = add_business_time(calendar, metric.clock_started_at, target)
            assert (metric.breached_at or metric.due_at) == unpaused_due


@property_settings
@given(calendars, targets, timelines(), offsets)
def test_nothing_new_is_due_before_next_escalation_at(
    calendar, sla_targets: SlaTargets, timeline: ConversationTimeline, moment: timedelta
) -> None:
    now = BASE + moment
    current = sla_status(calendar, sla_targets, timeline, now)
    fired = list(escalations_due(current, ()))
    upcoming = next_escalation_at(current, fired)
    if upcoming is None:
        return
    assert upcoming > now
    events = [*timeline.customer_messages, *timeline.agent_replies, timeline.resolved_at]
    events += [edge for pause in timeline.pauses for edge in (pause.started_at, pause.ended_at)]
    if any(event is not None and now < event <= upcoming for event in events):
        return  # something happens first; the status must then be recomputed anyway
    between = now + (upcoming - now) / 2
    assert escalations_due(sla_status(calendar, sla_targets, timeline, between), fired) == ()
    assert escalations_due(sla_status(calendar, sla_targets, timeline, upcoming), fired) != ()


def minute_by_minute_clock(
    sla: SlaClock, now: datetime, horizon: timedelta
) -> tuple[timedelta, datetime | None]:
    """The reference: walk minute by minute, counting minutes that are open and not paused as of ``now``."""

    def paused(minute: datetime) -> bool:
        return any(
            pause.started_at <= minute
            and pause.started_at <= now
            and (pause.ended_at is None or pause.ended_at > now or minute < pause.ended_at)
            for pause in sla.pauses
        )

    counted, elapsed, due_at, minute = timedelta(0), None, None, sla.started_at
    while minute < sla.started_at + horizon and (due_at is None or elapsed is None):
        if minute == now:
            elapsed = counted
        if is_open(sla.calendar, minute) and not paused(minute):
            counted += MINUTE
            if counted == sla.target and due_at is None:
                due_at = minute + MINUTE
        minute += MINUTE
    return (counted if elapsed is None else elapsed), due_at


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    calendars,
    st.integers(0, 2 * 24 * 60),
    st.integers(1, 600),
    st.lists(st.tuples(st.integers(0, 3 * 24 * 60), st.none() | st.integers(1, 24 * 60)), max_size=3),
    st.integers(0, 4 * 24 * 60),
)
def test_clock_agrees_with_minute_by_minute_reference(
    calendar, start: int, target: int, pause_minutes: list[tuple[int, int | None]], now: int
) -> None:
    started_at = BASE + start * MINUTE
    pauses = tuple(
        Pause(BASE + begin * MINUTE, None if length is None else BASE + (begin + length) * MINUTE)
        for begin, length in pause_minutes
    )
    sla = SlaClock(calendar, started_at, target * MINUTE, pauses=pauses)
    moment = BASE + now * MINUTE
    reading = read_clock(sla, moment)
    elapsed, due_at = minute_by_minute_clock(sla, moment, timedelta(days=8))
    assert reading.elapsed == (elapsed if moment > started_at else timedelta(0))
    if reading.state is SlaState.PAUSED:
        assert due_at is None
    else:
        assert (reading.breached_at or reading.due_at) == due_at
