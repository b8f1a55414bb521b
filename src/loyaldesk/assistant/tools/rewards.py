"""``redeem_reward``: without a ``reward`` slot, the rewards the member can redeem now (and what the
others still need); with one, redeem it through loyalty's own ``redeem`` (which checks the reward, spends
through the ledger and never overdraws) and give the code.

The redemption runs in a savepoint of the caller's unit of work: a refusal leaves nothing behind (no
stock taken, no events). Idempotent on ``request.idempotency_key`` (loyalty keeps one entry per key): a
repeat returns the same code and spends nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from loyaldesk.assistant.tools.access import own_customer_id
from loyaldesk.assistant.tools.common import day, in_language, iso, membership_needs_identity
from loyaldesk.assistant.tools.membership import _member, _not_member, _points
from loyaldesk.assistant.tools.registry import Asker, ToolRequest, ToolResult, ToolStatus
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import DomainError
from loyaldesk.kernel.i18n import _
from loyaldesk.loyalty import queries, redeem
from loyaldesk.stores import store_by_id

MAX_LISTED = 5


def _match(offers: list[Any], wanted: str) -> Any:
    """The offer (loyalty's ``Offer``) the shopper named by id or name; a unique partial name counts."""
    text = wanted.strip().lstrip("#").casefold()
    for offer in offers:
        if text == str(offer.reward.id) or text == offer.reward.name.casefold():
            return offer
    partial = [offer for offer in offers if text and text in offer.reward.name.casefold()]
    return partial[0] if len(partial) == 1 else None


def answer(uow: UnitOfWork, asker: Asker, request: ToolRequest) -> ToolResult:
    tool = RedeemRewardTool.name
    customer_id = own_customer_id(uow.session, asker)
    if customer_id is None:
        return membership_needs_identity(tool)
    member = _member(uow, asker)
    if member is None:
        return _not_member(tool)
    store = store_by_id(uow.session, asker.store_id)
    offers = queries.member_picture(uow.session, store, member, uow.now()).offers
    wanted = (request.slots.get("reward") or "").strip()
    if not wanted:
        available = [offer for offer in offers if offer.available][:MAX_LISTED]
        facts = {
            "available_points": member.available_points,
            "rewards": [
                {"reward_id": o.reward.id, "name": o.reward.name, "cost": o.cost, "available": o.available,
                 "why_not": None if o.available else o.reason}
                for o in offers
            ],
        }  # fmt: skip
        if not available:
            return ToolResult(
                tool,
                ToolStatus.ANSWERED,
                _("With {points} you cannot redeem a reward yet.", points=_points(member.available_points)),
                facts,
            )
        listing = "; ".join(f"{o.reward.name} ({_points(o.cost)})" for o in available)
        return ToolResult(
            tool,
            ToolStatus.NEEDS_SLOT,
            _(
                "With {points} you can redeem: {rewards}. Which one would you like?",
                points=_points(member.available_points),
                rewards=listing,
            ),
            facts,
            missing="reward",
        )
    offer = _match(offers, wanted)
    if offer is None:
        return ToolResult(
            tool,
            ToolStatus.NOT_FOUND,
            _("I could not find that reward. Ask me what you can redeem to see the list."),
            {"reason": "no_such_reward"},
        )
    reward_facts = {"reward_id": offer.reward.id, "reward": offer.reward.name, "cost": offer.cost}
    key = request.idempotency_key or f"conversation:{asker.conversation_id}:reward:{offer.reward.id}"
    actor = Actor(kind="customer", id=customer_id, store_id=asker.store_id, label="the assistant")
    mark = uow.mark()
    savepoint = uow.session.begin_nested()
    try:
        code = redeem(uow, actor, asker.store_id, member.id, offer.reward.id, key=f"assistant:{key}")
        savepoint.commit()
    except DomainError as error:
        savepoint.rollback()
        uow.discard_since(mark)
        why = offer.reason if not offer.available else str(error)
        return ToolResult(
            tool,
            ToolStatus.REFUSED,
            _("You cannot redeem {reward} right now: {why}.", reward=offer.reward.name, why=why),
            {**reward_facts, "available_points": member.available_points, "why_not": why},
        )
    uow.session.refresh(member)
    sentences = [
        _(
            "Done! You redeemed {reward} for {points}. Your code is {code}.",
            reward=offer.reward.name,
            points=_points(code.points_spent),
            code=code.code,
        )
    ]
    if code.expires_at is not None:
        sentences.append(_("Use it by {day}.", day=day(code.expires_at, store)))
    sentences.append(_("You have {points} left.", points=_points(member.available_points)))
    return ToolResult(
        tool,
        ToolStatus.DONE,
        " ".join(sentences),
        {
            **reward_facts,
            "code": code.code,
            "points_spent": code.points_spent,
            "expires_at": iso(code.expires_at),
            "available_points": member.available_points,
        },
    )


@dataclass
class RedeemRewardTool:
    """What the member can redeem, and redeeming one (``reward`` slot: its name or id)."""

    name: str = "redeem_reward"
    intents: tuple[str, ...] = ("redeem_reward",)

    def __call__(self, uow: UnitOfWork, asker: Asker, request: ToolRequest) -> ToolResult:
        return in_language(answer)(uow, asker, request)
