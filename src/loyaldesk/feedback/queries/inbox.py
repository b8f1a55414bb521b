"""The feedback inbox: every answer of a store with its context, filtered, newest first, a page at a time.

Reads only (a read session). The caller has checked the reader may see the store's feedback
(``Permission.VIEW_FEEDBACK`` in the console, the ``feedback:read`` scope in the API).

Speed: a page is one indexed query on ``feedback_responses`` (``store_id, created_at`` with the keyset
cursor ``(created_at, id)``, so page 500 costs what page 1 does) plus one query per kind of context for
the 50 rows shown (customers, surveys, themes, staff, products, orders), never one per row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, literal, or_, select, true
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from loyaldesk.commerce import Order, Product
from loyaldesk.customers import Customer
from loyaldesk.feedback.models import ResponseTheme, Survey, SurveyResponse, Theme
from loyaldesk.feedback.vocab import Bucket, SurveyChannel, SurveyKind
from loyaldesk.kernel.errors import Invalid
from loyaldesk.kernel.pagination import encode_position
from loyaldesk.stores import StaffAccount

PAGE_SIZE = 50


@dataclass(frozen=True)
class InboxFilters:
    """What the inbox shows: every field narrows it (None: no condition). ``start``/``end`` bound
    ``created_at`` (start inclusive, end exclusive, UTC); ``score_min``/``score_max`` the raw score;
    ``theme_id`` answers tagged with that theme (and not corrected away); ``product_id`` answers about
    that product; ``has_comment`` answers with (True) or without (False) a comment; ``complete_only``
    hides partial answers."""

    bucket: Bucket | None = None
    score_min: int | None = None
    score_max: int | None = None
    kind: SurveyKind | None = None
    survey_id: int | None = None
    theme_id: int | None = None
    tier: str | None = None
    product_id: int | None = None
    agent_id: int | None = None
    channel: SurveyChannel | None = None
    start: datetime | None = None
    end: datetime | None = None
    has_comment: bool | None = None
    complete_only: bool = False
    customer_id: int | None = None

    def __post_init__(self) -> None:
        if self.score_min is not None and self.score_max is not None and self.score_min > self.score_max:
            raise Invalid.field("score_max", "must be at least the lowest score")
        if self.start is not None and self.end is not None and self.start >= self.end:
            raise Invalid.field("to", "must be on or after the first day")


@dataclass(frozen=True)
class ThemeTag:
    id: int
    name: str
    source: str


@dataclass(frozen=True)
class InboxRow:
    """One answer with its context, as the inbox lists it."""

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
    customer_id: int | None
    customer_name: str | None
    tier: str | None
    customer_value: int | None
    agent_id: int | None
    agent_name: str | None
    order_id: int | None
    order_number: str | None
    conversation_id: int | None
    detractor_conversation_id: int | None
    contacted_at: datetime | None
    follow_up_of_id: int | None
    products: tuple[tuple[int, str], ...] = ()
    themes: tuple[ThemeTag, ...] = ()
    answers: dict[str, Any] = field(default_factory=dict)


def json_ids_contain(session: Session, column: Any, value: int) -> ColumnElement[bool]:
    """``column`` (a JSON list of ids) contains ``value``."""
    if session.get_bind().dialect.name == "postgresql":
        return column.op("@>")(literal([value], type_=JSONB))  # type: ignore[no-any-return]
    each = func.json_each(column).table_valued("value")
    return exists(select(true()).select_from(each).where(each.c.value == value))


def filtered(session: Session, store_id: int, filters: InboxFilters) -> Select[Any]:
    """The store's answers matching ``filters`` (unordered): the inbox's and the API's one condition."""
    r = SurveyResponse
    query = select(r).where(r.store_id == store_id)
    conditions: list[ColumnElement[bool]] = []
    if filters.bucket is not None:
        conditions.append(r.bucket == filters.bucket.value)
    if filters.score_min is not None:
        conditions.append(r.score >= filters.score_min)
    if filters.score_max is not None:
        conditions.append(r.score <= filters.score_max)
    if filters.kind is not None:
        conditions.append(r.survey_kind == filters.kind.value)
    if filters.survey_id is not None:
        conditions.append(r.survey_id == filters.survey_id)
    if filters.tier is not None:
        conditions.append(r.tier == filters.tier)
    if filters.agent_id is not None:
        conditions.append(r.agent_id == filters.agent_id)
    if filters.channel is not None:
        conditions.append(r.channel == filters.channel.value)
    if filters.customer_id is not None:
        conditions.append(r.customer_id == filters.customer_id)
    if filters.start is not None:
        conditions.append(r.created_at >= filters.start)
    if filters.end is not None:
        conditions.append(r.created_at < filters.end)
    if filters.has_comment is True:
        conditions.append(and_(r.comment.is_not(None), r.comment != ""))
    elif filters.has_comment is False:
        conditions.append(or_(r.comment.is_(None), r.comment == ""))
    if filters.complete_only:
        conditions.append(r.complete.is_(True))
    if filters.theme_id is not None:
        conditions.append(
            exists(
                select(true()).where(
                    ResponseTheme.response_id == r.id,
                    ResponseTheme.theme_id == filters.theme_id,
                    ResponseTheme.present.is_(True),
                )
            )
        )
    if filters.product_id is not None:
        conditions.append(json_ids_contain(session, r.product_ids, filters.product_id))
    return query.where(*conditions)


def responses(
    session: Session,
    store_id: int,
    filters: InboxFilters,
    *,
    before: tuple[datetime, int] | None = None,
    limit: int = PAGE_SIZE,
) -> tuple[list[InboxRow], str | None]:
    """One page of the store's answers matching ``filters``, newest first, and the cursor of the next
    page (None on the last). ``before`` is a decoded cursor: (created_at, id) of the last row seen."""
    r = SurveyResponse
    query = filtered(session, store_id, filters)
    if before is not None:
        moment, last_id = before
        if not 0 <= last_id <= 2**62:
            raise Invalid.field("cursor", "is not a cursor this list returned")
        query = query.where(or_(r.created_at < moment, and_(r.created_at == moment, r.id < last_id)))
    found: list[SurveyResponse] = list(
        session.scalars(query.order_by(r.created_at.desc(), r.id.desc()).limit(limit + 1))
    )
    cursor = None
    if len(found) > limit:
        found = found[:limit]
        cursor = encode_position(found[-1].created_at, found[-1].id)
    return with_context(session, store_id, found), cursor


def _pairs(session: Session, query: Any) -> dict[int, str]:
    """id -> name of a two-column query."""
    return {int(row[0]): str(row[1]) for row in session.execute(query)}


def with_context(session: Session, store_id: int, found: Sequence[SurveyResponse]) -> list[InboxRow]:
    """``found`` answers as inbox rows, their context read in one query per kind."""
    if not found:
        return []
    customer_ids = {row.customer_id for row in found if row.customer_id}
    customers = {
        customer.id: customer.display_name
        for customer in session.scalars(
            select(Customer).where(Customer.store_id == store_id, Customer.id.in_(customer_ids))
        )
    }
    surveys = _pairs(
        session, select(Survey.id, Survey.name).where(Survey.id.in_({r.survey_id for r in found}))
    )
    agent_ids = {row.agent_id for row in found if row.agent_id}
    agents = _pairs(session, select(StaffAccount.id, StaffAccount.name).where(StaffAccount.id.in_(agent_ids)))
    product_ids = {pid for row in found for pid in (row.product_ids or [])}
    products = _pairs(
        session,
        select(Product.id, Product.title).where(Product.store_id == store_id, Product.id.in_(product_ids)),
    )
    order_ids = {row.order_id for row in found if row.order_id}
    orders = _pairs(
        session, select(Order.id, Order.number).where(Order.store_id == store_id, Order.id.in_(order_ids))
    )
    themes: dict[int, list[ThemeTag]] = {}
    tagged = session.execute(
        select(ResponseTheme.response_id, Theme.id, Theme.name, ResponseTheme.source)
        .join(Theme, Theme.id == ResponseTheme.theme_id)
        .where(
            ResponseTheme.response_id.in_([row.id for row in found]),
            ResponseTheme.present.is_(True),
            Theme.store_id == store_id,
        )
        .order_by(Theme.name)
    )
    for response_id, theme_id, name, source in tagged:
        themes.setdefault(response_id, []).append(ThemeTag(theme_id, name, source))
    return [
        InboxRow(
            id=row.id,
            created_at=row.created_at,
            survey_id=row.survey_id,
            survey_name=surveys.get(row.survey_id, f"Survey #{row.survey_id}"),
            kind=SurveyKind(row.survey_kind),
            channel=row.channel,
            score=row.score,
            bucket=Bucket(row.bucket) if row.bucket else None,
            comment=row.comment,
            complete=row.complete,
            customer_id=row.customer_id,
            customer_name=customers.get(row.customer_id) if row.customer_id else None,
            tier=row.tier,
            customer_value=row.customer_value,
            agent_id=row.agent_id,
            agent_name=agents.get(row.agent_id) if row.agent_id else None,
            order_id=row.order_id,
            order_number=orders.get(row.order_id) if row.order_id else None,
            conversation_id=row.conversation_id,
            detractor_conversation_id=row.detractor_conversation_id,
            contacted_at=row.contacted_at,
            follow_up_of_id=row.follow_up_of_id,
            products=tuple((pid, products[pid]) for pid in (row.product_ids or []) if pid in products),
            themes=tuple(themes.get(row.id, ())),
            answers=dict(row.answers or {}),
        )
        for row in found
    ]
