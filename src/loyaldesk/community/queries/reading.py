"""Reading the community: spaces, categories, thread lists, a thread with its posts, product questions
(the product-page embed), events, settings and a member's display name.

Shoppers never see hidden content (a hidden thread is ``NotFound``, hidden posts are left out); staff
(``staff=True``, ``include_hidden=True``) see it marked with its reason. Bodies come rendered and
sanitised (``body_html``, ``rules.markdown``) beside their Markdown source. Every list is a fixed number
of statements, whatever its length."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from loyaldesk.community.models import Category, CommunityMember, Post, Rsvp, Space, Thread, Vote
from loyaldesk.community.queries.authors import Authors
from loyaldesk.community.queries.settings import load_settings
from loyaldesk.community.queries.views import (
    CategoryView,
    EventView,
    PostView,
    SpaceView,
    ThreadSummary,
    ThreadView,
)
from loyaldesk.community.rules.markdown import render_body, snippet
from loyaldesk.community.rules.words import default_display_name
from loyaldesk.community.schemas import CommunitySettingsIn
from loyaldesk.community.vocab import SPACE_KIND_LABELS, SpaceKind, ThreadStatus
from loyaldesk.customers import Customer
from loyaldesk.kernel.errors import Invalid, NotFound

MAX_PAGE_SIZE = 100


def spaces(session: Session, *, store_id: int) -> list[SpaceView]:
    """The store's three spaces in a fixed order (``id`` 0 for one not used yet)."""
    ids = dict(session.execute(select(Space.kind, Space.id).where(Space.store_id == store_id)).all())
    return [SpaceView(int(ids.get(kind.value, 0)), kind.value, SPACE_KIND_LABELS[kind]) for kind in SpaceKind]


def categories(session: Session, *, store_id: int) -> list[CategoryView]:
    rows = session.scalars(
        select(Category).where(Category.store_id == store_id).order_by(Category.position, Category.name)
    )
    return [
        CategoryView(
            row.id, row.name, row.slug, row.description, list(row.owner_staff_ids or []), row.position
        )
        for row in rows
    ]


def threads(
    session: Session,
    *,
    store_id: int,
    space_kind: SpaceKind | str,
    category_id: int | None = None,
    product_id: str | None = None,
    viewer_customer_id: int | None = None,
    include_hidden: bool = False,
    page: int = 1,
    limit: int = 20,
) -> list[ThreadSummary]:
    """A page of the space's threads, most recently active first. ``viewer_customer_id`` is accepted for
    symmetry with ``thread`` (lists show nothing per viewer). ``Invalid`` on ``space_kind``, ``page``,
    ``limit``."""
    kind = _kind(space_kind)
    if page < 1:
        raise Invalid.field("page", "must be 1 or more")
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise Invalid.field("limit", f"must be 1 to {MAX_PAGE_SIZE}")
    query = (
        select(Thread)
        .join(Space, Space.id == Thread.space_id)
        .where(Thread.store_id == store_id, Space.kind == kind.value)
        .order_by(Thread.last_activity_at.desc(), Thread.id.desc())
        .offset((page - 1) * limit)
        .limit(limit)
    )
    if category_id is not None:
        query = query.where(Thread.category_id == category_id)
    if product_id is not None:
        query = query.where(Thread.product_id == product_id)
    if not include_hidden:
        query = query.where(Thread.hidden.is_(False))
    rows = list(session.scalars(query))
    authors = Authors()
    for row in rows:
        authors.want(row.author_customer_id, row.author_staff_id)
    authors.load(session, store_id)
    return [
        ThreadSummary(
            id=row.id,
            space_kind=kind.value,
            title=row.title,
            status=row.status,
            author=authors.of(row.author_customer_id, row.author_staff_id, row.author_is_staff),
            product_id=row.product_id,
            category_id=row.category_id,
            answers_count=row.answers_count,
            accepted=row.accepted_post_id is not None,
            hidden=row.hidden,
            created_at=row.created_at,
            last_activity_at=row.last_activity_at,
            snippet=snippet(row.body) if row.body else "",
        )
        for row in rows
    ]


def thread(
    session: Session,
    *,
    store_id: int,
    thread_id: int,
    viewer_customer_id: int | None = None,
    staff: bool = False,
) -> ThreadView:
    """The thread with its posts as ``viewer_customer_id`` (None: anonymous) or staff see it.
    ``NotFound`` for a thread not of the store, or hidden when not ``staff``."""
    row = session.scalar(select(Thread).where(Thread.id == thread_id, Thread.store_id == store_id))
    if row is None or (row.hidden and not staff):
        raise NotFound("no such thread")
    return _thread_views(session, store_id, [row], viewer_customer_id, staff)[0]


def product_questions(
    session: Session, *, store_id: int, product_id: str, limit: int = 10
) -> list[ThreadView]:
    """The visible questions about ``product_id`` with their visible answers, newest first (what the
    product-page embed shows to anyone)."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    rows = list(
        session.scalars(
            select(Thread)
            .join(Space, Space.id == Thread.space_id)
            .where(
                Thread.store_id == store_id,
                Space.kind == SpaceKind.PRODUCT_QA.value,
                Thread.product_id == product_id,
                Thread.hidden.is_(False),
            )
            .order_by(Thread.created_at.desc(), Thread.id.desc())
            .limit(limit)
        )
    )
    return _thread_views(session, store_id, rows, None, False)


def events(
    session: Session,
    *,
    store_id: int,
    upcoming: bool = True,
    viewer_customer_id: int | None = None,
    now: datetime | None = None,
) -> list[EventView]:
    """Visible events: upcoming (not ended yet; soonest first) or past (latest first), with how many are
    going and whether the viewer is."""
    now = now or datetime.now(UTC)
    query = (
        select(Thread)
        .join(Space, Space.id == Thread.space_id)
        .where(Thread.store_id == store_id, Space.kind == SpaceKind.EVENTS.value, Thread.hidden.is_(False))
        .limit(MAX_PAGE_SIZE)
    )
    if upcoming:
        query = query.where(Thread.ends_at > now).order_by(Thread.starts_at, Thread.id)
    else:
        query = query.where(Thread.ends_at <= now).order_by(Thread.starts_at.desc(), Thread.id.desc())
    rows = list(session.scalars(query))
    mine: set[int] = set()
    if viewer_customer_id is not None and rows:
        mine = set(
            session.scalars(
                select(Rsvp.thread_id).where(
                    Rsvp.customer_id == viewer_customer_id, Rsvp.thread_id.in_([row.id for row in rows])
                )
            )
        )
    return [
        EventView(
            id=row.id,
            title=row.title,
            body_html=render_body(row.body) if row.body else "",
            starts_at=row.starts_at,  # type: ignore[arg-type]
            ends_at=row.ends_at,  # type: ignore[arg-type]
            location=row.location or "",
            capacity=row.capacity,
            going_count=row.going_count,
            going=row.id in mine,
            full=row.capacity is not None and row.going_count >= row.capacity,
        )
        for row in rows
    ]


def community_settings(session: Session, *, store_id: int) -> CommunitySettingsIn:
    """The store's community settings (the defaults until saved)."""
    return load_settings(session, store_id)


def display_name(session: Session, *, store_id: int, customer_id: int) -> str:
    """The name the member's posts show: their chosen one, else first name and last initial.
    ``NotFound`` for a customer not of the store."""
    row = session.execute(
        select(Customer.first_name, Customer.last_name, Customer.erased_at, CommunityMember.display_name)
        .outerjoin(
            CommunityMember,
            (CommunityMember.customer_id == Customer.id) & (CommunityMember.store_id == store_id),
        )
        .where(Customer.id == customer_id, Customer.store_id == store_id)
    ).one_or_none()
    if row is None:
        raise NotFound("no such member")
    first, last, erased_at, chosen = row
    if chosen and erased_at is None:
        return str(chosen)
    return default_display_name(first, last, erased=erased_at is not None)


def _kind(value: SpaceKind | str) -> SpaceKind:
    try:
        return SpaceKind(value)
    except ValueError:
        raise Invalid.field("space_kind", f"must be one of {', '.join(SpaceKind)}") from None


def _thread_views(
    session: Session, store_id: int, rows: Sequence[Thread], viewer: int | None, staff: bool
) -> list[ThreadView]:
    if not rows:
        return []
    ids = [row.id for row in rows]
    kinds = dict(session.execute(select(Space.id, Space.kind).where(Space.store_id == store_id)).all())
    post_query = select(Post).where(Post.thread_id.in_(ids)).order_by(Post.thread_id, Post.id)
    if not staff:
        post_query = post_query.where(Post.hidden.is_(False))
    posts = list(session.scalars(post_query))
    voted: set[int] = set()
    going: set[int] = set()
    if viewer is not None:
        if posts:
            voted = set(
                session.scalars(
                    select(Vote.post_id).where(
                        Vote.customer_id == viewer, Vote.post_id.in_([post.id for post in posts])
                    )
                )
            )
        going = set(
            session.scalars(select(Rsvp.thread_id).where(Rsvp.customer_id == viewer, Rsvp.thread_id.in_(ids)))
        )
    authors = Authors()
    for row in rows:
        authors.want(row.author_customer_id, row.author_staff_id)
    for post in posts:
        authors.want(post.author_customer_id, post.author_staff_id)
    authors.load(session, store_id)
    by_thread: dict[int, list[PostView]] = {thread_id: [] for thread_id in ids}
    threads_by_id = {row.id: row for row in rows}
    for post in posts:
        owner = threads_by_id[post.thread_id]
        open_thread = owner.status != ThreadStatus.CLOSED.value and not owner.hidden
        may_accept = (
            open_thread
            and not post.hidden
            and owner.accepted_post_id != post.id
            and (staff or (viewer is not None and owner.author_customer_id == viewer))
        )
        by_thread[post.thread_id].append(
            PostView(
                id=post.id,
                body=post.body,
                body_html=render_body(post.body),
                author=authors.of(post.author_customer_id, post.author_staff_id, post.is_staff),
                is_staff=post.is_staff,
                verified_buyer=post.verified_buyer,
                helpful_votes=post.helpful_votes,
                accepted=owner.accepted_post_id == post.id,
                hidden=post.hidden,
                hidden_reason=post.hidden_reason if staff else None,
                created_at=post.created_at,
                voted=post.id in voted,
                may_vote=viewer is not None
                and not post.hidden
                and post.id not in voted
                and post.author_customer_id != viewer,
                may_accept=bool(may_accept),
            )
        )
    return [
        ThreadView(
            id=row.id,
            space_kind=str(kinds.get(row.space_id, "")),
            title=row.title,
            body=row.body,
            body_html=render_body(row.body) if row.body else "",
            status=row.status,
            author=authors.of(row.author_customer_id, row.author_staff_id, row.author_is_staff),
            product_id=row.product_id,
            category_id=row.category_id,
            accepted_post_id=row.accepted_post_id,
            article_id=row.article_id,
            hidden=row.hidden,
            hidden_reason=row.hidden_reason if staff else None,
            created_at=row.created_at,
            last_activity_at=row.last_activity_at,
            posts=by_thread[row.id],
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            location=row.location,
            capacity=row.capacity,
            going_count=row.going_count,
            going=row.id in going,
            may_answer=(viewer is not None or staff)
            and row.status != ThreadStatus.CLOSED.value
            and not row.hidden,
        )
        for row in rows
    ]
