"""Earning rules: the points an order or an action earns, and why, in words. Pure: no I/O, no clock.

Contracts shared by every function here:
- Points are integers and never negative; money is integer minor units plus a currency code; every instant
  is timezone-aware. Days of the week and calendar periods are read in the store's time zone.
- Rule windows are half-open: ``starts_at`` is included, ``ends_at`` is not.
- Bad input raises ``Invalid`` naming the field, so the API answers 422 instead of guessing.
- The explanations are what the dry-run endpoint shows; they are plain sentences for a store manager.
"""

from loyaldesk.loyalty.rules.earning.action_rules import (
    ActionHistory,
    ActionPoints,
    ActionRule,
    PeriodCap,
    points_for_action,
)
from loyaldesk.loyalty.rules.earning.common import (
    TIMES,
    Action,
    ChoiceT,
    Identifier,
    Period,
    Rounding,
    RuleKind,
    Weekday,
)
from loyaldesk.loyalty.rules.earning.purchase_rules import (
    EarnRate,
    OrderForEarning,
    OrderLine,
    OrderPoints,
    PurchaseRule,
    points_for_order,
)

__all__ = [
    "TIMES",
    "Action",
    "ActionHistory",
    "ActionPoints",
    "ActionRule",
    "ChoiceT",
    "EarnRate",
    "Identifier",
    "OrderForEarning",
    "OrderLine",
    "OrderPoints",
    "Period",
    "PeriodCap",
    "PurchaseRule",
    "Rounding",
    "RuleKind",
    "Weekday",
    "points_for_action",
    "points_for_order",
]
