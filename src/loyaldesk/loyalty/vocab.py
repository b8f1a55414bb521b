"""Every word list of the loyalty program, spelled once: one ``StrEnum`` per vocabulary, its labels beside it.

API schemas, the console's choices and the stored columns use these enums (or their values); nothing else
spells them. Enums the pure rules reason with live in ``rules/`` and are named here, so that this module is
the one list (``test_vocabulary`` proves that no copy drifts from it). ``LABELS`` gives each value the words
a store manager reads in the console; ``choices`` lists them in the enum's order.
"""

from __future__ import annotations

from enum import StrEnum

from loyaldesk.loyalty.rules.earning import Action, Period, Rounding, RuleKind
from loyaldesk.loyalty.rules.expiry import ExpiryPolicy
from loyaldesk.loyalty.rules.ledger import Account, NegativeBalancePolicy
from loyaldesk.loyalty.rules.tiers import Metric as TierMetric
from loyaldesk.loyalty.rules.tiers import Period as TierPeriod
from loyaldesk.loyalty.rules.tiers import Perk, TierHold


class OrderStage(StrEnum):
    """The stage of an order at which its points are earned (``earn_on_status``)."""

    PAID = "paid"
    FULFILLED = "fulfilled"
    DELIVERED = "delivered"


class UnlockStage(StrEnum):
    """The stage from which an order's return window is counted (``unlock_after_status``)."""

    FULFILLED = "fulfilled"
    DELIVERED = "delivered"


class ReferralFriendOn(StrEnum):
    """When a referred friend gets their points."""

    SIGNUP = "signup"
    FIRST_ORDER = "first_order"


class EntryKind(StrEnum):
    """What a ledger entry did."""

    EARN = "earn"
    ADJUST = "adjust"
    REDEEM = "redeem"
    UNLOCK = "unlock"
    EXPIRE = "expire"
    RETURN = "return"
    REVERSE = "reverse"
    CANCEL = "cancel"


class LotStatus(StrEnum):
    """Where a lot of points stands."""

    PENDING = "pending"
    AVAILABLE = "available"
    SPENT = "spent"
    EXPIRED = "expired"
    REVERSED = "reversed"


class RuleFamily(StrEnum):
    """Whether an earning rule is about purchases or actions (``EarningRule.kind``)."""

    PURCHASE = "purchase"
    ACTION = "action"


class RewardKind(StrEnum):
    """What a reward of the catalogue gives."""

    FIXED_DISCOUNT = "fixed_discount"
    PERCENTAGE_DISCOUNT = "percentage_discount"
    FREE_SHIPPING = "free_shipping"
    FREE_PRODUCT = "free_product"
    STORE_CREDIT = "store_credit"
    CUSTOM = "custom"


class CodeStatus(StrEnum):
    """Where a reward code (a redemption) stands."""

    ISSUED = "issued"
    USED = "used"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class ReferralStatus(StrEnum):
    PENDING = "pending"
    QUALIFIED = "qualified"
    REWARDED = "rewarded"
    REJECTED = "rejected"


class AdjustmentReason(StrEnum):
    """Why staff changed a balance by hand (goodwill and service recovery count as earned)."""

    GOODWILL = "goodwill"
    CORRECTION = "correction"
    SERVICE_RECOVERY = "service_recovery"
    MIGRATION = "migration"
    FRAUD = "fraud"
    OTHER = "other"


class SupportPriority(StrEnum):
    """The support priority a tier gives its members' conversations: support's own priorities (loyalty
    does not import support; ``test_vocabulary`` proves the two lists equal)."""

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


LABELS: dict[type[StrEnum], dict[str, str]] = {
    OrderStage: {"paid": "paid", "fulfilled": "shipped", "delivered": "delivered"},
    UnlockStage: {"fulfilled": "shipped", "delivered": "delivered"},
    ExpiryPolicy: {
        "never": "never",
        "days_after_earning": "some days after they are earned",
        "end_of_period": "at the end of a later year",
        "inactivity": "after months without any activity",
    },
    NegativeBalancePolicy: {"floor_at_zero": "stop at zero", "allow_negative": "go below zero"},
    TierMetric: {"spend": "amount spent", "points": "points earned", "orders": "number of orders"},
    TierPeriod: {
        "rolling_12_months": "the last 12 months",
        "calendar_year": "the calendar year",
        "lifetime": "their whole membership",
    },
    ReferralFriendOn: {"signup": "when they sign up", "first_order": "with their first order"},
    Rounding: {"down": "round down", "nearest": "round to nearest", "up": "round up"},
    SupportPriority: {"low": "Low", "normal": "Normal", "high": "High", "urgent": "Urgent"},
}


def choices(vocabulary: type[StrEnum]) -> tuple[tuple[str, str], ...]:
    """``(value, label)`` for every value of ``vocabulary``, in its order (the value when unlabelled)."""
    labels = LABELS.get(vocabulary, {})
    return tuple(
        (member.value, labels.get(member.value, member.value.replace("_", " "))) for member in vocabulary
    )


__all__ = [
    "LABELS",
    "Account",
    "Action",
    "AdjustmentReason",
    "CodeStatus",
    "EntryKind",
    "ExpiryPolicy",
    "LotStatus",
    "NegativeBalancePolicy",
    "OrderStage",
    "Period",
    "Perk",
    "ReferralFriendOn",
    "ReferralStatus",
    "RewardKind",
    "Rounding",
    "RuleFamily",
    "RuleKind",
    "SupportPriority",
    "TierHold",
    "TierMetric",
    "TierPeriod",
    "UnlockStage",
    "choices",
]
