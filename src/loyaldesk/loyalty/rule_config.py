"""Earning rules as stored (``loyalty_rules.config``) and as the API takes them, and their pure form.

A rule's ``config`` is exactly a validated ``PurchaseRuleIn`` or ``ActionRuleIn`` dumped to JSON, so that
what the console shows, what the API returns and what the rules engine reads are one thing.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from loyaldesk.loyalty.models import EarningRule
from loyaldesk.loyalty.rules import earning

Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class _RuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tier_ids: list[Annotated[int, Field(ge=1, le=2**62)]] = Field(
        default_factory=list, max_length=20, description="Only these tiers; empty: all."
    )
    segments: list[Label] = Field(
        default_factory=list, max_length=20, description="Only customers with these tags."
    )
    starts_at: AwareDatetime | None = Field(default=None, description="Inclusive.")
    ends_at: AwareDatetime | None = Field(default=None, description="Exclusive.")

    @model_validator(mode="after")
    def _window(self) -> _RuleIn:
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class PurchaseRuleIn(_RuleIn):
    """An exclusion (lines that never earn), a multiplier, or a campaign (a multiplier for a while)."""

    kind: Literal["base_exclusion", "multiplier", "campaign"]
    multiplier: Decimal = Field(
        default=Decimal(1), ge=Decimal(0), le=Decimal(100), max_digits=8, decimal_places=4
    )
    excluded_categories: list[Label] = Field(default_factory=list, max_length=100)
    excluded_skus: list[Label] = Field(default_factory=list, max_length=500)
    only_categories: list[Label] = Field(default_factory=list, max_length=100)
    min_order_total: int = Field(default=0, ge=0, le=10**15, description="Minor units of `currency`.")
    currency: Annotated[str, StringConstraints(min_length=3, max_length=3)] | None = None
    days_of_week: list[Annotated[int, Field(ge=1, le=7)]] = Field(
        default_factory=list, max_length=7, description="ISO days (1 = Monday) in the store's time zone."
    )

    @model_validator(mode="after")
    def _kind(self) -> PurchaseRuleIn:
        if self.kind == "base_exclusion" and not (
            self.excluded_categories or self.excluded_skus or self.min_order_total
        ):
            raise ValueError("an exclusion names categories or SKUs (or a minimum order) to exclude")
        if self.kind != "base_exclusion" and self.multiplier == 1:
            raise ValueError("a multiplier or campaign needs a multiplier other than 1")
        if self.min_order_total and not self.currency:
            raise ValueError("a minimum order total needs its currency")
        return self


class ActionRuleIn(_RuleIn):
    """Fixed points for something a customer does (signing up, a review, a birthday...)."""

    action: Literal[
        "signup", "birthday", "review", "referral", "survey", "newsletter", "social_follow", "custom"
    ]
    custom_event: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)] | None
    ) = None
    points: int = Field(ge=1, le=1_000_000)
    max_times_per_customer: int | None = Field(default=None, ge=1, le=100_000)
    frequency_days: int | None = Field(
        default=None, ge=1, le=3660, description="At most once per this many days."
    )
    period_cap_count: int | None = Field(default=None, ge=1, le=100_000)
    period_cap_period: Literal["day", "week", "month", "year"] | None = None

    @model_validator(mode="after")
    def _custom(self) -> ActionRuleIn:
        if (self.action == "custom") != bool(self.custom_event):
            raise ValueError("custom_event names the event of a custom action, and only of one")
        if (self.period_cap_count is None) != (self.period_cap_period is None):
            raise ValueError("give both period_cap_count and period_cap_period, or neither")
        return self


def purchase_rule(row: EarningRule) -> earning.PurchaseRule:
    config = PurchaseRuleIn.model_validate(row.config)
    return earning.PurchaseRule(
        id=row.id,
        name=row.name,
        kind=earning.RuleKind(config.kind),
        multiplier=config.multiplier,
        excluded_categories=frozenset(config.excluded_categories),
        excluded_skus=frozenset(config.excluded_skus),
        only_categories=frozenset(config.only_categories),
        min_order_total=config.min_order_total,
        currency=config.currency,
        tier_ids=frozenset(config.tier_ids),
        segments=frozenset(config.segments),
        starts_at=config.starts_at,
        ends_at=config.ends_at,
        days_of_week=frozenset(earning.Weekday(day) for day in config.days_of_week),
        active=row.active,
    )


def action_rule(row: EarningRule) -> earning.ActionRule:
    config = ActionRuleIn.model_validate(row.config)
    cap = None
    if config.period_cap_count is not None and config.period_cap_period is not None:
        cap = earning.PeriodCap(config.period_cap_count, earning.Period(config.period_cap_period))
    return earning.ActionRule(
        id=row.id,
        name=row.name,
        action=earning.Action(config.action),
        points=config.points,
        custom_event=config.custom_event,
        max_times_per_customer=config.max_times_per_customer,
        frequency=timedelta(days=config.frequency_days) if config.frequency_days else None,
        period_cap=cap,
        starts_at=config.starts_at,
        ends_at=config.ends_at,
        tier_ids=frozenset(config.tier_ids),
        segments=frozenset(config.segments),
        active=row.active,
    )
