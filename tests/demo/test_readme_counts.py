"""The demo the README describes is the demo a newcomer gets: the default demo store (seed 42, 3,000
shoppers) seeded for real, and the counts the README states read back from the console and the API as a
user would see them; nothing in it dated after the seeding moment; no agent over capacity. Slow: it
seeds the whole default demo."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from loyaldesk.demo.seed import DEMO_PASSWORD, history_end, seed_demo
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from loyaldesk.stores.models import Store
from tests.demo.test_demo import assert_agents_within_capacity, future_timestamps
from tests.factories import login

# Seeding the whole default demo takes one to three minutes on these machines, more under load.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1500)]

README = Path(__file__).resolve().parents[2] / "README.md"
UNTIL = date(2026, 11, 20)


def readme_counts() -> dict[str, int]:
    """The counts the README's demo paragraph states."""
    text = README.read_text()
    paragraph = text[text.index("The demo store, *Juniper & Oak*") :].split("\n\n")[0]
    found = {}
    for name, pattern in (
        ("customers", r"\*\*([\d,]+) customers\*\*"),
        ("orders", r"\*\*([\d,]+) orders\*\*"),
        ("members", r"\*\*([\d,]+) are members\*\*"),
        ("conversations", r"\*\*([\d,]+) conversations\*\*"),
    ):
        match = re.search(pattern, paragraph)
        assert match is not None, f"the README's demo paragraph gives no count of {name}"
        found[name] = int(match.group(1).replace(",", ""))
    return found


# The demo is seeded through the same actions on every backend (tests/demo/test_demo.py seeds it on each);
# seeding the whole default demo twice would double the suite's slowest test for no new finding.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_readme_counts_are_what_the_console_shows(
    client: TestClient, db: Database, clock: FakeClock
) -> None:
    stated = readme_counts()
    # The defaults of `loyaldesk demo`, on a past day; the README counts nothing recommendations fit.
    summary = seed_demo(db, until=UNTIL, fit_recommendations=False)
    end = history_end(UNTIL)
    with db.read() as session:  # as seeded, before anyone logs in
        assert future_timestamps(session, end) == {}
        store_id = session.scalar(select(Store.id).where(Store.slug == "demo"))
        assert store_id is not None
        assert_agents_within_capacity(session, store_id)
    clock.set(end + timedelta(hours=1))
    login(client, "owner@juniper.example.com", DEMO_PASSWORD)

    customers = client.get("/console/demo/customers").text
    shown = re.search(r"([\d,]+) customers? in Juniper &amp; Oak", customers)
    assert shown is not None and int(shown.group(1).replace(",", "")) == stated["customers"]

    overview = client.get("/console/demo/loyalty").text
    members = re.search(r'Members</span><span class="stat-value">([\d,]+)<', overview)
    assert members is not None and int(members.group(1).replace(",", "")) == stated["members"]

    seven_months = {"from": (end - timedelta(days=7 * 30 + 1)).date().isoformat(), "to": UNTIL.isoformat()}
    report = client.get("/console/demo/inbox-reports", params=seven_months).text
    conversations = re.search(r'data-kpi="conversations">([\d,]+)<', report)
    assert (
        conversations is not None and int(conversations.group(1).replace(",", "")) == stated["conversations"]
    )

    orders, cursor = 0, None
    headers = {"Authorization": f"Bearer {summary.api_key}"}
    while True:
        page = client.get(
            "/api/v1/orders", params={"limit": 200, **({"cursor": cursor} if cursor else {})}, headers=headers
        ).json()
        orders += len(page["data"])
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert orders == stated["orders"] == summary.orders
