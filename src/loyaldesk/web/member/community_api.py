"""The community in the member API (``/member-api/v1/{store}/community/...``), for a store's own front end:
threads (by space, product or category), a thread, asking, answering, voting helpful, accepting (the
asker only), reporting, events with RSVP and the shopper's display name.

Identified like the rest of the member API (``X-Customer-Id`` / ``X-Customer-Signature``): a shopper acts
only as themself; what another shopper wrote cannot be changed (the actions refuse, 403/404, and nothing
changes). Bad input is a 422 naming the field; posting too fast a 429 saying when to try again (the
community's per-member limits, stricter for new members), with nothing stored. Requests carry no
credential the rate limiter knows, so they also count against ``anonymous_requests_per_address``.
Authors come as display name, tier, "verified buyer" and "staff" (never an email); bodies as the domain's
sanitised HTML beside their Markdown source.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from loyaldesk import community
from loyaldesk.kernel.errors import Invalid, NotFound
from loyaldesk.web.deps import RuntimeDep
from loyaldesk.web.member import community_views as views
from loyaldesk.web.member.shopper import Shopper, ShopperDep

router = APIRouter(tags=["member"])
API = "/member-api/v1/{store_slug}/community"
RowId = Annotated[int, Path(ge=1, le=2**62)]


class AuthorOut(BaseModel):
    display_name: str = Field(
        description="The member's chosen name, else first name and initial; never an email."
    )
    tier: str | None = Field(description="Their loyalty tier's name, when they have one.")
    verified_buyer: bool = Field(description="They bought the thread's product (answers about a product).")
    staff: bool


class ThreadSummaryOut(BaseModel):
    id: int
    space: str
    title: str
    author: AuthorOut
    status: str
    answers_count: int
    accepted: bool
    product_id: str | None
    category: str | None
    created_at: str
    last_activity_at: str


class PostOut(BaseModel):
    id: int
    body: str = Field(description="The Markdown as written.")
    body_html: str = Field(description="The Markdown rendered and sanitised: safe to insert as HTML.")
    author: AuthorOut
    helpful_votes: int
    accepted: bool
    voted: bool = Field(description="Whether you voted it helpful.")
    may_vote: bool
    may_accept: bool
    created_at: str


class EventOut(BaseModel):
    id: int
    title: str
    body_html: str
    starts_at: str
    ends_at: str | None
    location: str | None
    capacity: int | None
    going_count: int
    mine: bool = Field(description="Whether you are going.")
    full: bool


class ThreadOut(ThreadSummaryOut):
    body: str
    body_html: str
    posts: list[PostOut]
    event: EventOut | None


class QuestionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    space: community.SpaceKind = Field(
        default=community.SpaceKind.PRODUCT_QA, description="product_qa or discussions."
    )
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(default="", max_length=10_000, description="Markdown; raw HTML is shown as text.")
    product_id: str | None = Field(default=None, max_length=255, description="For a product question.")
    category_id: int | None = Field(default=None, ge=1, le=2**62, description="For a discussion.")


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: str = Field(min_length=1, max_length=10_000, description="Markdown; raw HTML is shown as text.")


class AcceptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    post_id: int = Field(ge=1, le=2**62)


class ReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    thread_id: int | None = Field(default=None, ge=1, le=2**62)
    post_id: int | None = Field(default=None, ge=1, le=2**62)
    reason: str = Field(min_length=1, max_length=500)


class RsvpIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    going: bool = True


class DisplayNameIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    display_name: str = Field(min_length=1, max_length=60)


class CreatedOut(BaseModel):
    id: int


class VotesOut(BaseModel):
    helpful_votes: int


def _customer_id(shopper: Shopper) -> int:
    if shopper.customer is None:
        raise NotFound("the store has not told loyaldesk about you yet, so you cannot post in its community")
    return shopper.customer.id


def _viewer(shopper: Shopper) -> int | None:
    return shopper.customer.id if shopper.customer else None


def _thread_out(runtime: RuntimeDep, shopper: Shopper, thread_id: int) -> ThreadOut:
    with runtime.database.read() as session:
        found = community.thread(
            session,
            store_id=shopper.store.id,
            thread_id=thread_id,
            viewer_customer_id=_viewer(shopper),
            staff=False,
        )
    return ThreadOut.model_validate(views.thread_json(found))


@router.get(
    API + "/threads",
    response_model=list[ThreadSummaryOut],
    summary="Threads of a space, newest activity first",
)
def list_threads(
    shopper: ShopperDep,
    runtime: RuntimeDep,
    space: Annotated[community.SpaceKind, Query()] = community.SpaceKind.PRODUCT_QA,
    product_id: Annotated[str | None, Query(max_length=255)] = None,
    category_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> list[ThreadSummaryOut]:
    with runtime.database.read() as session:
        found = community.threads(
            session,
            store_id=shopper.store.id,
            space_kind=space,
            product_id=product_id,
            category_id=category_id,
            viewer_customer_id=_viewer(shopper),
            limit=limit,
        )
    return [ThreadSummaryOut.model_validate(views.summary_json(item)) for item in found]


@router.get(API + "/threads/{thread_id}", response_model=ThreadOut, summary="A thread with its answers")
def get_thread(shopper: ShopperDep, runtime: RuntimeDep, thread_id: RowId) -> ThreadOut:
    return _thread_out(runtime, shopper, thread_id)


@router.post(
    API + "/questions",
    status_code=201,
    response_model=ThreadOut,
    summary="Ask a question or start a discussion",
)
def ask(body: QuestionIn, shopper: ShopperDep, runtime: RuntimeDep) -> ThreadOut:
    if body.space == community.SpaceKind.EVENTS:
        raise Invalid.field(
            "space", "events are created by the store's staff; ask in product_qa or discussions"
        )
    thread_id = runtime.database.write(
        community.ask_question,
        store_id=shopper.store.id,
        customer_id=_customer_id(shopper),
        space_kind=body.space,
        title=body.title,
        body=body.body,
        product_id=body.product_id if body.space == community.SpaceKind.PRODUCT_QA else None,
        category_id=body.category_id if body.space == community.SpaceKind.DISCUSSIONS else None,
    )
    return _thread_out(runtime, shopper, thread_id)


@router.post(
    API + "/threads/{thread_id}/answers",
    status_code=201,
    response_model=CreatedOut,
    summary="Answer a thread",
)
def answer(body: AnswerIn, shopper: ShopperDep, runtime: RuntimeDep, thread_id: RowId) -> CreatedOut:
    post_id = runtime.database.write(
        community.post_answer,
        store_id=shopper.store.id,
        thread_id=thread_id,
        body=body.body,
        customer_id=_customer_id(shopper),
    )
    return CreatedOut(id=post_id)


@router.post(API + "/posts/{post_id}/votes", response_model=VotesOut, summary="Vote an answer helpful (once)")
def vote(shopper: ShopperDep, runtime: RuntimeDep, post_id: RowId) -> VotesOut:
    votes = runtime.database.write(
        community.vote_helpful, store_id=shopper.store.id, post_id=post_id, customer_id=_customer_id(shopper)
    )
    return VotesOut(helpful_votes=votes)


@router.post(
    API + "/threads/{thread_id}/accept", response_model=ThreadOut, summary="Accept an answer to your question"
)
def accept(body: AcceptIn, shopper: ShopperDep, runtime: RuntimeDep, thread_id: RowId) -> ThreadOut:
    """Only the asker may; anyone else is refused and nothing changes."""
    runtime.database.write(
        community.accept_answer,
        store_id=shopper.store.id,
        thread_id=thread_id,
        post_id=body.post_id,
        customer_id=_customer_id(shopper),
    )
    return _thread_out(runtime, shopper, thread_id)


@router.delete(
    API + "/threads/{thread_id}/accept", response_model=ThreadOut, summary="Withdraw your acceptance"
)
def unaccept(shopper: ShopperDep, runtime: RuntimeDep, thread_id: RowId) -> ThreadOut:
    """Only the asker may; the thread is open again and points already credited stay. Nothing accepted:
    nothing changes (200). Anyone else is refused and nothing changes."""
    runtime.database.write(
        community.unaccept_answer,
        store_id=shopper.store.id,
        thread_id=thread_id,
        customer_id=_customer_id(shopper),
    )
    return _thread_out(runtime, shopper, thread_id)


@router.post(
    API + "/reports", status_code=201, response_model=CreatedOut, summary="Report a thread or an answer"
)
def report(body: ReportIn, shopper: ShopperDep, runtime: RuntimeDep) -> CreatedOut:
    if (body.thread_id is None) == (body.post_id is None):
        raise Invalid.field("thread_id", "give either thread_id or post_id")
    report_id = runtime.database.write(
        community.report_content,
        store_id=shopper.store.id,
        reporter_customer_id=_customer_id(shopper),
        thread_id=body.thread_id,
        post_id=body.post_id,
        reason=body.reason,
    )
    return CreatedOut(id=report_id)


@router.get(API + "/events", response_model=list[EventOut], summary="Upcoming events, with whether you go")
def list_events(shopper: ShopperDep, runtime: RuntimeDep) -> list[EventOut]:
    with runtime.database.read() as session:
        found = community.events(
            session, store_id=shopper.store.id, viewer_customer_id=_viewer(shopper), now=runtime.clock.now()
        )
    return [EventOut.model_validate(views.event_json(item)) for item in found]


@router.post(
    API + "/events/{thread_id}/rsvp", response_model=ThreadOut, summary="Say you go (or no longer go)"
)
def rsvp(body: RsvpIn, shopper: ShopperDep, runtime: RuntimeDep, thread_id: RowId) -> ThreadOut:
    runtime.database.write(
        community.rsvp,
        store_id=shopper.store.id,
        thread_id=thread_id,
        customer_id=_customer_id(shopper),
        going=body.going,
    )
    return _thread_out(runtime, shopper, thread_id)


@router.post(API + "/me/display-name", response_model=DisplayNameIn, summary="The name your posts show")
def put_display_name(body: DisplayNameIn, shopper: ShopperDep, runtime: RuntimeDep) -> DisplayNameIn:
    runtime.database.write(
        community.set_display_name,
        store_id=shopper.store.id,
        customer_id=_customer_id(shopper),
        display_name=body.display_name,
    )
    return body
