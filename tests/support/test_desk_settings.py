"""The desk settings page as an admin uses it: teams, each agent's capacity and teams, routing and widget
settings; routing within teams; the inbox's team view; and who may not change any of it."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from loyaldesk.kernel.db import Database
from loyaldesk.support.actions import routing
from loyaldesk.support.models import Agent, Conversation, SupportSettings, Team, TeamMember
from tests.factories import StoreHandle, csrf_of, login, make_staff, make_store
from tests.support.test_routing import conversation, staff_id, visitor_writes

DESK = "/console/acme/inbox-settings/desk"


@pytest.fixture
def admin(client: TestClient, db: Database, store: StoreHandle, password_hash: str) -> str:
    email = make_staff(db, store, "admin", password_hash)
    login(client, email)
    return email


def post(client: TestClient, path: str, data: dict[str, object]):
    csrf = csrf_of(client.get(DESK).text)
    return client.post(path, data={**data, "csrf_token": csrf}, follow_redirects=False)


def team_id(db: Database, name: str) -> int:
    with db.read() as session:
        return session.scalar(select(Team.id).where(Team.name == name))  # type: ignore[return-value]


def test_an_admin_builds_teams_and_routing_honours_them(
    client: TestClient, db: Database, store: StoreHandle, admin: str, password_hash: str
):
    ada = staff_id(db, make_staff(db, store, "agent", password_hash, "ada@acme.example.com"))
    bob = staff_id(db, make_staff(db, store, "agent", password_hash, "bob@acme.example.com"))
    assert post(client, f"{DESK}/teams", {"name": "  Billing  "}).status_code == 303
    assert post(client, f"{DESK}/teams", {"name": "Returns"}).status_code == 303
    billing, returns = team_id(db, "Billing"), team_id(db, "Returns")
    duplicate = post(client, f"{DESK}/teams", {"name": "Billing"})
    assert duplicate.status_code == 409 and "exists already" in duplicate.text

    # Bob joins Billing with room for one conversation; Ada keeps the default and no team.
    saved = client.post(
        f"{DESK}/agents/{bob}",
        data={"capacity": "1", "team": [str(billing)], "csrf_token": csrf_of(client.get(DESK).text)},
        follow_redirects=False,
    )
    assert saved.status_code == 303 and "Agent%20saved" in saved.headers["location"]
    page = client.get(DESK).text
    assert f'id="capacity-{bob}" name="capacity"' in page and 'value="1"' in page
    with db.read() as session:
        assert session.scalars(
            select(TeamMember.staff_account_id).where(TeamMember.team_id == billing)
        ).all() == [bob]
        assert session.scalar(select(Agent.capacity).where(Agent.staff_account_id == bob)) == 1

    # A conversation moved to Billing is routed only to Billing's online members.
    db.write(routing.agent_connected, store.id, ada, delta=1)
    first = visitor_writes(db, store, "Refund please")
    assert conversation(db, first).assignee_id == ada  # no team yet: Ada is online
    assign = client.post(
        f"/console/acme/inbox/{first}/assign",
        data={"assignee_id": "", "team_id": str(billing), "csrf_token": csrf_of(client.get(DESK).text)},
        follow_redirects=False,
    )
    assert assign.status_code == 303
    assert conversation(db, first).team_id == billing
    assert conversation(db, first).assignee_id is None  # Bob, the only member, is offline
    db.write(routing.agent_connected, store.id, bob, delta=1)
    assert conversation(db, first).assignee_id == bob

    # The inbox's team view shows Billing's conversations only.
    other = visitor_writes(db, store, "Where is my parcel?")
    listed = client.get("/console/acme/inbox.json", params={"team": billing}).json()["conversations"]
    assert [row["id"] for row in listed] == [first]
    assert other not in [
        row["id"]
        for row in client.get("/console/acme/inbox.json", params={"team": returns}).json()["conversations"]
    ]

    # Deleting a team keeps its conversations, without a team.
    assert post(client, f"{DESK}/teams/{billing}/delete", {}).status_code == 303
    assert conversation(db, first).team_id is None
    with db.read() as session:
        assert session.scalars(select(TeamMember)).all() == []


def test_routing_and_widget_settings_are_saved_and_bad_values_named(
    client: TestClient, db: Database, store: StoreHandle, admin: str
):
    form = {
        "routing_method": "round_robin",
        "default_capacity": "3",
        "auto_assign": "true",
        "widget_title": "Talk to Juniper",
        "widget_greeting": "Hello!",
        "widget_accent": "#AA3300",
        "widget_allowed_origins": "https://shop.example.com/\nhttps://www.shop.example.com",
        "priority_email": "low",
        "priority_webchat": "high",
        "support_email": "Help@Shop.Example.com",
    }
    assert post(client, f"{DESK}/routing", form).status_code == 303
    with db.read() as session:
        row = session.scalars(select(SupportSettings)).one()
    assert (row.routing_method, row.default_capacity, row.csat_enabled) == ("round_robin", 3, False)
    assert row.widget_accent == "#aa3300"
    assert row.widget_allowed_origins == ["https://shop.example.com", "https://www.shop.example.com"]
    assert row.channel_priorities == {"email": "low", "webchat": "high"}
    assert row.support_email == "help@shop.example.com"
    # A new chat now starts at the webchat baseline.
    assert conversation(db, visitor_writes(db, store, "Hi")).priority == "high"

    bad_origin = post(client, f"{DESK}/routing", {**form, "widget_allowed_origins": "shop.example.com"})
    assert bad_origin.status_code == 422 and "https://" in bad_origin.text
    bad_address = post(client, f"{DESK}/routing", {**form, "support_email": "help at shop"})
    assert bad_address.status_code == 422 and "support_email" in bad_address.text
    bad_colour = post(client, f"{DESK}/routing", {**form, "widget_accent": "red"})
    assert bad_colour.status_code == 422
    bad_capacity = client.post(
        f"{DESK}/agents/{staff_id(db, admin)}",
        data={"capacity": "lots", "csrf_token": csrf_of(client.get(DESK).text)},
    )
    assert bad_capacity.status_code == 422 and "whole number" in bad_capacity.text
    with db.read() as session:
        assert session.scalars(select(SupportSettings.routing_method)).one() == "round_robin"  # nothing lost


def test_agents_and_other_stores_cannot_change_the_desk(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
):
    admin = make_staff(db, store, "admin", password_hash)
    login(client, admin)
    post(client, f"{DESK}/teams", {"name": "Billing"})
    billing = team_id(db, "Billing")

    agent = make_staff(db, store, "agent", password_hash)
    client.cookies.clear()
    login(client, agent)
    assert client.get(DESK).status_code == 403
    inbox_csrf = csrf_of(client.get("/console/acme/inbox").text)
    for path, data in [
        (f"{DESK}/teams", {"name": "Mine"}),
        (f"{DESK}/teams/{billing}/delete", {}),
        (f"{DESK}/agents/{staff_id(db, agent)}", {"capacity": "50"}),
        (
            f"{DESK}/routing",
            {
                "routing_method": "round_robin",
                "default_capacity": "9",
                "widget_title": "x",
                "widget_accent": "#000000",
            },
        ),
    ]:
        denied = client.post(path, data={**data, "csrf_token": inbox_csrf})
        assert denied.status_code == 403, (path, denied.text[denied.text.find("<main") :][:900])
    assert "Desk settings" not in client.get("/console/acme/inbox").text

    # An admin of another store cannot reach this store's teams through their own store either.
    other = make_store(db, "other")
    client.cookies.clear()
    login(client, make_staff(db, other, "admin", password_hash))
    other_csrf = csrf_of(client.get("/console/other/inbox-settings/desk").text)
    gone = client.post(
        f"/console/other/inbox-settings/desk/teams/{billing}/delete", data={"csrf_token": other_csrf}
    )
    assert gone.status_code == 404
    assert client.get(DESK).status_code in (403, 404)
    with db.read() as session:
        assert session.get(Team, billing) is not None


def test_a_team_conversation_is_not_given_to_an_agent_outside_the_team(
    db: Database, store: StoreHandle, password_hash: str
):
    from loyaldesk.kernel.actors import system_for
    from loyaldesk.support import actions
    from loyaldesk.support.actions import teams

    ada = staff_id(db, make_staff(db, store, "agent", password_hash, "ada@acme.example.com"))
    team = db.write(teams.save_team, system_for(store.id), store.id, name="VIP desk")
    first = visitor_writes(db, store, "Hello")
    db.write(actions.assign, system_for(store.id), first, assignee_id=None, team_id=team.id)
    db.write(routing.agent_connected, store.id, ada, delta=1)
    assert conversation(db, first).assignee_id is None  # Ada is online but not in the VIP desk
    db.write(teams.set_agent_teams, system_for(store.id), store.id, ada, [team.id])
    db.write(routing.route_waiting, store.id)
    assert conversation(db, first).assignee_id == ada
    with db.read() as session:
        assert session.get(Conversation, first).team_id == team.id  # type: ignore[union-attr]
