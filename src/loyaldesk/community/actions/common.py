"""What the community's actions share: the store's spaces (created on first use), its settings, the
acting member (their row locked, so that posting limits and points caps hold under concurrent requests),
staff permission, text checks and the verified-buyer fact."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import Table, and_, exists, func, or_, select, union_all
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from loyaldesk.commerce import Order, OrderLine
from loyaldesk.community.models import (
    MAX_TITLE,
    CommunityMember,
    Post,
    Space,
    Thread,
)
from loyaldesk.community.rules.limits import (
    HOUR,
    PostingLimits,
    hourly_limit,
    is_new_member,
    posting_refusal,
)
from loyaldesk.community.rules.words import refuse_banned_words
from loyaldesk.community.schemas import CommunitySettingsIn
from loyaldesk.community.vocab import SPACE_KIND_LABELS, SpaceKind
from loyaldesk.customers import Customer
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Invalid, NotFound, PermissionDenied, RateLimited
from loyaldesk.stores import Permission, authorize
from loyaldesk.support import check_message_body

MIN_TITLE = 3
MAX_REASON = 500

_spaces: Table = Space.__table__  # type: ignore[assignment]
_members: Table = CommunityMember.__table__  # type: ignore[assignment]


def _insert(uow: UnitOfWork, table: Table):  # type: ignore[no-untyped-def]
    return (pg_insert if uow.is_postgresql else sqlite_insert)(table)


def ensure_space(uow: UnitOfWork, store_id: int, kind: SpaceKind) -> int:
    """The id of the store's space of ``kind``, created on first use (a concurrent first use creates it
    once: the unique ``(store_id, kind)``)."""
    found = uow.session.scalar(select(Space.id).where(Space.store_id == store_id, Space.kind == kind.value))
    if found is not None:
        return int(found)
    uow.session.execute(
        _insert(uow, _spaces)
        .values(store_id=store_id, kind=kind.value, name=SPACE_KIND_LABELS[kind], created_at=uow.now())
        .on_conflict_do_nothing(index_elements=["store_id", "kind"])
    )
    return int(
        uow.session.scalar(select(Space.id).where(Space.store_id == store_id, Space.kind == kind.value))  # type: ignore[arg-type]
    )


def shopper(uow: UnitOfWork, store_id: int, customer_id: int) -> Customer:
    """The customer acting, if they belong to the store and are not erased."""
    customer = uow.session.get(Customer, customer_id)
    if customer is None or customer.store_id != store_id or customer.erased_at is not None:
        raise NotFound("no such member in this store")
    return customer


def lock_member(uow: UnitOfWork, store_id: int, customer_id: int) -> CommunityMember:
    """The member's community row, created on first use and locked for this transaction (``FOR
    UPDATE`` on PostgreSQL; SQLite writers are serialised by ``BEGIN IMMEDIATE``): the member's posting
    limit and points cap are counted and used under this lock."""
    now = uow.now()
    uow.session.execute(
        _insert(uow, _members)
        .values(store_id=store_id, customer_id=customer_id, created_at=now, updated_at=now)
        .on_conflict_do_nothing(index_elements=["store_id", "customer_id"])
    )
    query = (
        select(CommunityMember)
        .where(CommunityMember.store_id == store_id, CommunityMember.customer_id == customer_id)
        .execution_options(populate_existing=True)
    )
    if uow.is_postgresql:
        query = query.with_for_update()
    return uow.session.scalars(query).one()


def staff(actor: Actor, store_id: int, permission: Permission) -> None:
    """Raise ``PermissionDenied`` unless ``actor`` is staff (or the system) allowed ``permission``. No API
    key may act in the community: the store API has no community routes, so no scope grants it."""
    if actor.kind not in ("staff", "system"):
        raise PermissionDenied("staff only")
    authorize(actor, store_id, scope="", permission=permission)


def one_author(customer_id: int | None, actor: Actor | None) -> None:
    if (customer_id is None) == (actor is None):
        raise PermissionDenied("a post is written by one shopper or one staff member")


def check_title(title: str, banned_words: list[str]) -> str:
    cleaned = " ".join((title or "").split())
    if not MIN_TITLE <= len(cleaned) <= MAX_TITLE:
        raise Invalid.field("title", f"must be {MIN_TITLE} to {MAX_TITLE} characters long")
    refuse_banned_words([("title", cleaned)], banned_words)
    return cleaned


def check_body(body: str, banned_words: list[str]) -> str:
    """The body as typed (line endings normalised, control characters removed; it is stored like this and
    rendered when read); ``Invalid`` on ``body`` when empty, too long or with a banned word."""
    cleaned = check_message_body(body or "")
    refuse_banned_words([("body", cleaned)], banned_words)
    return cleaned


def check_reason(reason: str, *, required: bool = True) -> str:
    cleaned = " ".join((reason or "").split())
    if required and not cleaned:
        raise Invalid.field("reason", "say why")
    if len(cleaned) > MAX_REASON:
        raise Invalid.field("reason", f"must be at most {MAX_REASON} characters")
    return cleaned


def refuse_flooding(
    uow: UnitOfWork, store_id: int, customer: Customer, settings: CommunitySettingsIn
) -> None:
    """``RateLimited`` when the member (their row locked by ``lock_member``) already posted their limit
    of questions and answers in the last hour; the limit is stricter for new members."""
    now = uow.now()
    mine = [Thread.store_id == store_id, Thread.author_customer_id == customer.id]
    my_posts = [Post.store_id == store_id, Post.author_customer_id == customer.id]
    first_post = uow.session.execute(
        select(
            func.min(
                union_all(
                    select(Thread.created_at.label("at")).where(*mine),
                    select(Post.created_at.label("at")).where(*my_posts),
                )
                .subquery()
                .c.at
            )
        )
    ).scalar()
    first_post = _aware(first_post)
    since = now - HOUR
    recent = union_all(
        select(Thread.created_at.label("at")).where(*mine, Thread.created_at > since),
        select(Post.created_at.label("at")).where(*my_posts, Post.created_at > since),
    ).subquery()
    count, oldest = uow.session.execute(select(func.count(), func.min(recent.c.at))).one()
    limits = PostingLimits(
        settings.posts_per_hour, settings.new_member_posts_per_hour, settings.new_member_days
    )
    new_member = is_new_member(customer.created_at, first_post, now, settings.new_member_days)
    until = posting_refusal(int(count), hourly_limit(limits, new_member=new_member), _aware(oldest))
    if until is not None:
        seconds = max(1, math.ceil((until - now).total_seconds()))
        minutes = (seconds + 59) // 60
        raise RateLimited(f"you have posted a lot in the last hour; try again in {minutes} minutes", seconds)


def _aware(value: object) -> datetime | None:
    """Aggregates bypass the column type on SQLite (naive datetimes or strings come back)."""
    from datetime import UTC

    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def bought_clause(store_id: int, customer_column, product_id: str):  # type: ignore[no-untyped-def]
    """A condition: the customer in ``customer_column`` has an order (not cancelled) of the store with a
    line of ``product_id`` (the line's product id, or its SKU)."""
    return exists().where(
        Order.store_id == store_id,
        Order.customer_id == customer_column,
        Order.status != "cancelled",
        OrderLine.order_id == Order.id,
        or_(OrderLine.product_external_id == product_id, OrderLine.sku == product_id),
    )


def is_verified_buyer(session: Session, store_id: int, customer_id: int, product_id: str | None) -> bool:
    if product_id is None:
        return False
    return bool(session.scalar(select(bought_clause(store_id, customer_id, product_id))))


def has_ordered(session: Session, store_id: int, customer_id: int) -> bool:
    """Whether the customer has any order (not cancelled) in the store."""
    return bool(
        session.scalar(
            select(
                exists().where(
                    and_(
                        Order.store_id == store_id,
                        Order.customer_id == customer_id,
                        Order.status != "cancelled",
                    )
                )
            )
        )
    )


def recently(now: datetime, days: int) -> datetime:
    return now - timedelta(days=days)
