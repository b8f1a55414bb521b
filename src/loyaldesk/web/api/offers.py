"""Personal offers through the store API: ``GET /api/v1/offers`` (newest first, each with its results)
and ``GET /api/v1/offers/{offer_id}`` (``recommendations:read``); ``POST /api/v1/offers`` (a draft),
``PUT /api/v1/offers/{offer_id}`` (change a draft), ``POST /api/v1/offers/{offer_id}/launch`` and
``/end`` (``recommendations:write``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, Field

from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.pagination import Page, encode_cursor
from loyaldesk.recommendations.actions.offer_launch import end_offer, launch_offer
from loyaldesk.recommendations.actions.offers import create_offer, update_offer
from loyaldesk.recommendations.offer_schemas import OfferIn
from loyaldesk.recommendations.queries.offers import OfferResults, offer_results, offers_of
from loyaldesk.recommendations.rules.uplift import GroupFigures, Interval
from loyaldesk.recommendations.vocab import OfferGroup, OfferKind, OfferStatus, OfferTarget
from loyaldesk.web.deps import PageDep, RuntimeDep, scope

router = APIRouter(prefix="/api/v1/offers", tags=["recommendations"])

Reader = Annotated[Actor, Depends(scope("recommendations:read"))]
Writer = Annotated[Actor, Depends(scope("recommendations:write"))]
OfferId = Annotated[int, Path(ge=1, le=2**62)]


class IntervalOut(BaseModel):
    low: float
    high: float

    @classmethod
    def of(cls, interval: Interval | None) -> IntervalOut | None:
        return cls(low=interval.low, high=interval.high) if interval is not None else None


class GroupOut(BaseModel):
    group: OfferGroup
    customers: int
    converted: int
    conversion_rate: float | None = Field(description="Converted customers / customers (0..1).")
    conversion_interval: IntervalOut | None = Field(description="Wilson 95% interval of the rate.")
    revenue_per_customer: float | None = Field(description="Net order totals per customer, minor units.")

    @classmethod
    def of(cls, group: OfferGroup, figures: GroupFigures) -> GroupOut:
        return cls(
            group=group,
            customers=figures.customers,
            converted=figures.converted,
            conversion_rate=figures.conversion_rate,
            conversion_interval=IntervalOut.of(figures.conversion_interval),
            revenue_per_customer=figures.revenue_per_customer,
        )


class OfferOut(BaseModel):
    id: int
    name: str
    description: str
    kind: OfferKind
    value: int
    target_kind: OfferTarget
    target: str | None
    segment: str | None
    holdout_percent: int
    status: OfferStatus
    ends_at: datetime
    launched_at: datetime | None
    ended_at: datetime | None
    treatment_count: int
    holdout_count: int
    told_count: int = Field(
        description="Offer-group members told so far (code issued, message queued): telling runs in the "
        "background after the launch and reaches ``treatment_count`` unless the offer ends first."
    )
    telling: bool = Field(description="Whether the offer group is still being told.")
    results_from: datetime | None = Field(description="The results' window: from the launch ...")
    results_until: datetime | None = Field(description="... to the end (or now, while it runs).")
    groups: list[GroupOut] = Field(description="Treatment and holdout (empty for a draft).")
    conversion_difference: float | None = Field(description="Treatment - holdout conversion rate.")
    conversion_difference_interval: IntervalOut | None = Field(
        description="95% interval of the difference (Newcombe's hybrid score interval)."
    )
    revenue_difference: float | None = Field(description="Treatment - holdout revenue per customer.")
    revenue_difference_interval: IntervalOut | None = Field(
        description="95% interval of the difference (Welch's t interval)."
    )

    @classmethod
    def of(cls, results: OfferResults) -> OfferOut:
        offer, found = results.offer, results.uplift
        return cls(
            id=offer.id,
            name=offer.name,
            description=offer.description,
            kind=OfferKind(offer.kind),
            value=offer.value,
            target_kind=OfferTarget(offer.target_kind),
            target=offer.target,
            segment=offer.segment,
            holdout_percent=offer.holdout_percent,
            status=OfferStatus(offer.status),
            ends_at=offer.ends_at,
            launched_at=offer.launched_at,
            ended_at=offer.ended_at,
            treatment_count=offer.treatment_count,
            holdout_count=offer.holdout_count,
            told_count=results.told,
            telling=results.telling,
            results_from=results.window_start,
            results_until=results.window_end,
            groups=[
                GroupOut.of(OfferGroup.TREATMENT, found.treatment),
                GroupOut.of(OfferGroup.HOLDOUT, found.holdout),
            ]
            if found
            else [],
            conversion_difference=found.conversion_difference if found else None,
            conversion_difference_interval=IntervalOut.of(found.conversion_interval if found else None),
            revenue_difference=found.revenue_difference if found else None,
            revenue_difference_interval=IntervalOut.of(found.revenue_interval if found else None),
        )


@router.get("", response_model=Page[OfferOut], summary="Personal offers with their results, newest first")
def list_offers(actor: Reader, runtime: RuntimeDep, page: PageDep) -> Page[OfferOut]:
    assert actor.store_id is not None
    with runtime.database.read() as session:
        rows, before = offers_of(
            session, actor.store_id, runtime.clock.now(), before_id=page.before_id, limit=page.limit
        )
        data = [OfferOut.of(row) for row in rows]
    return Page(data=data, next_cursor=encode_cursor(before) if before else None)


@router.get("/{offer_id}", response_model=OfferOut, summary="One offer with its results")
def get_offer(actor: Reader, runtime: RuntimeDep, offer_id: OfferId) -> OfferOut:
    """The offer, each group's conversion and revenue per customer, and the treatment - holdout
    differences with 95% intervals. 404 for another store's offer."""
    assert actor.store_id is not None
    with runtime.database.read() as session:
        return OfferOut.of(offer_results(session, actor.store_id, offer_id, runtime.clock.now()))


def _read(runtime: RuntimeDep, store_id: int, offer_id: int) -> OfferOut:
    with runtime.database.read() as session:
        return OfferOut.of(offer_results(session, store_id, offer_id, runtime.clock.now()))


@router.post("", status_code=201, response_model=OfferOut, summary="Create a draft offer")
def create(actor: Writer, runtime: RuntimeDep, body: OfferIn) -> OfferOut:
    """A draft that reaches nobody until launched. 422 naming the field: a value out of its kind's
    bounds (percent 1 to 100), an unknown item or category, an unknown segment, a holdout above 50%, an
    end in the past."""
    assert actor.store_id is not None
    offer = runtime.database.write(create_offer, actor, actor.store_id, body)
    return _read(runtime, actor.store_id, offer.id)


@router.put("/{offer_id}", response_model=OfferOut, summary="Change a draft offer")
def replace(actor: Writer, runtime: RuntimeDep, offer_id: OfferId, body: OfferIn) -> OfferOut:
    """Replace a draft's settings (checked as on creation). 409 once launched: its customers were split."""
    assert actor.store_id is not None
    runtime.database.write(update_offer, actor, actor.store_id, offer_id, body)
    return _read(runtime, actor.store_id, offer_id)


@router.post("/{offer_id}/launch", response_model=OfferOut, summary="Launch an offer")
def launch(actor: Writer, runtime: RuntimeDep, offer_id: OfferId) -> OfferOut:
    """Split the targeted customers into the offer group and the holdout; telling the offer group (a
    code each for a discount, the message) then runs in the background: ``told_count`` of
    ``treatment_count`` shows how far it got. Launching again changes nothing. 409 for an ended offer,
    422 when nobody is targeted."""
    assert actor.store_id is not None
    runtime.database.write(launch_offer, actor, actor.store_id, offer_id)
    return _read(runtime, actor.store_id, offer_id)


@router.post("/{offer_id}/end", response_model=OfferOut, summary="End an offer now")
def end(actor: Writer, runtime: RuntimeDep, offer_id: OfferId) -> OfferOut:
    """Its results become final. 409 for a draft."""
    assert actor.store_id is not None
    runtime.database.write(end_offer, actor, actor.store_id, offer_id)
    return _read(runtime, actor.store_id, offer_id)
