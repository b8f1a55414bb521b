"""Analytics → Retention over HTTP: the figures of a small store computed by hand, members vs
non-members, the cohort heatmap, CSV exports, and who may see it."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient

from loyaldesk.kernel.db import Database
from tests.factories import StoreHandle, login, make_member, make_program, make_staff, order_payload

PAGE = "/console/acme/analytics"


def place(
    client: TestClient, store: StoreHandle, order_id: str, customer: str, placed_at: str, cents: int
) -> None:
    """One paid order of one line, no shipping: its net amount is ``cents``."""
    payload = order_payload(
        order_id,
        placed_at=placed_at,
        customer={"external_id": customer, "email": f"{customer}@example.com"},
        lines=[{"external_id": "l1", "sku": "S", "title": "Thing", "quantity": 1, "unit_price": cents}],
        shipping_total=0,
    )
    made = client.post("/api/v1/orders", json=payload, headers=store.auth)
    assert made.status_code in (200, 201), made.text


def test_the_retention_page_shows_hand_computed_figures(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    make_program(db, store, auto_enroll=False)  # opt-in: only ann joins
    # Previous 30 days (Jan 30 - Feb 28): ann and bob buy. This period (Mar 1 - Mar 30): ann twice, cid once.
    place(client, store, "1", "ann", "2026-02-10T10:00:00+00:00", 1000)
    place(client, store, "2", "bob", "2026-02-11T10:00:00+00:00", 2000)
    place(client, store, "3", "ann", "2026-03-05T10:00:00+00:00", 3000)
    place(client, store, "4", "ann", "2026-03-06T10:00:00+00:00", 1000)
    place(client, store, "5", "cid", "2026-03-07T10:00:00+00:00", 2000)
    make_member(db, store, "ann")
    login(client, make_staff(db, store, "analyst", password_hash))
    page = client.get(PAGE, params={"from": "2026-03-01", "to": "2026-03-30"})
    assert page.status_code == 200, page.text
    exported = client.get(PAGE, params={"from": "2026-03-01", "to": "2026-03-30", "export": "groups"})
    rows = {row[0]: row for row in csv.reader(io.StringIO(exported.text))}
    everyone, members, others = rows["everyone"], rows["members"], rows["non_members"]
    # Everyone: 2 customers (ann, cid), 3 orders, 60.00 net; AOV 20.00; 1.5 orders each; ann repeats: 50%.
    assert everyone[1:8] == ["2", "3", "6000", "2000.0", "1.5", "0.5", "3000.0"]
    # Retention: of ann and bob (previous period), ann came back: 50%; churn 50%.
    assert (everyone[9], everyone[10]) == ("0.5", "0.5")
    # Members (ann): 1 customer, 2 orders, 40.00, came back: 100%.
    assert members[1:4] == ["1", "2", "4000"] and members[9] == "1.0"
    # Not members: cid; bob does not come back: retention 0.
    assert others[1:4] == ["1", "1", "2000"] and others[9] == "0.0"
    cohorts = list(
        csv.reader(io.StringIO(client.get(PAGE, params={"to": "2026-03-30", "export": "cohorts"}).text))
    )
    assert cohorts[0][:4] == ["cohort", "size", "month_0", "month_1"]
    assert cohorts[1][:4] == ["2026-02", "2", "1.0", "0.5"]  # ann and bob in February; ann again in March
    assert "Monthly cohorts" in page.text and "2026-02" in page.text
    bad = client.get(PAGE, params={"from": "2026-03-30", "to": "2026-03-01"})
    assert bad.status_code == 422
    assert client.get(PAGE, params={"export": "nothing"}).status_code == 422


def test_agents_do_not_see_analytics(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    login(client, make_staff(db, store, "agent", password_hash))
    assert client.get(PAGE).status_code == 403


def test_segments_page_lists_and_exports_customers(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    # Ten customers: c0 bought often, much and lately; c9 once, little, long ago.
    for n in range(10):
        for k in range(10 - n):
            day = 28 - n * 2 - k
            place(client, store, f"{n}-{k}", f"c{n}", f"2026-02-{day:02d}T10:00:00+00:00", 1000 * (10 - n))
    login(client, make_staff(db, store, "analyst", password_hash))
    page = client.get(f"{PAGE}/segments", params={"as_of": "2026-03-01"})
    assert page.status_code == 200, page.text
    assert "Champions" in page.text and "The 10 customers who bought" in page.text
    rows = list(
        csv.reader(
            io.StringIO(client.get(f"{PAGE}/segments", params={"as_of": "2026-03-01", "export": "true"}).text)
        )
    )
    assert rows[0] == ["customer_id", "segment", "segment_label", "r", "f", "m", "rfm"]
    by_score = {row[6]: row[1] for row in rows[1:]}
    assert by_score["555"] == "champions" and by_score["111"] == "lost"
    champions = client.get(f"{PAGE}/segments", params={"as_of": "2026-03-01", "segment": "champions"})
    assert "c0@example.com" in champions.text
    assert client.get(f"{PAGE}/segments", params={"segment": "royalty"}).status_code == 422
    table = client.get(f"{PAGE}/segments", params={"as_of": "2026-03-01", "export": "summary"})
    summary = list(csv.reader(io.StringIO(table.text)))
    assert summary[0] == ["segment", "label", "customers", "spend_minor"]
    assert sum(int(row[2]) for row in summary[1:]) == 10
    assert client.get(f"{PAGE}/segments", params={"export": "everything"}).status_code == 422
