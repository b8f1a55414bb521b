"""API models of the loyalty program: settings, tiers, rewards, members, points history, events."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    create_model,
    field_validator,
    model_validator,
)

from loyaldesk.loyalty.models import EarningRule, Reward, Tier
from loyaldesk.loyalty.rule_config import ActionRuleIn, PurchaseRuleIn
from loyaldesk.loyalty.vocab import (
    AdjustmentReason,
    ExpiryPolicy,
    NegativeBalancePolicy,
    OrderStage,
    Perk,
    ReferralFriendOn,
    RewardKind,
    Rounding,
    RuleFamily,
    SupportPriority,
    TierMetric,
    TierPeriod,
    UnlockStage,
)

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
# A tier's name is shown beside the member's points and must fit its column (60 characters).
TierName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
# A tier id as the key of ``tier_costs`` (JSON keys are strings): ASCII digits only, so that a
# superscript or another script's digit is refused here rather than by int() deep inside.
TierIdKey = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,18}$")]
ReferralLink = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=500, pattern=r"^https?://[^\s]+\{code\}[^\s]*$"),
]


def _within_reach(moment: datetime) -> datetime:
    if not 1970 <= moment.year <= 2100:
        raise ValueError("must be between 1970 and 2100")
    return moment.astimezone(UTC)


# When the program starts: orders placed before it earn nothing (see docs/api.md, "Program start").
ProgramStart = Annotated[AwareDatetime, AfterValidator(_within_reach)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def all_optional(model: type[BaseModel], name: str) -> type[BaseModel]:
    """A model with every field of ``model``, each optional (default None: not sent) and checked by the
    same constraints when sent: a patch that cannot drift from the full model."""
    fields: dict[str, Any] = {}
    for field_name, info in model.model_fields.items():
        annotation: Any = info.annotation
        if info.metadata:
            annotation = Annotated.__class_getitem__((annotation, *info.metadata))  # type: ignore[attr-defined]
        fields[field_name] = (annotation | None, Field(default=None, description=info.description))
    return create_model(name, __base__=_Strict, **fields)


class EarnRateIn(_Strict):
    currency: Annotated[str, StringConstraints(min_length=3, max_length=3)]
    points: int = Field(ge=1, le=1_000_000)
    per_amount: int = Field(ge=1, le=10**12, description="Minor units of the currency that earn `points`.")
    rounding: Rounding = Rounding.DOWN


class ProgramSettings(_Strict):
    """The program's settings. On update, only the fields sent change."""

    enabled: bool = True
    auto_enroll: bool = Field(
        default=True, description="Every customer becomes a member on their first order."
    )
    starts_at: ProgramStart = Field(
        description="When the program starts: orders placed before it earn nothing and customers first "
        "seen before it are not enrolled on their own (a new program starts when its store was created). "
        "Importing history with `--award-points` credits older orders deliberately."
    )
    earn_rates: list[EarnRateIn] = Field(min_length=1, max_length=20)
    earn_on_status: OrderStage = OrderStage.PAID
    unlock_after_status: UnlockStage = UnlockStage.DELIVERED
    pending_days: int = Field(
        default=14, ge=0, le=365, description="The return window after the unlock stage."
    )
    expiry_policy: ExpiryPolicy = ExpiryPolicy.DAYS_AFTER_EARNING
    expiry_amount: int = Field(
        default=365,
        ge=0,
        le=3650,
        description="Days, years after the year earned, or months without activity.",
    )
    negative_balance_policy: NegativeBalancePolicy = NegativeBalancePolicy.FLOOR_AT_ZERO
    point_value_minor: int = Field(default=1, ge=0, le=10**6, description="What a point costs the store.")
    expected_breakage_percent: int = Field(default=20, ge=0, le=100)
    tier_metric: TierMetric = TierMetric.SPEND
    tier_period: TierPeriod = TierPeriod.ROLLING_12_MONTHS
    tier_grace_days: int = Field(default=30, ge=0, le=365)
    referral_friend_points: int = Field(default=200, ge=0, le=1_000_000)
    referral_friend_on: ReferralFriendOn = ReferralFriendOn.FIRST_ORDER
    referral_referrer_points: int = Field(default=500, ge=0, le=1_000_000)
    referral_max_per_period: int = Field(default=10, ge=1, le=10_000)
    referral_period_days: int = Field(default=30, ge=1, le=3650)
    referral_new_customer_days: int = Field(
        default=30,
        ge=1,
        le=3650,
        description="Only customers who first appeared at most this many days before can be referred.",
    )
    surprise_one_in: int = Field(default=0, ge=0, le=1_000_000, description="0: no surprises.")
    surprise_min_order_total: int = Field(default=0, ge=0, le=10**15)
    surprise_points: int = Field(default=0, ge=0, le=1_000_000)
    winback_after_days: int = Field(
        default=90, ge=7, le=3650, description="Idle days after which a `winback` custom rule awards points."
    )
    member_page_title: Name = "Rewards"
    member_page_accent: Annotated[str, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$")] = "#1f5fbf"
    referral_link_template: ReferralLink | None = Field(
        default=None,
        description="The store page a referral link opens, with {code} where the member's code goes, "
        "e.g. https://shop.example.com/?ref={code}. Unset: loyaldesk's own invitation page.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> ProgramSettings:
        currencies = [rate.currency.upper() for rate in self.earn_rates]
        if len(set(currencies)) != len(currencies):
            raise ValueError("earn_rates: one rate per currency")
        if self.expiry_policy in ("days_after_earning", "inactivity") and self.expiry_amount < 1:
            raise ValueError("expiry_amount must be at least 1 for this expiry policy")
        return self


def setting_range(name: str) -> tuple[int | None, int | None]:
    """The smallest and largest value ``ProgramSettings`` accepts for the setting ``name`` (None: no
    bound), for forms to offer exactly what the API accepts."""
    low = high = None
    for constraint in ProgramSettings.model_fields[name].metadata:
        low = getattr(constraint, "ge", low)
        high = getattr(constraint, "le", high)
    return low, high


class ProgramSettingsPatch(all_optional(ProgramSettings, "ProgramSettingsFields")):  # type: ignore[misc]
    """Any subset of the settings, each checked as in ``ProgramSettings`` (derived from it: no copy)."""


class RuleIn(_Strict):
    name: Name
    active: bool = True
    purchase: PurchaseRuleIn | None = None
    action: ActionRuleIn | None = None

    @model_validator(mode="after")
    def _one(self) -> RuleIn:
        if (self.purchase is None) == (self.action is None):
            raise ValueError("give either `purchase` or `action`")
        return self


class RuleOut(BaseModel):
    id: int
    name: str
    kind: RuleFamily
    active: bool
    config: dict[str, Any]

    @classmethod
    def of(cls, rule: EarningRule) -> RuleOut:
        return cls(id=rule.id, name=rule.name, kind=rule.kind, active=rule.active, config=rule.config)  # type: ignore[arg-type]


class TierIn(_Strict):
    name: TierName = Field(description="Unique in the program, whatever the case (Gold and GOLD clash).")
    rank: int = Field(ge=0, le=100, description="0 is the base tier everyone starts in.")
    threshold: int = Field(
        ge=0, le=10**15, description="In the program's tier metric (minor units for spend)."
    )
    earn_multiplier: Decimal = Field(
        default=Decimal(1), ge=Decimal(1), le=Decimal(10), max_digits=6, decimal_places=3
    )
    perks: list[Perk] = Field(default_factory=list, max_length=4)
    entry_reward_points: int = Field(default=0, ge=0, le=1_000_000)
    membership_sku: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)] | None
    ) = Field(default=None, description="A product that buys this tier for `membership_days`.")
    membership_days: int = Field(default=365, ge=1, le=3660)
    support_priority: SupportPriority = SupportPriority.NORMAL

    @field_validator("perks")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))


class TierOut(BaseModel):
    id: int
    name: str
    rank: int
    threshold: int
    earn_multiplier: str
    perks: list[str]
    entry_reward_points: int
    membership_sku: str | None
    membership_days: int
    support_priority: str

    @classmethod
    def of(cls, tier: Tier) -> TierOut:
        return cls(
            id=tier.id,
            name=tier.name,
            rank=tier.rank,
            threshold=tier.threshold,
            earn_multiplier=str(tier.earn_multiplier),
            perks=list(tier.perks or []),
            entry_reward_points=tier.entry_reward_points,
            membership_sku=tier.membership_sku,
            membership_days=tier.membership_days,
            support_priority=tier.support_priority,
        )


class RewardIn(_Strict):
    name: Name
    description: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""
    kind: RewardKind
    value: int = Field(
        default=0, ge=0, le=10**12, description="Minor units; a percent for percentage discounts."
    )
    product_sku: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)] | None
    ) = None
    points_cost: int = Field(ge=1, le=10_000_000)
    tier_costs: dict[TierIdKey, Annotated[int, Field(ge=1, le=10_000_000)]] = Field(
        default_factory=dict, description="Tier id -> points, for tiers that pay a different price."
    )
    available_from: AwareDatetime | None = None
    available_until: AwareDatetime | None = None
    stock: int | None = Field(default=None, ge=0, le=10**9)
    min_tier_rank: int | None = Field(default=None, ge=0, le=100, description="Members-only offers.")
    segments: list[Name] = Field(default_factory=list, max_length=20)
    early_access_days: int = Field(default=0, ge=0, le=365)
    code_valid_days: int = Field(default=90, ge=0, le=3650, description="0: the code never expires.")
    active: bool = True

    @model_validator(mode="after")
    def _consistent(self) -> RewardIn:
        if self.kind == "percentage_discount" and not 1 <= self.value <= 100:
            raise ValueError("a percentage discount's value is 1-100")
        if self.kind in ("fixed_discount", "store_credit") and self.value < 1:
            raise ValueError("value must be the amount in minor units")
        if self.kind == "free_product" and not self.product_sku:
            raise ValueError("a free product names its product_sku")
        if self.available_from and self.available_until and self.available_until <= self.available_from:
            raise ValueError("available_until must be after available_from")
        return self


class RewardOut(BaseModel):
    id: int
    name: str
    description: str
    kind: str
    value: int
    product_sku: str | None
    points_cost: int
    tier_costs: dict[str, int]
    available_from: datetime | None
    available_until: datetime | None
    stock: int | None
    issued_count: int
    min_tier_rank: int | None
    segments: list[str]
    early_access_days: int
    code_valid_days: int
    active: bool

    @classmethod
    def of(cls, reward: Reward) -> RewardOut:
        return cls.model_validate(reward, from_attributes=True)


class AdjustmentIn(_Strict):
    points: int = Field(ge=-10_000_000, le=10_000_000, description="Positive to add, negative to remove.")
    reason_code: AdjustmentReason
    note: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]

    @field_validator("points")
    @classmethod
    def _not_zero(cls, value: int) -> int:
        if value == 0:
            raise ValueError("must not be 0")
        return value


class RedemptionIn(_Strict):
    reward_id: int = Field(ge=1, le=2**62)


class ActionEventIn(_Strict):
    """Something a customer did that may earn points (a review, a newsletter sign-up, a custom event)."""

    customer_id: int | None = Field(default=None, ge=1, le=2**62)
    customer_external_id: Annotated[str, StringConstraints(min_length=1, max_length=255)] | None = None
    action: Literal[
        "signup", "birthday", "review", "referral", "survey", "newsletter", "social_follow", "custom"
    ]
    event_name: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)] | None
    ) = None
    external_id: Annotated[str, StringConstraints(min_length=1, max_length=150)] = Field(
        description="Your id for this event: sending it again awards nothing twice."
    )

    @model_validator(mode="after")
    def _customer(self) -> ActionEventIn:
        if (self.customer_id is None) == (self.customer_external_id is None):
            raise ValueError("give customer_id or customer_external_id")
        return self


class ReferralIn(_Strict):
    code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=4, max_length=16)]
    customer_id: int | None = Field(default=None, ge=1, le=2**62)
    customer_external_id: Annotated[str, StringConstraints(min_length=1, max_length=255)] | None = None

    @model_validator(mode="after")
    def _customer(self) -> ReferralIn:
        if (self.customer_id is None) == (self.customer_external_id is None):
            raise ValueError("give customer_id or customer_external_id")
        return self
