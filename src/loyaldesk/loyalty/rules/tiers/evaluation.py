"""Which tier a member holds, and until when: qualification, retention, reviews, overrides and paid
memberships."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from itertools import groupby
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from loyaldesk.loyalty.rules.tiers.ladder import TierDefinition, TierLadder, _rank
from loyaldesk.loyalty.rules.tiers.terms import (
    _TICK,
    ROLLING_WINDOW,
    Metric,
    Period,
    TierChange,
    TierChangeReason,
    TierHold,
    _aware,
    _whole,
)


@dataclass(frozen=True)
class TierPolicy:
    """How tiers are qualified: ``metric`` summed over ``period``; reviews (possible downgrades) happen
    ``grace_days`` 24-hour days after the retention ends; calendar years follow ``timezone`` (the store's
    IANA zone). Accepts the enums or their string values; raises ValueError naming the field."""

    metric: Metric
    period: Period
    grace_days: int = 0
    timezone: str = "UTC"

    def __post_init__(self) -> None:
        for name, kind in (("metric", Metric), ("period", Period)):
            try:
                object.__setattr__(self, name, kind(getattr(self, name)))
            except ValueError:
                choices = ", ".join(member.value for member in kind)
                raise ValueError(f"{name} must be one of {choices}, got {getattr(self, name)!r}") from None
        _whole(self.grace_days, "grace_days", minimum=0)
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise ValueError(f"timezone must be an IANA time zone name, got {self.timezone!r}") from None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def grace(self) -> timedelta:
        return timedelta(days=self.grace_days)


@dataclass(frozen=True)
class QualifyingActivity:
    """What one event adds to each metric at instant ``at`` (stored in UTC); negative values take away.
    Build them with :meth:`order`, :meth:`refund` and :meth:`cancellation`."""

    at: datetime
    spend: int = 0
    points: int = 0
    orders: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "at", _aware(self.at, "at"))
        for name in ("spend", "points", "orders"):
            _whole(getattr(self, name), name)

    @classmethod
    def order(cls, at: datetime, spend: int, points: int) -> QualifyingActivity:
        """An order: its spend (minor units, net of discounts), the points it earned, and one order."""
        return cls(at, _whole(spend, "spend", 0), _whole(points, "points", 0), 1)

    @classmethod
    def refund(cls, at: datetime, spend: int, points: int) -> QualifyingActivity:
        """A refund of ``spend`` minor units that reversed ``points`` (both given as positive amounts)."""
        return cls(at, -_whole(spend, "spend", 0), -_whole(points, "points", 0), 0)

    @classmethod
    def cancellation(cls, at: datetime, spend: int, points: int = 0) -> QualifyingActivity:
        """A cancelled order: takes back its spend, any points it earned, and the order itself."""
        return cls(at, -_whole(spend, "spend", 0), -_whole(points, "points", 0), -1)


Activities = Iterable[QualifyingActivity]


@dataclass(frozen=True)
class MemberTierState:
    """What is stored per member. ``current_tier_id``: the effective tier as last decided (what the desk
    reads). ``qualified_tier_id``: the tier held by qualification alone, kept until ``retained_until``
    (None for the base tier and lifetime policies). ``override_tier_id``: a manual floor. A paid
    membership grants ``membership_tier_id`` until ``membership_until`` (exclusive); both or neither."""

    current_tier_id: int
    qualified_tier_id: int
    retained_until: datetime | None = None
    override_tier_id: int | None = None
    membership_tier_id: int | None = None
    membership_until: datetime | None = None

    def __post_init__(self) -> None:
        if (self.membership_tier_id is None) != (self.membership_until is None):
            raise ValueError("membership_tier_id and membership_until go together: give both or neither")
        for name in ("retained_until", "membership_until"):
            if getattr(self, name) is not None:
                object.__setattr__(self, name, _aware(getattr(self, name), name))

    @classmethod
    def starting(cls, ladder: TierLadder) -> MemberTierState:
        """A new member: the base tier, no override, no membership."""
        return cls(ladder.base.id, ladder.base.id)

    def membership_active(self, now: datetime) -> bool:
        """Whether a paid membership grants its tier at ``now`` (``now < membership_until``)."""
        return self.membership_until is not None and _aware(now, "now") < self.membership_until


@dataclass(frozen=True)
class TierDecision:
    """The outcome of :func:`evaluate_tier`: ``tier`` is held now; ``state`` is what to store;
    ``tiers_entered`` lists every tier an upgrade passed into (their entry rewards are due, subject to
    the ledger's idempotency key); ``review_at`` is when to evaluate again (None: only on new activity)."""

    tier: TierDefinition
    previous_tier: TierDefinition
    change: TierChange | None
    reason: TierChangeReason | None
    qualified_tier: TierDefinition
    qualifying_total: int
    state: MemberTierState
    tiers_entered: tuple[TierDefinition, ...]
    review_at: datetime | None

    @property
    def changed(self) -> bool:
        return self.change is not None

    @property
    def entry_reward_points(self) -> int:
        return sum(tier.entry_reward_points for tier in self.tiers_entered)


@dataclass(frozen=True)
class TierProgress:
    """Where a member stands, in the metric's unit. ``to_next``: still needed in the current window to
    reach ``next_tier`` (None at the top), before ``next_by`` for calendar years (None otherwise: a rolling
    or lifetime total has no deadline). ``held_by``: why ``tier`` is held; ``held_until``: when a paid
    membership that holds it ends (exclusive; None otherwise). ``to_keep``: still needed to keep
    ``kept_tier`` at its review, before ``keep_by``; 0 when already secured or never at risk.
    ``kept_tier`` is always ``tier``: a tier held by a membership or an override is not kept by activity,
    so ``to_keep`` is 0 then (what the member's own activity would keep lies below it and is not shown,
    so that no page names one tier as held and another as to keep)."""

    tier: TierDefinition
    next_tier: TierDefinition | None
    qualifying_total: int
    to_next: int | None
    next_by: datetime | None
    kept_tier: TierDefinition
    to_keep: int
    keep_by: datetime | None
    review_at: datetime | None
    metric: Metric
    timezone: str
    held_by: TierHold = TierHold.QUALIFIED
    held_until: datetime | None = None


def _new_year(policy: TierPolicy, moment: datetime, later: int = 0) -> datetime:
    """New Year, as a UTC instant, of the store-zone year containing ``moment``, plus ``later`` years."""
    local_year = moment.astimezone(policy.zone).year
    return datetime(local_year + later, 1, 1, tzinfo=policy.zone).astimezone(UTC)


def _total(metric: Metric, activities: Activities, start: datetime | None, end: datetime) -> int:
    """The metric summed over activity in [start, end) (open start if None)."""
    counted = (item for item in activities if (start is None or item.at >= start) and item.at < end)
    return sum(getattr(item, metric.value) for item in counted)


def _window(policy: TierPolicy, now: datetime) -> tuple[datetime | None, datetime]:
    """The current window as [start, end) instants; None is an open start."""
    if policy.period is Period.ROLLING_12_MONTHS:
        return now - ROLLING_WINDOW + _TICK, now + _TICK
    return (_new_year(policy, now) if policy.period is Period.CALENDAR_YEAR else None), now + _TICK


def qualifying_total(policy: TierPolicy, activities: Activities, now: datetime) -> int:
    """The policy's metric summed over the window that applies at ``now`` (rolling: (now - 365 days, now];
    calendar year: from New Year in the store's zone to now; lifetime: everything up to now). Activity
    after ``now`` is ignored. Negative when a refund falls in a later window than its order: callers should
    date a refund or cancellation at its order's instant so that it nets out where the order counted."""
    return _total(policy.metric, activities, *_window(policy, _aware(now, "now")))


def earned_tier(
    ladder: TierLadder, policy: TierPolicy, activities: Activities, now: datetime
) -> TierDefinition:
    """The highest tier whose threshold the qualifying total at ``now`` reaches. For calendar years, the
    better of the current year's and the previous year's tier (the closed year carries into the next)."""
    return _earned(ladder, policy, window_totals(policy, activities, now))


@dataclass(frozen=True)
class WindowTotals:
    """The policy's metric summed over what a decision at one instant reads: ``current``, the window in
    force (what :func:`qualifying_total` returns); ``last_year``, the calendar year before the current one
    (0 unless the period is the calendar year). A caller that can sum in its database gives these to
    :func:`decide_tier` over :func:`qualifying_windows` instead of reading every activity."""

    current: int
    last_year: int = 0


def qualifying_windows(
    policy: TierPolicy, now: datetime
) -> tuple[tuple[datetime | None, datetime], tuple[datetime, datetime] | None]:
    """The [start, end) windows ``WindowTotals`` sums at ``now``: the current one (None: open start) and,
    for calendar years, the previous year (None otherwise)."""
    now = _aware(now, "now")
    previous = (
        (_new_year(policy, now, -1), _new_year(policy, now))
        if policy.period is Period.CALENDAR_YEAR
        else None
    )
    return _window(policy, now), previous


def window_totals(policy: TierPolicy, activities: Activities, now: datetime) -> WindowTotals:
    """``WindowTotals`` from the activities themselves."""
    activities = list(activities)
    current, previous = qualifying_windows(policy, now)
    last_year = 0 if previous is None else _total(policy.metric, activities, *previous)
    return WindowTotals(_total(policy.metric, activities, *current), last_year)


def _earned(ladder: TierLadder, policy: TierPolicy, totals: WindowTotals) -> TierDefinition:
    tier = ladder.reached_by(totals.current)
    if policy.period is Period.CALENDAR_YEAR:
        tier = max(tier, ladder.reached_by(totals.last_year), key=_rank)
    return tier


def _retention_end(
    ladder: TierLadder, policy: TierPolicy, activities: Activities, tier: TierDefinition, now: datetime
) -> datetime | None:
    """Until when ``tier``, earned at ``now``, is kept before its review (None: never reviewed)."""
    if tier == ladder.base or policy.period is Period.LIFETIME:
        return None
    if policy.period is Period.CALENDAR_YEAR:
        return _new_year(policy, now, 1)
    start, end = now - ROLLING_WINDOW + _TICK, now + _TICK
    running, crossed_at = 0, None
    counted = sorted((item for item in activities if start <= item.at < end), key=lambda item: item.at)
    for at, group in groupby(counted, key=lambda item: item.at):
        before = running
        running += sum(getattr(item, policy.metric.value) for item in group)
        if before < tier.threshold <= running:
            crossed_at = at  # the last crossing: refunds may have dipped below since an earlier one
    return (crossed_at or now) + ROLLING_WINDOW


def held_tier(ladder: TierLadder, state: MemberTierState, now: datetime) -> TierDefinition:
    """The effective tier from the stored state alone (no activity needed, e.g. for support priority):
    the highest of the qualified tier, the override floor, and the membership tier if it is still active
    at ``now``. A review that is due is not applied: use :func:`evaluate_tier` for that."""
    tiers = [ladder.tier(state.qualified_tier_id)]
    if state.override_tier_id is not None:
        tiers.append(ladder.tier(state.override_tier_id))
    if state.membership_tier_id is not None and state.membership_active(now):
        tiers.append(ladder.tier(state.membership_tier_id))
    return max(tiers, key=_rank)


def next_review_at(policy: TierPolicy, state: MemberTierState) -> datetime | None:
    """When a scheduled job must evaluate this member again: the earliest of ``retained_until + grace``
    (never for lifetime policies) and ``membership_until``; None if neither applies. New activity and
    override changes are evaluated when they happen, not scheduled."""
    moments = [state.membership_until] if state.membership_until is not None else []
    if state.retained_until is not None and policy.period is not Period.LIFETIME:
        moments.append(state.retained_until + policy.grace)
    return min(moments, default=None)


def _why(
    tier: TierDefinition,
    previous: TierDefinition,
    qualified: TierDefinition,
    qualified_before: TierDefinition,
    state: MemberTierState,
    membership_active: bool,
) -> TierChangeReason | None:
    if tier.rank > previous.rank:
        if qualified == tier and qualified.rank > qualified_before.rank:
            return TierChangeReason.QUALIFIED
        if membership_active and state.membership_tier_id == tier.id:
            return TierChangeReason.MEMBERSHIP
        return TierChangeReason.OVERRIDE
    if tier.rank < previous.rank:
        if state.membership_tier_id == previous.id and not membership_active:
            return TierChangeReason.MEMBERSHIP_LAPSED
        if qualified.rank < qualified_before.rank:
            return TierChangeReason.PERIOD_ENDED
        return TierChangeReason.OVERRIDE
    return None


def evaluate_tier(
    ladder: TierLadder, policy: TierPolicy, activities: Activities, state: MemberTierState, now: datetime
) -> TierDecision:
    """Decide the tier held at ``now`` and the state to store. The qualified tier rises at once to the
    earned tier; it is reviewed only when ``now >= retained_until + grace`` and then becomes the tier
    earned at ``now`` (renewed with a new ``retained_until`` if unchanged). The effective tier is the
    highest of the qualified tier, the override floor and an active membership; a lapsed membership is
    cleared. Idempotent: evaluating the returned state again at the same ``now`` changes nothing.
    Raises ValueError if the state names a tier the ladder lacks."""
    activities = list(activities)
    return decide_tier(ladder, policy, window_totals(policy, activities, now), state, now, lambda: activities)


def decide_tier(
    ladder: TierLadder,
    policy: TierPolicy,
    totals: WindowTotals,
    state: MemberTierState,
    now: datetime,
    activities: Callable[[], Activities],
) -> TierDecision:
    """:func:`evaluate_tier` from the window totals at ``now``: the same decision, reading the activities
    themselves (``activities()``, called at most once) only where the totals cannot tell, namely when
    a rolling window's qualified tier is (re)earned and its retention runs from the moment the running
    total crossed the threshold."""
    now = _aware(now, "now")
    previous, qualified_before = ladder.tier(state.current_tier_id), ladder.tier(state.qualified_tier_id)
    earned = _earned(ladder, policy, totals)
    qualified, retained_until = qualified_before, state.retained_until
    if qualified == ladder.base or policy.period is Period.LIFETIME:
        retained_until = None
    elif retained_until is None:  # a tier without retention (e.g. the policy was lifetime): start one now
        retained_until = _retention_end(ladder, policy, [], qualified, now)
    review_due = retained_until is not None and now >= retained_until + policy.grace
    if earned.rank > qualified.rank or review_due:
        crossing = (
            activities()
            if policy.period is Period.ROLLING_12_MONTHS and earned != ladder.base
            else ()  # retention does not depend on the activity (see ``_retention_end``)
        )
        qualified, retained_until = earned, _retention_end(ladder, policy, crossing, earned, now)
    membership_active = state.membership_active(now)
    new_state = MemberTierState(
        current_tier_id=previous.id,
        qualified_tier_id=qualified.id,
        retained_until=retained_until,
        override_tier_id=state.override_tier_id,
        membership_tier_id=state.membership_tier_id if membership_active else None,
        membership_until=state.membership_until if membership_active else None,
    )
    tier = held_tier(ladder, new_state, now)
    new_state = replace(new_state, current_tier_id=tier.id)
    change = (
        None
        if tier == previous
        else TierChange.UPGRADE
        if tier.rank > previous.rank
        else TierChange.DOWNGRADE
    )
    return TierDecision(
        tier=tier,
        previous_tier=previous,
        change=change,
        reason=_why(tier, previous, qualified, qualified_before, state, membership_active),
        qualified_tier=qualified,
        qualifying_total=totals.current,
        state=new_state,
        tiers_entered=tuple(entered for entered in ladder.tiers if previous.rank < entered.rank <= tier.rank),
        review_at=next_review_at(policy, new_state),
    )


def membership_grant(
    ladder: TierLadder, tier_id: int, bought_at: datetime, days: int, current_until: datetime | None
) -> datetime:
    """The new ``membership_until`` when a membership of ``tier_id`` for ``days`` days is bought at
    ``bought_at``: it runs from the later of ``bought_at`` and ``current_until`` (pass the current end only
    for a membership of the same tier; a lapsed one is simply earlier). Refuses the base tier, a tier not
    in the ladder, and a non-positive number of days (ValueError)."""
    tier = ladder.tier(tier_id)
    if tier == ladder.base:
        raise ValueError(f"the base tier {tier.name!r} cannot be sold as a membership")
    start = _aware(bought_at, "bought_at")
    if current_until is not None:
        start = max(start, _aware(current_until, "current_until"))
    return start + timedelta(days=_whole(days, "days", minimum=1))
