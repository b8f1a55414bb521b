"""The inbox's customer panel, recommendations' part: "Likely next" (the customer's top picks with why)
and a goodwill gesture for the top pick sized to the agent's budget left, given in one click through the
inbox's goodwill form (``inbox.give_goodwill``: support's action checks the budget and audits it)."""

from __future__ import annotations

from typing import Any

from loyaldesk.customers import GoodwillReward
from loyaldesk.recommendations.sidebar import likely_next, suggest_goodwill
from loyaldesk.stores import Permission
from loyaldesk.support.actions import goodwill
from loyaldesk.web.console.session import Console


def sidebar(runtime: Any, console: Console, picture: Any, rewards: list[GoodwillReward]) -> dict[str, Any]:
    """The page context the panel reads: ``budget`` (for agents who may answer), ``likely_next`` and
    ``suggested_goodwill`` (None when there is nothing to suggest)."""
    context: dict[str, Any] = {"likely_next": [], "suggested_goodwill": None}
    can_answer = console.can(Permission.ANSWER_CONVERSATIONS)
    customer = getattr(picture, "customer", None)
    with runtime.database.read() as session:
        if can_answer:
            context["budget"] = goodwill.goodwill_budget(
                session, console.store.id, console.login.account.id, console.access.role, runtime.clock.now()
            )
        if customer is not None:
            context["likely_next"] = likely_next(session, console.store.id, customer.id)
    if can_answer and context["likely_next"]:
        balance = picture.loyalty.points if picture.loyalty is not None else None
        context["suggested_goodwill"] = suggest_goodwill(
            context["likely_next"][0], context["budget"].left, balance, rewards
        )
    return context
