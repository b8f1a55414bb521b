"""Analytics figures are cached: a page shows the figures of its last computation with their time, a
manager can compute them again (with the CSRF token), the job keeps default views fresh and prunes old
ones, and the support and loyalty impact page groups customers as computed by hand."""

from __future__ import annotations

import csv
import io
import time
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from loyaldesk.analytics import impact_report
from loyaldesk.analytics.jobs import refresh_dashboards, refresh_lock_free, start_refresh
from loyaldesk.analytics.metrics import OrderFact, Window
from loyaldesk.analytics.models import AnalyticsSnapshot
from loyaldesk.analytics.reports.impact import SupportExperience
from loyaldesk.cli import app
from loyaldesk.customers import Customer
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from loyaldesk.settings import get_settings
from loyaldesk.stores.models import StaffAccount
from loyaldesk.support import actions
from loyaldesk.support.actions import contacts, csat
from tests.analytics.test_retention_page import PAGE, place
from tests.factories import StoreHandle, login, make_member, make_program, make_staff

MARCH = {"from": "2026-03-01", "to": "2026-03-30"}


def _groups(client: TestClient) -> dict[str, list[str]]:
    exported = client.get(PAGE, params={**MARCH, "export": "groups"})
    return {row[0]: row for row in csv.reader(io.StringIO(exported.text))}


def _csrf(page_text: str) -> str:
    return page_text.split('name="csrf_token" value="')[1].split('"')[0]


def test_pages_show_cached_figures_until_refreshed(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str, clock: FakeClock
) -> None:
    place(client, store, "1", "ann", "2026-03-05T10:00:00+00:00", 1000)
    place(client, store, "2", "bob", "2026-03-06T10:00:00+00:00", 2000)
    login(client, make_staff(db, store, "analyst", password_hash))
    page = client.get(PAGE, params=MARCH)
    assert "Figures computed" in page.text and "data-computed-at" in page.text
    assert _groups(client)["everyone"][1] == "2"

    place(client, store, "3", "cid", "2026-03-07T10:00:00+00:00", 3000)
    assert _groups(client)["everyone"][1] == "2"  # still the cached figures

    form = {"dashboard": "retention", **MARCH}
    assert client.post(f"{PAGE}/refresh", data=form).status_code == 403  # no CSRF token
    clock.advance(timedelta(minutes=5))
    refreshed = client.post(
        f"{PAGE}/refresh", data={**form, "csrf_token": _csrf(page.text)}, follow_redirects=False
    )
    assert refreshed.status_code == 303
    assert refreshed.headers["location"] == f"{PAGE}?from=2026-03-01&to=2026-03-30"
    assert _groups(client)["everyone"][1] == "3"
    bad = client.post(f"{PAGE}/refresh", data={"dashboard": "horoscope", "csrf_token": _csrf(page.text)})
    assert bad.status_code == 422 and "dashboard" in bad.text


def test_agents_cannot_refresh_figures(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    login(client, make_staff(db, store, "agent", password_hash))
    token = _csrf(client.get("/console/acme/inbox").text)
    denied = client.post(f"{PAGE}/refresh", data={"dashboard": "retention", "csrf_token": token})
    assert denied.status_code == 403
    assert client.get(f"{PAGE}/impact").status_code == 403


def test_the_job_keeps_default_views_fresh_and_prunes_old_ones(
    client: TestClient, db: Database, store: StoreHandle, clock: FakeClock
) -> None:
    place(client, store, "1", "ann", "2026-02-05T10:00:00+00:00", 1000)
    assert refresh_dashboards(db) == 4  # retention, segments, value, impact
    with db.read() as session:
        reports = set(session.scalars(select(AnalyticsSnapshot.report)))
    assert reports == {"retention", "segments", "segments_customers", "value", "impact"}
    assert refresh_dashboards(db) == 0  # nothing is stale yet
    clock.advance(timedelta(hours=7))
    assert refresh_dashboards(db) == 4
    clock.advance(timedelta(days=8))  # a new day: new default views; last week's are dropped
    refresh_dashboards(db)
    with db.read() as session:
        oldest = session.scalar(select(func.min(AnalyticsSnapshot.computed_at)))
    assert oldest is not None and oldest >= clock.now() - timedelta(days=7)


def _fact(customer: int, order: int, day: str, cents: int) -> OrderFact:
    return OrderFact(customer, order, datetime.fromisoformat(f"{day}T10:00:00+00:00"), cents)


def test_impact_groups_and_intervals_by_hand() -> None:
    exposure = Window(datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 31, tzinfo=UTC))
    orders = [
        _fact(1, 1, "2026-02-10", 1000),  # ann: answered in time, rated 5, buys again
        _fact(1, 2, "2026-04-05", 3000),
        _fact(2, 3, "2026-02-11", 1000),  # bob: breached, rated 2, gone
        _fact(3, 4, "2026-02-12", 1000),  # cid: no contact, buys again on day 50 (after the 30-day window)
        _fact(3, 5, "2026-05-20", 1000),
        _fact(4, 6, "2026-03-05", 1000),  # dee: no contact, buys again on day 1
        _fact(4, 7, "2026-04-01", 2000),
        _fact(5, 8, "2026-04-02", 9999),  # eve: first order after the period: not counted
    ]
    report = impact_report.build(
        orders,
        exposure,
        datetime(2026, 6, 1, tzinfo=UTC),
        contacted={1, 2},
        experiences={1: SupportExperience(5, True), 2: SupportExperience(2, False)},
        members={1},
        redeemers={1},
    )
    assert report.customers == 4 and report.follow_up_complete and report.retention_days == 30
    assert report.follow_up == Window(exposure.end, exposure.end + timedelta(days=30))
    groups = {g.group: g for g in (*report.support, *report.loyalty)}
    no_contact = groups["no_contact"]  # cid and dee; only dee buys within the 30-day follow-up
    assert (no_contact.n, no_contact.repeat_purchase.successes, no_contact.spend_minor.mean) == (2, 1, 1000)
    assert groups["csat_4_5"].repeat_purchase.rate == 1.0 and groups["csat_1_3"].repeat_purchase.rate == 0.0
    assert groups["response_within_target"].n == 1 and groups["response_breached"].n == 1
    assert groups["members"].n == 1 and groups["non_members"].n == 3 and groups["redeemers"].n == 1
    assert groups["non_redeemers"].n == 0 and groups["non_redeemers"].repeat_purchase.rate is None
    low, high = groups["no_contact"].repeat_purchase.low, groups["no_contact"].repeat_purchase.high
    assert low is not None and high is not None and 0.0 < low < 0.5 < high < 1.0  # Wilson, n = 2
    assert all(g.too_few_to_conclude for g in groups.values())
    rows = report.csv_rows()
    assert rows[0] == impact_report.CSV_HEADER and len(rows) == 1 + 5 + 4


def _staff_actor(db: Database, store: StoreHandle, email: str) -> Actor:
    with db.read() as session:
        staff_id = session.scalar(select(StaffAccount.id).where(StaffAccount.email == email))
    assert staff_id is not None
    return Actor(kind="staff", id=staff_id, store_id=store.id, label=email, role="agent")


def _rated_conversation(db: Database, store: StoreHandle, agent: Actor, customer: str, rating: int) -> None:
    with db.read() as session:
        customer_id = session.scalar(
            select(Customer.id).where(Customer.store_id == store.id, Customer.external_id == customer)
        )
    contact = db.write(contacts.identify_contact, store.id, customer_id=customer_id, visitor_token=None)
    message = db.write(
        actions.post_customer_message,
        contact.contact_id,
        body="Where is my parcel?",
        channel="email",
        subject="?",
    )
    db.write(actions.post_agent_message, agent, message.conversation_id, body="On its way.")
    db.write(actions.change_status, agent, message.conversation_id, "resolved")
    db.write(csat.submit_csat, message.conversation_id, rating=rating, comment=None, contact_id=None)


def test_the_impact_page_groups_customers_by_their_support(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str, clock: FakeClock
) -> None:
    make_program(db, store, auto_enroll=False)  # opt-in: only ann joins
    for n, name in enumerate(("ann", "bob", "cid", "dee")):
        place(client, store, f"{name}-1", name, f"2026-02-1{n}T10:00:00+00:00", 1000)
    place(client, store, "ann-2", "ann", "2026-04-05T10:00:00+00:00", 3000)
    place(client, store, "cid-2", "cid", "2026-04-20T10:00:00+00:00", 1000)
    make_member(db, store, "ann")
    agent = _staff_actor(db, store, make_staff(db, store, "agent", password_hash))
    clock.set(datetime(2026, 3, 10, 9, tzinfo=UTC))
    _rated_conversation(db, store, agent, "ann", 5)
    _rated_conversation(db, store, agent, "bob", 2)
    clock.set(datetime(2026, 5, 15, 9, tzinfo=UTC))
    login(client, make_staff(db, store, "analyst", password_hash))
    page = client.get(f"{PAGE}/impact", params=MARCH)
    assert page.status_code == 200, page.text
    assert "Support experience" in page.text and "Rated support 4-5" in page.text
    assert "data-follow-up-incomplete" not in page.text
    rows = list(
        csv.reader(io.StringIO(client.get(f"{PAGE}/impact", params={**MARCH, "export": "true"}).text))
    )
    by_group = {row[1]: row for row in rows[1:]}
    assert by_group["no_contact"][2:4] == ["2", "0.5"]  # cid came back, dee did not
    assert by_group["csat_4_5"][2:4] == ["1", "1.0"] and by_group["csat_1_3"][2:4] == ["1", "0.0"]
    assert by_group["members"][2:4] == ["1", "1.0"] and by_group["non_members"][2] == "3"
    assert by_group["response_within_target"][2] == "0"  # no SLA policy: nothing measured
    latest = client.get(f"{PAGE}/impact")  # default: the 90 days that ended 90 days ago
    assert latest.status_code == 200 and "2026-02-13" in latest.text
    assert client.get(f"{PAGE}/impact", params={"from": "2026-03-30", "to": "2026-03-01"}).status_code == 422


def test_refresh_analytics_command_and_the_job_thread(
    client: TestClient,
    db: Database,
    store: StoreHandle,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    clock: FakeClock,
) -> None:
    place(client, store, "1", "ann", "2026-03-01T10:00:00+00:00", 1000)
    monkeypatch.setenv("LOYALDESK_DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["refresh-analytics", "--store", "acme"])
        missing = CliRunner().invoke(app, ["refresh-analytics", "--store", "nope"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "retention, segments, value, impact" in result.output
    assert missing.exit_code == 1
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(AnalyticsSnapshot)) == 5

    # The background job hands the work to a thread of its own, one at a time.
    clock.advance(timedelta(hours=7))
    assert start_refresh(db) == 1
    deadline = time.monotonic() + 30
    while not refresh_lock_free() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert refresh_lock_free()
    with db.read() as session:  # every default view (of the job's today) was computed by the thread
        computed_now = select(func.count()).where(AnalyticsSnapshot.computed_at == clock.now())
        assert session.scalar(computed_now) == 5


def test_dates_out_of_reach_are_refused_by_name(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    login(client, make_staff(db, store, "analyst", password_hash))
    for path, params, field in (
        (f"{PAGE}/segments", {"as_of": "9999-12-31"}, "as_of"),
        (f"{PAGE}/value", {"as_of": "0001-01-01"}, "as_of"),
        (PAGE, {"from": "2026-01-01", "to": "9999-12-31"}, "to"),
        (f"{PAGE}/impact", {"from": "1900-01-01", "to": "2026-01-01"}, "from"),
    ):
        refused = client.get(path, params=params)
        assert refused.status_code == 422 and f"{field}: must be" in refused.text, (path, refused.text)
