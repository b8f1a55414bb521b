"""The journeys console over HTTP, as a browser drives it (session cookie, CSRF, forms): the list in
words with the built-ins, switching one on, the editor keeping what was typed when a part cannot run,
the campaign form making a schedule the engine runs, the explain view, the calendar foretelling a
birthday, tasks and the messaging settings."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from loyaldesk.journeys.actions.scan import scan_rules
from loyaldesk.journeys.models import Enrollment, JourneyRule, MessageTemplate, StoreMessaging, TeamTask
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database, UnitOfWork
from loyaldesk.stores.models import AuditLogEntry
from tests.conftest import START
from tests.factories import StoreHandle, csrf_of, login, make_staff
from tests.web.journeys_helpers import (
    builtin_templates,
    customer,
    make_rule,
    make_template,
)

BASE = "/console/acme/journeys"


@pytest.fixture
def manager(client: TestClient, db: Database, store: StoreHandle, password_hash: str) -> str:
    """Logged in as the store's admin; the page's form token."""
    login(client, make_staff(db, store, "admin", password_hash))
    return csrf_of(client.get("/console/account").text)


def test_the_list_shows_rules_in_words_and_the_built_ins(
    client: TestClient, db: Database, store: StoreHandle, manager: str
) -> None:
    make_template(db, store.id, "thanks", name="Thank you")
    rule_id = make_rule(db, store)

    page = client.get(BASE)
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "Thanks after delivery" in text and "When an order is delivered" in text
    assert "Support automations" in text and "Campaigns" in text
    # The catalogue, each trigger in words, with a Switch on button.
    assert "Points expiring in 30 days" in text and "30 days before points expire" in text
    assert "On the customer's birthday" in text
    assert f'action="{BASE}/builtins/birthday"' in page.text
    assert 'href="/console/acme/journeys"' in page.text  # the navigation entry

    rule = html.unescape(client.get(f"{BASE}/{rule_id}").text)
    assert "Tier is Gold" in rule
    assert "Wait 2 days" in rule and "Send email “Thank you”" in rule
    assert "Not measured yet" in rule
    assert "Tomorrow (" in rule


def test_switching_on_a_built_in_creates_its_templates_in_one_click(
    client: TestClient,
    db: Database,
    store: StoreHandle,
    manager: str,
) -> None:
    answer = client.post(
        f"{BASE}/builtins/points_expiring_30", data={"csrf_token": manager}, follow_redirects=False
    )
    assert answer.status_code == 303
    with db.read() as session:
        rule = session.scalars(
            select(JourneyRule).where(JourneyRule.builtin_key == "points_expiring_30")
        ).one()
        assert rule.enabled
        assert session.scalar(
            select(MessageTemplate.id).where(
                MessageTemplate.store_id == store.id, MessageTemplate.key == "points_expiring_30"
            )
        )
    listing = client.get(BASE).text
    assert f'action="{BASE}/builtins/points_expiring_30"' not in listing  # no longer in the catalogue
    assert f'href="{BASE}/{rule.id}"' in listing
    # Off and on again from the list.
    off = client.post(
        f"{BASE}/{rule.id}/enabled",
        data={"csrf_token": manager, "enabled": "no", "back": "list"},
        follow_redirects=False,
    )
    assert off.status_code == 303 and off.headers["location"].endswith("?done=off")
    with db.read() as session:
        assert not session.get(JourneyRule, rule.id).enabled  # type: ignore[union-attr]


def test_an_edit_that_cannot_run_is_shown_by_its_field_and_keeps_the_text(
    client: TestClient, db: Database, store: StoreHandle, manager: str
) -> None:
    make_template(db, store.id, "thanks")
    rule_id = make_rule(db, store)
    form = client.get(f"{BASE}/{rule_id}/edit")
    assert form.status_code == 200 and "order.delivered" in html.unescape(form.text)
    steps = '[\n  {"kind": "wait", "days": 1},\n  {"kind": "send", "channel": "email", "template": "nope"}\n]'
    answer = client.post(
        f"{BASE}/{rule_id}/edit",
        data={
            "csrf_token": manager,
            "name": "Thanks after delivery",
            "purpose": "journey",
            "category": "marketing",
            "holdout_percent": "0",
            "reentry": "per_occurrence",
            "conversion_days": "7",
            "trigger": '{"kind": "event", "event": "order.delivered"}',
            "conditions": "",
            "steps": steps,
        },
    )
    assert answer.status_code == 422
    error = re.search(r'<p class="field-error" id="f-steps-error">(.*?)</p>', answer.text, re.S)
    assert error is not None
    assert "steps[1].template (step 2)" in html.unescape(error.group(1))
    assert "nope" in html.unescape(error.group(1))
    textarea = re.search(r'<textarea id="f-steps"[^>]*>(.*?)</textarea>', answer.text, re.S)
    assert textarea is not None and html.unescape(textarea.group(1)) == steps
    assert 'aria-describedby="f-steps-error"' in answer.text

    broken = client.post(
        f"{BASE}/{rule_id}/edit",
        data={"csrf_token": manager, "name": "X", "trigger": "{not json", "steps": "[]"},
    )
    assert broken.status_code == 422 and "not valid JSON" in broken.text
    with db.read() as session:
        assert session.get(JourneyRule, rule_id).version == 1  # type: ignore[union-attr]

    saved = client.post(
        f"{BASE}/{rule_id}/edit",
        data={
            "csrf_token": manager,
            "name": "Thanks, edited",
            "purpose": "journey",
            "category": "transactional",
            "holdout_percent": "5",
            "reentry": "once",
            "conversion_days": "14",
            "enabled": "true",
            "trigger": '{"kind": "event", "event": "order.delivered"}',
            "conditions": '{"all": []}',
            "steps": '[{"kind": "send", "channel": "email", "template": "thanks"}]',
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text[:500]
    with db.read() as session:
        rule = session.get(JourneyRule, rule_id)
        assert rule is not None and rule.name == "Thanks, edited" and rule.reentry == "once"


def test_a_new_rule_from_the_editor(
    client: TestClient, db: Database, store: StoreHandle, manager: str
) -> None:
    page = client.get(f"{BASE}/new?purpose=support")
    assert page.status_code == 200 and "conversation.started" in page.text
    assert "customer.days_to_birthday" in page.text and "Days to their birthday" in page.text  # help
    answer = client.post(
        BASE,
        data={
            "csrf_token": manager,
            "name": "Tag refunds",
            "purpose": "support",
            "category": "support",
            "holdout_percent": "0",
            "reentry": "per_occurrence",
            "conversion_days": "7",
            "trigger": '{"kind": "event", "event": "conversation.started"}',
            "conditions": '{"all": [{"field": "conversation.text", "op": "contains_any", '
            '"value": ["refund"]}]}',
            "steps": '[{"kind": "tag_conversation", "tag": "refund"}]',
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303
    text = html.unescape(client.get(answer.headers["location"]).text)
    assert "Latest customer message mentions any of refund" in text
    assert "Tag the conversation “refund”" in text


def test_the_campaign_form_makes_a_schedule_the_engine_runs(
    client: TestClient, db: Database, store: StoreHandle, manager: str, clock: FakeClock
) -> None:
    make_template(db, store.id, "spring", name="Spring sale")
    make_template(db, store.id, "spring_sms", channel="sms", name="Spring SMS")
    agreed = customer(db, store, "c1", "Ada", "ada@example.com", consent=True, tags=["vip"])
    customer(db, store, "c2", "Bob", "bob@example.com", consent=False, tags=["vip"])
    page = client.get(f"{BASE}/campaigns/new")
    assert page.status_code == 200 and "Spring sale" in page.text and "Champions" in page.text

    day = (START + timedelta(days=1)).date().isoformat()
    form = {
        "csrf_token": manager,
        "name": "Spring sale",
        "audience": "tag",
        "tag": "vip",
        "channel": "email",
        "template": "spring_sms",
        "date": day,
        "time": "10:00",
        "recurrence": "",
        "timezone": "store",
        "holdout_percent": "0",
    }
    wrong = client.post(f"{BASE}/campaigns/new", data=form)
    assert wrong.status_code == 422
    assert re.search(r'id="f-template-error">[^<]*is for sms, not email', wrong.text)

    answer = client.post(f"{BASE}/campaigns/new", data={**form, "template": "spring"}, follow_redirects=False)
    assert answer.status_code == 303, answer.text[:500]
    rule_page = html.unescape(client.get(answer.headers["location"]).text)
    assert f"Once, on {START.day + 1} Mar 2026 at 10:00, store time" in rule_page
    assert "Tags contains vip" in rule_page

    clock.advance(timedelta(days=1, hours=2))
    db.write(scan_rules)
    with db.read() as session:
        entered = list(session.scalars(select(Enrollment.customer_id)))
    assert entered == [agreed]


def test_explain_shows_a_failed_tests_actual_value(
    client: TestClient, db: Database, store: StoreHandle, manager: str
) -> None:
    make_template(db, store.id, "thanks")
    rule_id = make_rule(db, store, conditions={"all": [{"field": "orders.count", "op": "gte", "value": 3}]})
    customer(db, store, "c1", "Ada", "ada@example.com")
    page = client.get(f"{BASE}/{rule_id}/explain", params={"customer": "ADA@example.com"})
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "Would enter now: no" in text
    row = re.search(r"<tr><td>.*?not met.*?</tr>", text, re.S)
    assert row is not None and "Orders placed is at least 3" in row.group(0)
    assert '<td data-part="actual">0</td>' in row.group(0)
    assert "Europe/" in text or "UTC" in text  # their zone
    missing = client.get(f"{BASE}/{rule_id}/explain", params={"customer": "nobody@example.com"})
    assert missing.status_code == 404 and "No customer of this store" in missing.text


def test_the_calendar_foretells_a_birthday_on_its_day(
    client: TestClient, db: Database, store: StoreHandle, manager: str
) -> None:
    builtin_templates(db, store.id)
    in_three_days = (START + timedelta(days=3)).date()
    customer(
        db, store, "c1", "Ada", "ada@example.com", birthday=date(1990, in_three_days.month, in_three_days.day)
    )
    client.post(f"{BASE}/builtins/birthday", data={"csrf_token": manager})
    page = client.get(f"{BASE}/calendar?days=7")
    assert page.status_code == 200
    rows = re.findall(r"<tr[^>]*>\s*<th scope=\"row\".*?</tr>", page.text, re.S)
    assert len(rows) == 7
    marked = [index for index, row in enumerate(rows) if "Birthday</a>: 1" in row]
    assert marked == [3], marked
    assert ">5 Mar 2026<" not in rows[0]
    assert "5 Mar 2026" in rows[3]


def test_tasks_are_listed_and_done(
    client: TestClient, db: Database, store: StoreHandle, manager: str, password_hash: str
) -> None:
    ada = customer(db, store, "c1", "Ada", "ada@example.com")

    def add(uow: UnitOfWork) -> int:
        task = TeamTask(
            store_id=store.id,
            customer_id=ada,
            title="Call Ada about her parcel",
            status="open",
            idempotency_key="t-1",
            created_at=uow.now(),
            due_at=uow.now() + timedelta(hours=4),
        )
        uow.session.add(task)
        uow.session.flush()
        return task.id

    task_id = db.write(add)
    page = client.get(f"{BASE}/tasks")
    assert "Call Ada about her parcel" in page.text and f"/console/acme/customers/{ada}" in page.text
    done = client.post(f"{BASE}/tasks/{task_id}/done", data={"csrf_token": manager}, follow_redirects=False)
    assert done.status_code == 303
    with db.read() as session:
        task = session.get(TeamTask, task_id)
        assert task is not None and task.status == "done" and task.done_at is not None
        assert session.scalars(
            select(AuditLogEntry).where(AuditLogEntry.action == "journeys.task_done")
        ).one()
    assert "Call Ada" not in client.get(f"{BASE}/tasks").text


def test_settings_errors_are_shown_beside_their_inputs(
    client: TestClient, db: Database, store: StoreHandle, manager: str
) -> None:
    page = client.get(f"{BASE}/settings")
    assert page.status_code == 200 and 'name="quiet_start_hour"' in page.text
    form = {
        "csrf_token": manager,
        "min_gap_hours": "16",
        "per_week": "3",
        "per_week_sms": "1",
        "quiet_start_hour": "25",
        "quiet_end_hour": "8",
        "max_defer_hours": "48",
        "brand_color": "#123456",
        "sender_name": "Acme",
    }
    refused = client.post(f"{BASE}/settings", data=form)
    assert refused.status_code == 422
    assert 'id="f-quiet_start_hour-error"' in refused.text
    assert 'value="25"' in refused.text  # what was typed stays
    saved = client.post(f"{BASE}/settings", data={**form, "quiet_start_hour": "22"}, follow_redirects=False)
    assert saved.status_code == 303
    with db.read() as session:
        row = session.get(StoreMessaging, store.id)
        assert row is not None and row.quiet_start_hour == 22 and row.per_channel_per_week == {"sms": 1}


def test_an_analyst_reads_but_cannot_change(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    make_template(db, store.id, "thanks")
    rule_id = make_rule(db, store)
    login(client, make_staff(db, store, "analyst", password_hash))
    page = client.get(f"{BASE}/{rule_id}")
    assert page.status_code == 200 and "/edit" not in page.text and "Switch off" not in page.text
    assert client.get(f"{BASE}/{rule_id}/edit").status_code == 403
