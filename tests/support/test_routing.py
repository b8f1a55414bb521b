"""Routing and prioritisation on a real database: VIP tiers first, capacity respected, agents coming
online pick up the queue, snoozed conversations come back."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from loyaldesk.stores.models import StaffAccount
from loyaldesk.support import actions
from loyaldesk.support.actions import contacts, desk_settings, routing
from loyaldesk.support.models import Conversation
from tests.factories import StoreHandle, make_member, make_staff


def staff_id(db: Database, email: str) -> int:
    with db.read() as session:
        return session.scalar(select(StaffAccount.id).where(StaffAccount.email == email))  # type: ignore[return-value]


def visitor_writes(db: Database, store: StoreHandle, text: str, customer_id: int | None = None) -> int:
    contact = db.write(contacts.identify_contact, store.id, customer_id=customer_id, visitor_token=None)
    message = db.write(actions.post_customer_message, contact.contact_id, body=text)
    return message.conversation_id


def conversation(db: Database, conversation_id: int) -> Conversation:
    with db.read() as session:
        found = session.get(Conversation, conversation_id)
        assert found is not None
        return found


def settings(db: Database, store: StoreHandle, **changes: object) -> None:
    def apply(uow):  # type: ignore[no-untyped-def]
        row = desk_settings.settings_for(uow, store.id)
        for name, value in changes.items():
            setattr(row, name, value)

    db.write(apply)


def test_vip_tier_members_are_served_first(db: Database, store: StoreHandle, clock: FakeClock):
    from loyaldesk.customers import Customer

    make_member(db, store, "vip")

    def promote(uow):  # type: ignore[no-untyped-def]
        from loyaldesk.loyalty.models import Member, Tier

        gold = Tier(
            store_id=store.id,
            name="Gold",
            rank=9,
            threshold=0,
            earn_multiplier="1",
            perks=["priority_support"],
            entry_reward_points=0,
            membership_days=0,
            support_priority="urgent",
            created_at=uow.now(),
        )
        uow.session.add(gold)
        uow.session.flush()
        member = uow.session.scalars(select(Member)).one()
        member.tier_id = gold.id
        return uow.session.scalar(select(Customer.id).where(Customer.external_id == "vip"))

    vip_customer = db.write(promote)
    first = visitor_writes(db, store, "I was here first")
    clock.advance(timedelta(minutes=5))
    vip = visitor_writes(db, store, "VIP question", customer_id=vip_customer)
    assert conversation(db, vip).priority == "urgent"
    assert "Gold" in conversation(db, vip).priority_reason
    assert conversation(db, first).priority == "normal"
    # Nobody is online: both wait; the VIP is first in the queue although they came later.
    from loyaldesk.support import queries

    with db.read() as session:
        queue = queries.inbox(session, store.id, viewer_id=None, view="unassigned")
    assert [row.id for row in queue] == [vip, first]


def test_least_load_routing_respects_capacity_and_online_agents_pick_up_the_queue(
    db: Database, store: StoreHandle, password_hash: str, clock: FakeClock
):
    settings(db, store, default_capacity=2, routing_method="least_load")
    ada = staff_id(db, make_staff(db, store, "agent", password_hash, "ada@acme.example.com"))
    bob = staff_id(db, make_staff(db, store, "agent", password_hash, "bob@acme.example.com"))
    waiting = [visitor_writes(db, store, f"Question {n}") for n in range(5)]
    assert all(conversation(db, c).assignee_id is None for c in waiting)  # nobody online yet

    db.write(routing.agent_connected, store.id, ada, delta=1)
    # Ada takes the two longest waiting, up to her capacity; the rest wait.
    assert [conversation(db, c).assignee_id for c in waiting] == [ada, ada, None, None, None]

    db.write(routing.agent_connected, store.id, bob, delta=1)
    assert [conversation(db, c).assignee_id for c in waiting] == [ada, ada, bob, bob, None]

    # Ada resolves one: the next new conversation goes to the least loaded agent with room.
    from loyaldesk.kernel.actors import Actor

    ada_actor = Actor(kind="staff", id=ada, store_id=store.id, label="ada", role="agent")
    db.write(actions.change_status, ada_actor, waiting[0], "resolved")
    db.write(routing.route_waiting, store.id)
    assert conversation(db, waiting[4]).assignee_id == ada

    # An agent who steps away gets nothing new; going offline (last console closed) likewise.
    db.write(routing.choose_presence, ada_actor, store.id, "away")
    db.write(actions.change_status, ada_actor, waiting[1], "resolved")
    later = visitor_writes(db, store, "Another")
    assert conversation(db, later).assignee_id is None  # Bob is full, Ada is away
    db.write(routing.choose_presence, ada_actor, store.id, "online")
    assert conversation(db, later).assignee_id == ada


def test_round_robin_takes_turns(db: Database, store: StoreHandle, password_hash: str, clock: FakeClock):
    settings(db, store, default_capacity=10, routing_method="round_robin")
    ada = staff_id(db, make_staff(db, store, "agent", password_hash, "ada@acme.example.com"))
    bob = staff_id(db, make_staff(db, store, "agent", password_hash, "bob@acme.example.com"))
    db.write(routing.agent_connected, store.id, ada, delta=1)
    db.write(routing.agent_connected, store.id, bob, delta=1)
    owners = []
    for n in range(4):
        clock.advance(timedelta(seconds=10))
        owners.append(conversation(db, visitor_writes(db, store, f"Q{n}")).assignee_id)
    assert owners in ([ada, bob, ada, bob], [bob, ada, bob, ada])


def test_snoozed_conversations_come_back_when_the_time_is_up(
    db: Database, store: StoreHandle, password_hash: str, clock: FakeClock
):
    from loyaldesk.kernel.actors import Actor

    ada = staff_id(db, make_staff(db, store, "agent", password_hash, "ada@acme.example.com"))
    actor = Actor(kind="staff", id=ada, store_id=store.id, label="ada", role="agent")
    conversation_id = visitor_writes(db, store, "Call me tomorrow")
    db.write(actions.post_agent_message, actor, conversation_id, body="Will do")
    db.write(
        actions.change_status,
        actor,
        conversation_id,
        "snoozed",
        snoozed_until=clock.now() + timedelta(hours=20),
    )
    assert conversation(db, conversation_id).status == "snoozed"
    clock.advance(timedelta(hours=19))
    assert db.write(actions.wake_snoozed) == 0
    clock.advance(timedelta(hours=2))
    assert db.write(actions.wake_snoozed) == 1
    assert conversation(db, conversation_id).status == "open"


def test_desk_settings_and_capacity_are_for_admins_only(db: Database, store: StoreHandle, password_hash: str):
    import pytest

    from loyaldesk.kernel.actors import Actor
    from loyaldesk.kernel.errors import Invalid, PermissionDenied
    from tests.factories import table_counts

    ada = staff_id(db, make_staff(db, store, "agent", password_hash, "ada@acme.example.com"))
    admin = staff_id(db, make_staff(db, store, "admin", password_hash, "boss@acme.example.com"))
    agent_actor = Actor(kind="staff", id=ada, store_id=store.id, label="ada", role="agent")
    admin_actor = Actor(kind="staff", id=admin, store_id=store.id, label="boss", role="admin")
    before = table_counts(db, "support_settings", "support_agents", "audit_log")
    with pytest.raises(PermissionDenied):
        db.write(desk_settings.update_settings, agent_actor, store.id, {"routing_method": "round_robin"})
    with pytest.raises(PermissionDenied):
        db.write(routing.set_capacity, agent_actor, store.id, ada, 50)
    assert table_counts(db, "support_settings", "support_agents", "audit_log") == before

    with pytest.raises(Invalid) as bad:
        db.write(
            desk_settings.update_settings, admin_actor, store.id, {"store_id": 99, "routing_method": "random"}
        )
    assert {p.field for p in bad.value.problems} == {"store_id", "routing_method"}
    db.write(desk_settings.update_settings, admin_actor, store.id, {"routing_method": "round_robin"})
    db.write(routing.set_capacity, admin_actor, store.id, ada, 0)
    db.write(routing.agent_connected, store.id, ada, delta=1)
    waiting = visitor_writes(db, store, "Anyone?")
    assert conversation(db, waiting).assignee_id is None  # capacity 0: no automatic assignments
    with db.read() as session:
        from loyaldesk.support.models import SupportSettings

        assert session.scalars(select(SupportSettings.routing_method)).one() == "round_robin"


def test_turning_auto_assign_off_and_on_applies_at_once(
    db: Database, store: StoreHandle, password_hash: str, clock: FakeClock
):
    from loyaldesk.kernel.actors import system_for

    settings(db, store, default_capacity=10)
    ada = staff_id(db, make_staff(db, store, "agent", password_hash, "ada@acme.example.com"))
    db.write(routing.agent_connected, store.id, ada, delta=1)
    assert conversation(db, visitor_writes(db, store, "First")).assignee_id == ada
    db.write(desk_settings.update_settings, system_for(store.id), store.id, {"auto_assign": False})
    assert conversation(db, visitor_writes(db, store, "Second")).assignee_id is None
    db.write(desk_settings.update_settings, system_for(store.id), store.id, {"auto_assign": True})
    assert conversation(db, visitor_writes(db, store, "Third")).assignee_id == ada
