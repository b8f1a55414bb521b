"""Store API routes of journeys (``/api/v1/journeys``): rules (journeys, support automations, campaigns)
listed, created, read, replaced, deleted, switched on and off; their results against the holdout, who
would enter tomorrow, why a customer did or did not get one, and the communication calendar.

Thin: parse, check the scope (``journeys:read`` / ``journeys:write``), call an action or a query. A
definition that cannot run is refused with 422 naming the part (``steps[1].template``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel
from sqlalchemy import select

from loyaldesk.customers import Customer
from loyaldesk.journeys.actions.rules import delete_rule, rule_of, save_rule, set_rule_enabled
from loyaldesk.journeys.models import JourneyRule
from loyaldesk.journeys.queries.calendar import MAX_DAYS, calendar
from loyaldesk.journeys.queries.dry_run import dry_run
from loyaldesk.journeys.queries.explain import explain
from loyaldesk.journeys.queries.results import GroupResult, results_of
from loyaldesk.journeys.schemas import RuleIn
from loyaldesk.journeys.vocab import RulePurpose
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.errors import Invalid, NotFound
from loyaldesk.kernel.pagination import Page, encode_cursor
from loyaldesk.stores import store_by_id
from loyaldesk.web.deps import DatabaseDep, PageDep, RuntimeDep, scope

router = APIRouter(prefix="/api/v1/journeys", tags=["journeys"])

Reader = Annotated[Actor, Depends(scope("journeys:read"))]
Writer = Annotated[Actor, Depends(scope("journeys:write"))]
RuleId = Annotated[int, Path(ge=1, le=2**62)]


def store_of(actor: Actor) -> int:
    assert actor.store_id is not None
    return actor.store_id


class RuleOut(BaseModel):
    """A rule as stored: its definition (what ``POST``/``PUT`` take) and its state."""

    id: int
    builtin_key: str | None
    name: str
    description: str
    purpose: str
    category: str
    trigger: dict[str, Any]
    conditions: dict[str, Any]
    steps: list[dict[str, Any]]
    holdout_percent: int
    reentry: str
    conversion_days: int
    enabled: bool
    version: int
    alert: str | None
    last_run_at: datetime | None
    next_run_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, rule: JourneyRule) -> RuleOut:
        return cls.model_validate(rule, from_attributes=True)


class GroupOut(BaseModel):
    customers: int
    converted: int
    revenue_minor: int
    conversion_rate: float | None

    @classmethod
    def of(cls, group: GroupResult) -> GroupOut:
        return cls(
            customers=group.customers,
            converted=group.converted,
            revenue_minor=group.revenue_minor,
            conversion_rate=group.rate,
        )


class ResultsOut(BaseModel):
    """Sends by outcome, and conversion of the treated against the holdout group; ``uplift`` is the
    difference in conversion rate (0.021 = 2.1 points) with its 95% interval."""

    entered: int
    treated: GroupOut
    holdout: GroupOut
    queued: int
    deferred: int
    sent: int
    delivered: int
    opened: int
    clicked: int
    unsubscribed: int
    failed: int
    suppressed: int
    dropped: int
    unknown: int
    uplift: float | None
    uplift_low: float | None
    uplift_high: float | None
    currency: str | None


class CustomerBrief(BaseModel):
    id: int
    external_id: str | None
    name: str


class DryRunOut(BaseModel):
    """Who would enter tomorrow (the first 50 listed) and what the count is based on."""

    day: str
    count: int
    held_out: int
    basis: str
    customers: list[CustomerBrief]


class CalendarEntryOut(BaseModel):
    rule_id: int
    rule_name: str
    channel: str
    category: str
    count: float
    kind: str


class CalendarDayOut(BaseModel):
    day: date
    marketing_rules: int
    collision: bool
    entries: list[CalendarEntryOut]


@router.get("", response_model=Page[RuleOut], summary="List the store's journeys, automations and campaigns")
def list_rules(
    actor: Reader,
    database: DatabaseDep,
    page: PageDep,
    purpose: Annotated[RulePurpose | None, Query(description="Only journeys, support or campaigns.")] = None,
) -> Page[RuleOut]:
    query = select(JourneyRule).where(JourneyRule.store_id == store_of(actor))
    if purpose is not None:
        query = query.where(JourneyRule.purpose == purpose.value)
    if page.before_id is not None:
        query = query.where(JourneyRule.id < page.before_id)
    with database.read() as session:
        rows = list(session.scalars(query.order_by(JourneyRule.id.desc()).limit(page.limit + 1)))
        more = len(rows) > page.limit
        rows = rows[: page.limit]
        return Page(
            data=[RuleOut.of(rule) for rule in rows],
            next_cursor=encode_cursor(rows[-1].id) if more and rows else None,
        )


@router.post("", status_code=201, response_model=RuleOut, summary="Create a rule")
def create_rule(body: RuleIn, actor: Writer, database: DatabaseDep) -> RuleOut:
    return RuleOut.of(database.write(save_rule, actor, store_of(actor), body))


@router.get(
    "/calendar",
    response_model=list[CalendarDayOut],
    summary="What will go out on each of the next days, by rule and channel, with collisions",
)
def get_calendar(
    actor: Reader,
    runtime: RuntimeDep,
    days: Annotated[int, Query(ge=1, le=MAX_DAYS)] = 14,
) -> list[CalendarDayOut]:
    with runtime.database.read() as session:
        store = store_by_id(session, store_of(actor))
        grid = calendar(session, store, runtime.clock.now(), days=days)
    return [
        CalendarDayOut(
            day=day.day,
            marketing_rules=day.marketing_rules,
            collision=day.collision,
            entries=[CalendarEntryOut.model_validate(entry, from_attributes=True) for entry in day.entries],
        )
        for day in grid
    ]


@router.get("/{rule_id:int}", response_model=RuleOut, summary="One rule")
def get_rule(rule_id: RuleId, actor: Reader, database: DatabaseDep) -> RuleOut:
    with database.read() as session:
        return RuleOut.of(rule_of(session, store_of(actor), rule_id))


@router.put("/{rule_id:int}", response_model=RuleOut, summary="Replace a rule's definition")
def replace_rule(rule_id: RuleId, body: RuleIn, actor: Writer, database: DatabaseDep) -> RuleOut:
    return RuleOut.of(database.write(save_rule, actor, store_of(actor), body, rule_id))


@router.delete("/{rule_id:int}", status_code=204, response_class=Response, summary="Delete a rule")
def remove_rule(rule_id: RuleId, actor: Writer, database: DatabaseDep) -> Response:
    database.write(delete_rule, actor, store_of(actor), rule_id)
    return Response(status_code=204)


@router.post("/{rule_id:int}/enable", response_model=RuleOut, summary="Switch a rule on")
def enable_rule(rule_id: RuleId, actor: Writer, database: DatabaseDep) -> RuleOut:
    return RuleOut.of(database.write(set_rule_enabled, actor, store_of(actor), rule_id, True))


@router.post("/{rule_id:int}/disable", response_model=RuleOut, summary="Switch a rule off")
def disable_rule(rule_id: RuleId, actor: Writer, database: DatabaseDep) -> RuleOut:
    return RuleOut.of(database.write(set_rule_enabled, actor, store_of(actor), rule_id, False))


@router.get("/{rule_id:int}/results", response_model=ResultsOut, summary="Sends, conversion and uplift")
def get_results(rule_id: RuleId, actor: Reader, database: DatabaseDep) -> ResultsOut:
    with database.read() as session:
        results = results_of(session, rule_of(session, store_of(actor), rule_id))
    return ResultsOut(
        **{
            name: getattr(results, name)
            for name in ResultsOut.model_fields
            if name not in ("treated", "holdout")
        },
        treated=GroupOut.of(results.treated),
        holdout=GroupOut.of(results.holdout),
    )


@router.get("/{rule_id:int}/dry-run", response_model=DryRunOut, summary="Who would enter tomorrow")
def get_dry_run(rule_id: RuleId, actor: Reader, runtime: RuntimeDep) -> DryRunOut:
    with runtime.database.read() as session:
        store = store_by_id(session, store_of(actor))
        found = dry_run(session, store, rule_of(session, store.id, rule_id), runtime.clock.now())
        return DryRunOut(
            day=found.day,
            count=found.count,
            held_out=found.held_out,
            basis=found.basis,
            customers=[
                CustomerBrief(id=c.id, external_id=c.external_id, name=c.display_name)
                for c in found.customers
            ],
        )


@router.get(
    "/{rule_id:int}/explain",
    response_model=dict[str, Any],
    summary="Why the rule did or did not reach a customer, and what it would decide now",
)
def get_explanation(
    rule_id: RuleId,
    actor: Reader,
    runtime: RuntimeDep,
    customer_id: Annotated[
        int | None, Query(ge=1, le=2**62, description="Required: loyaldesk's id of the customer.")
    ] = None,
) -> dict[str, Any]:
    with runtime.database.read() as session:
        store = store_by_id(session, store_of(actor))
        rule = rule_of(session, store.id, rule_id)
        if customer_id is None:
            raise Invalid.field("customer_id", "required: the customer to explain the rule for")
        customer = session.scalar(
            select(Customer).where(Customer.id == customer_id, Customer.store_id == store.id)
        )
        if customer is None:
            raise NotFound(f"no customer {customer_id} in this store")
        return explain(session, store, rule, customer, runtime.clock.now()).as_dict()
