"""New customers joining the program, many at a time: one insert for the memberships, one for their
sign-up actions, and the sign-up rules' points credited in bulk (``earn_in_bulk.credit_in_bulk``).

Only customers who appeared after the program started join this way: importing a store's history creates
customers first seen years ago, and they must not all become members with a sign-up reward (they join
when they buy again, or when their history is awarded on purpose).

Each customer's sign-up is recorded once (``MemberAction`` with the id ``signup:<customer>``, the id
``join_program`` uses too), so a customer who joined by any road is never rewarded twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from loyaldesk.customers import Customer
from loyaldesk.kernel.bulk import bulk_insert
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.ids import reserve_ids
from loyaldesk.loyalty.actions.earn_in_bulk import Credit, credit_in_bulk
from loyaldesk.loyalty.actions.enrol_members import enroll_many
from loyaldesk.loyalty.actions.move_points import request_hash
from loyaldesk.loyalty.models import ActionAward, EarningRule, Member, MemberAction
from loyaldesk.loyalty.program import ensure_program, terms_of
from loyaldesk.loyalty.rule_config import action_rule
from loyaldesk.loyalty.rules import earning
from loyaldesk.stores import store_by_id

SIGNUP = "signup"


def signup_key(customer_id: int) -> str:
    return f"signup:{customer_id}"


def welcome_customers(uow: UnitOfWork, store_id: int, joined: dict[int, datetime]) -> int:
    """Enrol these customers (id -> when they joined) where the program enrols everyone, and record
    and reward each one's sign-up once; customers who joined before the program started are left out.
    Returns how many sign-ups were recorded now."""
    program = ensure_program(uow, store_id)
    if not (program.enabled and program.auto_enroll):
        return 0
    joined = {customer: at for customer, at in joined.items() if at >= program.starts_at}
    if not joined:
        return 0
    enroll_many(uow, store_id, joined)
    keys = {signup_key(customer_id): customer_id for customer_id in joined}
    recorded = set(
        uow.session.scalars(
            select(MemberAction.external_id).where(
                MemberAction.store_id == store_id, MemberAction.external_id.in_(list(keys))
            )
        )
    )
    waiting = sorted(customer_id for key, customer_id in keys.items() if key not in recorded)
    if not waiting:
        return 0
    query = (
        select(Member).where(Member.store_id == store_id, Member.customer_id.in_(waiting)).order_by(Member.id)
    )
    if uow.is_postgresql:
        query = query.with_for_update()
    members = list(uow.session.scalars(query.execution_options(populate_existing=True)))
    now = uow.now()
    action_ids = reserve_ids(uow, MemberAction.__table__, len(members))
    bulk_insert(
        uow,
        MemberAction.__table__,
        [
            {
                "id": action_id,
                "store_id": store_id,
                "member_id": member.id,
                "action": SIGNUP,
                "event_name": None,
                "external_id": signup_key(member.customer_id),
                "occurred_at": now,
            }
            for action_id, member in zip(action_ids, members, strict=True)
        ],
    )
    _reward(uow, store_id, members, now)
    return len(members)


def _reward(uow: UnitOfWork, store_id: int, members: list[Member], now: datetime) -> None:
    """Credit what the sign-up rules give (a new member has no history against the rules' caps)."""
    rules = [
        (row, action_rule(row))
        for row in uow.session.scalars(
            select(EarningRule)
            .where(EarningRule.store_id == store_id, EarningRule.kind == "action")
            .order_by(EarningRule.id)
        )
    ]
    rules = [(row, rule) for row, rule in rules if rule.action == earning.Action.SIGNUP]
    if not rules:
        return
    store = store_by_id(uow.session, store_id)
    tags = dict(
        uow.session.execute(
            select(Customer.id, Customer.tags).where(
                Customer.id.in_([member.customer_id for member in members])
            )
        ).all()
    )
    credits: list[Credit] = []
    awards: list[tuple[Member, int]] = []
    for member in members:
        for row, rule in rules:
            result = earning.points_for_action(
                rule,
                action=SIGNUP,
                now=now,
                tier_id=member.tier_id,
                segments=frozenset(tags.get(member.customer_id) or []),
                timezone=store.timezone,
            )
            if not result.awarded or member.available_points < 0:
                continue
            credits.append(
                Credit(
                    member=member,
                    key=f"action:{row.id}:{signup_key(member.customer_id)}",
                    fingerprint=request_hash(
                        kind="earn", member=member.id, points=result.points, source="action", order=None
                    ),
                    points=result.points,
                    description=f"{row.name}: {result.points} points",
                    source="action",
                    earned_at=now,
                    pending=False,
                )
            )
            awards.append((member, row.id))
    entry_ids = credit_in_bulk(uow, credits, terms_of(ensure_program(uow, store_id), store.timezone))
    award_ids = reserve_ids(uow, ActionAward.__table__, len(entry_ids))
    rows: list[dict[str, Any]] = [
        {"id": award_id, "member_id": member.id, "rule_id": rule_id, "entry_id": entry_id, "awarded_at": now}
        for award_id, entry_id, (member, rule_id) in zip(award_ids, entry_ids, awards, strict=True)
    ]
    bulk_insert(uow, ActionAward.__table__, rows)
