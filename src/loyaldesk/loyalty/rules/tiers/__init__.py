"""Pure tier rules: qualification, upgrades, retention and downgrades, overrides, paid membership, progress.

No I/O and no clock: every instant is passed in. The model a successor needs:
- Qualification sums one metric (spend in minor units, points earned, or orders) over a window: the last
  365 days ``(now - 365 days, now]``, the calendar year in the store's time zone, or all time.
- The *qualified* tier (held by qualification) rises at once to the earned tier and is then kept until
  ``retained_until``; only at ``retained_until + grace`` is it reviewed, becoming the tier earned at that
  moment (the same tier: renewed with a new ``retained_until``; a lower one: a downgrade).
- ``retained_until``: rolling: 365 days after the qualifying moment, the activity at which the window's
  running total last crossed the tier's threshold (exactly when it leaves the window); calendar year: the
  end of the calendar year in which the tier was (re)earned; lifetime: never reviewed.
- Calendar years: the tier earned at a moment is the better of this year's and last year's, so the year
  that just closed decides the review and a tier reached in a year is held through the next one (else
  every member would fall to the base tier each January).
- Effective tier = max(qualified tier, manual override floor, active paid membership tier).
"""

from loyaldesk.loyalty.rules.tiers.evaluation import (
    Activities,
    MemberTierState,
    QualifyingActivity,
    TierDecision,
    TierPolicy,
    TierProgress,
    WindowTotals,
    decide_tier,
    earned_tier,
    evaluate_tier,
    held_tier,
    membership_grant,
    next_review_at,
    qualifying_total,
    qualifying_windows,
    window_totals,
)
from loyaldesk.loyalty.rules.tiers.ladder import TierDefinition, TierLadder, readable_ladder, stored_tier
from loyaldesk.loyalty.rules.tiers.progress import describe_change, progress, progress_sentences
from loyaldesk.loyalty.rules.tiers.terms import (
    ROLLING_WINDOW,
    Metric,
    Period,
    Perk,
    TierChange,
    TierChangeReason,
    TierHold,
)

__all__ = [
    "ROLLING_WINDOW",
    "Activities",
    "MemberTierState",
    "Metric",
    "Period",
    "Perk",
    "QualifyingActivity",
    "TierChange",
    "TierChangeReason",
    "TierDecision",
    "TierDefinition",
    "TierHold",
    "TierLadder",
    "TierPolicy",
    "TierProgress",
    "WindowTotals",
    "decide_tier",
    "describe_change",
    "earned_tier",
    "evaluate_tier",
    "held_tier",
    "membership_grant",
    "next_review_at",
    "progress",
    "progress_sentences",
    "qualifying_total",
    "qualifying_windows",
    "readable_ladder",
    "stored_tier",
    "window_totals",
]
