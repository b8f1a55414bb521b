"""The support report: figures on a hand-computed fixture (pure), and the page and its CSV exports."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from loyaldesk.support.queries.reports import ConversationRow, build_report, percentile
from tests.factories import StoreHandle, login, make_staff
from tests.support.desk import agent_reply, console_csrf
from tests.support.test_routing import visitor_writes

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday


def row(n: int, channel: str, first: int | None, resolved: int | None, **extra: object) -> ConversationRow:
    return ConversationRow(
        id=n,
        channel=channel,
        assignee_id=extra.pop("assignee_id", 1),  # type: ignore[arg-type]
        created_at=T0,
        first_response_at=T0 + timedelta(minutes=first) if first is not None else None,
        resolved_at=T0 + timedelta(minutes=resolved) if resolved is not None else None,
        had_sla=bool(extra.pop("had_sla", False)),
        breached=bool(extra.pop("breached", False)),
        rating=extra.pop("rating", None),  # type: ignore[arg-type]
        comment=extra.pop("comment", None),  # type: ignore[arg-type]
    )


def test_figures_on_a_hand_computed_fixture() -> None:
    rows = [
        row(1, "webchat", 2, 30, had_sla=True, rating=5, comment="Lovely"),
        row(2, "webchat", 4, None, had_sla=True, breached=True, rating=2),
        row(3, "email", 10, 120, had_sla=True, rating=4),
        row(4, "email", None, None, assignee_id=None),
        row(5, "api", 60, 240, assignee_id=2, rating=5),
    ]
    times = [
        T0,
        T0 + timedelta(minutes=5),
        T0 + timedelta(days=5, hours=3),
    ]  # Monday 10:00 Berlin twice, Saturday 13:00
    report = build_report(rows, times, "Europe/Berlin", {1: "Ana", 2: "Ben"})
    assert report.conversations == 5
    assert report.by_channel == {"webchat": 2, "email": 2, "api": 1}
    # First responses 2, 4, 10, 60 minutes: nearest-rank median is the 2nd (4), p90 the 4th (60).
    assert report.first_response_median == timedelta(minutes=4)
    assert report.first_response_p90 == timedelta(minutes=60)
    # Resolutions 30, 120, 240: median 120, p90 240.
    assert (report.resolution_median, report.resolution_p90) == (
        timedelta(minutes=120),
        timedelta(minutes=240),
    )
    assert (report.sla_conversations, report.sla_met, round(report.sla_compliance or 0, 3)) == (3, 2, 0.667)
    assert (report.ratings, report.satisfied, report.csat_average) == (4, 3, 4.0)
    assert report.heatmap[0][10] == 2 and report.heatmap[5][13] == 1 and report.heatmap_max == 2
    ana, ben = report.agents
    assert (ana.name, ana.handled, ana.resolved, ana.median_first_response, ana.kudos) == (
        "Ana",
        3,
        2,
        timedelta(minutes=4),
        1,
    )
    assert ana.csat_average == (5 + 2 + 4) / 3
    assert (ben.name, ben.handled, ben.kudos, ben.csat_average) == ("Ben", 1, 0, 5.0)
    assert percentile([], 0.5) is None


def test_the_report_page_and_its_csv_exports(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str, clock: FakeClock
) -> None:
    login(client, make_staff(db, store, "agent", password_hash))
    csrf = console_csrf(client, store.slug)
    first = visitor_writes(db, store, "Hello")
    clock.advance(timedelta(minutes=3))
    agent_reply(client, store.slug, first, "Hi!", csrf=csrf)
    visitor_writes(db, store, "Another one")
    page = client.get("/console/acme/inbox-reports")
    assert page.status_code == 200
    assert 'data-kpi="conversations">2<' in page.text
    assert 'data-kpi="first-response">3 min<' in page.text
    exported = client.get("/console/acme/inbox-reports", params={"export": "agents"})
    assert exported.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(exported.text)))
    assert table[0][0] == "agent" and table[1][:3] == ["Agent", "1", "0"] and table[1][3] == "180"
    hours = list(
        csv.reader(io.StringIO(client.get("/console/acme/inbox-reports", params={"export": "hours"}).text))
    )
    assert len(hours) == 8 and sum(int(cell) for line in hours[1:] for cell in line[1:]) == 2
    assert client.get("/console/acme/inbox-reports", params={"export": "secrets"}).status_code == 422
    assert (
        client.get(
            "/console/acme/inbox-reports", params={"from": "2026-05-01", "to": "2026-01-01"}
        ).status_code
        == 422
    )
    client.cookies.clear()
    assert client.get("/console/acme/inbox-reports", follow_redirects=False).status_code in (303, 401)


def test_report_dates_out_of_reach_are_refused_by_name(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    login(client, make_staff(db, store, "admin", password_hash))
    refused = client.get("/console/acme/inbox-reports", params={"from": "2026-01-01", "to": "9999-12-31"})
    assert refused.status_code == 422, refused.text
    assert "to: must be between 1970 and a year from now" in refused.text
