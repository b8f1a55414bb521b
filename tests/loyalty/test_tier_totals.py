"""The tiers' window totals summed in the database (``change_tiers.window_totals_for``) equal, to the
unit, what the pure rules sum from each member's whole history (``rules.window_totals`` over
``activities_for``): for every metric and period, at instants inside, at and around the windows'
edges, over histories with orders long ago and recent, partial and full refunds, a cancellation,
sign-up and tier-entry bonuses, and an order dated in the future."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from loyaldesk.loyalty.actions.change_tiers import activities_for, window_totals_for
from loyaldesk.loyalty.models import Member
from loyaldesk.loyalty.rules import tiers as rules
from tests.loyalty.shop import Shop


def _history(shop: Shop) -> datetime:
    shop.rule("Welcome", action="signup", points=100)
    shop.tier("Bronze", 0, 0)
    shop.tier("Silver", 1, 40_000, entry_reward_points=150)
    start = shop.clock.now()
    shop.order("a", [("TEE", "Apparel", 2, 10_000)], at=start - timedelta(days=400))
    shop.order("a", [("SOFA", "Furniture", 1, 30_000)], at=start - timedelta(days=200))
    refunded = shop.order("a", [("MUG", "Kitchen", 3, 4_000), ("TEE", "Apparel", 1, 10_000)])
    shop.refund(refunded, {1: 2}, external_id="a-r1")
    shop.order("b", [("LAMP", "Home", 1, 12_000)], at=start - timedelta(days=30))
    whole = shop.order("b", [("TEE", "Apparel", 1, 10_000)])
    shop.refund(whole, {1: 1}, external_id="b-all")
    cancelled = shop.order("b", [("DESK", "Furniture", 1, 60_000)])
    shop.move(cancelled["id"], "cancelled")
    shop.order("c", [("TEE", "Apparel", 1, 10_000)], at=start + timedelta(days=3))
    shop.order("c", [("CHAIR", "Furniture", 5, 9_000)], at=start - timedelta(days=365))
    return start


@pytest.mark.parametrize("metric", list(rules.Metric))
@pytest.mark.parametrize("period", list(rules.Period))
@pytest.mark.parametrize("zone", ["UTC", "Pacific/Auckland"])
def test_the_database_sums_what_the_rules_sum(
    shop: Shop, metric: rules.Metric, period: rules.Period, zone: str
) -> None:
    start = _history(shop)
    policy = rules.TierPolicy(metric=metric, period=period, timezone=zone)
    moments = [
        start,
        start + timedelta(days=3),
        start - timedelta(days=30),
        start + timedelta(days=165),
        start + timedelta(days=165, microseconds=1),
        datetime(start.year, 1, 1, tzinfo=UTC),
        datetime(start.year + 1, 1, 1, tzinfo=UTC) - timedelta(microseconds=1),
    ]
    with shop.db.read() as session:
        members = list(session.scalars(select(Member).order_by(Member.id)))
    assert len(members) == 3
    with shop.db.transaction() as uow:
        history = activities_for(uow, members)
        for now in moments:
            summed = window_totals_for(uow, members, policy, now)
            for member in members:
                expected = rules.window_totals(policy, history[member.id], now)
                assert summed.get(member.id, rules.WindowTotals(0, 0)) == expected, (member.id, now)
        assert any(rules.window_totals(policy, history[member.id], start).current for member in members)
