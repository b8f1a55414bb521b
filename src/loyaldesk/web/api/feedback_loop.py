"""Closing the loop through the API: ``POST /api/v1/feedback/themes/{theme_id}/fixed`` marks a theme
fixed and queues "we fixed it" to the customers who raised it (``feedback:write``);
``GET /api/v1/feedback/closures`` lists past broadcasts, newest first (``feedback:read``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, Field

from loyaldesk.feedback.loop import (
    MAX_GOODWILL_POINTS,
    MAX_NOTE,
    ClosureRow,
    audience,
    closures,
    mark_fixed,
)
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.pagination import Page, encode_cursor
from loyaldesk.web.deps import PageDep, RuntimeDep, scope

router = APIRouter(prefix="/api/v1/feedback", tags=["feedback"])

Reader = Annotated[Actor, Depends(scope("feedback:read"))]
Writer = Annotated[Actor, Depends(scope("feedback:write"))]


class FixIn(BaseModel):
    note: str = Field(max_length=MAX_NOTE, description="What was fixed; the customers read it.")
    goodwill_points: int = Field(
        default=0, description=f"Points for each customer who is a member (0 to {MAX_GOODWILL_POINTS})."
    )
    channel: str = Field(default="email", max_length=16, description="The channel of the message (email).")
    since: datetime | None = Field(default=None, description="Only answers from this moment on.")
    response_ids: list[Annotated[int, Field(ge=1, le=2**62)]] | None = Field(
        default=None, max_length=1000, description="Tell the customers of these answers instead."
    )


class ClosureOut(BaseModel):
    id: int
    theme_id: int | None
    note: str
    channel: str
    goodwill_points: int
    since: datetime | None
    recipient_count: int = Field(description="Distinct customers who raised it (erased ones excluded).")
    created_at: datetime

    @classmethod
    def of(cls, row: ClosureRow) -> ClosureOut:
        return cls(
            id=row.id,
            theme_id=row.theme_id,
            note=row.note,
            channel=row.channel,
            goodwill_points=row.goodwill_points,
            since=row.since,
            recipient_count=row.recipient_count,
            created_at=row.created_at,
        )


class FixedOut(ClosureOut):
    reached: int = Field(description="How many the message will reach (not opted out, with an address).")
    opted_out: int = Field(description="How many opted out of the channel: journeys will not send to them.")


@router.post(
    "/themes/{theme_id}/fixed", status_code=201, response_model=FixedOut, summary="Mark a theme fixed"
)
def theme_fixed(
    actor: Writer,
    runtime: RuntimeDep,
    body: FixIn,
    theme_id: Annotated[int, Path(ge=1, le=2**62)],
) -> FixedOut:
    """Mark the theme fixed with ``note`` and queue "we fixed it" (through journeys, category feedback)
    to each customer who raised it, with ``goodwill_points`` for members. 422 naming the field for a
    missing note, points out of range, a theme of another store or nobody to tell."""
    assert actor.store_id is not None
    store_id = actor.store_id
    closure = runtime.database.write(
        mark_fixed,
        actor,
        store_id,
        theme_id=theme_id,
        response_ids=body.response_ids,
        note=body.note,
        goodwill_points=body.goodwill_points,
        channel=body.channel,
        since=body.since,
    )
    with runtime.database.read() as session:
        found = audience(
            session, store_id, theme_id=theme_id, response_ids=body.response_ids, since=body.since
        )
    return FixedOut(
        id=closure.id,
        theme_id=closure.theme_id,
        note=closure.note,
        channel=closure.channel,
        goodwill_points=closure.goodwill_points,
        since=closure.since,
        recipient_count=closure.recipient_count,
        created_at=closure.created_at,
        reached=found.reached,
        opted_out=found.opted_out,
    )


@router.get("/closures", response_model=Page[ClosureOut], summary='"We fixed it" broadcasts, newest first')
def list_closures(actor: Reader, runtime: RuntimeDep, page: PageDep) -> Page[ClosureOut]:
    assert actor.store_id is not None
    with runtime.database.read() as session:
        rows, before = closures(session, actor.store_id, before_id=page.before_id, limit=page.limit)
    return Page(
        data=[ClosureOut.of(row) for row in rows], next_cursor=encode_cursor(before) if before else None
    )
