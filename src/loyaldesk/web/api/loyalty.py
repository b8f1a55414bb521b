"""Store API routes of the loyalty program (``/api/v1/loyalty``): settings, the overview, rules, tiers,
rewards, members, points and codes (action events, dry runs and referrals are in ``loyalty_activity``).
Thin: parse, check the scope, call an action or a query. Writes that move points need an
``Idempotency-Key`` header, which becomes the ledger entry's key."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy.orm import Session

from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import Database
from loyaldesk.kernel.pagination import Page
from loyaldesk.loyalty import program_of_store
from loyaldesk.loyalty.actions import change_tiers as tier_actions
from loyaldesk.loyalty.actions import configure_program as program_actions
from loyaldesk.loyalty.actions import redeem_rewards as redemptions
from loyaldesk.loyalty.actions.enrol_members import join_program
from loyaldesk.loyalty.member_schemas import (
    CodeOut,
    EntryOut,
    MemberOut,
    OfferOut,
)
from loyaldesk.loyalty.models import EarningRule, Member, Reward, RewardCode
from loyaldesk.loyalty.program import referral_link
from loyaldesk.loyalty.queries import program as program_queries
from loyaldesk.loyalty.queries import views as queries
from loyaldesk.loyalty.schemas import (
    AdjustmentIn,
    ProgramSettings,
    ProgramSettingsPatch,
    RedemptionIn,
    RewardIn,
    RewardOut,
    RuleIn,
    RuleOut,
    TierIn,
    TierOut,
)
from loyaldesk.runtime import Runtime
from loyaldesk.stores import store_by_id
from loyaldesk.web.deps import DatabaseDep, PageDep, RuntimeDep, scope

router = APIRouter(prefix="/api/v1/loyalty", tags=["loyalty"])

Reader = Annotated[Actor, Depends(scope("loyalty:read"))]
Writer = Annotated[Actor, Depends(scope("loyalty:write"))]
RowId = Annotated[int, Path(ge=1, le=2**62)]
IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=150,
        description="Required: your id for this change. Sending it again returns the first result.",
    ),
]
CodeText = Annotated[str, Path(min_length=4, max_length=32)]


def store_of(actor: Actor) -> int:
    """The store of the API key making the call (every loyalty route needs a store key)."""
    assert actor.store_id is not None
    return actor.store_id


# -- program settings ------------------------------------------------------------------------------


@router.get("/program", response_model=ProgramSettings, summary="The program's settings")
def get_program(actor: Reader, database: DatabaseDep) -> ProgramSettings:
    with database.read() as session:
        return program_queries.settings_of(program_of_store(session, store_of(actor)))


@router.patch("/program", response_model=ProgramSettings, summary="Change some of the program's settings")
def update_program(body: ProgramSettingsPatch, actor: Writer, database: DatabaseDep) -> ProgramSettings:
    program = database.write(program_actions.update_program, actor, store_of(actor), body)
    return program_queries.settings_of(program)


class TierCountOut(BaseModel):
    tier: str
    members: int


class OverviewOut(BaseModel):
    members: int
    active_members: int = Field(description="Members with activity in the last 90 days.")
    points_issued: int = Field(description="Points earned through the rules, net of reversals.")
    points_adjusted: int = Field(description="Net points given (or taken, if negative) by hand.")
    points_goodwill: int = Field(
        description="Of the points given by hand, those given as goodwill or service recovery."
    )
    points_earned: int = Field(
        description="Points members earned: issued plus goodwill (the sum of members' lifetime_earned)."
    )
    points_redeemed: int
    points_expired: int
    points_outstanding: int = Field(description="Available and pending points not yet spent or expired.")
    points_pending: int
    redemption_rate: float = Field(description="Points redeemed / points given (issued + adjusted).")
    tier_mix: list[TierCountOut]
    liability_minor: int = Field(
        description="Outstanding points x cost per point x (1 - expected breakage), in minor units."
    )
    currency: str
    point_value_minor: int
    expected_breakage_percent: int


@router.get("/overview", response_model=OverviewOut, summary="The program in numbers, with its liability")
def overview(actor: Reader, database: DatabaseDep, runtime: RuntimeDep) -> OverviewOut:
    store_id = store_of(actor)
    with database.read() as session:
        store = store_by_id(session, store_id)
        program = program_of_store(session, store_id)
        numbers = queries.overview(session, store, program, runtime.clock.now())
    values = {
        **numbers.__dict__,
        "points_earned": numbers.points_earned,
        "tier_mix": [TierCountOut(tier=n, members=c) for n, c in numbers.tier_mix],
    }
    return OverviewOut(**values)


# -- earning rules ---------------------------------------------------------------------------------


@router.get("/rules", response_model=list[RuleOut], summary="Earning rules and campaigns")
def list_rules(actor: Reader, database: DatabaseDep) -> list[RuleOut]:
    with database.read() as session:
        return [RuleOut.of(rule) for rule in program_queries.rules_of(session, store_of(actor))]


@router.post("/rules", status_code=201, response_model=RuleOut, summary="Create a rule or campaign")
def create_rule(body: RuleIn, actor: Writer, database: DatabaseDep) -> RuleOut:
    return RuleOut.of(database.write(program_actions.save_rule, actor, store_of(actor), body))


@router.get("/rules/{rule_id}", response_model=RuleOut, summary="One rule")
def get_rule(rule_id: RowId, actor: Reader, database: DatabaseDep) -> RuleOut:
    with database.read() as session:
        return RuleOut.of(program_queries.owned(session, EarningRule, store_of(actor), rule_id, "rule"))


@router.put("/rules/{rule_id}", response_model=RuleOut, summary="Replace a rule's terms")
def replace_rule(rule_id: RowId, body: RuleIn, actor: Writer, database: DatabaseDep) -> RuleOut:
    return RuleOut.of(database.write(program_actions.save_rule, actor, store_of(actor), body, rule_id))


# -- tiers -----------------------------------------------------------------------------------------


@router.get("/tiers", response_model=list[TierOut], summary="The tier ladder, base tier first")
def list_tiers(actor: Reader, database: DatabaseDep) -> list[TierOut]:
    with database.read() as session:
        return [TierOut.of(tier) for tier in program_queries.tiers_of(session, store_of(actor))]


@router.post("/tiers", status_code=201, response_model=TierOut, summary="Add a tier")
def create_tier(body: TierIn, actor: Writer, database: DatabaseDep) -> TierOut:
    return TierOut.of(database.write(program_actions.save_tier, actor, store_of(actor), body))


@router.put("/tiers/{tier_id}", response_model=TierOut, summary="Change a tier")
def replace_tier(tier_id: RowId, body: TierIn, actor: Writer, database: DatabaseDep) -> TierOut:
    return TierOut.of(database.write(program_actions.save_tier, actor, store_of(actor), body, tier_id))


# -- rewards ---------------------------------------------------------------------------------------


@router.get("/rewards", response_model=list[RewardOut], summary="The rewards catalogue")
def list_rewards(actor: Reader, database: DatabaseDep) -> list[RewardOut]:
    with database.read() as session:
        return [RewardOut.of(reward) for reward in program_queries.rewards_of(session, store_of(actor))]


@router.post("/rewards", status_code=201, response_model=RewardOut, summary="Add a reward")
def create_reward(body: RewardIn, actor: Writer, database: DatabaseDep) -> RewardOut:
    return RewardOut.of(database.write(program_actions.save_reward, actor, store_of(actor), body))


@router.get("/rewards/{reward_id}", response_model=RewardOut, summary="One reward")
def get_reward(reward_id: RowId, actor: Reader, database: DatabaseDep) -> RewardOut:
    with database.read() as session:
        return RewardOut.of(program_queries.owned(session, Reward, store_of(actor), reward_id, "reward"))


@router.put("/rewards/{reward_id}", response_model=RewardOut, summary="Change a reward")
def replace_reward(reward_id: RowId, body: RewardIn, actor: Writer, database: DatabaseDep) -> RewardOut:
    return RewardOut.of(database.write(program_actions.save_reward, actor, store_of(actor), body, reward_id))


# -- members ---------------------------------------------------------------------------------------


class EnrollIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer_id: int = Field(ge=1, le=2**62)


def member_out(runtime: Runtime, session: Session, store_id: int, member: Member) -> MemberOut:
    """The member as the API shows them (also to the member themself)."""
    store = store_by_id(session, store_id)
    picture = queries.member_picture(session, store, member, runtime.clock.now())
    program = program_of_store(session, store_id)
    link = referral_link(program, store, member.referral_code, runtime.settings.public_base_url)
    return MemberOut.of(picture, link)


@router.post(
    "/members",
    response_model=MemberOut,
    status_code=201,
    summary="Enrol a customer (returns the existing membership with 200 if they are a member)",
    responses={200: {"model": MemberOut, "description": "Already a member"}},
)
def enroll_member(
    body: EnrollIn, actor: Writer, database: DatabaseDep, runtime: RuntimeDep, response: Response
) -> MemberOut:
    store_id = store_of(actor)
    member, created = database.write(join_program, actor, store_id, body.customer_id)
    response.status_code = 201 if created else 200
    with database.read() as session:
        return member_out(
            runtime, session, store_id, program_queries.owned(session, Member, store_id, member.id, "member")
        )


@router.get("/members/by-customer/{customer_id}", response_model=MemberOut, summary="A customer's membership")
def member_of_customer(
    customer_id: RowId, actor: Reader, database: DatabaseDep, runtime: RuntimeDep
) -> MemberOut:
    store_id = store_of(actor)
    with database.read() as session:
        member = program_queries.member_by_customer(session, store_id, customer_id)
        return member_out(runtime, session, store_id, member)


@router.get(
    "/members/{member_id}",
    response_model=MemberOut,
    summary="A member: balance, pending and expiring points, tier progress, badges, referral link",
)
def get_member(member_id: RowId, actor: Reader, database: DatabaseDep, runtime: RuntimeDep) -> MemberOut:
    store_id = store_of(actor)
    with database.read() as session:
        member = program_queries.owned(session, Member, store_id, member_id, "member")
        return member_out(runtime, session, store_id, member)


@router.get(
    "/members/{member_id}/history", response_model=Page[EntryOut], summary="Points history, newest first"
)
def member_history(member_id: RowId, actor: Reader, database: DatabaseDep, page: PageDep) -> Page[EntryOut]:
    with database.read() as session:
        program_queries.owned(session, Member, store_of(actor), member_id, "member")
        entries, cursor = queries.history(session, member_id, before_id=page.before_id, limit=page.limit)
    return Page(data=[EntryOut.of(entry) for entry in entries], next_cursor=cursor)


@router.get(
    "/members/{member_id}/offers", response_model=list[OfferOut], summary="Rewards as this member sees them"
)
def member_offers(
    member_id: RowId, actor: Reader, database: DatabaseDep, runtime: RuntimeDep
) -> list[OfferOut]:
    store_id = store_of(actor)
    with database.read() as session:
        member = program_queries.owned(session, Member, store_id, member_id, "member")
        picture = queries.member_picture(session, store_by_id(session, store_id), member, runtime.clock.now())
    return [OfferOut.of(offer) for offer in picture.offers]


@router.get("/members/{member_id}/codes", response_model=list[CodeOut], summary="The member's reward codes")
def member_codes(member_id: RowId, actor: Reader, database: DatabaseDep) -> list[CodeOut]:
    with database.read() as session:
        program_queries.owned(session, Member, store_of(actor), member_id, "member")
        return [CodeOut.of(code, name) for code, name in program_queries.codes_of_member(session, member_id)]


class AdjustmentOut(BaseModel):
    entry: EntryOut
    available_points: int


@router.post(
    "/members/{member_id}/adjustments",
    status_code=201,
    response_model=AdjustmentOut,
    summary="Add or remove points by hand, with a reason code (audited)",
)
def adjust_points(
    member_id: RowId,
    body: AdjustmentIn,
    actor: Writer,
    database: DatabaseDep,
    idempotency_key: IdempotencyKey,
) -> AdjustmentOut:
    result = database.write(
        program_actions.adjust_points, actor, store_of(actor), member_id, body, key=f"api:{idempotency_key}"
    )
    with database.read() as session:
        member = session.get(Member, member_id)
        assert member is not None
        return AdjustmentOut(entry=EntryOut.of(result.entry), available_points=member.available_points)


@router.post(
    "/members/{member_id}/redemptions",
    status_code=201,
    response_model=CodeOut,
    summary="Redeem a reward for the member: spends the points and issues a code",
)
def redeem(
    member_id: RowId,
    body: RedemptionIn,
    actor: Writer,
    database: DatabaseDep,
    idempotency_key: IdempotencyKey,
) -> CodeOut:
    code = database.write(
        redemptions.redeem, actor, store_of(actor), member_id, body.reward_id, key=f"api:{idempotency_key}"
    )
    with database.read() as session:
        reward = session.get(Reward, code.reward_id)
        return CodeOut.of(code, reward.name if reward else "")


class TierOverrideIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tier_id: int | None = Field(ge=1, le=2**62, description="The floor tier; null removes the override.")


@router.put(
    "/members/{member_id}/tier-override", response_model=MemberOut, summary="Set or clear a tier floor"
)
def set_tier_override(
    member_id: RowId, body: TierOverrideIn, actor: Writer, database: DatabaseDep, runtime: RuntimeDep
) -> MemberOut:
    store_id = store_of(actor)
    database.write(tier_actions.set_override, actor, store_id, member_id, body.tier_id)
    with database.read() as session:
        return member_out(
            runtime, session, store_id, program_queries.owned(session, Member, store_id, member_id, "member")
        )


# -- reward codes ----------------------------------------------------------------------------------


class CodeUseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    order_id: int | None = Field(default=None, ge=1, le=2**62, description="The order that used it.")


class CodeCancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


def _code_out(database: Database, code_id: int) -> CodeOut:
    with database.read() as session:
        code = session.get(RewardCode, code_id)
        assert code is not None
        reward = session.get(Reward, code.reward_id)
        return CodeOut.of(code, reward.name if reward else "")


@router.post("/codes/{code}/use", response_model=CodeOut, summary="Mark a reward code as used")
def use_code(code: CodeText, body: CodeUseIn, actor: Writer, database: DatabaseDep) -> CodeOut:
    used = database.write(redemptions.use_code, actor, store_of(actor), code, body.order_id)
    return _code_out(database, used.id)


@router.post(
    "/codes/{code}/cancel", response_model=CodeOut, summary="Cancel a reward code; its points go back"
)
def cancel_code(code: CodeText, body: CodeCancelIn, actor: Writer, database: DatabaseDep) -> CodeOut:
    cancelled = database.write(redemptions.cancel_code, actor, store_of(actor), code, reason=body.reason)
    return _code_out(database, cancelled.id)
