"""Goodwill points from the support desk (registered with ``customers.goodwill_granter``): an agent's
gesture, or an automatic service recovery, credited to the member as an adjustment with its reason.

Who may give how much is the desk's business (its per-role monthly budgets); the ledger only makes sure a
gesture is credited once per key and reads "A gift from the store" / "Sorry for the trouble" to the member.
"""

from __future__ import annotations

from sqlalchemy import select

from loyaldesk.customers import GoodwillGiven, goodwill_granter
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Conflict
from loyaldesk.loyalty import ledger
from loyaldesk.loyalty.models import Member
from loyaldesk.loyalty.program import ensure_program, terms_of
from loyaldesk.loyalty.program_actions import ADJUSTMENT_WORDS
from loyaldesk.loyalty.rules.ledger import Account
from loyaldesk.stores import store_by_id


@goodwill_granter
def give_goodwill_points(
    uow: UnitOfWork,
    store_id: int,
    customer_id: int,
    points: int,
    note: str,
    key: str,
    reason_code: str,
    actor_label: str,
) -> GoodwillGiven:
    member = uow.session.scalar(
        select(Member).where(Member.store_id == store_id, Member.customer_id == customer_id)
    )
    if member is None:
        raise Conflict("this customer is not a member of the loyalty program, so points cannot be given")
    if reason_code not in ("goodwill", "service_recovery"):
        raise ValueError(f"not a goodwill reason: {reason_code}")
    terms = terms_of(ensure_program(uow, store_id), store_by_id(uow.session, store_id).timezone)
    ledger.earn(
        uow,
        member,
        terms,
        points=points,
        key=f"goodwill:{key}",
        description=f"{ADJUSTMENT_WORDS[reason_code]}: {note}",
        source="adjustment",
        account=Account.ADJUSTMENT,
        reason_code=reason_code,
        actor_label=actor_label,
    )
    return GoodwillGiven(points=points, available_points=member.available_points)
