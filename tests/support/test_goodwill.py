"""Goodwill from the inbox sidebar and automatic service recovery, as agents and admins use them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from loyaldesk.kernel.dispatcher import dispatch_until_idle
from loyaldesk.loyalty.models import LedgerEntry, Member
from loyaldesk.stores.models import AuditLogEntry
from loyaldesk.support import actions
from loyaldesk.support.actions import contacts
from loyaldesk.support.models import GoodwillGrant, Message, SupportTask
from tests.factories import StoreHandle, csrf_of, login, make_member, make_staff
from tests.support.test_routing import staff_id

DESK = "/console/acme/inbox-settings/desk"


def member_conversation(db: Database, store: StoreHandle, external_id: str = "m-1") -> int:
    make_member(db, store, external_id)
    with db.read() as session:
        customer_id = session.scalar(select(Member.customer_id))
    contact = db.write(contacts.identify_contact, store.id, customer_id=customer_id, visitor_token=None)
    return db.write(
        actions.post_customer_message, contact.contact_id, body="My order came broken"
    ).conversation_id


def balance(db: Database) -> int:
    with db.read() as session:
        return int(session.scalars(select(Member.available_points)).one())


def give(client: TestClient, conversation_id: int, points: int, reason: str = "Sorry about the broken mug"):
    page = client.get("/console/acme/inbox", params={"c": conversation_id}).text
    return client.post(
        f"/console/acme/inbox/{conversation_id}/goodwill",
        data={"points": str(points), "reason": reason, "csrf_token": csrf_of(page)},
        headers={"accept": "application/json"},
    )


@pytest.fixture
def agent(client: TestClient, db: Database, store: StoreHandle, password_hash: str) -> str:
    email = make_staff(db, store, "agent", password_hash)
    login(client, email)
    return email


def test_an_agent_gives_points_within_the_monthly_budget_and_is_refused_over_it(
    client: TestClient, db: Database, store: StoreHandle, agent: str, clock: FakeClock
):
    conversation_id = member_conversation(db, store)
    before = balance(db)
    page = client.get("/console/acme/inbox", params={"c": conversation_id}).text
    assert "500 of 500 points left this month" in page  # the default agent budget

    assert give(client, conversation_id, 300).status_code == 201
    assert balance(db) == before + 300
    with db.read() as session:
        entry = session.scalars(select(LedgerEntry).order_by(LedgerEntry.id.desc())).first()
        assert entry is not None and "A gift from the store: Sorry about the broken mug" in entry.description
        grant = session.scalars(select(GoodwillGrant)).one()
        assert (grant.points, grant.conversation_id, grant.role) == (300, conversation_id, "agent")
        audit = session.scalars(
            select(AuditLogEntry).where(AuditLogEntry.action == "support.goodwill_granted")
        ).one()
        assert audit.details["points"] == 300
        note = session.scalars(select(Message.body).where(Message.author_kind == "system")).one()
        assert note == "Agent gave 300 goodwill points: Sorry about the broken mug"
    assert (
        "200 of 500 points left this month"
        in client.get("/console/acme/inbox", params={"c": conversation_id}).text
    )

    over = give(client, conversation_id, 201)
    assert over.status_code == 409
    assert over.json()["error"]["message"] == "over your goodwill budget: 200 of 500 points left this month"
    assert balance(db) == before + 300  # nothing given
    bad = give(client, conversation_id, 50, reason="x")
    assert bad.status_code == 422 and "reason" in bad.text

    # A new month, a new budget (the store's time zone decides when the month turns).
    clock.advance(timedelta(days=31))
    client.cookies.clear()
    login(client, agent)
    assert give(client, conversation_id, 201).status_code == 201


def test_budgets_are_set_per_role_and_visitors_get_no_points(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
):
    admin = make_staff(db, store, "admin", password_hash)
    login(client, admin)
    saved = client.post(
        f"{DESK}/goodwill",
        data={
            "budget_agent": "0",
            "budget_admin": "",
            "budget_owner": "",
            "csrf_token": csrf_of(client.get(DESK).text),
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    conversation_id = member_conversation(db, store)
    assert (
        "No monthly limit for you." in client.get("/console/acme/inbox", params={"c": conversation_id}).text
    )
    assert give(client, conversation_id, 5000).status_code == 201  # admins: no limit now

    client.cookies.clear()
    login(client, make_staff(db, store, "agent", password_hash))
    assert give(client, conversation_id, 1).status_code == 409  # agents: none
    # Agents cannot change budgets.
    refused = client.post(
        f"{DESK}/goodwill",
        data={"budget_agent": "99999", "csrf_token": csrf_of(client.get("/console/acme/inbox").text)},
    )
    assert refused.status_code == 403

    # An anonymous visitor is not a customer: there is nobody to give points to.
    contact = db.write(contacts.identify_contact, store.id, customer_id=None, visitor_token=None)
    anonymous = db.write(actions.post_customer_message, contact.contact_id, body="hi").conversation_id
    refused_visitor = give(client, anonymous, 1)
    assert refused_visitor.status_code == 409 and "not a known customer" in refused_visitor.text


def test_a_poor_rating_triggers_service_recovery_once(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
):
    admin = make_staff(db, store, "admin", password_hash)
    login(client, admin)
    client.post(
        f"{DESK}/goodwill",
        data={
            "recovery_enabled": "true",
            "recovery_points": "150",
            "budget_agent": "500",
            "csrf_token": csrf_of(client.get(DESK).text),
        },
    )
    conversation_id = member_conversation(db, store)
    before = balance(db)
    csrf = csrf_of(client.get("/console/acme/inbox", params={"c": conversation_id}).text)
    client.post(
        f"/console/acme/inbox/{conversation_id}/messages", data={"body": "Replaced!", "csrf_token": csrf}
    )
    client.post(
        f"/console/acme/inbox/{conversation_id}/status", data={"status": "resolved", "csrf_token": csrf}
    )
    from loyaldesk.support.actions import csat

    db.write(csat.submit_csat, conversation_id, rating=2, comment="took ages", contact_id=None)
    dispatch_until_idle(db)
    db.write(csat.submit_csat, conversation_id, rating=1, comment="still annoyed", contact_id=None)
    dispatch_until_idle(db)
    assert balance(db) == before + 150  # once per conversation
    with db.read() as session:
        [task] = session.scalars(select(SupportTask)).all()
        grant = session.scalars(select(GoodwillGrant)).one()
    assert task.title == "Follow up with the customer: they rated the conversation 2 out of 5"
    assert grant.staff_id is None and grant.automatic_key == f"recovery:{conversation_id}"
    page = client.get("/console/acme/inbox", params={"status": "resolved", "c": conversation_id}).text
    assert "Follow up with the customer" in page
    done = client.post(
        f"/console/acme/inbox/{conversation_id}/tasks/{task.id}/done",
        data={"csrf_token": csrf_of(page)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    with db.read() as session:
        assert session.get(SupportTask, task.id).done_at is not None  # type: ignore[union-attr]
    assert staff_id(db, admin)


def test_an_agent_gives_a_reward_code_counted_against_the_budget(
    client: TestClient, db: Database, store: StoreHandle, agent: str
):
    from loyaldesk.kernel.actors import system_for
    from loyaldesk.loyalty.actions.configure_program import save_reward
    from loyaldesk.loyalty.models import RewardCode
    from loyaldesk.loyalty.schemas import RewardIn

    conversation_id = member_conversation(db, store)
    before = balance(db)
    reward = db.write(
        save_reward,
        system_for(store.id),
        store.id,
        RewardIn(name="Free shipping", kind="free_shipping", points_cost=400),
    )
    page = client.get("/console/acme/inbox", params={"c": conversation_id}).text
    assert "Free shipping (400 points)" in page
    given = client.post(
        f"/console/acme/inbox/{conversation_id}/goodwill",
        data={
            "reward_id": str(reward.id),
            "points": "",
            "reason": "Sorry for the delay",
            "csrf_token": csrf_of(page),
        },
        headers={"accept": "application/json"},
    )
    assert given.status_code == 201, given.text
    code = given.json()["code"]
    with db.read() as session:
        issued = session.scalars(select(RewardCode)).one()
        note = session.scalars(select(Message.body).where(Message.author_kind == "system")).one()
    assert issued.code == code and issued.status == "issued"
    assert balance(db) == before  # a gift: credited and redeemed at once
    assert note == f"Agent gave the reward Free shipping (code {code}): Sorry for the delay"
    # 400 of the agent's 500 points are used: a second one is over the budget.
    again = client.post(
        f"/console/acme/inbox/{conversation_id}/goodwill",
        data={"reward_id": str(reward.id), "reason": "Another", "csrf_token": csrf_of(page)},
        headers={"accept": "application/json"},
    )
    assert again.status_code == 409 and "100 of 500" in again.text
    nothing = client.post(
        f"/console/acme/inbox/{conversation_id}/goodwill",
        data={"reason": "Nothing chosen", "csrf_token": csrf_of(page)},
        headers={"accept": "application/json"},
    )
    assert nothing.status_code == 422 and "choose a reward" in nothing.text
