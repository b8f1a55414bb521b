"""The feedback dashboards through HTTP: answers made by customers over two months give the NPS, CSAT
and CES the statistics say (overall and per month, with intervals), response rates count invitations,
breakdowns group by channel and agent, loop closure and recovery count detractors, and what customers
bought after answering comes from their orders. The page, its chart and the JSON summary agree."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from loyaldesk.feedback.rules import statistics
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from tests.factories import StoreHandle, login, make_api_key, make_staff, order_payload
from tests.feedback.insight_world import answered, answered_many, ask, make_customer, make_survey

MARCH = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # the tests' clock starts here
PERIOD = {"from": "2026-03-01", "to": "2026-04-30", "every": "month"}


def _order(
    client: TestClient, store: StoreHandle, number: str, customer: str, placed_at: datetime, total: int
) -> None:
    payload = order_payload(
        number,
        customer={"external_id": customer},
        placed_at=placed_at.isoformat(),
        lines=[{"external_id": "l1", "title": "Tee", "quantity": 1, "unit_price": total}],
        shipping_total=0,
    )
    response = client.post("/api/v1/orders", json=payload, headers=store.auth)
    assert response.status_code in (200, 201), response.text


@pytest.fixture
def world(
    client: TestClient, db: Database, clock: FakeClock, store: StoreHandle, password_hash: str
) -> dict[str, Any]:
    nps = make_survey(db, store.id, "nps")
    csat = make_survey(db, store.id, "csat")
    ces = make_survey(db, store.id, "ces")
    emma = make_customer(client, store.auth, "emma", "Emma")  # a promoter who buys again
    liam = make_customer(client, store.auth, "liam", "Liam")  # a detractor who does not
    noah = make_customer(client, store.auth, "noah", "Noah")  # a detractor who recovers
    agent_email = make_staff(db, store, "agent", password_hash)
    with db.read() as session:
        agent = session.execute(
            text("SELECT id FROM staff_accounts WHERE email = :e"), {"e": agent_email}
        ).scalar()
    # March: 40 NPS answers: 20 promoters, 10 passives, 10 detractors (NPS 25), by email.
    march_nps = [10] * 12 + [9] * 8 + [8] * 6 + [7] * 4 + [6] * 5 + [2] * 5
    answered_many(db, store.id, nps, emma, march_nps)
    liam_answer = answered(db, store.id, nps, liam, 3, "Broken on arrival", channel="sms", agent_id=agent)
    noah_answer = answered(db, store.id, nps, noah, 1, "Late again", channel="sms", agent_id=agent)
    emma_answer = answered(db, store.id, nps, emma, 10, "Lovely", channel="widget", agent_id=agent)
    # CSAT: 7 of 10 satisfied; CES: scores with a known mean.
    answered_many(db, store.id, csat, emma, [5, 5, 4, 4, 4, 4, 4, 3, 2, 1])
    answered_many(db, store.id, ces, emma, [7, 6, 6, 5, 4, 7, 3, 6, 5, 6])
    # Two invitations nobody answered (response rates).
    ask(db, store.id, nps, liam)
    ask(db, store.id, nps, noah)
    # The team replies to Liam within 2 days, to Noah after 10 (loop closure).
    db.write(
        lambda uow: uow.session.execute(
            text("UPDATE feedback_responses SET contacted_at = :at WHERE id = :id"),
            [
                {"id": liam_answer, "at": MARCH + timedelta(days=2)},
                {"id": noah_answer, "at": MARCH + timedelta(days=10)},
            ],
        )
    )
    # April: Noah's follow-up answer scores 8 (recovered); 5 more NPS answers (all promoters).
    clock.set(MARCH + timedelta(days=35))
    answered(db, store.id, nps, noah, 8, "Better now", follow_up_of_id=noah_answer)
    answered_many(db, store.id, nps, emma, [10] * 5)
    # Emma buys twice after her answer, Liam buys nothing, Noah once; and an order before the answers.
    _order(client, store, "o-before", "emma", MARCH - timedelta(days=3), 9900)
    _order(client, store, "o-1", "emma", MARCH + timedelta(days=10), 4000)
    _order(client, store, "o-2", "emma", MARCH + timedelta(days=20), 2000)
    _order(client, store, "o-3", "noah", MARCH + timedelta(days=30), 3000)
    clock.set(MARCH + timedelta(days=60))
    login(client, agent_email)
    return {"liam": liam_answer, "noah": noah_answer, "emma": emma_answer, "agent": agent}


def test_the_summary_has_the_scores_the_statistics_give(
    client: TestClient, world: dict[str, Any], store: StoreHandle
) -> None:
    summary = client.get("/api/v1/feedback/summary", params=PERIOD, headers=store.auth)
    assert summary.status_code == 200, summary.text
    body = summary.json()
    # NPS: March 20+1 promoters (Emma's 10), 10 passives, 10+2 detractors; April 5 promoters, 1 passive.
    expected = statistics.nps(promoters=26, passives=11, detractors=12).as_dict()
    assert body["overall"]["nps"]["main"] == expected
    [march, april] = body["series"]
    assert march["nps"]["main"] == statistics.nps(21, 10, 12).as_dict()
    assert april["nps"]["main"] == statistics.nps(5, 1, 0).as_dict() and april["nps"]["main"]["too_few"]
    assert body["overall"]["csat"]["main"] == statistics.csat(7, 10).as_dict()
    assert body["overall"]["ces"]["main"]["value"] == pytest.approx(5.5)
    assert body["overall"]["ces"]["easy"] == statistics.wilson(8, 10).as_dict()
    rates = {rate["kind"]: rate for rate in body["response_rates"]}
    assert rates["nps"]["asked"] == 40 + 3 + 2 + 1 + 5 and rates["nps"]["answered"] == 40 + 3 + 1 + 5
    by_channel = {group["key"]: group["main"]["n"] for group in body["breakdowns"]["channel"]}
    assert by_channel == {"email": 46, "sms": 2, "widget": 1}
    assert [group["main"]["n"] for group in body["breakdowns"]["agent"]] == [3]
    # Detractors of every kind: 12 NPS, 2 CSAT (1-2), 1 CES (3).
    assert body["loop_closure"]["detractors"] == 15 and body["loop_closure"]["contacted_within_7_days"] == 1
    assert body["recovery"] == {"followed_up": 1, "recovered": 1, "rate": statistics.wilson(1, 1).as_dict()}
    buckets = {item["bucket"]: item for item in body["purchases_after"]["buckets"]}
    # Each customer once, by their first answer: Emma's first is a 10 (promoter), Liam's and Noah's
    # detractors. Emma bought 2 orders after it (60.00 together), Noah one, Liam none.
    assert buckets["promoter"]["customers"] == 1 and buckets["promoter"]["bought"]["value"] == 100
    assert buckets["promoter"]["revenue_per_customer_minor"]["value"] == 6000
    assert buckets["detractor"]["customers"] == 2 and buckets["detractor"]["bought"]["value"] == 50
    assert buckets["detractor"]["revenue_per_customer_minor"]["value"] == 1500


def test_the_dashboard_page_shows_the_same_figures_with_charts(
    client: TestClient, world: dict[str, Any]
) -> None:
    page = client.get("/console/acme/feedback/dashboard", params=PERIOD)
    assert page.status_code == 200, page.text
    nps = statistics.nps(26, 11, 12)
    assert f'{nps.value:.0f} <span class="muted small">({nps.low:.0f}\u2013{nps.high:.0f})' in page.text
    assert "70.0%" in page.text and "Mar 2026" in page.text and "(too few to conclude)" in page.text
    assert "1 of 15 detractors contacted within 7 days" in page.text
    assert 'aria-current="page">Dashboard</a>' in page.text
    chart = client.get("/console/acme/feedback/dashboard/chart.svg", params={**PERIOD, "chart": "nps"})
    assert chart.status_code == 200 and chart.headers["content-type"].startswith("image/svg+xml")
    assert "<polyline" in chart.text and "<polygon" in chart.text  # two months: a line in its band
    assert chart.text.count("<circle") == 2 and "<script" not in chart.text
    weekly = client.get(
        "/console/acme/feedback/dashboard", params={**PERIOD, "every": "week", "kind": "csat"}
    )
    assert weekly.status_code == 200 and "Week of 2026-03-02" in weekly.text


def test_a_wrong_period_is_named(client: TestClient, world: dict[str, Any], store: StoreHandle) -> None:
    page = client.get("/console/acme/feedback/dashboard", params={"from": "2026-05-01", "to": "2026-04-01"})
    assert page.status_code == 422 and "from: must be on or before the last day" in page.text
    api = client.get("/api/v1/feedback/summary", params={"every": "day"}, headers=store.auth)
    assert api.status_code == 422 and "every" in api.text


def test_the_summary_needs_the_feedback_scope(client: TestClient, db: Database, store: StoreHandle) -> None:
    assert (
        client.get("/api/v1/feedback/summary", headers=make_api_key(db, store, ["orders:read"])).status_code
        == 403
    )
    assert (
        client.get("/api/v1/feedback/summary", headers=make_api_key(db, store, ["feedback:read"])).status_code
        == 200
    )


def test_the_impact_page_shows_what_they_bought_after_answering(
    client: TestClient, world: dict[str, Any], db: Database, store: StoreHandle, password_hash: str
) -> None:
    client.cookies.clear()
    login(client, make_staff(db, store, "analyst", password_hash))
    page = client.get("/console/acme/analytics/impact", params={"from": "2026-03-01", "to": "2026-03-31"})
    assert page.status_code == 200, page.text
    section = page.text.split("data-feedback-purchases", 1)[1].split("</section>", 1)[0]
    promoters = section.split('data-bucket="promoter"', 1)[1].split("</tr>", 1)[0]
    detractors = section.split('data-bucket="detractor"', 1)[1].split("</tr>", 1)[0]
    assert "100.0%" in promoters and "60.00" in promoters  # Emma: two orders, 40 + 20
    assert "50.0%" in detractors and "15.00" in detractors  # Noah bought for 30, Liam nothing
