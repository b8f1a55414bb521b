"""The agent's sidebar beside a conversation: what the customer is likely to want next (their top picks
with why) and, for the top pick, a goodwill gesture sized to the agent's remaining budget that the agent
gives in one click through support's goodwill action (budget checked and audited there).

``likely_next`` is a read; ``suggest_goodwill`` is a pure rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from loyaldesk.customers import GoodwillReward
from loyaldesk.recommendations.ports import PickRequest, PickView
from loyaldesk.recommendations.queries import picks_for
from loyaldesk.recommendations.vocab import Placement

SIDEBAR_PICKS = 3
# A gesture when the pick has no reward to bring within reach: enough to be felt, small enough for most
# monthly budgets (the default agent budget is 500 points).
GESTURE_POINTS = 100


@dataclass(frozen=True)
class GoodwillSuggestion:
    """What to give: ``points``, or the code of reward ``reward_id`` (``points`` is then its cost, counted
    against the budget); ``reason`` prefilled for the customer to read; ``why`` for the agent."""

    points: int
    reason: str
    why: str
    reward_id: int | None = None
    reward_name: str | None = None


def likely_next(
    session: Session, store_id: int, customer_id: int, *, limit: int = SIDEBAR_PICKS
) -> list[PickView]:
    """The customer's top picks for the agent's sidebar (English: the console's language), best first."""
    return picks_for(session, PickRequest(store_id, customer_id, placement=Placement.INBOX, limit=limit))


def suggest_goodwill(
    pick: PickView | None,
    budget_left: int | None,
    balance: int | None,
    rewards: Sequence[GoodwillReward],
) -> GoodwillSuggestion | None:
    """A gesture for the top ``pick`` that fits ``budget_left`` (None: no limit), or None (no pick, no
    budget left, or the customer is not a loyalty member: ``balance`` None).

    1. The pick's own loyalty reward, when the agent may give it and its cost fits: its code.
    2. Else points: what the customer still lacks for the pick's reward (cost minus ``balance``), or a
       gesture of ``GESTURE_POINTS`` when it has none or they can already afford it, cut to the budget
       left (rounded down to tens when there are at least ten).
    """
    if pick is None or balance is None or budget_left == 0:
        return None
    fits = budget_left is None
    if pick.reward_id is not None:
        reward = next((r for r in rewards if r.reward_id == pick.reward_id), None)
        if reward is not None and (fits or reward.points <= (budget_left or 0)):
            return GoodwillSuggestion(
                points=reward.points,
                reward_id=reward.reward_id,
                reward_name=reward.name,
                reason=f"A little something from us: {_short(reward.name)}, with our thanks",
                why=f"Their top pick, {pick.title}, as a reward code.",
            )
    gap = (pick.points_cost or 0) - balance
    if pick.points_cost and gap > 0:
        target, why = gap, f"What they still need for {pick.title} ({pick.points_cost:,} points)."
    else:
        target, why = GESTURE_POINTS, f"A gesture toward their top pick, {pick.title}."
    points = target if budget_left is None else min(target, budget_left)
    if points >= 10 and points != target:
        points -= points % 10
    if points < 1:
        return None
    if points < target:
        why += f" Cut to your budget left ({points:,} points)."
    return GoodwillSuggestion(
        points=points, reason=f"Points toward {_short(pick.title)}, with our thanks", why=why
    )


def _short(title: str) -> str:
    """A title short enough for a goodwill reason (at most 300 characters in all)."""
    title = " ".join(title.split())
    return title if len(title) <= 120 else title[:119].rstrip() + "…"
