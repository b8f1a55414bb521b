"""What reconciling a store's orders needs to know once per batch: the program, its terms and rules,
the tiers, and the points an order earns under them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from loyaldesk import commerce
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.loyalty.actions.move_points import LedgerTerms
from loyaldesk.loyalty.models import (
    LoyaltyProgram,
    Member,
    Tier,
)
from loyaldesk.loyalty.program_cache import ProgramSnapshot, program_snapshot
from loyaldesk.loyalty.rules import earning
from loyaldesk.loyalty.rules.expiry import dead_on_arrival

STAGE_TIMES = {"paid": "paid_at", "fulfilled": "fulfilled_at", "delivered": "delivered_at"}


@dataclass
class EarningContext:
    """What earning needs about a store, loaded once per batch of orders."""

    store_id: int
    timezone: str
    program: LoyaltyProgram
    terms: LedgerTerms
    rates: list[earning.EarnRate]
    rules: list[earning.PurchaseRule]
    tiers: dict[int, Tier]
    names: dict[int, str] = field(default_factory=dict)  # tier names by id, for the explanations
    snapshot: ProgramSnapshot | None = None  # what the context was read from (for the tiers after it)
    touched_members: set[int] = field(default_factory=set)
    # True while crediting imported history on purpose: orders placed before the start date earn too.
    award_history: bool = False
    # Per customer (inactivity expiry only): everything earned up to this moment had lapsed by now.
    lapsed_until: dict[int, datetime] = field(default_factory=dict)
    credited_orders: int = 0
    credited_points: int = 0
    expired_orders: int = 0

    def earns(self, order: commerce.OrderFacts) -> bool:
        """Whether ``order`` earns under the program's start date (or history is being awarded)."""
        return self.award_history or order.placed_at >= self.program.starts_at

    def dead_on_arrival(self, order: commerce.OrderFacts, earned_at: datetime, now: datetime) -> bool:
        """Whether points earned on ``order`` at ``earned_at`` would have expired by ``now``."""
        return dead_on_arrival(
            self.terms.expiry_policy,
            self.terms.expiry_amount,
            earned_at,
            self.timezone,
            now,
            lapsed_until=self.lapsed_until.get(order.customer_id) if order.customer_id else None,
        )

    @property
    def membership_skus(self) -> frozenset[str]:
        return frozenset(tier.membership_sku for tier in self.tiers.values() if tier.membership_sku)

    def tier_names(self) -> dict[int, str]:
        return self.names


def earning_context(uow: UnitOfWork, store_id: int) -> EarningContext:
    """What earning needs of the store for one pass, from its program snapshot (``program_cache``)."""
    snapshot = program_snapshot(uow, store_id)
    return EarningContext(
        store_id=store_id,
        timezone=snapshot.timezone,
        program=snapshot.program,
        terms=snapshot.terms,
        rates=list(snapshot.rates),
        rules=list(snapshot.purchase_rules),
        tiers=snapshot.tiers,
        names=snapshot.tier_names(),
        snapshot=snapshot,
    )


def stage_time(order: commerce.OrderFacts, stage: str) -> datetime | None:
    return getattr(order, STAGE_TIMES[stage]) if stage in STAGE_TIMES else None


def order_points(
    context: EarningContext, order: commerce.OrderFacts, member: Member | None, segments: frozenset[str]
) -> earning.OrderPoints:
    """What ``order`` earns for ``member`` under the store's rules, with the reasons (also the dry run)."""
    tier = context.tiers.get(member.tier_id) if member and member.tier_id else None
    multiplier = Decimal(tier.earn_multiplier) if tier else Decimal(1)
    lines = tuple(
        earning.OrderLine(
            line_id=line.id,
            sku=line.sku,
            category=line.category,
            net_amount=line.total,
            quantity=line.quantity,
            title=line.title,
        )
        for line in order.lines
    )
    facts = earning.OrderForEarning(
        currency=order.currency,
        placed_at=order.placed_at,
        lines=lines,
        total=order.total,
        tier_id=tier.id if tier else None,
        segments=segments,
    )
    return earning.points_for_order(
        context.rates,
        context.rules,
        facts,
        tier_multiplier=multiplier,
        timezone=context.timezone,
        tier_names=context.tier_names(),
    )
