"""The loyalty tools that read: ``points_balance`` / ``pending_points`` / ``expiring_points`` (one tool),
``tier_progress`` and ``referral``. All read loyalty's own picture of the member (``member_picture``:
the ledger's rules stay in loyalty), and only for a verified customer of the asker's store; anyone else
gets ``NEEDS_IDENTITY``."""

from __future__ import annotations

from dataclasses import dataclass

from loyaldesk.assistant.tools.access import own_customer_id
from loyaldesk.assistant.tools.common import day, in_language, iso, membership_needs_identity
from loyaldesk.assistant.tools.registry import Asker, ToolRequest, ToolResult, ToolStatus
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.i18n import _, format_points, ngettext
from loyaldesk.loyalty import Member, member_of_customer, program_of, queries, referral_link
from loyaldesk.stores import Store, store_by_id


def _member(uow: UnitOfWork, asker: Asker) -> Member | None:
    customer_id = own_customer_id(uow.session, asker)
    if customer_id is None:
        return None
    return member_of_customer(uow.session, asker.store_id, customer_id)


def _not_member(tool: str) -> ToolResult:
    return ToolResult(
        tool,
        ToolStatus.NOT_FOUND,
        _("You are not a member of our loyalty program yet, so there are no points to show."),
        {"reason": "not_a_member"},
    )


def _points(count: int) -> str:
    return ngettext("{points} point", "{points} points", count, points=format_points(count))


def _points_answer(uow: UnitOfWork, asker: Asker, request: ToolRequest) -> ToolResult:
    tool = PointsTool.name
    if own_customer_id(uow.session, asker) is None:
        return membership_needs_identity(tool)
    member = _member(uow, asker)
    if member is None:
        return _not_member(tool)
    store = store_by_id(uow.session, asker.store_id)
    picture = queries.member_picture(uow.session, store, member, uow.now())
    balance = _("You have {points} to spend.", points=_points(member.available_points))
    pending_lines = [
        _(
            "{points} unlock on {day} ({why}).",
            points=_points(p.points),
            day=day(p.unlocks_at, store),
            why=p.description,
        )
        if p.unlocks_at is not None
        else _("{points} unlock once the order arrives ({why}).", points=_points(p.points), why=p.description)
        for p in picture.pending
    ]
    expiring_lines = [
        _("{points} expire on {day}.", points=_points(e.points), day=day(e.expires_at, store))
        for e in sorted(picture.expiring, key=lambda e: e.expires_at)
    ]
    sentences = [balance]
    if request.intent == "pending_points" and not pending_lines:
        sentences.append(_("None of your points are pending."))
    elif pending_lines:
        sentences.append(_("Pending: {points} in all.", points=_points(member.pending_points)))
        sentences.extend(pending_lines)
    if request.intent == "expiring_points" and not expiring_lines:
        sentences.append(_("None of your points expire in the next 30 days."))
    elif expiring_lines:
        sentences.extend(expiring_lines)
    facts = {
        "available_points": member.available_points,
        "pending_points": member.pending_points,
        "pending": [
            {"points": p.points, "unlocks_at": iso(p.unlocks_at), "why": p.description}
            for p in picture.pending
        ],
        "expiring": [{"points": e.points, "expires_at": iso(e.expires_at)} for e in picture.expiring],
    }
    return ToolResult(tool, ToolStatus.ANSWERED, " ".join(sentences), facts)


@dataclass
class PointsTool:
    """Points to spend, pending points with when they unlock and why, points expiring soon."""

    name: str = "points_balance"
    intents: tuple[str, ...] = ("points_balance", "pending_points", "expiring_points")

    def __call__(self, uow: UnitOfWork, asker: Asker, request: ToolRequest) -> ToolResult:
        return in_language(_points_answer)(uow, asker, request)


def _tier_answer(uow: UnitOfWork, asker: Asker, request: ToolRequest) -> ToolResult:
    tool = TierProgressTool.name
    if own_customer_id(uow.session, asker) is None:
        return membership_needs_identity(tool)
    member = _member(uow, asker)
    if member is None:
        return _not_member(tool)
    store = store_by_id(uow.session, asker.store_id)
    picture = queries.member_picture(uow.session, store, member, uow.now())
    progress = picture.progress
    if picture.tier is None or progress is None:
        return ToolResult(
            tool, ToolStatus.NOT_FOUND, _("Our loyalty program has no tiers."), {"reason": "no_tiers"}
        )
    sentences = [_("Your tier is {tier}.", tier=picture.tier.name), *picture.progress_sentences]
    facts = {
        "tier": picture.tier.name,
        "next_tier": progress.next_tier.name if progress.next_tier else None,
        "qualifying_total": progress.qualifying_total,
        "to_next": progress.to_next,
        "next_by": iso(progress.next_by),
        "metric": str(progress.metric),
    }
    return ToolResult(tool, ToolStatus.ANSWERED, " ".join(sentences), facts)


@dataclass
class TierProgressTool:
    """The member's tier, the next one and what is missing to reach it (loyalty's own sentences)."""

    name: str = "tier_progress"
    intents: tuple[str, ...] = ("tier_progress",)

    def __call__(self, uow: UnitOfWork, asker: Asker, request: ToolRequest) -> ToolResult:
        return in_language(_tier_answer)(uow, asker, request)


def _link(uow: UnitOfWork, store: Store, member: Member, public_base_url: str) -> str | None:
    program = program_of(uow.session, store.id)
    if program is None:
        return None
    return referral_link(program, store, member.referral_code, public_base_url)


@dataclass
class ReferralTool:
    """The member's own referral link (the store's page when the program names one)."""

    public_base_url: str = ""
    name: str = "referral"
    intents: tuple[str, ...] = ("referral",)

    def __call__(self, uow: UnitOfWork, asker: Asker, request: ToolRequest) -> ToolResult:
        return in_language(self._answer)(uow, asker, request)

    def _answer(self, uow: UnitOfWork, asker: Asker, request: ToolRequest) -> ToolResult:
        if own_customer_id(uow.session, asker) is None:
            return membership_needs_identity(self.name)
        member = _member(uow, asker)
        if member is None:
            return _not_member(self.name)
        store = store_by_id(uow.session, asker.store_id)
        link = _link(uow, store, member, self.public_base_url)
        if link is None:
            return _not_member(self.name)
        return ToolResult(
            self.name,
            ToolStatus.ANSWERED,
            _("Share your personal link with friends: {link}", link=link),
            {"referral_link": link, "referral_code": member.referral_code},
        )
