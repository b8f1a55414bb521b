"""The demo store's expert sessions and community, so that their pages show something real on first run.

Expert sessions: Ana Agent hosts "Fit and styling advice" (30 minutes by video, 150 points) on weekdays in
the store's time zone; one customer had a session two days before the history ends (marked attended, so
the CSAT survey was asked) and two have booked the next free times. Community: a product question asked by
a customer, answered by a verified buyer of that product and accepted (the points credited through the
ledger as any accepted answer), a discussion in "Care and repair" answered by staff, and an upcoming
workshop with two RSVPs. Everything goes through the domains' own actions on the demo's clock; shoppers
are picked from the history (members with points to spend, buyers of the most bought product) with a
seeded random generator, so the same seed gives the same store.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from loyaldesk import bookings, community
from loyaldesk.commerce import Order, OrderLine
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from loyaldesk.loyalty import Member
from loyaldesk.stores import StaffAccount, Store

EXPERT_EMAIL = "agent@juniper.example.com"
MANAGER_EMAIL = "owner@juniper.example.com"
SESSION_PRICE = 150


def seed_sessions_and_community(
    database: Database, clock: FakeClock, store_id: int, end: datetime, seed: int
) -> None:
    """Seed both (module docstring). Leaves the clock at ``end``."""
    rng = random.Random(seed + 19)
    with database.read() as session:
        staff = {
            email: staff_id
            for email, staff_id in session.execute(select(StaffAccount.email, StaffAccount.id))
        }
        time_zone = session.scalar(select(Store.timezone).where(Store.id == store_id)) or "UTC"
        with_points = list(
            session.scalars(
                select(Member.customer_id)
                .where(Member.store_id == store_id, Member.available_points >= 2 * SESSION_PRICE)
                .order_by(Member.customer_id)
            )
        )
    expert_id, manager_id = staff[EXPERT_EMAIL], staff[MANAGER_EMAIL]
    session_type_id = _sessions_offered(database, store_id, manager_id, expert_id, time_zone)
    if len(with_points) >= 3:
        past, *upcoming = rng.sample(with_points, 3)
        _a_past_session(database, clock, store_id, session_type_id, expert_id, past, end)
        _upcoming_sessions(database, clock, store_id, session_type_id, upcoming, end)
    clock.set(end)
    _community(database, clock, store_id, end, rng, manager_id, expert_id)


def _sessions_offered(
    database: Database, store_id: int, manager_id: int, expert_id: int, time_zone: str
) -> int:
    schedule_id = database.write(
        bookings.save_schedule,
        store_id=store_id,
        actor_id=manager_id,
        schedule_in=bookings.ScheduleIn(
            user_id=expert_id,
            time_zone=time_zone,
            weekly_hours={day: [("10:00", "12:30"), ("14:00", "17:00")] for day in range(5)},
            buffer_after_minutes=10,
            minimum_notice_minutes=120,
            max_per_day=6,
            slot_step_minutes=30,
        ),
    )
    return int(
        database.write(
            bookings.save_session_type,
            store_id=store_id,
            actor_id=manager_id,
            session_type_in=bookings.SessionTypeIn(
                name="Fit and styling advice",
                slug="fit-and-styling",
                description="Half an hour on video with a stylist: bring two outfits you like and one "
                "you never wear, and leave with what suits you and how to care for it.",
                length_minutes=30,
                price_points=SESSION_PRICE,
                cancel_window_hours=24,
                reschedule_window_hours=12,
                hosts=[bookings.HostIn(schedule_id=schedule_id)],
            ),
        )
    )


def _first_slots(database: Database, store_id: int, session_type_id: int, now: datetime) -> list[datetime]:
    with database.read() as session:
        offered = bookings.slots_for_shopper(
            session,
            store_id=store_id,
            session_type_id=session_type_id,
            time_zone="UTC",
            first_day=now.date(),
            days=14,
            now=now,
        )
    return [slot.starts_at for day in sorted(offered) for slot in offered[day]]


def _a_past_session(
    database: Database,
    clock: FakeClock,
    store_id: int,
    session_type_id: int,
    expert_id: int,
    customer_id: int,
    end: datetime,
) -> None:
    clock.set(end - timedelta(days=5))
    slots = _first_slots(database, store_id, session_type_id, clock.now())
    taken = [start for start in slots if start < end - timedelta(hours=2)]
    if not taken:
        return
    seat_id = database.write(
        bookings.book_slot,
        store_id=store_id,
        customer_id=customer_id,
        session_type_id=session_type_id,
        starts_at=taken[len(taken) // 2],
    )
    clock.set(end)
    database.write(
        bookings.mark_attendance, store_id=store_id, actor_id=expert_id, seat_id=seat_id, attended=True
    )


def _upcoming_sessions(
    database: Database,
    clock: FakeClock,
    store_id: int,
    session_type_id: int,
    customers: list[int],
    end: datetime,
) -> None:
    clock.set(end)
    slots = _first_slots(database, store_id, session_type_id, end)
    for customer_id, starts_at in zip(customers, slots[1::3], strict=False):
        database.write(
            bookings.book_slot,
            store_id=store_id,
            customer_id=customer_id,
            session_type_id=session_type_id,
            starts_at=starts_at,
        )


def _community(
    database: Database,
    clock: FakeClock,
    store_id: int,
    end: datetime,
    rng: random.Random,
    manager_id: int,
    expert_id: int,
) -> None:
    manager = Actor(kind="staff", id=manager_id, store_id=store_id, label=MANAGER_EMAIL, role="owner")
    expert = Actor(kind="staff", id=expert_id, store_id=store_id, label=EXPERT_EMAIL, role="agent")
    with database.read() as session:
        product, title = session.execute(
            select(OrderLine.sku, OrderLine.title)
            .join(Order, Order.id == OrderLine.order_id)
            .where(Order.store_id == store_id, OrderLine.sku.is_not(None))
            .group_by(OrderLine.sku, OrderLine.title)
            .order_by(func.count(func.distinct(Order.customer_id)).desc(), OrderLine.sku)
            .limit(1)
        ).one()
        buyers = set(
            session.scalars(
                select(Order.customer_id)
                .join(OrderLine, OrderLine.order_id == Order.id)
                .where(Order.store_id == store_id, OrderLine.sku == product)
            )
        )
        members = list(session.scalars(select(Member.customer_id).where(Member.store_id == store_id)))
    member_buyers = sorted(customer for customer in members if customer in buyers)
    askers = sorted(customer for customer in members if customer not in buyers)
    if len(member_buyers) < 2 or len(askers) < 3:
        return
    asker, *others = rng.sample(askers, 3)
    answerer, voter = rng.sample(member_buyers, 2)

    clock.set(end - timedelta(days=3, hours=5))
    thread_id = database.write(
        community.ask_question,
        store_id=store_id,
        customer_id=asker,
        space_kind=community.SpaceKind.PRODUCT_QA,
        product_id=product,
        title=f"How does the {title} hold up after a few months?",
        body="Thinking of buying it as a gift. Is it worth the price, and does it need any special care?",
    )
    clock.set(end - timedelta(days=2, hours=20))
    post_id = database.write(
        community.post_answer,
        store_id=store_id,
        thread_id=thread_id,
        customer_id=answerer,
        body="I have had mine for about a year and it still looks **new**. "
        "Follow the care label and it is fine.",
    )
    database.write(community.vote_helpful, store_id=store_id, post_id=post_id, customer_id=voter)
    clock.set(end - timedelta(days=2))
    database.write(
        community.accept_answer, store_id=store_id, thread_id=thread_id, post_id=post_id, customer_id=asker
    )

    category_id = database.write(
        community.save_category,
        store_id=store_id,
        actor=manager,
        category_in=community.CategoryIn(
            name="Care and repair",
            description="Washing, storing and mending what you bought.",
            owner_staff_ids=[expert_id],
        ),
    )
    clock.set(end - timedelta(days=1, hours=6))
    discussion_id = database.write(
        community.ask_question,
        store_id=store_id,
        customer_id=others[0],
        space_kind=community.SpaceKind.DISCUSSIONS,
        category_id=category_id,
        title="Best way to store wool over the summer?",
        body="Moths got to a jumper last year. What do you all do?",
    )
    database.write(
        community.post_answer,
        store_id=store_id,
        thread_id=discussion_id,
        actor=expert,
        body="Wash before storing, then a sealed bag with cedar blocks. Our care guide has the details.",
    )
    clock.set(end)
    starts_at = _next_evening(end + timedelta(days=10), "Europe/Amsterdam")
    event_id = database.write(
        community.create_event,
        store_id=store_id,
        actor=manager,
        event_in=community.EventIn(
            title="Layering workshop",
            body="An hour with our stylists on layering for the cold months. Bring a question or two.",
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=1),
            location="Online (the link is emailed the day before)",
            capacity=20,
        ),
    )
    for customer_id in (asker, others[1]):
        database.write(
            community.rsvp, store_id=store_id, thread_id=event_id, customer_id=customer_id, going=True
        )


def _next_evening(day: datetime, time_zone: str) -> datetime:
    """19:00 on ``day``'s date in ``time_zone``."""
    local = day.astimezone(ZoneInfo(time_zone))
    return local.replace(hour=19, minute=0, second=0, microsecond=0)
