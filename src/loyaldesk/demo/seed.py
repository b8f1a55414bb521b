"""Write the demo store into a database: store, staff logins, catalogue, its loyalty program, and the
generated history replayed week by week on the demo's own clock.

The history ends at ``until`` 23:00 UTC, the moment the generator treats as "now", and the replay runs on
a ``FakeClock`` from two years before that to it, whatever the database's own clock says: customers join,
orders are ingested, refunds recorded and the loyalty program reacts (``demo.loyalty``) at the end of the
week they happened in, so that points are earned, unlock, get spent and expire when they would have.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import select

from loyaldesk.commerce import (
    Order,
    OrderIn,
    ProductIn,
    RefundIn,
    ingest_orders,
    record_refund,
    upsert_products,
)
from loyaldesk.customers import CustomerProfile, CustomerRef, resolve_customers
from loyaldesk.demo.catalogue import CATALOGUE, MEMBERSHIP, catalogue_fields
from loyaldesk.demo.generator import HISTORY_DAYS, DemoCustomer, DemoOrder, generate, history_end
from loyaldesk.demo.loyalty import DemoLoyalty
from loyaldesk.demo.loyalty_program import LoyaltyFigures, membership_sales
from loyaldesk.kernel.actors import SYSTEM, Actor, system_for
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database, UnitOfWork
from loyaldesk.kernel.dispatcher import handlers
from loyaldesk.kernel.errors import FieldProblem, Invalid
from loyaldesk.stores import DEFAULT_API_SCOPES, Store, hash_password
from loyaldesk.stores import actions as store_actions

DEMO_SLUG = "demo"
DEMO_PASSWORD = "loyaldesk-demo"
DEMO_SHOPIFY_SECRET = "demo-shopify-webhook-secret"
DEMO_STAFF = (
    ("owner@juniper.example.com", "Olivia Owner", "owner"),
    ("admin@juniper.example.com", "Adam Admin", "admin"),
    ("agent@juniper.example.com", "Ana Agent", "agent"),
    ("analyst@juniper.example.com", "Alex Analyst", "analyst"),
)
BATCH = 1000
WEEK = timedelta(days=7)


@dataclass(frozen=True)
class DemoSummary:
    store_slug: str
    created: bool
    customers: int
    orders: int
    refunds: int
    api_key: str | None
    loyalty: LoyaltyFigures = field(default_factory=LoyaltyFigures)


def demo_exists(database: Database, slug: str = DEMO_SLUG) -> bool:
    with database.read() as session:
        return session.scalar(select(Store.id).where(Store.slug == slug)) is not None


def latest_until(now: datetime) -> date:
    """The last day whose history has fully happened by ``now`` (its end, 23:00 UTC, is not after
    ``now``): the default of ``loyaldesk demo --until``."""
    day = now.astimezone(UTC).date()
    return day if history_end(day) <= now else day - timedelta(days=1)


def seed_demo(
    database: Database,
    *,
    seed: int = 42,
    customers: int = 3000,
    until: date,
    slug: str = DEMO_SLUG,
    progress: Callable[[int, int], None] | None = None,
    now: datetime | None = None,
    fit_recommendations: bool = True,
) -> DemoSummary:
    """Create the demo store with its staff, catalogue, loyalty program and history. ``progress(done,
    total)`` is told of the orders replayed after each week. With ``fit_recommendations`` (the default)
    every customer's picks are fitted at the end, as the refit job would. Refuses if the store exists
    (``Conflict``) and, naming ``until``, a history that would end after ``now`` (default: the real time),
    since nothing may be dated in the future: the last allowed day is :func:`latest_until`.

    Only ``database``'s URL is used: the replay writes through a ``Database`` of its own on the demo's
    clock, which ends at ``until`` 23:00 UTC, so that the same seed and ``until`` give the same store
    whenever and wherever it is seeded."""
    now = now or datetime.now(UTC)
    if history_end(until) > now:
        raise Invalid(
            "the demo's history would end in the future",
            [FieldProblem("until", f"must be {latest_until(now).isoformat()} or earlier")],
        )
    history = generate(seed=seed, customers=customers, until=until)
    end = history_end(until)
    weeks = -(-HISTORY_DAYS // 7)
    moments = [end - WEEK * (weeks - index) for index in range(weeks + 1)]

    def week_of(moment: datetime) -> int:
        """The week (1..weeks) whose end is the first at or after ``moment``."""
        return max(1, weeks - int((end - moment) / WEEK))

    clock = FakeClock(moments[0] - timedelta(days=1))
    replay = Database(database.url, clock=clock)
    replay.dispatch_needed = handlers.handles
    try:
        store_id, token = replay.write(_create_store, slug, hash_password(DEMO_PASSWORD))
        membership_sales(history, seed, count=max(1, customers // 75))
        loyalty = DemoLoyalty(replay, clock, store_id, history, seed=seed, week_of=week_of, end=end)
        loyalty.set_up()
        signups_by_week: dict[int, list[DemoCustomer]] = {}
        buyers = {order.payload["customer"]["external_id"] for order in history.orders}
        for person in history.customers:
            if person.external_id not in buyers and person.signed_up_at is not None:
                signups_by_week.setdefault(week_of(person.signed_up_at), []).append(person)
        orders_by_week: dict[int, list[DemoOrder]] = {}
        refunds_by_week: dict[int, list[tuple[str, dict[str, Any]]]] = {}
        for order in history.orders:
            orders_by_week.setdefault(week_of(_at(order.payload["placed_at"])), []).append(order)
            for refund in order.refunds:
                refunds_by_week.setdefault(week_of(_at(refund["occurred_at"])), []).append(
                    (order.payload["external_id"], refund)
                )
        actor = system_for(store_id, "demo seeder")
        total = len(history.orders)
        done = refunds = 0
        for week in range(1, weeks + 1):
            loyalty.before_orders(week, moments[week - 1], moments[week])
            clock.set(moments[week])
            week_orders = orders_by_week.get(week, [])
            week_refunds = refunds_by_week.get(week, [])
            for start in range(0, max(len(week_orders), 1), BATCH):
                last = start + BATCH >= len(week_orders)  # refunds once all their orders are in
                replay.write(
                    _ingest,
                    actor,
                    store_id,
                    signups_by_week.get(week, []) if start == 0 else [],
                    week_orders[start : start + BATCH],
                    week_refunds if last else [],
                )
            refunds += len(week_refunds)
            loyalty.after_orders(week, moments[week])
            done += len(week_orders)
            if progress is not None and (week_orders or week == weeks):
                progress(done, total)
        figures = loyalty.finish()
        replay.write(_canned_replies, store_id)
        from loyaldesk.demo.support import seed_support

        seed_support(replay, clock, store_id, end, seed)
        from loyaldesk.demo.feedback import seed_feedback  # feedback: the inbox and dashboards

        seed_feedback(replay, clock, store_id, end, seed)
        from loyaldesk.demo.offers import seed_offers  # recommendations: an ended personal offer

        seed_offers(replay, clock, store_id, end, seed)
        from loyaldesk.demo.community_and_sessions import seed_sessions_and_community

        seed_sessions_and_community(replay, clock, store_id, end, seed)  # expert sessions, community
        if fit_recommendations:
            from loyaldesk.recommendations import fit_store  # picks for every customer

            fit_store(replay, store_id)
        replay.write(_journeys, store_id)
        from loyaldesk.demo.help_center import seed_help_center

        replay.write(seed_help_center, store_id)
        replay.write(_assistant, store_id)
    finally:
        replay.dispose()
    return DemoSummary(
        store_slug=slug,
        created=True,
        customers=len(history.customers),
        orders=total,
        refunds=refunds,
        api_key=token,
        loyalty=figures,
    )


def _create_store(uow: UnitOfWork, slug: str, password_hash: str) -> tuple[int, str]:
    store = store_actions.create_store(
        uow,
        SYSTEM,
        slug=slug,
        name="Juniper & Oak",
        currency="EUR",
        timezone="Europe/Amsterdam",
        locale="en",
    )
    actor = system_for(store.id, "demo seeder")
    for email, name, role in DEMO_STAFF:
        store_actions.add_staff_member(
            uow, actor, store.id, email=email, name=name, role=role, password_hash=password_hash
        )
    store.shopify_webhook_secret = DEMO_SHOPIFY_SECRET
    key = store_actions.create_api_key(
        uow, actor, store.id, name="demo backend", scopes=list(DEFAULT_API_SCOPES)
    )
    products = [
        ProductIn(
            external_id=item.sku,
            sku=item.sku,
            title=item.title,
            category=item.category,
            price=item.price,
            currency="EUR",
            **catalogue_fields(item),
        )
        for item in (*CATALOGUE, MEMBERSHIP)
    ]
    upsert_products(uow, actor, store.id, products)
    return store.id, key.token


_ORDERS = TypeAdapter(list[OrderIn])


def _ingest(
    uow: UnitOfWork,
    actor: Actor,
    store_id: int,
    signups: list[DemoCustomer],
    orders: list[DemoOrder],
    refunds: list[tuple[str, dict[str, Any]]],
) -> None:
    """One week: newsletter sign-ups who never bought, the orders placed, the refunds given."""
    if signups:
        resolve_customers(uow, store_id, [_signup(person) for person in signups], source="demo")
    if orders:
        ingest_orders(
            uow, actor, store_id, _ORDERS.validate_python([o.payload for o in orders]), source="demo"
        )
    if refunds:
        ids = dict(
            uow.session.execute(
                select(Order.external_id, Order.id).where(
                    Order.store_id == store_id, Order.external_id.in_({external for external, _ in refunds})
                )
            ).all()
        )
        for external_id, refund in refunds:
            record_refund(
                uow, actor, store_id, ids[external_id], RefundIn.model_validate(refund), source="demo"
            )


def _signup(person: DemoCustomer) -> CustomerRef:
    return CustomerRef(
        external_id=person.external_id,
        email=person.email,
        profile=CustomerProfile(
            email=person.email,
            first_name=person.first_name,
            last_name=person.last_name,
            locale=person.locale,
            timezone=person.timezone,
            marketing_consent=True,
            tags=["newsletter"],
            attributes={"country": person.country},
        ),
        first_seen_at=person.signed_up_at,
    )


DEMO_CANNED_REPLIES = (
    ("hello", "Greeting", 'Hi {{customer.first_name | default: "there"}}, thanks for writing to us!'),
    (
        "points",
        "Points balance",
        "You have {{loyalty.points}} points ({{loyalty.pending_points}} still pending) and you are in our "
        "{{loyalty.tier}} tier.",
    ),
    (
        "order",
        "Latest order status",
        "Your latest order {{order.latest.number}} is {{order.latest.status}}. Anything else I can do?",
    ),
)


def _canned_replies(uow: UnitOfWork, store_id: int) -> None:
    """A few canned replies for the inbox, with the variables agents use most."""
    from loyaldesk.support import save_canned_reply

    for shortcut, title, body in DEMO_CANNED_REPLIES:
        save_canned_reply(
            uow, system_for(store_id, "demo"), store_id, shortcut=shortcut, title=title, body=body
        )
    _desk_teams(uow, store_id)


def _desk_teams(uow: UnitOfWork, store_id: int) -> None:
    """Two teams: the agent answers orders and delivery, the admin also takes returns."""
    from loyaldesk.stores import StaffAccount
    from loyaldesk.support import save_team, set_agent_teams

    actor = system_for(store_id, "demo")
    orders = save_team(uow, actor, store_id, name="Orders & delivery")
    returns = save_team(uow, actor, store_id, name="Returns")
    staff = {
        email: staff_id
        for email, staff_id in uow.session.execute(select(StaffAccount.email, StaffAccount.id))
    }
    set_agent_teams(uow, actor, store_id, staff["agent@juniper.example.com"], [orders.id])
    set_agent_teams(uow, actor, store_id, staff["admin@juniper.example.com"], [orders.id, returns.id])


# Switched on in the demo: a date-driven reminder, a birthday greeting, the desk's follow-up and a support
# automation, so that the journeys pages, the calendar and the explain view have something to show.
DEMO_JOURNEYS = ("points_expiring_30", "birthday", "support_follow_up", "auto_tag_returns")


def _journeys(uow: UnitOfWork, store_id: int) -> None:
    from loyaldesk.journeys import ensure_default_templates
    from loyaldesk.journeys.actions.rules import switch_on_builtin

    actor = system_for(store_id, "demo seeder")
    ensure_default_templates(uow, store_id, "en")
    for key in DEMO_JOURNEYS:
        switch_on_builtin(uow, actor, store_id, key)


def _assistant(uow: UnitOfWork, store_id: int) -> None:
    """The demo's assistant answers its chat (after the seeded history, which people answered); the
    top tier goes to people first."""
    from loyaldesk.assistant.dialog.settings import save_assistant_settings

    save_assistant_settings(
        uow,
        system_for(store_id, "demo seeder"),
        store_id,
        enabled=True,
        display_name="Juniper",
        people_first_tiers=["Juniper Club"],
        low_confidence_limit=2,
    )


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def demo_member_page(database: Database, public_base_url: str, slug: str = DEMO_SLUG) -> str | None:
    """A link to the member page of the demo's most engaged shopper (the most points to spend), signed
    as the store's server would sign it."""
    from urllib.parse import urlencode

    from loyaldesk.customers import Customer
    from loyaldesk.loyalty import Member
    from loyaldesk.stores import shopper_signature

    with database.read() as session:
        store = session.scalar(select(Store).where(Store.slug == slug))
        if store is None:
            return None
        external_id = session.scalar(
            select(Customer.external_id)
            .join(Member, Member.customer_id == Customer.id)
            .where(Member.store_id == store.id, Customer.external_id.is_not(None))
            .order_by(Member.available_points.desc(), Member.id)
            .limit(1)
        )
        if external_id is None:
            return None
        query = urlencode(
            {"customer": external_id, "signature": shopper_signature(store.identity_secret, external_id)}
        )
    return f"{public_base_url.rstrip('/')}/m/{slug}?{query}"
