"""The loyalty program: a points ledger, earning rules and campaigns, tiers, rewards, referrals, delight.

Other packages use loyalty only through the names below (``from loyaldesk.loyalty import ...``); inside,
``actions/`` holds every writer (named for the change it makes; ``actions.post_entries.post`` is the
ledger's one writer), ``queries/`` the reads, ``rules/`` the pure rules.
"""

from loyaldesk.loyalty import queries
from loyaldesk.loyalty.actions.award_imported_history import (
    award_history_in_batches,
    history_split,
)
from loyaldesk.loyalty.actions.change_tiers import review_due_tiers, set_override
from loyaldesk.loyalty.actions.configure_program import (
    adjust_points,
    save_reward,
    save_rule,
    save_tier,
    set_rule_active,
    update_program,
)
from loyaldesk.loyalty.actions.delight_members import send_birthday_rewards, send_winback_rewards
from loyaldesk.loyalty.actions.enrol_members import enroll
from loyaldesk.loyalty.actions.pay_with_points import charge_points, pay_with_points, refund_points
from loyaldesk.loyalty.actions.record_action_events import record_action_event
from loyaldesk.loyalty.actions.redeem_rewards import cancel_code, expire_codes, redeem
from loyaldesk.loyalty.actions.reward_referrals import decide_referral, record_referral
from loyaldesk.loyalty.actions.unlock_and_expire import expire_due_lots, unlock_due_lots
from loyaldesk.loyalty.models import (
    EarningRule,
    LedgerEntry,
    LedgerPosting,
    LoyaltyProgram,
    Member,
    PointLot,
    Referral,
    Reward,
    RewardCode,
    Tier,
)
from loyaldesk.loyalty.program import (
    ProgramMissing,
    create_program,
    default_program,
    program_of,
    program_of_store,
    referral_link,
)
from loyaldesk.loyalty.queries.check_ledger import Violation, check_ledger
from loyaldesk.loyalty.queries.members import get_member, member_of_customer
from loyaldesk.loyalty.rule_config import ActionRuleIn, PurchaseRuleIn
from loyaldesk.loyalty.schemas import (
    ActionEventIn,
    AdjustmentIn,
    EarnRateIn,
    ProgramSettings,
    ProgramSettingsPatch,
    RedemptionIn,
    ReferralIn,
    RewardIn,
    RuleIn,
    TierIn,
    setting_range,
)
from loyaldesk.loyalty.vocab import (
    AdjustmentReason,
    CodeStatus,
    EntryKind,
    ExpiryPolicy,
    LotStatus,
    NegativeBalancePolicy,
    OrderStage,
    Perk,
    ReferralFriendOn,
    RewardKind,
    Rounding,
    SupportPriority,
    TierMetric,
    TierPeriod,
    UnlockStage,
    choices,
)

__all__ = [
    "ActionEventIn",
    "ActionRuleIn",
    "AdjustmentIn",
    "AdjustmentReason",
    "CodeStatus",
    "EarnRateIn",
    "EarningRule",
    "EntryKind",
    "ExpiryPolicy",
    "LedgerEntry",
    "LedgerPosting",
    "LotStatus",
    "LoyaltyProgram",
    "Member",
    "NegativeBalancePolicy",
    "OrderStage",
    "Perk",
    "PointLot",
    "ProgramMissing",
    "ProgramSettings",
    "ProgramSettingsPatch",
    "PurchaseRuleIn",
    "RedemptionIn",
    "Referral",
    "ReferralFriendOn",
    "ReferralIn",
    "Reward",
    "RewardCode",
    "RewardIn",
    "RewardKind",
    "Rounding",
    "RuleIn",
    "SupportPriority",
    "Tier",
    "TierIn",
    "TierMetric",
    "TierPeriod",
    "UnlockStage",
    "Violation",
    "adjust_points",
    "award_history_in_batches",
    "cancel_code",
    "charge_points",
    "check_ledger",
    "choices",
    "create_program",
    "decide_referral",
    "default_program",
    "enroll",
    "expire_codes",
    "expire_due_lots",
    "get_member",
    "history_split",
    "member_of_customer",
    "pay_with_points",
    "program_of",
    "program_of_store",
    "queries",
    "record_action_event",
    "record_referral",
    "redeem",
    "referral_link",
    "refund_points",
    "review_due_tiers",
    "save_reward",
    "save_rule",
    "save_tier",
    "send_birthday_rewards",
    "send_winback_rewards",
    "set_override",
    "set_rule_active",
    "setting_range",
    "unlock_due_lots",
    "update_program",
]
