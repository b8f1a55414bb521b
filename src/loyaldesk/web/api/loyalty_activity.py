"""Store API routes of what members do (``/api/v1/loyalty``): action events and their dry runs, an order's
dry run, and referrals. Thin: parse, check the scope, call an action or a query."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from loyaldesk.loyalty import queries
from loyaldesk.loyalty.actions import record_action_events as action_events
from loyaldesk.loyalty.actions import reward_referrals as referral_actions
from loyaldesk.loyalty.member_schemas import ActionEventOut, ActionOutcomeOut, OrderDryRunIn, OrderDryRunOut
from loyaldesk.loyalty.models import Member, Referral
from loyaldesk.loyalty.schemas import ActionEventIn, ReferralIn
from loyaldesk.web.api.loyalty import Reader, RowId, Writer, store_of
from loyaldesk.web.deps import DatabaseDep

router = APIRouter(prefix="/api/v1/loyalty", tags=["loyalty"])


# -- action events and dry runs --------------------------------------------------------------------


def _outcomes(outcomes: list[action_events.ActionOutcome]) -> list[ActionOutcomeOut]:
    return [
        ActionOutcomeOut(
            rule_id=o.rule_id, rule_name=o.rule_name, points=o.points, awarded=o.awarded, reason=o.reason
        )
        for o in outcomes
    ]


@router.post(
    "/events",
    response_model=ActionEventOut,
    summary="Something a customer did (review, newsletter, social follow, custom...): award its rules",
)
def record_event(body: ActionEventIn, actor: Writer, database: DatabaseDep) -> ActionEventOut:
    result = database.write(action_events.record_action_event, actor, store_of(actor), body)
    return ActionEventOut(
        member_id=result.member.id,
        recorded=result.recorded,
        points_awarded=result.points_awarded,
        outcomes=_outcomes(result.outcomes),
    )


@router.post(
    "/events/dry-run", response_model=list[ActionOutcomeOut], summary="What an event would earn now, and why"
)
def dry_run_event(body: ActionEventIn, actor: Reader, database: DatabaseDep) -> list[ActionOutcomeOut]:
    with database.scratch() as uow:
        return _outcomes(action_events.dry_run_event(uow, actor, store_of(actor), body))


@router.post("/orders/dry-run", response_model=OrderDryRunOut, summary="What an order would earn, and why")
def dry_run_order(body: OrderDryRunIn, actor: Reader, database: DatabaseDep) -> OrderDryRunOut:
    with database.scratch() as uow:
        result = action_events.dry_run_order(uow, actor, store_of(actor), body)
    return OrderDryRunOut(
        points=result.points.total,
        by_line={str(line): points for line, points in result.points.by_line.items()},
        explanation=list(result.points.explanation),
        not_applied=list(result.points.not_applied),
        tier=result.tier_name,
    )


# -- referrals -------------------------------------------------------------------------------------


class ReferralOut(BaseModel):
    id: int
    code: str
    status: str
    reasons: list[str] = Field(description="Why the fraud checks rejected it (empty when they did not).")
    referrer_member_id: int
    referrer_customer_id: int | None = None
    referred_customer_id: int
    created_at: datetime
    decided_by: str | None


def _referral_out(referral: Referral, referrer_customer_id: int | None = None) -> ReferralOut:
    return ReferralOut(
        id=referral.id,
        code=referral.code,
        status=referral.status,
        reasons=list(referral.reasons or []),
        referrer_member_id=referral.referrer_member_id,
        referrer_customer_id=referrer_customer_id,
        referred_customer_id=referral.referred_customer_id,
        created_at=referral.created_at,
        decided_by=referral.decided_by,
    )


@router.post(
    "/referrals", response_model=ReferralOut, status_code=201, summary="Record who referred a customer"
)
def record_referral(body: ReferralIn, actor: Writer, database: DatabaseDep) -> ReferralOut:
    store_id = store_of(actor)

    def record(uow):  # type: ignore[no-untyped-def]
        customer = action_events.customer_in_store(uow, store_id, body.customer_id, body.customer_external_id)
        referral = referral_actions.record_referral(uow, actor, store_id, body.code, customer.id)
        referrer = uow.session.get(Member, referral.referrer_member_id)
        return referral, referrer.customer_id if referrer else None

    return _referral_out(*database.write(record))


@router.get("/referrals", response_model=list[ReferralOut], summary="Referrals, newest first")
def list_referrals(
    actor: Reader,
    database: DatabaseDep,
    status: Annotated[Literal["pending", "qualified", "rewarded", "rejected"] | None, Query()] = None,
) -> list[ReferralOut]:
    with database.read() as session:
        rows = queries.referrals(session, store_of(actor), status)
    return [_referral_out(row["referral"], row["referrer_customer_id"]) for row in rows]


@router.post(
    "/referrals/{referral_id}/approve", response_model=ReferralOut, summary="Approve a rejected referral"
)
def approve_referral(referral_id: RowId, actor: Writer, database: DatabaseDep) -> ReferralOut:
    return _referral_out(
        database.write(referral_actions.decide_referral, actor, store_of(actor), referral_id, approve=True)
    )


@router.post("/referrals/{referral_id}/reject", response_model=ReferralOut, summary="Reject a referral")
def reject_referral(referral_id: RowId, actor: Writer, database: DatabaseDep) -> ReferralOut:
    return _referral_out(
        database.write(referral_actions.decide_referral, actor, store_of(actor), referral_id, approve=False)
    )
