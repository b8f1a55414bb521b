"""The analytics pages fit the store they show, over HTTP: a store whose orders ended in the past (an
import) opens every page on the days that have data and says so; the retention table shows one retention
figure with its definition and one column where members and everyone are the same customers; the impact
tables one "bought again" figure with its definition and no empty groups; the segments' advice follows
the store (no invitation to a program everyone is in, no points where there is no program)."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from loyaldesk.analytics import snapshots
from loyaldesk.analytics.dashboards import refresh_store
from loyaldesk.analytics.models import AnalyticsSnapshot
from loyaldesk.analytics.segment_advice import StoreFacts, segment_advice
from loyaldesk.analytics.segments import Segment
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from loyaldesk.loyalty import LoyaltyProgram
from tests.analytics.test_retention_page import PAGE, place
from tests.factories import StoreHandle, login, make_member, make_program, make_staff

PAGES = (PAGE, f"{PAGE}/segments", f"{PAGE}/value", f"{PAGE}/impact")


def _imported_2011(client: TestClient, store: StoreHandle) -> None:
    """Twelve customers buying from June to 9 December 2011, as the UCI Online Retail data ends."""
    days = ["06-10", "07-14", "08-20", "09-15", "10-02", "10-20", "11-05", "11-18", "12-01", "12-09"]
    number = 0
    for customer in range(12):
        for day in days[customer % 4 :: 1 + customer % 3]:
            number += 1
            place(
                client,
                store,
                str(number),
                f"c{customer}",
                f"2011-{day}T11:00:00+00:00",
                1500 + customer * 100,
            )


def _inputs(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input id="[\w-]+" type="date" name="(\w+)" value="([\d-]+)"', html))


def test_a_store_whose_data_ended_opens_every_page_on_its_data_and_says_so(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str, clock: FakeClock
) -> None:
    _imported_2011(client, store)  # the test clock says 2 March 2026
    # The job computes ahead the views the pages open on.
    refresh_store(db, store.id, clock.now())
    with db.read() as session:
        computed = set(session.scalars(select(AnalyticsSnapshot.params)))
    assert computed == {"from=2011-09-11&to=2011-12-09", "as_of=2011-12-09", "from=2011-06-12&to=2011-09-09"}
    login(client, make_staff(db, store, "analyst", password_hash))
    expected = {
        PAGE: {"from": "2011-09-11", "to": "2011-12-09"},
        f"{PAGE}/segments": {"as_of": "2011-12-09"},
        f"{PAGE}/value": {"as_of": "2011-12-09"},
        f"{PAGE}/impact": {"from": "2011-06-12", "to": "2011-09-09"},
    }
    for path, period in expected.items():
        page = client.get(path)
        assert page.status_code == 200, (path, page.text)
        assert _inputs(page.text) == period, path
        notice = re.search(r"<div[^>]*data-data-ended>(.*?)</div>", page.text, re.S)
        assert notice is not None, path
        assert "orders end on <strong>2011-12-09</strong> (none since)" in notice.group(1)
        today = re.search(r'<a href="\?([^"]+)">Show ', notice.group(1))
        assert today is not None and ("2026-03-02" in today.group(1) or "to=2025-12-01" in today.group(1))
    assert "the last 90 days with data, 2011-09-11 to 2011-12-09" in client.get(PAGE).text
    assert "the last year with data" in client.get(f"{PAGE}/segments").text
    retention = _figures(client.get(PAGE).text)
    assert retention["Customers who bought"] != ["0"] and retention["Orders"] != ["0"]
    segments = client.get(f"{PAGE}/segments").text
    assert "The 12 customers who bought in the year up to 2011-12-09" in segments

    # Chosen dates are kept; a period running past the data says where the data ends.
    chosen = client.get(PAGE, params={"from": "2011-11-01", "to": "2012-01-30"})
    assert "data-data-ended" not in chosen.text and "data-after-data" in chosen.text
    assert _inputs(chosen.text) == {"from": "2011-11-01", "to": "2012-01-30"}
    inside = client.get(PAGE, params={"from": "2011-10-01", "to": "2011-12-01"})
    assert "data-data-ended" not in inside.text and "data-after-data" not in inside.text
    with db.read() as session:  # opening the pages computed nothing the job had not
        assert set(session.scalars(select(AnalyticsSnapshot.params))) >= computed
        assert session.scalar(select(func.max(AnalyticsSnapshot.computed_at))) == clock.now()


def test_a_store_with_recent_orders_opens_on_today_without_a_notice(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    place(client, store, "1", "ann", "2026-02-01T10:00:00+00:00", 1000)
    place(client, store, "2", "bob", "2026-02-25T10:00:00+00:00", 1000)  # a week before today
    login(client, make_staff(db, store, "analyst", password_hash))
    for path in PAGES:
        page = client.get(path)
        assert page.status_code == 200 and "data-data-ended" not in page.text, path
    assert _inputs(client.get(PAGE).text) == {"from": "2025-12-03", "to": "2026-03-02"}
    assert _inputs(client.get(f"{PAGE}/segments").text) == {"as_of": "2026-03-02"}


def _figures(html: str) -> dict[str, list[str]]:
    """Row title -> the cells of the figures table (the groups' columns, then the definition)."""
    table = re.search(r"<table class=\"table\" data-retention>(.*?)</table>", html, re.S)
    assert table is not None
    rows = re.findall(r'<tr><th scope="row">([^<]+)</th>(.*?)</tr>', table.group(1), re.S)
    return {title: re.findall(r"<td[^>]*>(.*?)</td>", cells, re.S) for title, cells in rows}


def _columns(html: str) -> list[str]:
    return re.findall(r'<th scope="col" data-group="(\w+)">', html)


def _march_store(client: TestClient, store: StoreHandle) -> None:
    """Previous 30 days: ann and bob buy; this period (March): ann twice, cid once."""
    place(client, store, "1", "ann", "2026-02-10T10:00:00+00:00", 1000)
    place(client, store, "2", "bob", "2026-02-11T10:00:00+00:00", 2000)
    place(client, store, "3", "ann", "2026-03-05T10:00:00+00:00", 3000)
    place(client, store, "4", "ann", "2026-03-06T10:00:00+00:00", 1000)
    place(client, store, "5", "cid", "2026-03-07T10:00:00+00:00", 2000)


MARCH = {"from": "2026-03-01", "to": "2026-03-30"}


def test_the_retention_table_has_one_retention_figure_with_its_definition(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    _march_store(client, store)
    make_member(db, store, "ann")
    login(client, make_staff(db, store, "analyst", password_hash))
    html = client.get(PAGE, params=MARCH).text
    figures = _figures(html)
    retention_like = [title for title in figures if "etention" in title or "hurn" in title]
    assert retention_like == ["Retention"]
    assert "(E \N{MINUS SIGN} N) / S" not in html and "(E - N) / S" not in html
    *values, definition = figures["Retention"]
    assert values == ["50.0%", "100.0%", "0.0%"]  # everyone, members (ann), not members (bob left)
    assert "bought in the 30 days before (2026-01-30 to 2026-02-28)" in definition
    assert "the share who bought again in this period" in definition and "churn" in definition
    assert all(len(cells) == 4 for cells in figures.values())  # three groups and the definition
    assert _columns(html) == ["everyone", "members", "non_members"]
    exported = client.get(PAGE, params={**MARCH, "export": "groups"}).text
    header = next(csv.reader(io.StringIO(exported)))
    assert "retention_rate" in header and "retention_rate_esn" not in header


def test_when_every_customer_is_a_member_members_and_everyone_are_one_column(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str, clock: FakeClock
) -> None:
    _march_store(client, store)
    for customer in ("ann", "bob", "cid"):
        make_member(db, store, customer)
    login(client, make_staff(db, store, "analyst", password_hash))
    html = client.get(PAGE, params=MARCH).text
    assert _columns(html) == ["everyone"] and 'data-membership="all_members"' in html
    assert _figures(html)["Retention"][0] == "50.0%"
    rows = list(csv.reader(io.StringIO(client.get(PAGE, params={**MARCH, "export": "groups"}).text)))
    assert [row[0] for row in rows[1:]] == ["everyone"]
    # The impact page leaves the empty group out and says there is nothing to compare.
    clock.advance(timedelta(days=10))
    login(client, "analyst@acme.example.com")  # the session of ten days ago has expired
    impact = client.get(f"{PAGE}/impact", params={"from": "2026-03-01", "to": "2026-03-05"}).text
    loyalty = re.search(r'data-impact="loyalty">(.*?)</table>', impact, re.S)
    assert loyalty is not None and 'data-group="non_members"' not in loyalty.group(1)
    assert 'data-group="members"' in loyalty.group(1)
    assert "Nobody is in “Not members”" in impact
    assert "Members vs not members:</strong>" in impact and "nothing to compare" in impact


def test_without_members_one_column_too(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    make_program(db, store, auto_enroll=False)  # opt-in, and nobody joins
    _march_store(client, store)
    login(client, make_staff(db, store, "analyst", password_hash))
    html = client.get(PAGE, params=MARCH).text
    assert _columns(html) == ["everyone"] and 'data-membership="no_members"' in html


def test_the_impact_tables_show_one_bought_again_figure_with_its_definition(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    _march_store(client, store)
    make_member(db, store, "ann")
    login(client, make_staff(db, store, "analyst", password_hash))
    for period in ({"from": "2026-02-01", "to": "2026-02-28"}, {"from": "2025-08-01", "to": "2026-02-28"}):
        html = client.get(f"{PAGE}/impact", params=period).text
        header = re.search(r'data-impact="support">.*?<thead>(.*?)</thead>', html, re.S)
        assert header is not None
        titles = re.findall(r'<th scope="col">(.*?)</th>', header.group(1), re.S)
        assert [re.sub(r"<[^>]+>", "", title).strip() for title in titles][1:3] == [
            "Customers",
            f"Bought again (an order in the {_follow_days(html)} days after)",
        ]
        assert "Came back within" not in html
    # A period that has not ended has nothing after it to follow: refused by name.
    refused = client.get(f"{PAGE}/impact", params={"from": "2026-02-20", "to": "2026-03-02"})
    assert refused.status_code == 422 and "to: must be before today" in refused.text


def _follow_days(html: str) -> int:
    found = re.search(r"what they bought in the\s+(\d+) days after", html)
    assert found is not None
    return int(found.group(1))


def _ten_customers(client: TestClient, store: StoreHandle) -> None:
    # c0 bought often, much and lately; c9 once, little, long ago.
    for n in range(10):
        for k in range(10 - n):
            day = 28 - n * 2 - k
            place(client, store, f"{n}-{k}", f"c{n}", f"2026-02-{day:02d}T10:00:00+00:00", 1000 * (10 - n))


def _advice(html: str) -> dict[str, str]:
    return dict(re.findall(r'<td class="muted" data-advice="(\w+)">([^<]+)</td>', html))


def test_segment_advice_follows_the_store(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    _ten_customers(client, store)
    login(client, make_staff(db, store, "analyst", password_hash))
    as_of = {"as_of": "2026-03-01"}

    # The program switched off: nothing about points, tiers or joining. (Every store has its program from
    # its creation, switched on.)
    db.write(lambda uow: uow.session.execute(
        update(LoyaltyProgram).where(LoyaltyProgram.store_id == store.id).values(enabled=False)
    ))  # fmt: skip
    html = client.get(f"{PAGE}/segments", params=as_of).text
    advice = _advice(html)
    assert advice and not any(re.search(r"point|tier|program|member", text, re.I) for text in advice.values())

    # The program on, and its two best customers joined: the others are invited, counted.
    db.write(lambda uow: uow.session.execute(
        update(LoyaltyProgram).where(LoyaltyProgram.store_id == store.id).values(enabled=True)
    ))  # fmt: skip
    for n in (0, 1):
        make_member(db, store, f"c{n}")
    advice = _advice(_refresh(client, as_of))
    assert "bonus points" in advice["champions"] and "Invite" not in advice["champions"]
    # c2 and c3 are loyal (regular, recent) and outside the program.
    assert advice["loyal"] == (
        "Buy regularly. Invite the 2 customers who are not members yet to the loyalty program."
    )

    # Everyone is a member: nobody is invited.
    for n in range(2, 10):
        make_member(db, store, f"c{n}")
    advice = _advice(_refresh(client, as_of))
    assert advice and not any("Invite" in text or "invite" in text for text in advice.values())


def _refresh(client: TestClient, as_of: dict[str, str]) -> str:
    page = client.get(f"{PAGE}/segments", params=as_of).text
    csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
    done = client.post(
        f"{PAGE}/refresh", data={"dashboard": "segments", "csrf_token": csrf, **as_of}, follow_redirects=True
    )
    assert done.status_code == 200
    return done.text


def test_segment_advice_in_words() -> None:
    running, with_tiers, none = StoreFacts(True, False), StoreFacts(True, True), StoreFacts(False, False)
    assert segment_advice(Segment.NEW_CUSTOMERS, 5, 4, running) == (
        "Bought for the first time lately. Welcome them and help them to a second order. "
        "Invite the one customer who is not a member yet to the loyalty program."
    )
    assert "Invite" not in segment_advice(Segment.NEW_CUSTOMERS, 5, 5, running)
    assert "Invite" not in segment_advice(Segment.LOST, 5, 0, running)  # not worth a welcome
    assert "Invite" not in segment_advice(Segment.LOYAL, 5, 0, none)
    assert "next tier" in segment_advice(Segment.LOYAL, 5, 5, with_tiers)
    assert "tier" not in segment_advice(Segment.LOYAL, 5, 5, running)


def test_figures_cached_in_an_older_shape_are_computed_again(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str, clock: FakeClock
) -> None:
    _march_store(client, store)
    key = "from=2026-03-01&to=2026-03-30"
    old = {"window": {}, "groups": [{"group": "everyone", "retention_esn": 1.25}]}  # before this version
    snapshots.save(db, store.id, {"retention": old}, key, clock.now(), 0.1)
    login(client, make_staff(db, store, "analyst", password_hash))
    page = client.get(PAGE, params=MARCH)
    assert page.status_code == 200 and _figures(page.text)["Retention"][0] == "50.0%"
    with db.read() as session:
        stored = snapshots.load(session, store.id, "retention", key)
    assert stored is not None and "membership" in stored.payload  # stored again, in today's shape
