"""Who hears of a new question: up to ``buyers_to_notify`` verified buyers of its product (not the asker)
by email through journeys, and the staff who own its category through a team task.

Buyers: those with an order (not cancelled) holding the product, most recent buyers first, not erased,
and not asked about another question in the last ``BUYER_REST_DAYS`` days (one product can gather many
questions; its buyers should not get an email for each). The message is queued with journeys (template
``community_question``, created on first use in the store's language; the store may edit it) in the
``feedback`` category: like a survey, it asks the customer for their experience, so journeys sends it in
their waking hours and never on a channel they opted out of (decision 0034), once per question and buyer
(key ``community:ask:{thread}:{customer}``).

Staff: the console's team tasks (``journeys.TeamTask``, the list staff already work from for what a rule
or the assistant asks of them): one open task per question, naming the category's owners, once per
thread (key ``community:thread:{id}:owners``). Staff have no per-person inbox of notifications to use.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import and_, exists, func, or_, select

from loyaldesk.commerce import Order, OrderLine
from loyaldesk.community.models import Category
from loyaldesk.customers import Customer
from loyaldesk.journeys import (
    Channel,
    MessageCategory,
    Send,
    TeamTask,
    ensure_owned_template,
    queue_message,
)
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.stores import StaffAccount

TEMPLATE_KEY = "community_question"
BUYER_REST_DAYS = 7
QUESTION_OPEN_DAYS = 14  # an unsent question email is pointless after this
KEY_PREFIX = "community:ask:"

TEMPLATES = {
    "en": {
        "name": "A question for a product's buyers (community)",
        "subject": "Can you help? A question about something you bought",
        "preheader": "Another shopper asked about a product you know",
        "body": (
            "Hi {{ first_name | there }},\n\n"
            "another shopper has a question about a product you bought from {{ store_name }}:\n\n"
            "**{{ question_title }}**\n\n"
            "You know it first-hand. If you have a minute, answer here: {{ question_url }}\n\n"
            "Thank you for helping the community."
        ),
    },
    "de": {
        "name": "Eine Frage an die Käufer eines Produkts (Community)",
        "subject": "Können Sie helfen? Eine Frage zu Ihrem Kauf",
        "preheader": "Jemand fragt nach einem Produkt, das Sie kennen",
        "body": (
            "Hallo {{ first_name | zusammen }},\n\n"
            "jemand hat eine Frage zu einem Produkt, das Sie bei {{ store_name }} gekauft haben:\n\n"
            "**{{ question_title }}**\n\n"
            "Sie kennen es aus erster Hand. Wenn Sie eine Minute haben, antworten Sie hier: "
            "{{ question_url }}\n\n"
            "Danke, dass Sie der Community helfen."
        ),
    },
}


def buyers_to_ask(
    uow: UnitOfWork, store_id: int, product_id: str, asker_customer_id: int | None, limit: int
) -> list[int]:
    """Up to ``limit`` verified buyers of ``product_id`` to ask, most recent buyers first."""
    if limit <= 0:
        return []
    rested = uow.now() - timedelta(days=BUYER_REST_DAYS)
    asked_lately = exists().where(
        Send.store_id == store_id,
        Send.customer_id == Order.customer_id,
        Send.idempotency_key.like(f"{KEY_PREFIX}%"),
        Send.created_at > rested,
    )
    query = (
        select(Order.customer_id)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .join(Customer, Customer.id == Order.customer_id)
        .where(
            Order.store_id == store_id,
            Order.status != "cancelled",
            Order.customer_id.is_not(None),
            or_(OrderLine.product_external_id == product_id, OrderLine.sku == product_id),
            Customer.erased_at.is_(None),
            ~asked_lately,
        )
        .group_by(Order.customer_id)
        .order_by(func.max(Order.placed_at).desc(), Order.customer_id)
        .limit(limit)
    )
    if asker_customer_id is not None:
        query = query.where(Order.customer_id != asker_customer_id)
    return [int(customer) for customer in uow.session.scalars(query) if customer is not None]


def ask_buyers(uow: UnitOfWork, store_id: int, thread_id: int, title: str, buyer_ids: list[int]) -> int:
    """Queue the question's email to each buyer (once per question and buyer); returns how many were
    queued now."""
    if not buyer_ids:
        return 0
    ensure_owned_template(uow, store_id, TEMPLATE_KEY, TEMPLATES, owner="community")
    expires_at = uow.now() + timedelta(days=QUESTION_OPEN_DAYS)
    queued = 0
    for customer_id in buyer_ids:
        send = queue_message(
            uow,
            store_id=store_id,
            customer_id=customer_id,
            channel=Channel.EMAIL,
            template_key=TEMPLATE_KEY,
            category=MessageCategory.FEEDBACK,
            key=f"{KEY_PREFIX}{thread_id}:{customer_id}",
            context={"event": {"question_title": title, "thread_id": thread_id}},
            expires_at=expires_at,
        )
        queued += send is not None
    return queued


def tell_category_owners(
    uow: UnitOfWork,
    store_id: int,
    thread_id: int,
    title: str,
    category_id: int | None,
    asker_customer_id: int | None,
) -> int | None:
    """One open team task for the category's owners about the new question (once per thread); returns
    its id, or None when the category has no owners."""
    if category_id is None:
        return None
    category = uow.session.get(Category, category_id)
    if category is None or not category.owner_staff_ids:
        return None
    key = f"community:thread:{thread_id}:owners"
    found = uow.session.scalar(select(TeamTask.id).where(TeamTask.idempotency_key == key))
    if found is not None:
        return int(found)
    names = uow.session.scalars(
        select(StaffAccount.name)
        .where(and_(StaffAccount.id.in_(category.owner_staff_ids)))
        .order_by(StaffAccount.name)
    ).all()
    task = TeamTask(
        store_id=store_id,
        rule_id=None,
        customer_id=asker_customer_id,
        title=f"Community question in {category.name}: {title}"[:300],
        details=f"For {', '.join(names) or 'the category owners'}: answer community thread #{thread_id}.",
        status="open",
        idempotency_key=key,
        created_at=uow.now(),
    )
    uow.session.add(task)
    uow.session.flush()
    assert task.id is not None
    return int(task.id)
