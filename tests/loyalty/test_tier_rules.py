"""Tier rules: qualification windows, upgrades, retention, downgrades, overrides, paid membership, progress.

Every instant is explicit (a fake clock is just a list of instants). Money is minor units; the ladders use
Bronze 0 / Silver 500.00 / Gold 1,000.00 / Platinum 2,500.00 for spend.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loyaldesk.loyalty.rules.tiers import (
    ROLLING_WINDOW,
    MemberTierState,
    Metric,
    Period,
    Perk,
    QualifyingActivity,
    TierChange,
    TierChangeReason,
    TierDefinition,
    TierHold,
    TierLadder,
    TierPolicy,
    describe_change,
    earned_tier,
    evaluate_tier,
    held_tier,
    membership_grant,
    next_review_at,
    progress,
    progress_sentences,
    qualifying_total,
)

AUCKLAND = ZoneInfo("Pacific/Auckland")
US = timedelta(microseconds=1)
BRONZE, SILVER, GOLD, PLATINUM = 1, 2, 3, 4


def at(year: int, month: int, day: int, hour: int = 12, minute: int = 0, second: int = 0, tz=UTC) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=tz)


def make_ladder(silver: int, gold: int, platinum: int) -> TierLadder:
    return TierLadder(
        (
            TierDefinition(BRONZE, "Bronze", 0, 0),
            TierDefinition(
                SILVER, "Silver", 1, silver, Decimal("1.25"), frozenset({Perk.FREE_SHIPPING}), 100
            ),
            TierDefinition(
                GOLD,
                "Gold",
                2,
                gold,
                Decimal("1.5"),
                frozenset({Perk.FREE_SHIPPING, Perk.FREE_RETURNS, Perk.PRIORITY_SUPPORT}),
                250,
            ),
            TierDefinition(PLATINUM, "Platinum", 3, platinum, Decimal(2), frozenset(Perk), 500),
        )
    )


LADDERS = {
    Metric.SPEND: make_ladder(50_000, 100_000, 250_000),
    Metric.POINTS: make_ladder(500, 1_000, 2_500),
    Metric.ORDERS: make_ladder(3, 6, 10),
}
LADDER = LADDERS[Metric.SPEND]


def euros(minor: int) -> str:
    return f"€{minor // 100}.{minor % 100:02d}"


def buy(when: datetime, spend: int) -> QualifyingActivity:
    return QualifyingActivity.order(when, spend, spend // 100)


def policy(period: Period | str, grace_days: int = 0, metric: Metric | str = "spend", timezone: str = "UTC"):
    return TierPolicy(metric, period, grace_days, timezone)


ROLLING = policy(Period.ROLLING_12_MONTHS, grace_days=30)
CALENDAR = policy(Period.CALENDAR_YEAR)
LIFETIME = policy(Period.LIFETIME)
START = MemberTierState.starting(LADDER)


def evaluate(pol, activities, state, now, ladder=LADDER):
    return evaluate_tier(ladder, pol, activities, state, now)


# --- definitions and validation ---------------------------------------------------------------------


def test_ladder_is_sorted_by_rank_and_answers_lookups():
    shuffled = TierLadder(tuple(reversed(LADDER.tiers)))
    assert [tier.name for tier in shuffled.tiers] == ["Bronze", "Silver", "Gold", "Platinum"]
    assert shuffled.base.id == BRONZE
    assert shuffled.tier(GOLD).earn_multiplier == Decimal("1.5")
    assert Perk.PRIORITY_SUPPORT in shuffled.tier(GOLD).perks
    assert shuffled.above(shuffled.tier(GOLD)).id == PLATINUM
    assert shuffled.above(shuffled.tier(PLATINUM)) is None
    assert [shuffled.reached_by(total).id for total in (0, 49_999, 50_000, 99_999, 100_000, 10**9)] == [
        BRONZE, BRONZE, SILVER, SILVER, GOLD, PLATINUM,
    ]  # fmt: skip
    assert TierDefinition(9, "x", 0, 0, earn_multiplier=2).earn_multiplier == Decimal(2)


@pytest.mark.parametrize(
    ("tiers", "message"),
    [
        ((), "at least one tier"),
        (
            (TierDefinition(1, "Bronze", 0, 0), TierDefinition(1, "Silver", 1, 10)),
            "'Bronze' and 'Silver' share the id 1",
        ),
        (
            (TierDefinition(1, "Bronze", 0, 0), TierDefinition(2, "Silver", 0, 10)),
            "'Bronze' and 'Silver' share the rank 0",
        ),
        (
            (TierDefinition(1, "Bronze", 0, 0), TierDefinition(2, " bronze", 1, 10)),
            "share the name 'bronze'",
        ),
        (
            (TierDefinition(1, "Silver", 1, 10), TierDefinition(2, "Gold", 2, 20)),
            "exactly one base tier with threshold 0; found none",
        ),
        (
            (TierDefinition(1, "Bronze", 0, 0), TierDefinition(2, "Basic", 1, 0)),
            "exactly one base tier with threshold 0; found 'Bronze', 'Basic'",
        ),
        (
            (
                TierDefinition(1, "Bronze", 0, 0),
                TierDefinition(2, "Silver", 1, 50),
                TierDefinition(3, "Gold", 2, 50),
            ),
            "'Gold' (rank 2) has 50, not above 'Silver' (rank 1) at 50",
        ),
        (
            (
                TierDefinition(1, "Bronze", 0, 0),
                TierDefinition(2, "Silver", 1, 90),
                TierDefinition(3, "Gold", 2, 50),
            ),
            "thresholds must rise strictly with rank",
        ),
        (
            (TierDefinition(1, "Bronze", 5, 10), TierDefinition(2, "Silver", 6, 0)),
            "'Silver' (rank 6) has 0, not above 'Bronze' (rank 5) at 10",
        ),
    ],
)
def test_invalid_ladders_are_refused_with_the_reason(tiers, message):
    with pytest.raises(ValueError) as refused:
        TierLadder(tiers)
    assert message in str(refused.value)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"threshold": -1}, "threshold of tier 'Gold' must be at least 0"),
        ({"threshold": 1.5}, "threshold of tier 'Gold' must be an integer"),
        ({"earn_multiplier": 1.5}, "floats are inexact"),
        ({"earn_multiplier": Decimal("-1")}, "non-negative Decimal"),
        ({"earn_multiplier": Decimal("NaN")}, "non-negative Decimal"),
        ({"name": "  "}, "needs a name"),
        ({"id": True}, "tier id must be an integer"),
        ({"perks": frozenset({""})}, "non-empty strings"),
        ({"entry_reward_points": -5}, "entry_reward_points of tier 'Gold' must be at least 0"),
    ],
)
def test_invalid_tier_definitions_are_refused(fields, message):
    base = {"id": 3, "name": "Gold", "rank": 2, "threshold": 100}
    with pytest.raises(ValueError, match=None) as refused:
        TierDefinition(**{**base, **fields})
    assert message in str(refused.value)


def test_policy_accepts_names_and_refuses_bad_values():
    assert TierPolicy("points", "lifetime").metric is Metric.POINTS
    assert TierPolicy("points", "lifetime").period is Period.LIFETIME
    for fields, message in [
        ({"metric": "visits"}, "metric must be one of spend, points, orders, got 'visits'"),
        ({"period": "monthly"}, "period must be one of rolling_12_months, calendar_year, lifetime"),
        ({"grace_days": -1}, "grace_days must be at least 0"),
        ({"timezone": "Mars/Olympus"}, "IANA time zone name, got 'Mars/Olympus'"),
    ]:
        with pytest.raises(ValueError) as refused:
            TierPolicy(**{"metric": "spend", "period": "lifetime", **fields})
        assert message in str(refused.value)


def test_activities_and_states_refuse_naive_or_malformed_values():
    with pytest.raises(ValueError, match="at must be a timezone-aware datetime"):
        QualifyingActivity(datetime(2026, 1, 1), 100)
    with pytest.raises(ValueError, match="spend must be an integer"):
        QualifyingActivity(at(2026, 1, 1), 10.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="spend must be at least 0"):
        QualifyingActivity.refund(at(2026, 1, 1), -100, 0)
    with pytest.raises(ValueError, match="give both or neither"):
        MemberTierState(BRONZE, BRONZE, membership_tier_id=GOLD)
    with pytest.raises(ValueError, match="retained_until must be a timezone-aware"):
        MemberTierState(SILVER, SILVER, retained_until=datetime(2027, 1, 1))
    with pytest.raises(ValueError, match="now must be a timezone-aware"):
        qualifying_total(ROLLING, [], datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="tier 99 is not in the ladder"):
        evaluate(ROLLING, [], MemberTierState(99, BRONZE), at(2026, 1, 1))
    local = QualifyingActivity.order(at(2026, 1, 1, 9, tz=AUCKLAND), 100, 1)
    assert local.at == datetime(2025, 12, 31, 20, tzinfo=UTC) and local.at.tzinfo is UTC


def test_activity_builders_sign_each_metric():
    when = at(2026, 1, 1)
    assert QualifyingActivity.order(when, 12_000, 120) == QualifyingActivity(when, 12_000, 120, 1)
    assert QualifyingActivity.refund(when, 2_000, 20) == QualifyingActivity(when, -2_000, -20, 0)
    assert QualifyingActivity.cancellation(when, 12_000, 120) == QualifyingActivity(when, -12_000, -120, -1)


# --- qualifying totals: each metric x each period ------------------------------------------------------

NOW = at(2026, 6, 15)
HISTORY = [
    QualifyingActivity.order(at(2025, 3, 1), 40_000, 400),  # previous year; outside the rolling window
    QualifyingActivity.order(at(2025, 12, 1), 30_000, 300),  # previous year; inside the rolling window
    QualifyingActivity.order(at(2026, 2, 1), 20_000, 200),
    QualifyingActivity.order(NOW, 25_000, 250),  # exactly now: counts
    QualifyingActivity.order(NOW + US, 1_000_000, 10_000),  # the future: never counts
]


@pytest.mark.parametrize(
    ("metric", "period", "total", "earned"),
    [
        (Metric.SPEND, Period.ROLLING_12_MONTHS, 75_000, "Silver"),
        (Metric.SPEND, Period.CALENDAR_YEAR, 45_000, "Silver"),  # 2026 alone is Bronze; 2025 (70,000) carries
        (Metric.SPEND, Period.LIFETIME, 115_000, "Gold"),
        (Metric.POINTS, Period.ROLLING_12_MONTHS, 750, "Silver"),
        (Metric.POINTS, Period.CALENDAR_YEAR, 450, "Silver"),
        (Metric.POINTS, Period.LIFETIME, 1_150, "Gold"),
        (Metric.ORDERS, Period.ROLLING_12_MONTHS, 3, "Silver"),
        (Metric.ORDERS, Period.CALENDAR_YEAR, 2, "Bronze"),  # 2 this year, 2 last year: neither reaches 3
        (Metric.ORDERS, Period.LIFETIME, 4, "Silver"),
    ],
)
def test_each_metric_over_each_period(metric, period, total, earned):
    pol = policy(period, metric=metric)
    assert qualifying_total(pol, HISTORY, NOW) == total
    assert earned_tier(LADDERS[metric], pol, HISTORY, NOW).name == earned


def test_rolling_window_is_365_days_open_at_the_start():
    edge = NOW - ROLLING_WINDOW
    activities = [buy(edge, 1_000), buy(edge + US, 2_000)]
    assert qualifying_total(ROLLING, activities, NOW) == 2_000
    assert qualifying_total(ROLLING, activities, NOW - US) == 3_000


def test_calendar_year_turns_at_new_year_in_the_stores_zone():
    auckland = policy(Period.CALENDAR_YEAR, timezone="Pacific/Auckland")
    last_second_of_2026 = at(2026, 12, 31, 23, 59, 59, tz=AUCKLAND)  # 10:59:59 UTC
    first_instant_of_2027 = at(2027, 1, 1, 0, tz=AUCKLAND)  # 11:00 UTC on 31 Dec
    assert first_instant_of_2027 == at(2026, 12, 31, 11, tz=UTC)
    activities = [
        buy(at(2026, 6, 1), 10_000),
        buy(last_second_of_2026, 2_000),
        buy(first_instant_of_2027, 500),
    ]
    assert qualifying_total(auckland, activities, first_instant_of_2027 - US) == 12_000
    assert qualifying_total(auckland, activities, first_instant_of_2027) == 500
    # the same instants in UTC are all still 2026
    assert qualifying_total(CALENDAR, activities, at(2026, 12, 31, 12, tz=UTC)) == 12_500


def test_refunds_and_cancellations_lower_the_total():
    activities = [
        QualifyingActivity.order(at(2026, 3, 1), 60_000, 600),
        QualifyingActivity.refund(at(2026, 3, 10), 15_000, 150),
        QualifyingActivity.order(at(2026, 4, 1), 5_000, 50),
        QualifyingActivity.cancellation(at(2026, 4, 2), 5_000, 50),
    ]
    assert qualifying_total(CALENDAR, activities, at(2026, 5, 1)) == 45_000
    assert qualifying_total(policy(Period.CALENDAR_YEAR, metric="points"), activities, at(2026, 5, 1)) == 450
    assert qualifying_total(policy(Period.CALENDAR_YEAR, metric="orders"), activities, at(2026, 5, 1)) == 1
    assert earned_tier(LADDER, CALENDAR, activities, at(2026, 5, 1)).name == "Bronze"
    # a refund dated in the next year lowers that year (below zero) while the year of the order keeps its
    # total, which is why callers should date refunds at the original order's instant
    late = [buy(at(2026, 12, 20), 60_000), QualifyingActivity.refund(at(2027, 1, 5), 60_000, 600)]
    assert qualifying_total(CALENDAR, late, at(2027, 2, 1)) == -60_000
    assert earned_tier(LADDER, CALENDAR, late, at(2027, 2, 1)).name == "Silver"  # 2026 still carries
    dated_at_order = [buy(at(2026, 12, 20), 60_000), QualifyingActivity.refund(at(2026, 12, 20), 60_000, 600)]
    assert earned_tier(LADDER, CALENDAR, dated_at_order, at(2027, 2, 1)).name == "Bronze"


# --- upgrades, retention and downgrades ---------------------------------------------------------------


def test_upgrade_happens_at_once_on_reaching_the_threshold_exactly():
    first = buy(at(2026, 1, 10, 10), 30_000)
    assert evaluate(ROLLING, [first], START, at(2026, 1, 10, 10)).tier.name == "Bronze"
    short = evaluate(ROLLING, [first, buy(at(2026, 3, 5, 15), 19_999)], START, at(2026, 3, 5, 15))
    assert (short.tier.name, short.changed) == ("Bronze", False)
    crossing = at(2026, 3, 5, 15)
    decision = evaluate(ROLLING, [first, buy(crossing, 20_000)], START, crossing)
    assert decision.tier.name == "Silver"
    assert (decision.change, decision.reason) == (TierChange.UPGRADE, TierChangeReason.QUALIFIED)
    assert describe_change(decision, Metric.SPEND, euros) == "upgraded: reached €500.00 spend"
    assert decision.state == MemberTierState(SILVER, SILVER, retained_until=crossing + ROLLING_WINDOW)
    assert decision.state.retained_until == at(2027, 3, 5, 15)
    assert decision.review_at == at(2027, 4, 4, 15)  # plus 30 grace days
    assert [tier.name for tier in decision.tiers_entered] == ["Silver"]
    assert decision.entry_reward_points == 100


def test_jumping_several_tiers_enters_each_of_them():
    decision = evaluate(ROLLING, [buy(at(2026, 2, 1), 120_000)], START, at(2026, 2, 1))
    assert decision.tier.name == "Gold"
    assert [tier.name for tier in decision.tiers_entered] == ["Silver", "Gold"]
    assert decision.entry_reward_points == 350


def test_rolling_retention_runs_a_year_from_the_qualifying_moment_not_from_the_evaluation():
    activities = [buy(at(2026, 1, 10), 60_000), QualifyingActivity.refund(at(2026, 2, 1), 20_000, 0)]
    activities.append(buy(at(2026, 4, 1), 10_000))  # back over 50,000: the last crossing
    decision = evaluate(ROLLING, activities, START, at(2026, 5, 20))  # the job ran late
    assert decision.tier.name == "Silver"
    assert decision.state.retained_until == at(2027, 4, 1)


def test_no_downgrade_before_the_review_and_exactly_at_retained_until_plus_grace():
    activities = [buy(at(2026, 1, 10, 10), 30_000), buy(at(2026, 3, 5, 15), 20_000)]
    silver = evaluate(ROLLING, activities, START, at(2026, 3, 5, 15)).state
    review = at(2027, 4, 4, 15)
    # all qualifying activity left the window on 5 Mar 2027, yet the tier is kept through the grace days
    assert earned_tier(LADDER, ROLLING, activities, review - US).name == "Bronze"
    for moment in (at(2026, 12, 1), at(2027, 3, 5, 15), review - US):
        kept = evaluate(ROLLING, activities, silver, moment)
        assert (kept.tier.name, kept.changed, kept.state) == ("Silver", False, silver)
    fallen = evaluate(ROLLING, activities, silver, review)
    assert fallen.tier.name == "Bronze"
    assert (fallen.change, fallen.reason) == (TierChange.DOWNGRADE, TierChangeReason.PERIOD_ENDED)
    assert describe_change(fallen, Metric.SPEND, euros) == "downgraded: period ended"
    assert fallen.state == MemberTierState(BRONZE, BRONZE)
    assert fallen.review_at is None and fallen.tiers_entered == ()


@pytest.mark.parametrize("grace_days", [0, 1, 30, 90])
def test_grace_days_delay_the_downgrade_by_exactly_that_many_days(grace_days):
    pol = policy(Period.ROLLING_12_MONTHS, grace_days)
    activities = [buy(at(2026, 5, 1), 50_000)]
    state = evaluate(pol, activities, START, at(2026, 5, 1)).state
    review = at(2027, 5, 1) + timedelta(days=grace_days)
    assert next_review_at(pol, state) == review
    assert evaluate(pol, activities, state, review - US).tier.name == "Silver"
    assert evaluate(pol, activities, state, review).tier.name == "Bronze"


def test_rolling_tier_is_renewed_when_still_earned_at_the_review():
    activities = [buy(at(2026, 1, 10), 30_000), buy(at(2026, 3, 5, 15), 20_000)]
    state = evaluate(ROLLING, activities, START, at(2026, 3, 5, 15)).state
    activities.append(buy(at(2027, 1, 20), 50_000))
    middle = evaluate(ROLLING, activities, state, at(2027, 1, 20))
    assert middle.state == state  # same tier: nothing to do until the review
    renewed = evaluate(ROLLING, activities, state, at(2027, 4, 4, 15))
    assert (renewed.tier.name, renewed.changed) == ("Silver", False)
    assert renewed.state.retained_until == at(2028, 1, 20)
    assert renewed.review_at == at(2028, 2, 19)


def test_downgrade_goes_only_to_the_tier_earned_at_that_moment():
    activities = [buy(at(2026, 2, 1), 120_000), buy(at(2026, 12, 1), 60_000)]
    gold = evaluate(ROLLING, activities, START, at(2026, 2, 1)).state
    assert gold.retained_until == at(2027, 2, 1)
    decision = evaluate(ROLLING, activities, gold, at(2027, 3, 3))
    assert decision.tier.name == "Silver" and decision.reason is TierChangeReason.PERIOD_ENDED
    assert decision.state.retained_until == at(2027, 12, 1)  # a year after the purchase that earns Silver


def test_calendar_year_tier_is_held_through_the_next_year_then_follows_that_year():
    activities = [buy(at(2025, 5, 1), 120_000), buy(at(2026, 7, 1), 60_000)]
    gold = evaluate(CALENDAR, activities, START, at(2025, 5, 1))
    assert gold.tier.name == "Gold" and gold.state.retained_until == at(2026, 1, 1, 0)
    renewed = evaluate(CALENDAR, activities, gold.state, at(2026, 1, 1, 0))
    assert (renewed.tier.name, renewed.changed, renewed.state.retained_until) == (
        "Gold",
        False,
        at(2027, 1, 1, 0),
    )
    assert evaluate(CALENDAR, activities, renewed.state, at(2027, 1, 1, 0) - US).tier.name == "Gold"
    fallen = evaluate(CALENDAR, activities, renewed.state, at(2027, 1, 1, 0))
    assert (fallen.tier.name, fallen.reason) == ("Silver", TierChangeReason.PERIOD_ENDED)
    assert fallen.state.retained_until == at(2028, 1, 1, 0)  # Silver earned in 2026 is held through 2027


def test_calendar_review_in_auckland_with_grace_days():
    pol = policy(Period.CALENDAR_YEAR, grace_days=31, timezone="Pacific/Auckland")
    activities = [buy(at(2026, 3, 10, 9, tz=AUCKLAND), 100_000)]
    gold = evaluate(pol, activities, START, at(2026, 3, 10, 9, tz=AUCKLAND)).state
    new_year_2027 = at(2027, 1, 1, 0, tz=AUCKLAND)
    assert gold.retained_until == new_year_2027 == at(2026, 12, 31, 11, tz=UTC)
    review = new_year_2027 + timedelta(days=31)
    assert next_review_at(pol, gold) == review == at(2027, 1, 31, 11, tz=UTC)
    renewed = evaluate(pol, activities, gold, review)  # 2026 earned Gold: held through 2027
    assert renewed.tier.name == "Gold" and renewed.state.retained_until == at(2028, 1, 1, 0, tz=AUCKLAND)
    second_review = at(2028, 1, 1, 0, tz=AUCKLAND) + timedelta(days=31)
    assert evaluate(pol, activities, renewed.state, second_review - US).tier.name == "Gold"
    assert evaluate(pol, activities, renewed.state, second_review).tier.name == "Bronze"


def test_calendar_upgrade_near_new_year_follows_the_stores_zone():
    pol = policy(Period.CALENDAR_YEAR, timezone="Pacific/Auckland")
    moment = at(2026, 12, 31, 11, tz=UTC)  # already 1 Jan 2027 in Auckland
    decision = evaluate(pol, [buy(moment, 50_000)], START, moment)
    assert decision.state.retained_until == at(2028, 1, 1, 0, tz=AUCKLAND)
    in_utc = evaluate(CALENDAR, [buy(moment, 50_000)], START, moment)
    assert in_utc.state.retained_until == at(2027, 1, 1, 0)


def test_lifetime_tiers_never_fall():
    activities = [buy(at(2020, 1, 1), 100_000), QualifyingActivity.refund(at(2020, 2, 1), 90_000, 0)]
    gold = evaluate(LIFETIME, activities[:1], START, at(2020, 1, 1))
    assert gold.tier.name == "Gold" and gold.state.retained_until is None and gold.review_at is None
    later = evaluate(LIFETIME, activities, gold.state, at(2035, 1, 1))
    assert (later.tier.name, later.changed, later.qualifying_total) == ("Gold", False, 10_000)


def test_refund_lowers_the_total_but_a_held_tier_waits_for_its_review():
    activities = [buy(at(2026, 3, 1), 60_000)]
    silver = evaluate(ROLLING, activities, START, at(2026, 3, 1)).state
    activities.append(QualifyingActivity.refund(at(2026, 3, 20), 30_000, 300))
    after_refund = evaluate(ROLLING, activities, silver, at(2026, 3, 20))
    assert after_refund.qualifying_total == 30_000
    assert (after_refund.tier.name, after_refund.changed) == ("Silver", False)
    assert evaluate(ROLLING, activities, silver, at(2027, 3, 31)).tier.name == "Bronze"


def test_a_state_without_retention_gets_one_rather_than_falling_at_once():
    # e.g. the store switched from a lifetime policy to a rolling one
    held = MemberTierState(GOLD, GOLD)
    decision = evaluate(ROLLING, [], held, at(2026, 6, 1))
    assert decision.tier.name == "Gold"
    assert decision.state.retained_until == at(2026, 6, 1) + ROLLING_WINDOW
    assert evaluate(LIFETIME, [], MemberTierState(GOLD, GOLD, at(2020, 1, 1)), at(2026, 6, 1)).state == held


# --- manual override ----------------------------------------------------------------------------------


def test_override_above_the_earned_tier_is_a_floor():
    state = replace(START, override_tier_id=GOLD)
    decision = evaluate(ROLLING, [buy(at(2026, 1, 1), 60_000)], state, at(2026, 1, 1))
    assert decision.tier.name == "Gold" and decision.qualified_tier.name == "Silver"
    assert (decision.change, decision.reason) == (TierChange.UPGRADE, TierChangeReason.OVERRIDE)
    assert describe_change(decision, Metric.SPEND, euros) == "override"
    assert [tier.name for tier in decision.tiers_entered] == ["Silver", "Gold"]


def test_override_below_the_earned_tier_changes_nothing():
    state = replace(START, override_tier_id=SILVER)
    decision = evaluate(ROLLING, [buy(at(2026, 1, 1), 260_000)], state, at(2026, 1, 1))
    assert decision.tier.name == "Platinum" and decision.reason is TierChangeReason.QUALIFIED


def test_downgrade_stops_at_the_override_floor_and_removing_the_override_is_a_change():
    activities = [buy(at(2026, 1, 1), 120_000)]
    gold = replace(evaluate(ROLLING, activities, START, at(2026, 1, 1)).state, override_tier_id=SILVER)
    at_review = evaluate(ROLLING, activities, gold, at(2027, 1, 31))
    assert (at_review.tier.name, at_review.qualified_tier.name) == ("Silver", "Bronze")
    assert at_review.reason is TierChangeReason.PERIOD_ENDED
    removed = evaluate(ROLLING, activities, replace(at_review.state, override_tier_id=None), at(2027, 2, 1))
    assert (removed.tier.name, removed.change, removed.reason) == (
        "Bronze",
        TierChange.DOWNGRADE,
        TierChangeReason.OVERRIDE,
    )


# --- paid membership ----------------------------------------------------------------------------------


def test_paid_membership_grants_a_higher_tier_until_it_lapses():
    activities = [buy(at(2026, 3, 1), 60_000)]
    silver = evaluate(ROLLING, activities, START, at(2026, 3, 1)).state
    bought = at(2026, 5, 1)
    until = membership_grant(LADDER, GOLD, bought, 30, None)
    assert until == at(2026, 5, 31)
    member = replace(silver, membership_tier_id=GOLD, membership_until=until)
    joined = evaluate(ROLLING, activities, member, bought)
    assert (joined.tier.name, joined.reason) == ("Gold", TierChangeReason.MEMBERSHIP)
    assert describe_change(joined, Metric.SPEND, euros) == "upgraded: paid membership"
    assert joined.review_at == until  # before Silver's own review
    assert held_tier(LADDER, joined.state, until - US).name == "Gold"
    assert evaluate(ROLLING, activities, joined.state, until - US).state == joined.state
    lapsed = evaluate(ROLLING, activities, joined.state, until)
    assert (lapsed.tier.name, lapsed.change, lapsed.reason) == (
        "Silver",
        TierChange.DOWNGRADE,
        TierChangeReason.MEMBERSHIP_LAPSED,
    )
    assert describe_change(lapsed, Metric.SPEND, euros) == "membership lapsed"
    assert lapsed.state == silver  # the membership is cleared; qualification untouched
    assert held_tier(LADDER, joined.state, until).name == "Silver"


def test_lapsed_membership_falls_back_to_the_override_when_it_is_higher():
    member = MemberTierState(
        PLATINUM,
        BRONZE,
        override_tier_id=SILVER,
        membership_tier_id=PLATINUM,
        membership_until=at(2026, 7, 1),
    )
    decision = evaluate(ROLLING, [], member, at(2026, 7, 1))
    assert (decision.tier.name, decision.reason) == ("Silver", TierChangeReason.MEMBERSHIP_LAPSED)


def test_qualification_may_fall_under_an_active_membership_without_a_visible_change():
    activities = [buy(at(2026, 1, 1), 60_000)]
    state = MemberTierState(
        GOLD, SILVER, at(2027, 1, 1), membership_tier_id=GOLD, membership_until=at(2027, 6, 1)
    )
    during = evaluate(ROLLING, activities, state, at(2027, 2, 1))
    assert (during.tier.name, during.changed, during.qualified_tier.name) == ("Gold", False, "Bronze")
    after = evaluate(ROLLING, activities, during.state, at(2027, 6, 1))
    assert (after.tier.name, after.reason) == ("Bronze", TierChangeReason.MEMBERSHIP_LAPSED)


def test_membership_below_the_qualified_tier_changes_nothing():
    state = MemberTierState(
        GOLD, GOLD, at(2027, 1, 1), membership_tier_id=SILVER, membership_until=at(2026, 9, 1)
    )
    decision = evaluate(ROLLING, [buy(at(2026, 1, 1), 100_000)], state, at(2026, 6, 1))
    assert (decision.tier.name, decision.changed) == ("Gold", False)


def test_buying_again_extends_from_the_later_of_now_and_the_current_end():
    current_until = at(2026, 5, 31)
    assert membership_grant(LADDER, GOLD, at(2026, 5, 20), 30, current_until) == at(2026, 6, 30)
    assert membership_grant(LADDER, GOLD, at(2026, 6, 10), 30, current_until) == at(2026, 7, 10)
    assert membership_grant(LADDER, GOLD, at(2026, 6, 10, tz=AUCKLAND), 1, None) == at(
        2026, 6, 11, tz=AUCKLAND
    )
    with pytest.raises(ValueError, match="base tier 'Bronze' cannot be sold"):
        membership_grant(LADDER, BRONZE, at(2026, 1, 1), 30, None)
    with pytest.raises(ValueError, match="days must be at least 1"):
        membership_grant(LADDER, GOLD, at(2026, 1, 1), 0, None)
    with pytest.raises(ValueError, match="tier 42 is not in the ladder"):
        membership_grant(LADDER, 42, at(2026, 1, 1), 30, None)


def test_next_review_is_the_earliest_of_retention_plus_grace_and_membership_end():
    state = MemberTierState(
        GOLD, SILVER, at(2026, 12, 1), membership_tier_id=GOLD, membership_until=at(2026, 12, 20)
    )
    assert next_review_at(ROLLING, state) == at(2026, 12, 20)
    assert next_review_at(ROLLING, replace(state, membership_tier_id=None, membership_until=None)) == at(
        2026, 12, 31
    )
    assert next_review_at(LIFETIME, state) == at(2026, 12, 20)
    assert next_review_at(ROLLING, START) is None


# --- progress -----------------------------------------------------------------------------------------


def test_progress_calendar_year_to_next_with_the_year_end_as_deadline():
    report = progress(LADDER, CALENDAR, [buy(at(2026, 3, 1), 60_000)], START, at(2026, 9, 1))
    assert (report.tier.name, report.next_tier.name, report.qualifying_total) == ("Silver", "Gold", 60_000)
    assert (report.to_next, report.next_by) == (40_000, at(2027, 1, 1, 0))
    assert (report.kept_tier.name, report.to_keep, report.keep_by) == ("Silver", 0, None)  # 2026 secured it
    assert progress_sentences(report, euros) == ["Spend €400.00 more by 31 Dec 2026 to reach Gold"]


def test_progress_calendar_year_to_keep_a_tier_carried_from_last_year():
    activities = [buy(at(2025, 4, 1), 120_000), buy(at(2026, 3, 1), 30_000)]
    report = progress(LADDER, CALENDAR, activities, START, at(2026, 9, 1))
    assert (report.tier.name, report.to_next, report.to_keep) == ("Gold", 220_000, 70_000)
    assert report.keep_by == report.next_by == at(2027, 1, 1, 0)
    assert progress_sentences(report, euros) == [
        "Spend €2200.00 more by 31 Dec 2026 to reach Platinum",
        "Spend €700.00 more by 31 Dec 2026 to keep Gold",
    ]


def test_progress_during_calendar_grace_days():
    pol = policy(Period.CALENDAR_YEAR, grace_days=31)
    held = MemberTierState(GOLD, GOLD, retained_until=at(2027, 1, 1, 0))
    short_2026 = [buy(at(2026, 3, 1), 30_000), buy(at(2027, 1, 10), 40_000)]
    report = progress(LADDER, pol, short_2026, held, at(2027, 1, 15))
    assert (report.tier.name, report.to_keep, report.keep_by) == ("Gold", 60_000, at(2027, 2, 1, 0))
    assert report.review_at == at(2027, 2, 1, 0)
    assert progress_sentences(report, euros)[1] == "Spend €600.00 more by 31 Jan 2027 to keep Gold"
    full_2026 = [buy(at(2026, 3, 1), 100_000)]
    assert progress(LADDER, pol, full_2026, held, at(2027, 1, 15)).to_keep == 0


def test_progress_rolling_window_by_hand():
    activities = [buy(at(2026, 1, 10), 60_000), buy(at(2026, 3, 5), 50_000)]  # Gold from 5 Mar 2026
    report = progress(LADDER, ROLLING, activities, START, at(2026, 3, 5))
    assert report.review_at == at(2027, 4, 4)
    # the review looks at (4 Apr 2026, 4 Apr 2027]: nothing of today's total will still count
    assert (report.to_keep, report.keep_by) == (100_000, at(2027, 4, 4))
    activities.append(buy(at(2026, 5, 1), 30_000))
    report = progress(LADDER, ROLLING, activities, START, at(2026, 6, 1))
    assert (report.qualifying_total, report.to_next, report.next_by, report.to_keep) == (
        140_000,
        110_000,
        None,
        70_000,
    )
    assert progress_sentences(report, euros) == [
        "Spend €1100.00 more to reach Platinum",
        "Spend €700.00 more by 4 Apr 2027 to keep Gold",
    ]


def test_progress_names_only_the_tier_held_when_a_membership_or_override_holds_it():
    spent = [buy(at(2026, 1, 10), 60_000)]  # Silver by spend, kept until 10 Jan 2027 (+30 days)
    club = MemberTierState(
        GOLD, SILVER, at(2027, 1, 10), membership_tier_id=GOLD, membership_until=at(2026, 9, 1)
    )
    report = progress(LADDER, ROLLING, spent, club, at(2026, 3, 1))
    assert (report.tier.name, report.kept_tier.name, report.to_keep, report.held_by) == (
        "Gold", "Gold", 0, TierHold.MEMBERSHIP
    )  # fmt: skip
    assert progress_sentences(report, euros) == [
        "Spend €1900.00 more to reach Platinum",
        "Your Gold membership runs until 1 Sep 2026",
    ]
    floor = MemberTierState(GOLD, SILVER, at(2027, 1, 10), override_tier_id=GOLD)
    report = progress(LADDER, ROLLING, spent, floor, at(2026, 3, 1))
    assert (report.kept_tier.name, report.held_by, report.held_until) == ("Gold", TierHold.OVERRIDE, None)
    assert progress_sentences(report, euros) == ["Spend €1900.00 more to reach Platinum"]
    # A membership of the tier the member qualified for, lasting past its review: nothing to keep.
    gold = [buy(at(2026, 1, 10), 120_000)]
    both = MemberTierState(
        GOLD, GOLD, at(2027, 1, 10), membership_tier_id=GOLD, membership_until=at(2027, 6, 1)
    )
    report = progress(LADDER, ROLLING, gold, both, at(2026, 3, 1))
    assert (report.to_keep, report.held_by) == (0, TierHold.MEMBERSHIP)
    # One ending before the review leaves the spend to keep it, for the same tier.
    short = replace(both, membership_until=at(2026, 6, 1))
    report = progress(LADDER, ROLLING, gold, short, at(2026, 3, 1))
    assert (report.held_by, report.kept_tier.name, report.to_keep) == (TierHold.QUALIFIED, "Gold", 100_000)


def test_progress_lifetime_top_tier_and_other_metrics():
    top = progress(LADDER, LIFETIME, [buy(at(2026, 1, 1), 300_000)], START, at(2026, 2, 1))
    assert (top.tier.name, top.next_tier, top.to_next, top.to_keep, top.keep_by) == (
        "Platinum",
        None,
        None,
        0,
        None,
    )
    assert progress_sentences(top, euros) == []
    points = policy(Period.LIFETIME, metric="points")
    report = progress(LADDERS[Metric.POINTS], points, [buy(at(2026, 1, 1), 70_000)], START, at(2026, 2, 1))
    assert progress_sentences(report, euros) == ["Earn 300 more points to reach Gold"]
    orders = policy(Period.LIFETIME, metric="orders")
    two = [buy(at(2026, 1, 1), 1), buy(at(2026, 1, 2), 1)]
    assert progress_sentences(
        progress(LADDERS[Metric.ORDERS], orders, two, START, at(2026, 2, 1)), euros
    ) == ["Place 1 more order to reach Silver"]
    one = progress(LADDERS[Metric.ORDERS], orders, two[:1], START, at(2026, 2, 1))
    assert progress_sentences(one, euros, format_date=str) == ["Place 2 more orders to reach Silver"]
    decision = evaluate_tier(
        LADDERS[Metric.POINTS], points, [buy(at(2026, 1, 1), 100_000)], START, at(2026, 1, 1)
    )
    assert describe_change(decision, Metric.POINTS, euros) == "upgraded: reached 1000 points"


def test_progress_deadline_is_the_last_local_day_in_the_stores_zone():
    pol = policy(Period.CALENDAR_YEAR, timezone="Pacific/Auckland")
    report = progress(LADDER, pol, [buy(at(2026, 3, 1), 10_000)], START, at(2026, 9, 1))
    assert report.next_by == at(2026, 12, 31, 11, tz=UTC)
    assert progress_sentences(report, euros, format_date=lambda day: day.isoformat()) == [
        "Spend €400.00 more by 2026-12-31 to reach Silver"
    ]


# --- properties ---------------------------------------------------------------------------------------

ORIGIN = at(2025, 1, 1, 0)
PROPERTY_LADDER = make_ladder(50, 100, 250)
instants = st.integers(0, 3 * 366 * 24 * 60).map(lambda minutes: ORIGIN + timedelta(minutes=minutes))
policies = st.builds(
    TierPolicy,
    metric=st.sampled_from(Metric),
    period=st.sampled_from(Period),
    grace_days=st.sampled_from([0, 1, 30, 90]),
    timezone=st.sampled_from(["UTC", "Pacific/Auckland", "America/Los_Angeles"]),
)
amounts = st.integers(-40, 120)
activity_lists = st.lists(
    st.builds(QualifyingActivity, instants, amounts, amounts, st.integers(-1, 2)), max_size=12
)
positive_activity_lists = st.lists(
    st.builds(QualifyingActivity, instants, st.integers(0, 120), st.integers(0, 120), st.integers(0, 2)),
    max_size=12,
)
tier_ids = st.sampled_from([BRONZE, SILVER, GOLD, PLATINUM])
states = st.builds(
    lambda current, qualified, retained, override, membership: MemberTierState(
        current,
        qualified,
        retained,
        override,
        membership[0] if membership else None,
        membership[1] if membership else None,
    ),
    tier_ids,
    tier_ids,
    st.none() | instants,
    st.none() | tier_ids,
    st.none() | st.tuples(tier_ids, instants),
)
PROPERTY_SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY_SETTINGS
@given(policies, activity_lists, states, instants)
def test_effective_tier_is_never_below_override_membership_or_earned_tier(pol, activities, state, now):
    decision = evaluate_tier(PROPERTY_LADDER, pol, activities, state, now)
    floors = [decision.qualified_tier, earned_tier(PROPERTY_LADDER, pol, activities, now)]
    if state.override_tier_id is not None:
        floors.append(PROPERTY_LADDER.tier(state.override_tier_id))
    if state.membership_tier_id is not None and now < state.membership_until:
        floors.append(PROPERTY_LADDER.tier(state.membership_tier_id))
    assert decision.tier.rank == max(floor.rank for floor in floors[:1] + floors[2:])
    assert all(decision.tier.rank >= floor.rank for floor in floors)


@PROPERTY_SETTINGS
@given(policies, activity_lists, positive_activity_lists, instants)
def test_adding_qualifying_activity_never_lowers_the_earned_tier(pol, activities, more, now):
    before = earned_tier(PROPERTY_LADDER, pol, activities, now)
    assert earned_tier(PROPERTY_LADDER, pol, activities + more, now).rank >= before.rank


@PROPERTY_SETTINGS
@given(policies, activity_lists, states, instants)
def test_evaluation_is_idempotent(pol, activities, state, now):
    first = evaluate_tier(PROPERTY_LADDER, pol, activities, state, now)
    second = evaluate_tier(PROPERTY_LADDER, pol, activities, first.state, now)
    assert second.state == first.state
    assert (second.tier, second.change, second.reason, second.tiers_entered) == (first.tier, None, None, ())
    assert second.review_at is None or second.review_at > now


@PROPERTY_SETTINGS
@given(policies, activity_lists, states, instants)
def test_qualification_never_falls_before_retained_until_plus_grace(pol, activities, state, now):
    decision = evaluate_tier(PROPERTY_LADDER, pol, activities, state, now)
    if decision.qualified_tier.rank < PROPERTY_LADDER.tier(state.qualified_tier_id).rank:
        assert state.retained_until is not None and now >= state.retained_until + pol.grace
        assert pol.period is not Period.LIFETIME


@PROPERTY_SETTINGS
@given(policies, st.lists(st.tuples(st.integers(0, 40 * 24 * 60), amounts), min_size=1, max_size=40))
def test_a_member_over_time_keeps_every_invariant(pol, steps):
    """A member over time: the job evaluates at each new activity and at each review it was asked for."""
    state, now, activities = MemberTierState.starting(PROPERTY_LADDER), ORIGIN, []
    for gap_minutes, amount in steps:
        arrival = now + timedelta(minutes=gap_minutes)
        while state.retained_until is not None and (review := next_review_at(pol, state)) <= arrival:
            decision = evaluate_tier(PROPERTY_LADDER, pol, activities, state, review)
            assert decision.state.retained_until is None or decision.state.retained_until + pol.grace > review
            state = decision.state
        activities.append(QualifyingActivity(arrival, amount, amount, 1 if amount >= 0 else -1))
        decision = evaluate_tier(PROPERTY_LADDER, pol, activities, state, arrival)
        before = PROPERTY_LADDER.tier(state.qualified_tier_id)
        if decision.qualified_tier.rank < before.rank:
            assert arrival >= state.retained_until + pol.grace
        assert decision.tier.rank >= earned_tier(PROPERTY_LADDER, pol, activities, arrival).rank
        state, now = decision.state, arrival


def check_to_keep(pol, activities, first, second, state=None):
    """The state is decided at ``first`` (with what was known then) and progress read at ``second``: adding
    ``to_keep`` just before ``keep_by`` keeps the tier at its review, and one unit less does not."""
    first, now = sorted((first, second))
    if state is None:
        known_then = [activity for activity in activities if activity.at <= first]
        state = MemberTierState.starting(PROPERTY_LADDER)
        state = evaluate_tier(PROPERTY_LADDER, pol, known_then, state, first).state
    activities = [activity for activity in activities if activity.at <= now]
    report = progress(PROPERTY_LADDER, pol, activities, state, now)
    state = evaluate_tier(PROPERTY_LADDER, pol, activities, state, now).state
    if report.kept_tier == PROPERTY_LADDER.base or pol.period is Period.LIFETIME:
        assert report.to_keep == 0
        return None
    review = state.retained_until + pol.grace

    def qualified_at_review(extra: int) -> int:
        added = [] if extra == 0 else [QualifyingActivity(report.keep_by - US, extra, extra, extra)]
        return evaluate_tier(PROPERTY_LADDER, pol, activities + added, state, review).qualified_tier.rank

    assert qualified_at_review(report.to_keep) >= report.kept_tier.rank
    if report.to_keep > 0:
        assert now < report.keep_by <= review
        assert qualified_at_review(report.to_keep - 1) < report.kept_tier.rank
    return report


@PROPERTY_SETTINGS
@given(policies, positive_activity_lists, instants, instants)
def test_to_keep_is_exactly_what_keeps_the_tier_at_its_review(pol, activities, first, second):
    check_to_keep(pol, activities, first, second)


calendar_policies = st.builds(
    TierPolicy,
    metric=st.just(Metric.SPEND),
    period=st.just(Period.CALENDAR_YEAR),
    grace_days=st.sampled_from([0, 20, 45]),
    timezone=st.sampled_from(["UTC", "Pacific/Auckland"]),
)
late_in_a_year = st.tuples(st.integers(2025, 2027), st.integers(250, 364 + 45), st.integers(0, 23)).map(
    lambda parts: at(parts[0], 1, 1, parts[2]) + timedelta(days=parts[1])
)
calendar_activity_lists = st.lists(
    st.builds(QualifyingActivity.order, late_in_a_year | instants, st.integers(0, 120), st.just(0)),
    max_size=10,
)


@PROPERTY_SETTINGS
@given(calendar_policies, calendar_activity_lists, late_in_a_year, late_in_a_year)
def test_to_keep_around_new_year_and_in_the_grace_days(pol, activities, first, second):
    check_to_keep(pol, activities, first, second)


@PROPERTY_SETTINGS
@given(
    calendar_policies,
    calendar_activity_lists,
    st.sampled_from([SILVER, GOLD, PLATINUM]),
    st.integers(2026, 2027),
    st.floats(0, 1),
)
def test_to_keep_within_the_grace_days_after_new_year(pol, activities, tier_id, year, fraction):
    new_year = datetime(year, 1, 1, tzinfo=pol.zone).astimezone(UTC)
    now = new_year + pol.grace * fraction
    state = MemberTierState(tier_id, tier_id, retained_until=new_year)
    check_to_keep(pol, activities, now, now, state)


@PROPERTY_SETTINGS
@given(policies, activity_lists, states, instants)
def test_to_next_is_exactly_what_reaches_the_next_tier(pol, activities, state, now):
    report = progress(PROPERTY_LADDER, pol, activities, state, now)
    if report.next_tier is None:
        assert report.to_next is None
        return
    assert report.to_next > 0
    decided = evaluate_tier(PROPERTY_LADDER, pol, activities, state, now).state

    def tier_with(extra: int) -> int:
        added = QualifyingActivity(now, extra, extra, extra)
        return evaluate_tier(PROPERTY_LADDER, pol, [*activities, added], decided, now).tier.rank

    assert tier_with(report.to_next) >= report.next_tier.rank
    assert tier_with(report.to_next - 1) < report.next_tier.rank


# -- stored tiers that break the rules -------------------------------------------------------------
stored_rows = st.lists(
    st.tuples(
        st.text(max_size=8),  # name, possibly blank or a duplicate in another case
        st.integers(min_value=-3, max_value=6),  # rank
        st.integers(min_value=-100, max_value=1_000),  # threshold
        st.sampled_from(["1", "1.5", "abc", "NaN", "-2", ""]),  # earn multiplier as stored text
        st.lists(st.sampled_from(["free_shipping", "", "  ", "vip"]), max_size=3),
    ),
    min_size=1,
    max_size=8,
)


@given(stored_rows)
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_any_stored_tiers_read_as_a_valid_ladder(rows: list[tuple[str, int, int, str, list[str]]]) -> None:
    from loyaldesk.loyalty.rules.tiers import readable_ladder, stored_tier

    definitions = [
        stored_tier(
            id=index + 1,
            name=name,
            rank=rank,
            threshold=threshold,
            earn_multiplier=multiplier,
            perks=perks,
            entry_reward_points=-5,
        )
        for index, (name, rank, threshold, multiplier, perks) in enumerate(rows)
    ]
    ladder, problems = readable_ladder(definitions)  # a TierLadder: its own checks passed
    assert ladder.base.threshold == 0
    assert {tier.id for tier in ladder.tiers} <= {definition.id for definition in definitions}
    names = [tier.name.casefold() for tier in ladder.tiers]
    assert len(set(names)) == len(names)
    assert bool(problems) == (
        len(ladder.tiers) != len(definitions) or any(t not in definitions for t in ladder.tiers)
    )


def test_a_shared_name_reads_with_its_rank_and_a_non_rising_tier_is_left_out() -> None:
    from loyaldesk.loyalty.rules.tiers import readable_ladder

    ladder, problems = readable_ladder(
        [
            TierDefinition(1, "Gold", 0, 0),
            TierDefinition(2, "GOLD", 1, 500),
            TierDefinition(3, "Platinum", 2, 400),
        ]
    )
    assert [(tier.id, tier.name) for tier in ladder.tiers] == [(1, "Gold"), (2, "GOLD (rank 1)")]
    assert len(problems) == 2
