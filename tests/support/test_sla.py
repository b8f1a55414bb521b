"""SLA policies driven through the console with a fake clock: business hours across a weekend and a
holiday, the clock paused while waiting on the customer, the warning and the breach fired once with the
escalation, due times in the inbox sorted "due soonest", and who may change policies."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from loyaldesk.kernel.events import EventRecord
from loyaldesk.support.actions import sla
from loyaldesk.support.models import Conversation, Message, SlaPolicy, Team
from tests.factories import StoreHandle, csrf_of, login, make_staff
from tests.support.desk import agent_reply, console_csrf
from tests.support.test_routing import staff_id, visitor_writes

SLA = "/console/acme/inbox-settings/sla"
DESK = "/console/acme/inbox-settings/desk"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def admin(client: TestClient, db: Database, store: StoreHandle, password_hash: str) -> str:
    email = make_staff(db, store, "admin", password_hash, "lena@acme.example.com")
    login(client, email)
    return email


def relogin(client: TestClient, email: str) -> None:
    client.cookies.clear()
    login(client, email)


def form_post(client: TestClient, path: str, data: dict[str, object]):
    return client.post(
        path, data={**data, "csrf_token": csrf_of(client.get(SLA).text)}, follow_redirects=False
    )


def office_hours_policy(client: TestClient, db: Database, admin: str, **overrides: object) -> None:
    """Berlin office hours Monday to Friday 09:00-17:00, closed on Monday 9 March 2026; a policy with a
    60-minute first response, 120-minute next response and 8-hour resolution; on a breach, raise to
    urgent and tell the Escalations team's lead."""
    saved = form_post(
        client,
        f"{SLA}/calendars",
        {
            "name": "Office",
            "time_zone": "Europe/Berlin",
            **{f"day_{n}": "09:00-17:00" for n in range(5)},
            "holidays": "2026-03-09",
        },
    )
    assert saved.status_code == 303, saved.text
    assert form_post(client, f"{DESK}/teams", {"name": "Escalations"}).status_code == 303
    with db.read() as session:
        team_id = session.scalar(select(Team.id))
        calendar_id = session.scalar(select(sla.BusinessCalendarRow.id))
    lead = form_post(client, f"{DESK}/teams/{team_id}/lead", {"lead_id": str(staff_id(db, admin))})
    assert lead.status_code == 303
    policy = form_post(
        client,
        f"{SLA}/policies",
        {
            "name": "Standard",
            "active": "true",
            "first_response_minutes": "60",
            "next_response_minutes": "120",
            "resolution_minutes": "480",
            "warn_before_percent": "25",
            "calendar_id": str(calendar_id),
            "raise_priority": "urgent",
            "escalation_team_id": str(team_id),
            "notify_lead": "true",
            **overrides,
        },
    )
    assert policy.status_code == 303, policy.text


def conversation(db: Database, conversation_id: int) -> Conversation:
    with db.read() as session:
        found = session.get(Conversation, conversation_id)
        assert found is not None
        return found


def events(db: Database, kind: str) -> list[EventRecord]:
    with db.read() as session:
        return list(session.scalars(select(EventRecord).where(EventRecord.event_type == kind)))


def test_a_first_response_due_over_a_weekend_and_a_holiday_warns_then_breaches_once(
    client: TestClient, db: Database, store: StoreHandle, admin: str, clock: FakeClock
):
    office_hours_policy(client, db, admin)
    # Friday 6 March, 16:30 in Berlin (15:30 UTC): half an hour is left that day.
    clock.set(utc("2026-03-06T15:30:00"))
    chat = visitor_writes(db, store, "My parcel never arrived")
    row = conversation(db, chat)
    # 30 minutes on Friday, then Saturday, Sunday and the Monday holiday are closed: Tuesday 09:30 Berlin.
    assert row.sla_due_at == utc("2026-03-10T08:30:00")
    assert row.sla_state == "running"
    assert row.sla_next_check_at == utc("2026-03-10T08:15:00")  # the warning, with 15 minutes left
    relogin(client, admin)  # days passed on the fake clock: the console session ended
    page = client.get("/console/acme/inbox").text
    # Shown in the store's time zone, in the inbox's one format (the year on hover).
    assert "SLA due" in page and ">10 Mar, 09:30</time>" in page and 'title="10 Mar 2026, 09:30"' in page

    clock.set(utc("2026-03-10T08:14:00"))
    assert db.write(sla.check_due) == 0  # nothing due yet
    clock.set(utc("2026-03-10T08:16:00"))
    assert db.write(sla.check_due) == 1
    assert [e.payload["metric"] for e in events(db, "sla.warning")] == ["first_response"]
    assert conversation(db, chat).sla_state == "warning"

    clock.set(utc("2026-03-10T08:31:00"))
    db.write(sla.check_due)
    db.write(sla.check_due)  # the job running again (or in two processes) fires nothing twice
    [breach] = events(db, "sla.breached")
    assert breach.payload["metric"] == "first_response"
    assert breach.payload["actions"] == ["raised_priority", "moved_to_team", "notified_lead"]
    assert breach.payload["lead_id"] == staff_id(db, admin)
    assert len(events(db, "sla.warning")) == 1
    row = conversation(db, chat)
    assert (row.priority, row.sla_state) == ("urgent", "breached")
    with db.read() as session:
        team = session.scalars(select(Team)).one()
        notes = session.scalars(select(Message.body).where(Message.author_kind == "system")).all()
    assert row.team_id == team.id
    assert notes == ["SLA breached: first response (Standard). Admin, please take a look."]
    relogin(client, admin)
    assert "SLA breached" in client.get("/console/acme/inbox").text


def test_waiting_on_the_customer_pauses_the_clocks_and_due_soonest_sorts_the_inbox(
    client: TestClient, db: Database, store: StoreHandle, admin: str, clock: FakeClock
):
    office_hours_policy(client, db, admin)
    csrf = console_csrf(client, store.slug)
    clock.set(utc("2026-03-02T10:00:00"))  # Monday, 11:00 in Berlin
    first = visitor_writes(db, store, "Question one")
    clock.set(utc("2026-03-02T10:20:00"))
    assert (
        agent_reply(client, store.slug, first, "Could you send the order number?", csrf=csrf).status_code
        == 201
    )
    clock.set(utc("2026-03-02T10:21:00"))
    pending = client.post(
        f"/console/acme/inbox/{first}/status",
        data={"status": "pending", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert pending.status_code == 303
    assert conversation(db, first).sla_state == "paused"
    clock.set(utc("2026-03-02T11:00:00"))
    second = visitor_writes(db, store, "Question two")  # due 12:00 UTC for its first response

    clock.set(utc("2026-03-02T12:21:00"))  # two hours later the customer answers
    from loyaldesk.support import actions

    contact_id = conversation(db, first).contact_id
    db.write(actions.post_customer_message, contact_id, body="Order 1001", conversation_id=first)
    row = conversation(db, first)
    assert row.status == "open"
    # The next response is due two business hours after the customer's answer: 14:21 UTC.
    assert row.sla_due_at == utc("2026-03-02T14:21:00")
    # Resolution: 21 minutes before the pause and 3 h 39 min after it on Monday, 4 h on Tuesday from 09:00.
    status = sla.sla_status(_calendar(db), _targets(db), _timeline(db, first), clock.now())
    assert status.resolution.due_at == utc("2026-03-03T12:00:00")

    # "Due soonest": the second conversation's first response was due at 12:00 and is breached now; the
    # running clock of the first comes first.
    db.write(sla.check_due)
    rows = client.get("/console/acme/inbox.json", params={"sort": "due"}).json()["conversations"]
    due = [(r["id"], r["sla_state"]) for r in rows]
    assert due[0] == (first, "running")
    assert (second, "breached") in due


def _calendar(db: Database):  # type: ignore[no-untyped-def]
    with db.read() as session:
        return sla.calendar_of(session.scalars(select(sla.BusinessCalendarRow)).one())


def _targets(db: Database):  # type: ignore[no-untyped-def]
    with db.read() as session:
        return sla.targets_of(session.scalars(select(SlaPolicy)).one())


def _timeline(db: Database, conversation_id: int):  # type: ignore[no-untyped-def]
    def read(uow):  # type: ignore[no-untyped-def]
        return sla.timeline_of(uow, uow.session.get(Conversation, conversation_id))

    return db.write(read)


def test_policies_match_their_conditions_and_bad_input_is_named(
    client: TestClient, db: Database, store: StoreHandle, admin: str, clock: FakeClock
):
    office_hours_policy(client, db, admin, priorities="urgent", name="Urgent only")
    normal = visitor_writes(db, store, "Hello")
    assert conversation(db, normal).sla_policy_id is None  # a normal-priority chat: no policy applies
    bad = form_post(
        client,
        f"{SLA}/policies",
        {"name": "Broken", "first_response_minutes": "soon", "calendar_id": ""},
    )
    assert bad.status_code == 422 and "first_response_minutes" in bad.text
    none = form_post(client, f"{SLA}/policies", {"name": "Empty"})
    assert none.status_code == 422 and "at least one target" in none.text
    bad_hours = form_post(
        client, f"{SLA}/calendars", {"name": "Bad", "time_zone": "Mars/Olympus", "day_0": "09:00-17:00"}
    )
    assert bad_hours.status_code == 422 and "time zone" in bad_hours.text
    overlapping = form_post(
        client, f"{SLA}/calendars", {"name": "Bad", "time_zone": "UTC", "day_0": "09:00-12:00, 11:00-13:00"}
    )
    assert overlapping.status_code == 422 and "overlap" in overlapping.text
    with db.read() as session:
        assert [p.name for p in session.scalars(select(SlaPolicy))] == ["Urgent only"]


def test_agents_cannot_change_sla_policies(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
):
    client.cookies.clear()
    login(client, make_staff(db, store, "agent", password_hash))
    assert client.get(SLA).status_code == 403
    csrf = csrf_of(client.get("/console/acme/inbox").text)
    denied = client.post(
        f"{SLA}/policies", data={"name": "Mine", "first_response_minutes": "5", "csrf_token": csrf}
    )
    assert denied.status_code == 403
    with db.read() as session:
        assert session.scalars(select(SlaPolicy)).all() == []


def test_a_policy_saved_applies_at_once_to_the_next_conversation(
    client: TestClient, db: Database, store: StoreHandle, admin: str, clock: FakeClock
):
    clock.set(utc("2026-03-04T10:00:00"))  # a Wednesday, within office hours
    relogin(client, admin)  # the fake clock moved: the console session ended
    before = conversation(db, visitor_writes(db, store, "Hello, anyone there?"))
    assert (before.sla_policy_id, before.sla_state) == (None, None)  # no policy yet (and now known)
    office_hours_policy(client, db, admin)
    after = conversation(db, visitor_writes(db, store, "My parcel never arrived"))
    assert after.sla_state == "running" and after.sla_policy_id is not None
