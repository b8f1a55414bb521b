"""Pure tier rules: qualification, upgrades, retention and downgrades, overrides, paid membership, progress.

No I/O and no clock: every instant is passed in. The model a successor needs:
- Qualification sums one metric (spend in minor units, points earned, or orders) over a window: the last
  365 days ``(now - 365 days, now]``, the calendar year in the store's time zone, or all time.
- The *qualified* tier (held by qualification) rises at once to the earned tier and is then kept until
  ``retained_until``; only at ``retained_until + grace`` is it reviewed, becoming the tier earned at that
  moment (the same tier: renewed with a new ``retained_until``; a lower one: a downgrade).
- ``retained_until``: rolling: 365 days after the qualifying moment, the activity at which the window's
  running total last crossed the tier's threshold (exactly when it leaves the window); calendar year: the
  end of the calendar year in which the tier was (re)earned; lifetime: never reviewed.
- Calendar years: the tier earned at a moment is the better of this year's and last year's, so the year
  that just closed decides the review and a tier reached in a year is held through the next one (else
  every member would fall to the base tier each January).
- Effective tier = max(qualified tier, manual override floor, active paid membership tier).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from itertools import groupby, pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from loyaldesk.kernel.i18n import _, ngettext

ROLLING_WINDOW = timedelta(days=365)
_TICK = timedelta(microseconds=1)  # turns an inclusive end into an exclusive one, exactly
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class Metric(StrEnum):
    SPEND = "spend"  # minor units, net of refunds and cancellations
    POINTS = "points"  # points earned, net of reversals
    ORDERS = "orders"  # orders placed, net of cancellations


class Period(StrEnum):
    ROLLING_12_MONTHS = "rolling_12_months"
    CALENDAR_YEAR = "calendar_year"
    LIFETIME = "lifetime"


class Perk(StrEnum):
    """Perks the platform knows; a store may also name its own (any non-empty string)."""

    FREE_SHIPPING = "free_shipping"
    FREE_RETURNS = "free_returns"
    EARLY_ACCESS = "early_access"
    PRIORITY_SUPPORT = "priority_support"


class TierChange(StrEnum):
    UPGRADE = "upgrade"
    DOWNGRADE = "downgrade"


class TierHold(StrEnum):
    """Why the member holds the tier in effect."""

    QUALIFIED = "qualified"  # their own activity reached it (and keeps it until its review)
    MEMBERSHIP = "membership"  # a paid membership grants it, until the membership ends
    OVERRIDE = "override"  # the store set it as a floor by hand


class TierChangeReason(StrEnum):
    QUALIFIED = "qualified"  # the qualifying total reached a higher tier
    PERIOD_ENDED = "period_ended"  # retention plus grace ran out and the member earned less
    MEMBERSHIP = "membership"  # a paid membership grants a higher tier
    MEMBERSHIP_LAPSED = "membership_lapsed"
    OVERRIDE = "override"  # a manual override was set, raised, lowered or removed


def _aware(moment: datetime, name: str) -> datetime:
    if not isinstance(moment, datetime) or moment.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {moment!r}")
    return moment.astimezone(UTC)


def _whole(value: object, name: str, minimum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return value


@dataclass(frozen=True)
class TierDefinition:
    """One tier. ``rank`` orders the ladder (higher is better); ``threshold`` is the qualifying total, in
    the policy's metric unit, that reaches it; ``earn_multiplier`` (a Decimal, never a float) scales points
    earned; ``perks`` holds :class:`Perk` values or store-defined names; ``entry_reward_points`` are due on
    entering the tier. Raises ValueError naming the field on bad values."""

    id: int
    name: str
    rank: int
    threshold: int
    earn_multiplier: Decimal = Decimal(1)
    perks: frozenset[str] = frozenset()
    entry_reward_points: int = 0

    def __post_init__(self) -> None:
        _whole(self.id, "tier id")
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError(f"tier {self.id} needs a name")
        _whole(self.rank, f"rank of tier {self.name!r}")
        _whole(self.threshold, f"threshold of tier {self.name!r}", minimum=0)
        _whole(self.entry_reward_points, f"entry_reward_points of tier {self.name!r}", minimum=0)
        multiplier: object = self.earn_multiplier
        multiplier = Decimal(multiplier) if type(multiplier) is int else multiplier
        if not isinstance(multiplier, Decimal) or not multiplier.is_finite() or multiplier < 0:
            raise ValueError(
                f"earn_multiplier of tier {self.name!r} must be a non-negative Decimal such as "
                f"Decimal('1.5') (floats are inexact), got {self.earn_multiplier!r}"
            )
        perks = frozenset(self.perks)
        if any(not isinstance(perk, str) or not perk.strip() for perk in perks):
            raise ValueError(f"perks of tier {self.name!r} must be non-empty strings, got {sorted(perks)!r}")
        object.__setattr__(self, "earn_multiplier", multiplier)
        object.__setattr__(self, "perks", perks)


def _rank(tier: TierDefinition) -> int:
    return tier.rank


@dataclass(frozen=True)
class TierLadder:
    """A validated ladder, ``tiers`` sorted by rank. Refuses (ValueError naming what is wrong): no tiers,
    a shared id, rank or name, not exactly one base tier with threshold 0, or thresholds that do not rise
    strictly with rank."""

    tiers: tuple[TierDefinition, ...]

    def __post_init__(self) -> None:
        tiers = tuple(sorted(self.tiers, key=_rank))
        if not tiers:
            raise ValueError("a tier ladder needs at least one tier")
        for label in ("id", "rank", "name"):
            seen: dict[object, TierDefinition] = {}
            for tier in tiers:
                value = tier.name.strip().casefold() if label == "name" else getattr(tier, label)
                if value in seen:
                    raise ValueError(
                        f"tiers {seen[value].name!r} and {tier.name!r} share the {label} {value!r}"
                    )
                seen[value] = tier
        bases = [repr(tier.name) for tier in tiers if tier.threshold == 0]
        if len(bases) != 1:
            raise ValueError(
                f"a ladder needs exactly one base tier with threshold 0; found {', '.join(bases) or 'none'}"
            )
        for lower, higher in pairwise(tiers):
            if higher.threshold <= lower.threshold:
                raise ValueError(
                    f"thresholds must rise strictly with rank: {higher.name!r} (rank {higher.rank}) has "
                    f"{higher.threshold}, not above {lower.name!r} (rank {lower.rank}) at {lower.threshold}"
                )
        object.__setattr__(self, "tiers", tiers)

    @property
    def base(self) -> TierDefinition:
        """The base tier (lowest rank, threshold 0)."""
        return self.tiers[0]

    def tier(self, tier_id: int) -> TierDefinition:
        """The tier with ``tier_id``; ValueError if the ladder has none."""
        for tier in self.tiers:
            if tier.id == tier_id:
                return tier
        raise ValueError(f"tier {tier_id!r} is not in the ladder")

    def above(self, tier: TierDefinition) -> TierDefinition | None:
        """The tier ranked just above ``tier``, or None at the top."""
        return min((higher for higher in self.tiers if higher.rank > tier.rank), key=_rank, default=None)

    def reached_by(self, total: int) -> TierDefinition:
        """The highest tier whose threshold ``total`` reaches (the base tier at worst)."""
        return max((tier for tier in self.tiers if tier.threshold <= total), key=_rank, default=self.base)


def stored_tier(
    id: int,
    name: str | None,
    rank: int,
    threshold: int,
    earn_multiplier: object,
    perks: object,
    entry_reward_points: int,
) -> TierDefinition:
    """A ``TierDefinition`` from a stored row, whatever it holds: a blank name reads "Tier <id>", a
    negative number 0, a multiplier that is not a non-negative decimal 1, perks that are not names none."""
    try:
        multiplier = Decimal(str(earn_multiplier))
    except ArithmeticError:
        multiplier = Decimal(1)
    if not multiplier.is_finite() or multiplier < 0:
        multiplier = Decimal(1)
    kept_perks = frozenset(
        perk
        for perk in (perks if isinstance(perks, list | tuple | set | frozenset) else ())
        if isinstance(perk, str) and perk.strip()
    )
    return TierDefinition(
        id=id,
        name=(name or "").strip() or f"Tier {id}",
        rank=rank,
        threshold=max(threshold, 0),
        earn_multiplier=multiplier,
        perks=kept_perks,
        entry_reward_points=max(entry_reward_points, 0),
    )


def readable_ladder(tiers: Iterable[TierDefinition]) -> tuple[TierLadder, list[str]]:
    """A ladder from stored tiers that may break the rules ``TierLadder`` enforces (data written before a
    rule existed, or edited by hand), and what was done to make it one. Reads and earning must go on:

    * a name shared with a lower-ranked tier (case aside) gets the tier's rank added: "Gold (rank 2)";
    * a rank shared with another tier: the later tier (by id) is left out;
    * the lowest-ranked tier is the base tier, with threshold 0 whatever was stored;
    * a tier whose threshold does not rise above the one below it is left out (members holding it read
      as holding the tier below: nobody is shown a tier they did not earn).

    Raises ValueError only for no tiers at all."""
    problems: list[str] = []
    by_rank: dict[int, TierDefinition] = {}
    for tier in sorted(tiers, key=lambda tier: tier.id):
        if tier.rank in by_rank:
            problems.append(
                f"tier {tier.id} shares rank {tier.rank} with tier {by_rank[tier.rank].id}: left out"
            )
            continue
        by_rank[tier.rank] = tier
    ordered = [by_rank[rank] for rank in sorted(by_rank)]
    if not ordered:
        raise ValueError("a tier ladder needs at least one tier")
    kept: list[TierDefinition] = []
    names: set[str] = set()
    for tier in ordered:
        if not kept and tier.threshold != 0:
            problems.append(f"base tier {tier.name!r} had threshold {tier.threshold}: read as 0")
            tier = replace(tier, threshold=0)
        elif kept and tier.threshold <= kept[-1].threshold:
            problems.append(
                f"tier {tier.name!r} needs {tier.threshold}, not more than {kept[-1].name!r}: left out"
            )
            continue
        name = tier.name.strip()
        if name.casefold() in names:
            suffix = 0
            while name.casefold() in names:
                suffix += 1
                label = f" (rank {tier.rank})" if suffix == 1 else f" (rank {tier.rank}, {suffix})"
                name = tier.name.strip()[: 60 - len(label)] + label
            problems.append(f"tier {tier.id} shares its name {tier.name!r}: read as {name!r}")
            tier = replace(tier, name=name)
        names.add(name.casefold())
        kept.append(tier)
    return TierLadder(tuple(kept)), problems


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
    now, activities = _aware(now, "now"), list(activities)
    tier = ladder.reached_by(qualifying_total(policy, activities, now))
    if policy.period is Period.CALENDAR_YEAR:
        last_year = _total(policy.metric, activities, _new_year(policy, now, -1), _new_year(policy, now))
        tier = max(tier, ladder.reached_by(last_year), key=_rank)
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
    now, activities = _aware(now, "now"), list(activities)
    previous, qualified_before = ladder.tier(state.current_tier_id), ladder.tier(state.qualified_tier_id)
    earned = earned_tier(ladder, policy, activities, now)
    qualified, retained_until = qualified_before, state.retained_until
    if qualified == ladder.base or policy.period is Period.LIFETIME:
        retained_until = None
    elif retained_until is None:  # a tier without retention (e.g. the policy was lifetime): start one now
        retained_until = _retention_end(ladder, policy, [], qualified, now)
    review_due = retained_until is not None and now >= retained_until + policy.grace
    if earned.rank > qualified.rank or review_due:
        qualified, retained_until = earned, _retention_end(ladder, policy, activities, earned, now)
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
        qualifying_total=qualifying_total(policy, activities, now),
        state=new_state,
        tiers_entered=tuple(entered for entered in ladder.tiers if previous.rank < entered.rank <= tier.rank),
        review_at=next_review_at(policy, new_state),
    )


def progress(
    ladder: TierLadder, policy: TierPolicy, activities: Activities, state: MemberTierState, now: datetime
) -> TierProgress:
    """Where the member stands at ``now``, after applying :func:`evaluate_tier` (so a due review counts).
    ``to_next`` = next tier's threshold minus the current window's total. ``to_keep``: rolling: the
    qualified tier's threshold minus the activity already inside the window that the review at
    ``retained_until + grace`` will look at, due by that review; calendar year: the threshold minus the
    year's total, due by New Year (during the grace days after it: minus the new year's total, due by
    the review, unless the closed year already secured it); 0 for the base tier, lifetime, or once met,
    and when the tier in effect is held by a membership or an override rather than by qualification."""
    now, activities = _aware(now, "now"), list(activities)
    decision = evaluate_tier(ladder, policy, activities, state, now)
    total, next_tier = decision.qualifying_total, ladder.above(decision.tier)
    kept, retained_until = decision.qualified_tier, decision.state.retained_until
    held_by, held_until = TierHold.QUALIFIED, None
    membership_until = decision.state.membership_until
    membership = decision.state.membership_tier_id == decision.tier.id and membership_until is not None
    outlasts_review = (
        membership
        and retained_until is not None
        and membership_until is not None
        and membership_until >= retained_until + policy.grace
    )
    if kept != decision.tier or outlasts_review:
        held_by = TierHold.MEMBERSHIP if membership else TierHold.OVERRIDE
        held_until = membership_until if membership else None
        kept, retained_until = decision.tier, None  # not kept by activity: nothing to keep
    to_keep, keep_by = 0, None
    if retained_until is not None and kept != ladder.base:
        review, until = retained_until + policy.grace, now + _TICK
        if policy.period is Period.ROLLING_12_MONTHS:
            counted, keep_by = (
                _total(policy.metric, activities, review - ROLLING_WINDOW + _TICK, until),
                review,
            )
        else:  # the review keeps the better of the year it falls in and the year before
            new_year = _new_year(policy, review)
            prior = _total(policy.metric, activities, _new_year(policy, review, -1), min(new_year, until))
            current = _total(policy.metric, activities, new_year, until)
            if now < new_year:  # the closing year is still open: that is where the member can act
                counted, keep_by = prior, new_year
            else:  # within the grace days: the closed year secured the tier, or the new year must
                counted, keep_by = (kept.threshold if prior >= kept.threshold else current), review
        to_keep = max(0, kept.threshold - counted)
    return TierProgress(
        tier=decision.tier,
        next_tier=next_tier,
        qualifying_total=total,
        to_next=None if next_tier is None else max(0, next_tier.threshold - total),
        next_by=_new_year(policy, now, 1) if policy.period is Period.CALENDAR_YEAR else None,
        kept_tier=kept,
        to_keep=to_keep,
        keep_by=keep_by if to_keep else None,
        review_at=decision.review_at,
        metric=policy.metric,
        timezone=policy.timezone,
        held_by=held_by,
        held_until=held_until,
    )


def _day_month_year(day: date) -> str:
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def _amount_phrase(metric: Metric, amount: int, format_money: Callable[[int], str]) -> str:
    if metric is Metric.SPEND:
        return _("Spend {amount} more", amount=format_money(amount))
    return (
        ngettext("Earn {count} more point", "Earn {count} more points", amount)
        if metric is Metric.POINTS
        else ngettext("Place {count} more order", "Place {count} more orders", amount)
    )


def progress_sentences(
    progress: TierProgress,
    format_money: Callable[[int], str],
    format_date: Callable[[date], str] = _day_month_year,
) -> list[str]:
    """Plain-language lines for a member, e.g. "Spend €120.00 more by 31 Dec 2026 to reach Gold" (next
    tier first, then keeping the current one, or when the paid membership that holds it ends; none when
    there is nothing to do). Only the tier in effect is ever named as kept. ``format_money`` turns minor
    units into text (the caller knows currency and locale); ``format_date`` gets the last local day, in the
    store's zone, on which activity still counts or the membership still holds (default "31 Dec 2026")."""
    zone = ZoneInfo(progress.timezone)

    def by(deadline: datetime | None) -> str:
        return (
            ""
            if deadline is None
            else _(" by {day}", day=format_date((deadline - _TICK).astimezone(zone).date()))
        )

    sentences = []
    if progress.next_tier is not None and progress.to_next is not None:
        phrase = _amount_phrase(progress.metric, progress.to_next, format_money)
        sentences.append(
            _(
                "{phrase}{by} to reach {tier}",
                phrase=phrase,
                by=by(progress.next_by),
                tier=progress.next_tier.name,
            )
        )
    if progress.to_keep > 0 and progress.kept_tier == progress.tier:
        phrase = _amount_phrase(progress.metric, progress.to_keep, format_money)
        sentences.append(
            _(
                "{phrase}{by} to keep {tier}",
                phrase=phrase,
                by=by(progress.keep_by),
                tier=progress.kept_tier.name,
            )
        )
    if progress.held_by is TierHold.MEMBERSHIP and progress.held_until is not None:
        last_day = format_date((progress.held_until - _TICK).astimezone(zone).date())
        sentences.append(_("Your {tier} membership runs until {day}", tier=progress.tier.name, day=last_day))
    return sentences


def describe_change(decision: TierDecision, metric: Metric, format_money: Callable[[int], str]) -> str:
    """A short reason for an audit line or event: "upgraded: reached 500.00 spend" (the tier's threshold),
    "upgraded: paid membership", "downgraded: period ended", "membership lapsed", "override"; "" if none."""
    if decision.reason is TierChangeReason.QUALIFIED:
        threshold = decision.tier.threshold
        amount = (
            f"{format_money(threshold)} spend" if metric is Metric.SPEND else f"{threshold} {metric.value}"
        )
        return f"upgraded: reached {amount}"
    return {
        TierChangeReason.PERIOD_ENDED: "downgraded: period ended",
        TierChangeReason.MEMBERSHIP: "upgraded: paid membership",
        TierChangeReason.MEMBERSHIP_LAPSED: "membership lapsed",
        TierChangeReason.OVERRIDE: "override",
        None: "",
    }[decision.reason]


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
