"""The support-and-loyalty impact page's figures: customers grouped by what happened to them in an exposure
period (their support experience, their membership and redemptions), and what they bought in the equally
long follow-up period after it. Pure: the caller reads the facts (``queries.support_experiences`` and
friends); ``impact`` does the statistics.

Who is counted: customers with at least one order before the end of the exposure period (people who can
come back). The follow-up period is cut at ``now`` when it has not ended yet; the page says so, and the
retention window is then the observed part (at most 90 days).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from loyaldesk.analytics import impact
from loyaldesk.analytics.columns import MICROSECONDS_PER_DAY, OrderColumns, microseconds
from loyaldesk.analytics.metrics import OrderFact, Window
from loyaldesk.analytics.vocab import LoyaltyGroup, SupportGroup

RETENTION_DAYS = 90

SUPPORT_TITLES: dict[str, str] = {group.value: group.label for group in SupportGroup}
LOYALTY_TITLES: dict[str, str] = {group.value: group.label for group in LoyaltyGroup}
# The comparisons the page draws: (label, group, against).
COMPARISONS: tuple[tuple[str, str, str], ...] = (
    ("Rated 4-5 vs rated 1-3", SupportGroup.CSAT_4_5.value, SupportGroup.CSAT_1_3.value),
    (
        "Answered within target vs breached",
        SupportGroup.RESPONSE_WITHIN_TARGET.value,
        SupportGroup.RESPONSE_BREACHED.value,
    ),
    ("Members vs not members", LoyaltyGroup.MEMBERS.value, LoyaltyGroup.NON_MEMBERS.value),
    ("Redeemers vs other members", LoyaltyGroup.REDEEMERS.value, LoyaltyGroup.NON_REDEEMERS.value),
)

CSV_HEADER = (
    "dimension",
    "group",
    "customers",
    "repeat_purchase_rate",
    "repeat_low",
    "repeat_high",
    "retention_rate",
    "retention_low",
    "retention_high",
    "mean_spend_minor",
    "spend_low",
    "spend_high",
    "too_few_to_conclude",
)


@dataclass(frozen=True)
class SupportExperience:
    """A customer's support in the exposure period: their lowest rating (``None``: none given) and whether
    every measured first response met its target (``None``: none measured)."""

    lowest_csat: int | None = None
    response_within_target: bool | None = None


@dataclass(frozen=True)
class Comparison:
    label: str
    group: str
    against: str
    repeat_purchase: impact.ProportionDifference | None


@dataclass(frozen=True)
class ImpactReport:
    exposure: Window
    follow_up: Window
    follow_up_complete: bool
    retention_days: int
    customers: int
    support: tuple[impact.GroupFigures, ...]
    loyalty: tuple[impact.GroupFigures, ...]
    comparisons: tuple[Comparison, ...]

    def csv_rows(self) -> list[tuple[object, ...]]:
        rows: list[tuple[object, ...]] = [CSV_HEADER]
        for dimension, groups in (("support", self.support), ("loyalty", self.loyalty)):
            rows.extend(
                (
                    dimension,
                    group.group,
                    group.n,
                    *_triple(
                        group.repeat_purchase.rate, group.repeat_purchase.low, group.repeat_purchase.high
                    ),
                    *_triple(group.retention.rate, group.retention.low, group.retention.high),
                    *_triple(group.spend_minor.mean, group.spend_minor.low, group.spend_minor.high),
                    group.too_few_to_conclude,
                )
                for group in groups
            )
        return rows


def build(
    orders: Sequence[OrderFact] | OrderColumns,
    exposure: Window,
    now: datetime,
    contacted: Collection[int],
    experiences: Mapping[int, SupportExperience],
    members: Collection[int],
    redeemers: Collection[int],
) -> ImpactReport:
    """Group the customers who bought before ``exposure.end`` and measure their follow-up.

    ``contacted``: customers with a conversation opened in the exposure period; ``experiences`` their
    ratings and response targets; ``members``: members enrolled before the period ended; ``redeemers``:
    members who redeemed points in it."""
    length = exposure.end - exposure.start
    follow_up = Window(exposure.end, min(exposure.end + length, max(now, exposure.end)))
    complete = exposure.end + length <= now
    retention_days = max(min(RETENTION_DAYS, (follow_up.end - follow_up.start).days), 0)
    columns = OrderColumns.of(orders)
    known = np.unique(columns.before(exposure.end).customer_id)
    later = columns.between(follow_up.start, follow_up.end)
    position = np.searchsorted(known, later.customer_id)
    position[position == known.shape[0]] = 0  # not a known customer (checked below)
    of_known = known[position] == later.customer_id if known.size else np.zeros(0, dtype=bool)
    position = position[of_known]
    bought = np.bincount(position, minlength=known.shape[0])
    spend = np.zeros(known.shape[0], dtype=np.int64)
    np.add.at(spend, position, later.net_amount_minor[of_known])
    first = np.full(known.shape[0], np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, position, later.placed_at_us[of_known])
    end_us = microseconds(exposure.end)
    days_to_next = (np.where(bought > 0, first, end_us) - end_us) // MICROSECONDS_PER_DAY
    outcomes = []
    for customer_id, orders_after, spent, days in zip(
        known.tolist(), bought.tolist(), spend.tolist(), days_to_next.tolist(), strict=True
    ):
        experience = experiences.get(customer_id, SupportExperience())
        was_contacted = customer_id in contacted
        outcomes.append(
            impact.CustomerOutcome(
                customer_id=customer_id,
                contacted=was_contacted,
                csat=experience.lowest_csat if was_contacted else None,
                response_within_target=experience.response_within_target if was_contacted else None,
                subsequent_orders=orders_after,
                subsequent_spend_minor=spent,
                days_to_next_order=days if orders_after else None,
                member=customer_id in members,
                redeemed=customer_id in members and customer_id in redeemers,
            )
        )
    support = impact.support_impact(outcomes, retention_days=retention_days)
    loyalty = impact.loyalty_impact(outcomes, retention_days=retention_days)
    by_name = {group.group: group for group in (*support, *loyalty)}
    comparisons = tuple(
        Comparison(
            label,
            group,
            against,
            impact.difference_in_proportions(
                by_name[group].repeat_purchase, by_name[against].repeat_purchase
            ),
        )
        for label, group, against in COMPARISONS
    )
    return ImpactReport(
        exposure, follow_up, complete, retention_days, len(outcomes), support, loyalty, comparisons
    )


def _triple(value: float | None, low: float | None, high: float | None) -> tuple[float | None, ...]:
    return tuple(None if number is None else round(number, 4) for number in (value, low, high))
