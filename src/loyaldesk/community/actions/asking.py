"""Asking and answering: a new thread (a product question or a discussion) and an answer in it.

A shopper posts with ``customer_id`` (their verified identity: the widget's HMAC identity or the member
page); staff with ``actor`` (``Permission.ANSWER_CONVERSATIONS``), their posts marked as staff. Titles and
bodies are checked (length, banned words: refused naming the word) and stored as typed; they are
rendered and sanitised when read. Shoppers' posting is limited per hour (``rules.limits``), stricter for
new members, counted from the tables under the member's row lock.
"""

from __future__ import annotations

from sqlalchemy import or_, select, update

from loyaldesk.commerce import Order, OrderLine, Product
from loyaldesk.community.actions.common import (
    check_body,
    check_title,
    ensure_space,
    is_verified_buyer,
    lock_member,
    one_author,
    refuse_flooding,
    shopper,
    staff,
)
from loyaldesk.community.actions.notify import ask_buyers, buyers_to_ask, tell_category_owners
from loyaldesk.community.events import AnswerPosted, QuestionAsked
from loyaldesk.community.models import Category, Post, Thread
from loyaldesk.community.queries.settings import load_settings
from loyaldesk.community.vocab import SpaceKind, ThreadStatus
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Conflict, Invalid, NotFound
from loyaldesk.stores import Permission, record_audit

MAX_PRODUCT_ID = 255


def ask_question(
    uow: UnitOfWork,
    *,
    store_id: int,
    title: str,
    body: str,
    space_kind: SpaceKind | str = SpaceKind.DISCUSSIONS,
    customer_id: int | None = None,
    actor: Actor | None = None,
    product_id: str | None = None,
    category_id: int | None = None,
) -> int:
    """Start a thread in the product questions (``product_id`` required: a product of the store, by its
    id or SKU as commerce stores it) or the discussions; ``category_id`` optional (a category of the
    store). Returns the thread's id. A product question asks up to ``buyers_to_notify`` verified buyers
    of the product (not the asker) by email through journeys; a question in a category with owners gives
    them a team task (``actions.notify``).

    Refused: ``Invalid`` naming the field (``space_kind``, ``title``, ``body``, ``product_id``,
    ``category_id``; a banned word is named), ``RateLimited`` when the member posted too much in the last
    hour, ``NotFound`` for a customer not of the store, ``PermissionDenied`` for staff without the right
    (or both or neither of ``customer_id`` and ``actor``). Nothing is stored when refused."""
    one_author(customer_id, actor)
    kind = _space_kind(space_kind)
    settings = load_settings(uow.session, store_id)
    if actor is not None:
        staff(actor, store_id, Permission.ANSWER_CONVERSATIONS)
    title = check_title(title, settings.banned_words)
    body = check_body(body, settings.banned_words)
    product_id = _product(uow, store_id, kind, product_id)
    if category_id is not None:
        found = uow.session.scalar(
            select(Category.id).where(Category.id == category_id, Category.store_id == store_id)
        )
        if found is None:
            raise Invalid.field("category_id", "no such category in this store")
    if customer_id is not None:
        customer = shopper(uow, store_id, customer_id)
        lock_member(uow, store_id, customer_id)
        refuse_flooding(uow, store_id, customer, settings)
    now = uow.now()
    thread = Thread(
        store_id=store_id,
        space_id=ensure_space(uow, store_id, kind),
        category_id=category_id,
        product_id=product_id,
        title=title,
        body=body,
        author_customer_id=customer_id,
        author_staff_id=_staff_id(actor),
        author_is_staff=actor is not None,
        status=ThreadStatus.OPEN.value,
        hidden=False,
        answers_count=0,
        going_count=0,
        created_at=now,
        updated_at=now,
        last_activity_at=now,
    )
    uow.session.add(thread)
    uow.session.flush()
    notified = 0
    if product_id is not None:
        buyers = buyers_to_ask(uow, store_id, product_id, customer_id, settings.buyers_to_notify)
        notified = ask_buyers(uow, store_id, thread.id, title, buyers)
    tell_category_owners(uow, store_id, thread.id, title, category_id, customer_id)
    if actor is not None:
        record_audit(
            uow,
            actor,
            "community.thread_started",
            store_id=store_id,
            target_type="community_thread",
            target_id=thread.id,
        )
    uow.emit(
        QuestionAsked(
            store_id=store_id,
            customer_id=customer_id,
            thread_id=thread.id,
            space_kind=kind.value,
            product_id=product_id,
            category_id=category_id,
            buyers_notified=notified,
        )
    )
    return int(thread.id)


def post_answer(
    uow: UnitOfWork,
    *,
    store_id: int,
    thread_id: int,
    body: str,
    customer_id: int | None = None,
    actor: Actor | None = None,
) -> int:
    """Answer in a thread; returns the post's id. The post is marked ``verified_buyer`` when its
    (shopper) author has an order with the thread's product, ``is_staff`` when staff wrote it.

    Refused: ``NotFound`` for a thread not of the store (or hidden, for a shopper), ``Conflict`` for a
    closed thread, ``Invalid`` on ``body``, ``RateLimited``, ``PermissionDenied`` as for
    ``ask_question``. Nothing is stored when refused."""
    one_author(customer_id, actor)
    if actor is not None:
        staff(actor, store_id, Permission.ANSWER_CONVERSATIONS)
    thread = uow.session.scalar(select(Thread).where(Thread.id == thread_id, Thread.store_id == store_id))
    if thread is None or (thread.hidden and actor is None):
        raise NotFound("no such thread")
    if thread.status == ThreadStatus.CLOSED.value:
        raise Conflict("this thread is closed")
    settings = load_settings(uow.session, store_id)
    body = check_body(body, settings.banned_words)
    verified = False
    if customer_id is not None:
        customer = shopper(uow, store_id, customer_id)
        lock_member(uow, store_id, customer_id)
        refuse_flooding(uow, store_id, customer, settings)
        verified = is_verified_buyer(uow.session, store_id, customer_id, thread.product_id)
    now = uow.now()
    post = Post(
        store_id=store_id,
        thread_id=thread.id,
        body=body,
        author_customer_id=customer_id,
        author_staff_id=_staff_id(actor),
        is_staff=actor is not None,
        verified_buyer=verified,
        helpful_votes=0,
        hidden=False,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(post)
    uow.session.flush()
    uow.session.execute(
        update(Thread)
        .where(Thread.id == thread.id)
        .values(answers_count=Thread.answers_count + 1, last_activity_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if actor is not None:
        record_audit(
            uow,
            actor,
            "community.answer_posted",
            store_id=store_id,
            target_type="community_post",
            target_id=post.id,
            details={"thread_id": thread.id},
        )
    uow.emit(
        AnswerPosted(
            store_id=store_id,
            customer_id=customer_id,
            thread_id=thread.id,
            post_id=post.id,
            is_staff=actor is not None,
            verified_buyer=verified,
        )
    )
    return int(post.id)


def _space_kind(value: SpaceKind | str) -> SpaceKind:
    try:
        kind = SpaceKind(value)
    except ValueError:
        raise Invalid.field("space_kind", f"must be one of {', '.join(SpaceKind)}") from None
    if kind is SpaceKind.EVENTS:
        raise Invalid.field("space_kind", "events are announced by staff (create_event)")
    return kind


def _product(uow: UnitOfWork, store_id: int, kind: SpaceKind, product_id: str | None) -> str | None:
    product_id = (product_id or "").strip() or None
    if kind is not SpaceKind.PRODUCT_QA:
        if product_id is not None:
            raise Invalid.field("product_id", "only product questions name a product")
        return None
    if product_id is None:
        raise Invalid.field("product_id", "a product question needs the product")
    if len(product_id) > MAX_PRODUCT_ID:
        raise Invalid.field("product_id", "no such product in this store")
    known = uow.session.scalar(
        select(Product.id)
        .where(
            Product.store_id == store_id, or_(Product.external_id == product_id, Product.sku == product_id)
        )
        .limit(1)
    )
    if known is None:
        known = uow.session.scalar(
            select(OrderLine.id)
            .join(Order, Order.id == OrderLine.order_id)
            .where(
                Order.store_id == store_id,
                or_(OrderLine.product_external_id == product_id, OrderLine.sku == product_id),
            )
            .limit(1)
        )
    if known is None:
        raise Invalid.field("product_id", "no such product in this store")
    return product_id


def _staff_id(actor: Actor | None) -> int | None:
    return actor.id if actor is not None and actor.kind == "staff" else None
