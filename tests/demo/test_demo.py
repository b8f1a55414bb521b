"""The demo store: deterministic for a seed, realistic in shape, seeded through the real actions, dated
no later than the seeding moment, with a desk whose agents are within their capacity."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import DateTime, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from loyaldesk.bookings.models import Seat
from loyaldesk.cli import app
from loyaldesk.commerce.models import Order, Product, Refund
from loyaldesk.community.models import Post, Thread
from loyaldesk.customers.models import Customer
from loyaldesk.demo.catalogue import MEMBERSHIP
from loyaldesk.demo.generator import generate
from loyaldesk.demo.seed import (
    DEMO_PASSWORD,
    DEMO_STAFF,
    DemoSummary,
    demo_exists,
    history_end,
    latest_until,
    seed_demo,
)
from loyaldesk.kernel.db import Database
from loyaldesk.kernel.errors import Invalid
from loyaldesk.kernel.orm import Base, UTCDateTime
from loyaldesk.loyalty.models import (
    EarningRule,
    LedgerEntry,
    LoyaltyProgram,
    Member,
    MemberBadge,
    Referral,
    Reward,
    RewardCode,
    Tier,
)
from loyaldesk.loyalty.queries.check_ledger import check_ledger
from loyaldesk.recommendations import CustomerPick, RecommendationFit
from loyaldesk.settings import get_settings
from loyaldesk.stores.models import Store
from loyaldesk.stores.queries import verify_staff_credentials
from loyaldesk.support.models import Agent, Conversation, SupportSettings

UNTIL = date(2026, 11, 20)


def _fingerprint(seed: int) -> str:
    history = generate(seed=seed, customers=400, until=UNTIL)
    data = [order.payload | {"refunds": order.refunds} for order in history.orders]
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def test_same_seed_same_history_other_seed_other_history() -> None:
    assert _fingerprint(7) == _fingerprint(7)
    assert _fingerprint(7) != _fingerprint(8)


def test_history_looks_like_a_real_store() -> None:
    history = generate(seed=42, customers=2000, until=UNTIL)
    orders = [order.payload for order in history.orders]
    per_customer = Counter(order["customer"]["external_id"] for order in orders)
    one_off = sum(1 for count in per_customer.values() if count == 1)
    repeat = sum(1 for count in per_customer.values() if count >= 3)
    assert one_off > 0.3 * len(per_customer) and repeat > 0.1 * len(per_customer)
    placed = [datetime.fromisoformat(order["placed_at"]) for order in orders]
    assert min(placed).date() >= date(2024, 11, 20) and max(placed).date() <= UNTIL
    by_month = Counter(moment.month for moment in placed)
    assert by_month[12] > 1.3 * by_month[2]  # the December peak
    second_year = sum(1 for moment in placed if moment.date() > date(2025, 11, 20))
    assert second_year > len(placed) - second_year  # the store grows
    refunded = sum(1 for order in history.orders if order.refunds)
    cancelled = sum(1 for order in orders if order["status"] == "cancelled")
    assert 0.02 * len(orders) < refunded < 0.15 * len(orders)
    assert 0 < cancelled < 0.05 * len(orders)
    assert any(order["discount_codes"] for order in orders)


def test_the_same_seed_gives_the_same_customers_and_orders_whatever_the_day() -> None:
    counts = set()
    for until in (UNTIL, date(2027, 3, 1), date(2027, 6, 15)):
        history = generate(seed=5, customers=300, until=until)
        placed = [datetime.fromisoformat(order.payload["placed_at"]) for order in history.orders]
        assert max(placed) < history_end(until) and min(placed) >= history_end(until) - timedelta(days=731)
        counts.add((len(history.customers), len(history.orders)))
    assert len(counts) == 1


def test_no_order_is_dated_after_the_end_of_its_history() -> None:
    for seed in range(4):
        history = generate(seed=seed, customers=300, until=UNTIL)
        end = history_end(UNTIL)
        for order in history.orders:
            stamps = [value for key, value in order.payload.items() if key.endswith("_at")]
            stamps += [refund["occurred_at"] for refund in order.refunds]
            assert all(datetime.fromisoformat(stamp) <= end for stamp in stamps), order.payload


def test_the_default_day_is_the_last_whose_history_has_happened() -> None:
    assert latest_until(datetime(2026, 12, 6, 22, 59, tzinfo=UTC)) == date(2026, 12, 5)
    assert latest_until(datetime(2026, 12, 6, 23, 0, tzinfo=UTC)) == date(2026, 12, 6)
    assert latest_until(datetime(2026, 12, 7, 0, 30, tzinfo=timezone(timedelta(hours=2)))) == date(
        2026, 12, 5
    )


def test_a_history_ending_in_the_future_is_refused_and_nothing_is_written(db: Database) -> None:
    with pytest.raises(Invalid) as refused:
        seed_demo(db, customers=20, until=UNTIL, now=history_end(UNTIL) - timedelta(minutes=1))
    assert [problem.field for problem in refused.value.problems] == ["until"]
    assert "2026-11-19" in refused.value.problems[0].reason
    assert not demo_exists(db)


def test_the_demo_command_refuses_a_day_still_to_come(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOYALDESK_DATABASE_URL", database_url)
    monkeypatch.setenv("LOYALDESK_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
        result = CliRunner().invoke(app, ["demo", "--customers", "5", "--until", tomorrow])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1
    assert "--until: must be" in result.output and "or earlier" in result.output
    database = Database(database_url)
    try:
        assert not demo_exists(database)
    finally:
        database.dispose()


# Timestamp columns that may lie after the seeding moment because they name something still to come.
DUE_DATES = {
    "loyalty_rewards.available_from": "a reward that opens for booking later",
    "loyalty_rewards.available_until": "a reward on offer until a later day",
    "loyalty_members.tier_retained_until": "a tier kept until its review",
    "loyalty_members.tier_review_at": "a tier's next review",
    "loyalty_members.membership_until": "a paid membership's end",
    "loyalty_lots.pending_until": "pending points unlocking later",
    "loyalty_lots.expires_at": "points expiring later",
    "loyalty_reward_codes.expires_at": "a code valid until a later day",
    "support_conversations.sla_due_at": "the next SLA deadline",
    "support_conversations.sla_next_check_at": "when the SLA timer looks again",
    "support_conversations.snoozed_until": "a conversation put aside until later",
    "feedback_invitations.expires_at": "a survey invitation that takes answers until a later day",
    "bookings_occurrences.starts_at": "an expert session booked for a later day",
    "bookings_occurrences.ends_at": "an expert session booked for a later day",
    "bookings_occurrences.blocked_from": "an expert session booked for a later day (with its buffer)",
    "bookings_occurrences.blocked_until": "an expert session booked for a later day (with its buffer)",
    "journey_sends.due_at": "a session's reminder, sent a day and an hour before it",
    "journey_sends.expires_at": "a message that may be sent until a later day",
    "community_threads.starts_at": "an upcoming community event",
    "community_threads.ends_at": "an upcoming community event",
}


def future_timestamps(session: Session, now: datetime) -> dict[str, int]:
    """``table.column`` -> how many values lie after ``now``, for every timestamp column not in
    :data:`DUE_DATES`."""
    found = {}
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if not isinstance(column.type, UTCDateTime | DateTime):
                continue
            name = f"{table.name}.{column.name}"
            if name in DUE_DATES:
                continue
            later = session.scalar(select(func.count()).select_from(table).where(column > now))
            if later:
                found[name] = int(later)
    return found


def assert_agents_within_capacity(session: Session, store_id: int) -> None:
    default = session.scalar(
        select(SupportSettings.default_capacity).where(SupportSettings.store_id == store_id)
    )
    own = dict(
        session.execute(
            select(Agent.staff_account_id, Agent.capacity).where(Agent.store_id == store_id)
        ).all()
    )
    loads = session.execute(
        select(Conversation.assignee_id, func.count())
        .where(
            Conversation.store_id == store_id,
            Conversation.status == "open",
            Conversation.assignee_id.is_not(None),
        )
        .group_by(Conversation.assignee_id)
    ).all()
    for staff_id, load in loads:
        capacity = own.get(staff_id) if own.get(staff_id) is not None else (default or 5)
        assert load <= capacity, f"staff {staff_id} holds {load} open conversations, capacity {capacity}"


def test_seeding_creates_logins_customers_orders_and_a_living_program(db: Database) -> None:
    assert not demo_exists(db)
    summary = seed_demo(db, seed=3, customers=150, until=UNTIL, now=history_end(UNTIL))
    assert demo_exists(db)
    with db.read() as session:
        store_id = session.scalar(select(Store.id).where(Store.slug == "demo"))
        assert session.scalar(select(func.count()).select_from(Customer)) == 150 + 2  # two fraudsters
        assert session.scalar(select(func.count()).select_from(Order)) == summary.orders
        assert session.scalar(select(func.count()).select_from(Refund)) == summary.refunds
        for email, _name, _role in DEMO_STAFF:
            assert verify_staff_credentials(session, email, DEMO_PASSWORD) is not None
        oldest = session.scalar(select(func.min(Customer.created_at)))
        _assert_living_program(session, store_id, summary)
        # Nothing happened after the seeding moment, and the desk is not over its capacity.
        assert future_timestamps(session, history_end(UNTIL)) == {}
        assert_agents_within_capacity(session, store_id)
        statuses = set(session.scalars(select(Conversation.status).where(Conversation.store_id == store_id)))
        assert {"open", "resolved"} <= statuses
        # Fitted once seeded: the customers who ordered have picks when `make run` opens.
        fit = session.scalar(select(RecommendationFit).where(RecommendationFit.store_id == store_id))
        assert fit is not None and fit.status == "succeeded" and fit.customers_count > 100
        picked = select(func.count(func.distinct(CustomerPick.customer_id))).where(
            CustomerPick.store_id == store_id
        )
        assert session.scalar(picked) == fit.customers_count
        # Expert sessions and the community have something to show: a session held, two booked, a
        # question answered by a verified buyer and accepted, a discussion, an upcoming event.
        seats = Counter(session.scalars(select(Seat.status).where(Seat.store_id == store_id)))
        assert seats == {"completed": 1, "confirmed": 2}
        threads = session.execute(
            select(Thread.accepted_post_id, Thread.starts_at).where(Thread.store_id == store_id)
        ).all()
        assert len(threads) == 3 and sum(1 for row in threads if row.accepted_post_id) == 1
        assert session.scalar(select(func.count()).select_from(Post).where(Post.verified_buyer)) == 1
    assert oldest is not None and oldest.date() < date(2025, 6, 1)  # customers since their first order
    assert summary.api_key and summary.api_key.startswith("ld_")


def _assert_living_program(session: Session, store_id: int, summary: DemoSummary) -> None:
    program = session.scalar(select(LoyaltyProgram).where(LoyaltyProgram.store_id == store_id))
    assert program is not None
    assert program.earn_rates == [{"currency": "EUR", "points": 1, "per_amount": 100, "rounding": "down"}]
    assert (program.unlock_after_status, program.pending_days) == ("delivered", 14)
    assert (program.expiry_policy, program.expiry_amount) == ("days_after_earning", 365)
    assert program.negative_balance_policy == "floor_at_zero"
    assert (program.point_value_minor, program.expected_breakage_percent) == (1, 20)

    tiers = {
        tier.name: tier
        for tier in session.scalars(select(Tier).where(Tier.store_id == store_id).order_by(Tier.rank))
    }
    assert list(tiers) == ["Bronze", "Silver", "Gold", "Juniper Club"]
    assert set(tiers["Gold"].perks) == {"free_shipping", "priority_support", "early_access"}
    assert tiers["Gold"].entry_reward_points > 0 and tiers["Juniper Club"].membership_sku == MEMBERSHIP.sku
    assert session.scalar(select(Product.id).where(Product.sku == MEMBERSHIP.sku)) is not None

    rules = list(session.scalars(select(EarningRule).where(EarningRule.store_id == store_id)))
    purchase = [rule.config for rule in rules if rule.kind == "purchase"]
    assert any("Gift cards" in config["excluded_categories"] for config in purchase)
    assert any(config["kind"] == "campaign" and config["ends_at"] for config in purchase)
    actions = {rule.config["action"] for rule in rules if rule.kind == "action"}
    assert {"signup", "birthday", "review", "newsletter", "social_follow", "survey"} <= actions

    rewards = {
        reward.kind: reward for reward in session.scalars(select(Reward).where(Reward.store_id == store_id))
    }
    assert set(rewards) == {
        "fixed_discount", "percentage_discount", "free_shipping", "free_product", "store_credit", "custom"
    }  # fmt: skip
    expert = rewards["custom"]
    assert expert.stock and expert.early_access_days > 0 and "early_access" in tiers["Gold"].perks

    # Every buyer is a member, with points earned, unlocked, spent and expired; tiers and badges moved.
    buyers = select(Order.customer_id).where(Order.store_id == store_id)
    members = session.scalars(select(Member).where(Member.store_id == store_id)).all()
    assert {member.customer_id for member in members} >= set(session.scalars(buyers))
    assert len(members) == summary.loyalty.members
    assert sum(1 for member in members if member.available_points > 0) > len(members) // 3
    assert sum(member.pending_points for member in members) > 0
    assert summary.loyalty.points_expired > 0 and summary.loyalty.points_redeemed > 0
    assert {tier.id for tier in tiers.values() if tier.rank > 0} & {member.tier_id for member in members}
    assert session.scalar(select(func.count()).select_from(MemberBadge)) > 0
    kinds = set(session.scalars(select(LedgerEntry.kind).where(LedgerEntry.store_id == store_id)))
    assert {"earn", "unlock", "redeem", "expire", "reverse", "adjust"} <= kinds

    codes = session.scalars(select(RewardCode).where(RewardCode.store_id == store_id)).all()
    assert len(codes) == summary.loyalty.redemptions > 0
    assert all(code.code.startswith("LD-") for code in codes)
    used = [code for code in codes if code.status == "used"]
    assert used and all(code.used_order_id is not None for code in used)

    referrals = session.scalars(select(Referral).where(Referral.store_id == store_id)).all()
    rejected = [referral for referral in referrals if referral.status == "rejected"]
    assert any("email looks like" in reason for referral in rejected for reason in referral.reasons)
    assert any("phone" in reason for referral in rejected for reason in referral.reasons)
    assert any(referral.status in ("qualified", "rewarded") for referral in referrals)
    assert any(referral.status == "pending" for referral in referrals)  # signed up, not bought yet

    adjustments = session.scalars(
        select(LedgerEntry).where(LedgerEntry.store_id == store_id, LedgerEntry.kind == "adjust")
    ).all()
    assert adjustments and all(entry.reason_code for entry in adjustments)
    # Goodwill given by staff, and the community's points for an accepted answer (to both its author
    # and the asker), credited by the community, not by a person.
    community = [entry for entry in adjustments if entry.idempotency_key.startswith("goodwill:community:")]
    assert len(community) == 2
    assert all(
        entry.actor_label.endswith("@juniper.example.com") for entry in adjustments if entry not in community
    )

    assert check_ledger(session, store_id) == []
