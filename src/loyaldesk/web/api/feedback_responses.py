"""``GET /api/v1/feedback/responses`` (the feedback inbox for the store's backend: every answer with its
context, the inbox's filters, newest first, a page at a time) and ``GET /api/v1/feedback/summary`` (the
dashboards' figures as JSON). Scope ``feedback:read``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from loyaldesk.feedback.queries import dashboards, outcomes
from loyaldesk.feedback.queries import inbox as inbox_queries
from loyaldesk.feedback.vocab import Bucket, SurveyChannel, SurveyKind
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, decode_position
from loyaldesk.stores import store_by_id
from loyaldesk.web.console.feedback_dashboard import load
from loyaldesk.web.console.feedback_filters import dashboard_period, parse_filters
from loyaldesk.web.deps import RuntimeDep, scope

router = APIRouter(prefix="/api/v1/feedback", tags=["feedback"])

Reader = Annotated[Actor, Depends(scope("feedback:read"))]


class ThemeOut(BaseModel):
    id: int
    name: str
    source: str


class ResponseOut(BaseModel):
    id: int
    created_at: datetime
    survey_id: int
    survey_name: str
    kind: SurveyKind
    channel: str
    score: int | None
    bucket: Bucket | None
    comment: str | None
    complete: bool
    answers: dict[str, Any]
    customer_id: int | None
    tier: str | None
    customer_value: int | None
    agent_id: int | None
    order_id: int | None
    conversation_id: int | None
    product_ids: list[int]
    detractor_conversation_id: int | None
    contacted_at: datetime | None
    follow_up_of_id: int | None
    themes: list[ThemeOut]

    @classmethod
    def of(cls, row: inbox_queries.InboxRow) -> ResponseOut:
        return cls(
            id=row.id,
            created_at=row.created_at,
            survey_id=row.survey_id,
            survey_name=row.survey_name,
            kind=row.kind,
            channel=row.channel,
            score=row.score,
            bucket=row.bucket,
            comment=row.comment,
            complete=row.complete,
            answers=row.answers,
            customer_id=row.customer_id,
            tier=row.tier,
            customer_value=row.customer_value,
            agent_id=row.agent_id,
            order_id=row.order_id,
            conversation_id=row.conversation_id,
            product_ids=[product_id for product_id, _ in row.products],
            detractor_conversation_id=row.detractor_conversation_id,
            contacted_at=row.contacted_at,
            follow_up_of_id=row.follow_up_of_id,
            themes=[ThemeOut(id=t.id, name=t.name, source=t.source) for t in row.themes],
        )


def _timezone(runtime: Any, store_id: int) -> str:
    with runtime.database.read() as session:
        return str(store_by_id(session, store_id).timezone)


@router.get("/responses", response_model=Page[ResponseOut], summary="Survey answers, newest first")
def list_responses(
    request: Request,
    actor: Reader,
    runtime: RuntimeDep,
    cursor: Annotated[str | None, Query(max_length=300, description="From the previous page.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    bucket: Annotated[Bucket | None, Query(description="promoter, passive or detractor")] = None,
    score_min: Annotated[int | None, Query(ge=0, le=10)] = None,
    score_max: Annotated[int | None, Query(ge=0, le=10)] = None,
    kind: Annotated[SurveyKind | None, Query()] = None,
    survey: Annotated[int | None, Query(ge=1, le=2**62, description="A survey's id.")] = None,
    theme: Annotated[int | None, Query(ge=1, le=2**62, description="A theme's id.")] = None,
    tier: Annotated[str | None, Query(max_length=100, description="The tier when answering.")] = None,
    product: Annotated[int | None, Query(ge=1, le=2**62, description="A product's id.")] = None,
    agent: Annotated[int | None, Query(ge=1, le=2**62, description="A staff member's id.")] = None,
    channel: Annotated[SurveyChannel | None, Query()] = None,
    start: Annotated[
        str | None, Query(alias="from", max_length=10, description="First day, store time.")
    ] = None,
    end: Annotated[str | None, Query(alias="to", max_length=10, description="Last day, store time.")] = None,
    comment: Annotated[
        str | None, Query(max_length=5, description="yes: with a comment; no: without.")
    ] = None,
    complete: Annotated[bool, Query(description="Only complete answers.")] = False,
) -> Page[ResponseOut]:
    """The store's answers with their context, filtered as in the console's feedback inbox."""
    assert actor.store_id is not None
    params = dict(request.query_params)
    params["complete"] = "yes" if complete else ""
    filters, _ = parse_filters(params, _timezone(runtime, actor.store_id))
    with runtime.database.read() as session:
        rows, next_cursor = inbox_queries.responses(
            session, actor.store_id, filters, before=decode_position(cursor), limit=limit
        )
    return Page(data=[ResponseOut.of(row) for row in rows], next_cursor=next_cursor)


def _estimate(value: Any) -> dict[str, Any] | None:
    return None if value is None else value.as_dict()


def summary_json(summary: dashboards.ScoresSummary, after: outcomes.Outcomes) -> dict[str, Any]:
    """The dashboards' figures as JSON (the page's numbers: every estimate has n, value, low, high and
    too_few)."""

    def scores(item: dashboards.KindScores) -> dict[str, Any]:
        return {"main": _estimate(item.main), "easy": _estimate(item.easy)}

    return {
        "from": summary.start.isoformat(),
        "to": summary.end.isoformat(),
        "every": summary.granularity,
        "overall": {kind.value: scores(item) for kind, item in summary.overall.items()},
        "series": [
            {
                "start": item.start.isoformat(),
                "label": item.label,
                **{kind.value: scores(value) for kind, value in item.scores.items()},
            }
            for item in summary.series
        ],
        "response_rates": [
            {
                "kind": rate.kind.value,
                "asked": rate.asked,
                "answered": rate.answered,
                "rate": _estimate(rate.rate),
            }
            for rate in summary.response_rates
        ],
        "breakdowns": {
            "kind": summary.kind.value,
            **{
                breakdown.dimension: [
                    {"key": group.key, "label": group.label, **scores(group.scores)}
                    for group in breakdown.groups
                ]
                for breakdown in summary.breakdowns
            },
        },
        "loop_closure": {
            "detractors": after.detractors,
            "contacted_within_7_days": after.contacted_within,
            "rate": _estimate(after.loop_closure),
        },
        "recovery": {
            "followed_up": after.followed_up,
            "recovered": after.recovered,
            "rate": _estimate(after.recovery),
        },
        "purchases_after": {
            "follow_days": after.follow_days,
            "observed_days": after.observed_days,
            "buckets": [
                {
                    "bucket": item.bucket.value,
                    "customers": item.customers,
                    "bought": _estimate(item.bought),
                    "revenue_per_customer_minor": _estimate(item.revenue_per_customer),
                }
                for item in after.purchases
            ],
        },
    }


@router.get("/summary", summary="The feedback dashboards' figures")
def feedback_summary(
    actor: Reader,
    runtime: RuntimeDep,
    start: Annotated[
        str | None, Query(alias="from", max_length=10, description="First day (store time).")
    ] = None,
    end: Annotated[
        str | None, Query(alias="to", max_length=10, description="Last day (default today).")
    ] = None,
    every: Annotated[str | None, Query(max_length=5, description="week or month")] = None,
    kind: Annotated[
        str | None, Query(max_length=4, description="The breakdowns' kind: nps, csat or ces.")
    ] = None,
) -> dict[str, Any]:
    """NPS, CSAT and CES overall and per week or month with 95% intervals, response rates, breakdowns by
    tier, product, agent, channel and theme, loop closure, recovery and what customers bought after."""
    assert actor.store_id is not None
    timezone = _timezone(runtime, actor.store_id)
    today = runtime.clock.now().astimezone(ZoneInfo(timezone)).date()
    params = {"from": start or "", "to": end or "", "every": every or "", "kind": kind or ""}
    period = dashboard_period(params, today)
    summary, after = load(runtime, actor.store_id, timezone, period)
    return summary_json(summary, after)
