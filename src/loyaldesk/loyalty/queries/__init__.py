"""Reads of the loyalty program, each limited to one store, on a read session; they never write.

``views``: what the console and the APIs show (overview, member pictures and rows, catalogue), re-exported
here; ``members``: finding members; ``program``: the program's configuration; ``check_ledger``: the
ledger's invariants; ``timeline``: how loyalty events read on a customer's timeline.
"""

from loyaldesk.loyalty.queries.views import (
    EXPIRING_SOON,
    MEMBER_SORTS,
    ExpiringPoints,
    MemberPicture,
    MemberRow,
    Overview,
    PendingPoints,
    badge_rows,
    history,
    member_card,
    member_picture,
    member_rows,
    overview,
    referrals,
    reward_code_of,
    reward_of,
    rewards_of,
    rule_of,
    rules_of,
    tier_member_counts,
    tiers_of,
)

__all__ = [
    "EXPIRING_SOON",
    "MEMBER_SORTS",
    "ExpiringPoints",
    "MemberPicture",
    "MemberRow",
    "Overview",
    "PendingPoints",
    "badge_rows",
    "history",
    "member_card",
    "member_picture",
    "member_rows",
    "overview",
    "referrals",
    "reward_code_of",
    "reward_of",
    "rewards_of",
    "rule_of",
    "rules_of",
    "tier_member_counts",
    "tiers_of",
]
