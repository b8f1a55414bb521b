"""The lifecycle of the codes that redemption issues: a code is used (an order carries it), expires, or is
cancelled, which gives its points back."""

from __future__ import annotations

from sqlalchemy import select

from loyaldesk.kernel.actors import Actor, system_for
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Conflict, NotFound
from loyaldesk.loyalty.actions import move_points as ledger
from loyaldesk.loyalty.actions.move_points import LedgerTerms
from loyaldesk.loyalty.events import RewardCodeChanged
from loyaldesk.loyalty.models import Member, RewardCode
from loyaldesk.loyalty.program import ensure_program, terms_of
from loyaldesk.stores import Permission, authorize, record_audit, store_by_id

CODE_PREFIX = "LD-"  # tells our codes apart from the store's own discount codes


def _code(uow: UnitOfWork, store_id: int, code_text: str) -> RewardCode:
    code = uow.session.scalar(
        select(RewardCode).where(
            RewardCode.store_id == store_id, RewardCode.code == code_text.strip().upper()
        )
    )
    if code is None:
        raise NotFound(f"no reward code {code_text!r} in this store")
    return code


def _changed(uow: UnitOfWork, code: RewardCode, member: Member) -> None:
    uow.emit(
        RewardCodeChanged(
            store_id=code.store_id,
            customer_id=member.customer_id,
            member_id=member.id,
            reward_code_id=code.id,
            code=code.code,
            status=code.status,
        )
    )


def use_code(
    uow: UnitOfWork, actor: Actor, store_id: int, code_text: str, order_id: int | None
) -> RewardCode:
    """Mark a code as used (by an order). Using a used code again with the same order changes nothing."""
    authorize(actor, store_id, scope="loyalty:write", permission=Permission.EDIT_CUSTOMERS)
    code = _code(uow, store_id, code_text)
    if code.status == "used" and code.used_order_id == order_id:
        return code
    if code.status != "issued":
        raise Conflict(f"code {code.code} is {code.status}")
    code.status, code.used_at, code.used_order_id = "used", uow.now(), order_id
    member = uow.session.get(Member, code.member_id)
    assert member is not None
    _changed(uow, code, member)
    return code


def cancel_code(uow: UnitOfWork, actor: Actor, store_id: int, code_text: str, *, reason: str) -> RewardCode:
    """Cancel an issued or used code and give its points back (a used one when its order was cancelled
    or the shopper was let down). An expired code keeps its points spent."""
    authorize(actor, store_id, scope="loyalty:write", permission=Permission.EDIT_CUSTOMERS)
    code = _code(uow, store_id, code_text)
    if code.status == "cancelled":
        return code
    if code.status == "expired":
        raise Conflict(f"code {code.code} expired; its points are not returned")
    member = uow.session.get(Member, code.member_id)
    assert member is not None
    terms = terms_of(ensure_program(uow, store_id), store_by_id(uow.session, store_id).timezone)
    _return(uow, terms, member, code, reason)
    if actor.is_person:
        record_audit(
            uow,
            actor,
            "loyalty.reward_code_cancelled",
            store_id=store_id,
            target_type="reward_code",
            target_id=code.id,
            details={"code": code.code, "reason": reason},
        )
    return code


def _return(uow: UnitOfWork, terms: LedgerTerms, member: Member, code: RewardCode, reason: str) -> None:
    result = ledger.return_points(
        uow,
        member,
        terms,
        points=code.points_spent,
        key=f"code:{code.id}:return",
        description=f"{reason}: {code.points_spent} points back",
        reward_code_id=code.id,
        order_id=code.used_order_id,
    )
    code.status, code.cancelled_at, code.return_entry_id = "cancelled", uow.now(), result.entry.id
    _changed(uow, code, member)


def mark_codes_used(uow: UnitOfWork, store_id: int, discount_codes: tuple[str, ...], order_id: int) -> None:
    """An order carried these discount codes: those that are our reward codes are now used."""
    wanted = [text.strip().upper() for text in discount_codes if text.strip().upper().startswith(CODE_PREFIX)]
    if not wanted:
        return
    for code in uow.session.scalars(
        select(RewardCode).where(
            RewardCode.store_id == store_id, RewardCode.code.in_(wanted), RewardCode.status == "issued"
        )
    ):
        use_code(uow, system_for(store_id), store_id, code.code, order_id)


def cancel_codes_of_order(
    uow: UnitOfWork, terms: LedgerTerms, member: Member, order_id: int, number: str
) -> None:
    """A cancelled order gives back the points of the reward codes it used."""
    codes = uow.session.scalars(
        select(RewardCode).where(RewardCode.used_order_id == order_id, RewardCode.status == "used")
    )
    for code in codes:
        owner = uow.session.get(Member, code.member_id) or member
        _return(uow, terms, owner, code, f"Order {number} was cancelled; reward code {code.code} returned")


def expire_codes(uow: UnitOfWork) -> int:
    """Codes not used before their expiry date expire (their points are not returned)."""
    query = (
        select(RewardCode)
        .where(
            RewardCode.status == "issued",
            RewardCode.expires_at.is_not(None),
            RewardCode.expires_at <= uow.now(),
        )
        .limit(500)
    )
    if uow.is_postgresql:
        query = query.with_for_update(skip_locked=True)
    codes = list(uow.session.scalars(query))
    for code in codes:
        code.status = "expired"
        member = uow.session.get(Member, code.member_id)
        assert member is not None
        _changed(uow, code, member)
    return len(codes)
