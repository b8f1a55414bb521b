"""The demo desk's last seven months: office hours and an SLA policy, and conversations on every channel
that agents answered (sometimes late), resolved and customers rated, replayed on the seeding clock, so the
inbox, the customer picture, the support report and the support impact page have something true to
show.

The desk ends as a real one would at the seeding moment: nothing happens after it; the newest
conversations wait unassigned in the queue; answered ones wait on the customer (pending) and are closed
after a week without an answer; and no agent holds more open conversations than their capacity (an agent
at capacity answers and waits on the customer instead of taking on more)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import select

from loyaldesk.customers import Customer
from loyaldesk.kernel.actors import Actor, system_for
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database, UnitOfWork
from loyaldesk.stores import StaffAccount
from loyaldesk.support import actions, settings_for
from loyaldesk.support.actions import contacts, csat, sla_settings

QUESTIONS = (
    ("Where is my order?", "Hi, I ordered last week and the tracking has not moved since Tuesday."),
    ("Exchange for a larger size", "The linen shirt is a bit tight. Can I swap it for an L?"),
    ("Discount code did not work", "My WELCOME10 code was refused at checkout, can you help?"),
    ("Broken on arrival", "The ceramic mug arrived in pieces. What can we do?"),
    ("Points missing", "I did not get points for my last order, could you check?"),
    ("Gift wrapping", "Can you gift wrap an order and add a card?"),
)
ANSWERS = (
    "Thanks for writing! I have checked your order and it is on its way; you will have it by Friday.",
    "Of course. I have sent you a return label; the new size ships as soon as we scan it.",
    "Sorry about that. I have applied the discount by hand and refunded the difference.",
    "I am so sorry. A replacement is on its way, no need to send the broken one back.",
)
CHANNELS = ("webchat", "webchat", "email", "email", "api")
COMMENTS = ("Quick and friendly, thank you!", "Solved in minutes.", "", "Took a while but fine.")
FOLLOW_UPS = (
    "Thanks! One more question though.",
    "That did not work, I am afraid.",
    "Here is my order number.",
)


MONTHS = 7


def seed_support(database: Database, clock: FakeClock, store_id: int, end: datetime, seed: int) -> int:
    """Conversations over the seven months before ``end`` (20 to 80 a month, by the
    store's size); returns how many."""
    rng = random.Random(seed * 7 + 3)
    system = system_for(store_id, "demo")
    database.write(
        sla_settings.save_calendar,
        system,
        store_id,
        name="Office hours",
        time_zone="Europe/Amsterdam",
        weekly_hours=["09:00-18:00"] * 5 + ["10:00-14:00", ""],
        holidays=[],
    )

    def office_id(uow: UnitOfWork) -> int:
        return int(uow.session.scalar(select(sla_settings.BusinessCalendarRow.id)) or 0)

    database.write(
        sla_settings.save_policy,
        system,
        store_id,
        name="Standard",
        first_response_minutes=60,
        next_response_minutes=240,
        resolution_minutes=60 * 24,
        calendar_id=database.write(office_id),
        escalation={"raise_priority": "high"},
    )
    with database.read() as session:
        agents = [
            Actor(kind="staff", id=staff_id, store_id=store_id, label=email, role="agent")
            for staff_id, email in session.execute(
                select(StaffAccount.id, StaffAccount.email).where(
                    StaffAccount.email.in_(["agent@juniper.example.com", "admin@juniper.example.com"])
                )
            )
        ]
        customers = list(
            session.scalars(
                select(Customer.id).where(Customer.store_id == store_id).order_by(Customer.id).limit(400)
            )
        )
        customer_count = len(customers)
    if not agents or not customers:
        return 0
    capacity = database.write(lambda uow: settings_for(uow, store_id).default_capacity)
    open_load: dict[int | None, int] = {agent.id: 0 for agent in agents}  # open, assigned, at the end
    count = 0
    days = MONTHS * 30
    start = end - timedelta(days=days)
    per_month = max(20, min(80, customer_count // 5))  # customer_count is at most 400
    moments = sorted(
        start + timedelta(minutes=rng.randrange(days * 24 * 60)) for _ in range(per_month * MONTHS)
    )
    for moment in moments:
        local_hour = (moment.hour + 1) % 24
        if local_hour < 7 and rng.random() < 0.8:
            continue  # few people write at night
        clock.set(moment)
        subject, text = rng.choice(QUESTIONS)
        customer_id = rng.choice(customers) if rng.random() < 0.8 else None
        contact = database.write(
            contacts.identify_contact, store_id, customer_id=customer_id, visitor_token=None
        )
        channel = rng.choice(CHANNELS)
        message = database.write(
            actions.post_customer_message,
            contact.contact_id,
            body=text,
            channel=channel,
            subject=subject,
            new_thread=True,
        )
        count += 1
        if moment > end - timedelta(hours=6):
            continue  # the newest ones still wait in the queue, for whoever comes online
        conversation_id = message.conversation_id
        agent = rng.choice(agents)
        clock.advance(timedelta(minutes=rng.choice((2, 5, 9, 25, 50, 90, 240))))
        database.write(actions.post_agent_message, agent, conversation_id, body=rng.choice(ANSWERS))
        answered = clock.now()
        if rng.random() < 0.85:
            resolved = answered + timedelta(minutes=rng.randrange(10, 600))
            rating = (
                rng.choices((5, 4, 3, 2, 1), weights=(55, 25, 10, 6, 4))[0] if rng.random() < 0.6 else None
            )
            comment = rng.choice(COMMENTS)
            if resolved <= end:
                clock.set(resolved)
                database.write(actions.change_status, agent, conversation_id, "resolved")
                if rating is not None:
                    database.write(
                        csat.submit_csat,
                        conversation_id,
                        rating=rating,
                        comment=comment if rating >= 4 else "It took too long.",
                        contact_id=None,
                    )
            elif open_load[agent.id] < capacity:
                open_load[agent.id] += 1  # the agent is still on it
            else:  # an agent at capacity answers and waits for the customer rather than take on more
                database.write(actions.change_status, agent, conversation_id, "pending")
            continue
        # The agent asked the customer something and waits for the answer.
        database.write(actions.change_status, agent, conversation_id, "pending")
        replied = answered + timedelta(hours=rng.randrange(2, 48))
        if answered < end - timedelta(days=7):
            # Nothing came back within a week: the agent closes it.
            clock.set(answered + timedelta(days=7))
            database.write(actions.change_status, agent, conversation_id, "resolved")
        elif rng.random() < 0.5 and replied <= end and open_load[agent.id] < capacity:
            clock.set(replied)  # the customer answered: the conversation is open again, the agent's
            database.write(
                actions.post_customer_message,
                contact.contact_id,
                body=rng.choice(FOLLOW_UPS),
                channel=channel,
                conversation_id=conversation_id,
            )
            open_load[agent.id] += 1
    clock.set(end)
    return count
