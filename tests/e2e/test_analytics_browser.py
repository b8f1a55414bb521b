"""A store owner opens each analytics dashboard of the demo store in a real browser, moves between them
from the keyboard and the tabs, opens a segment, refreshes the figures and downloads a CSV of each."""

from __future__ import annotations

import csv
import io
import time
from datetime import date
from pathlib import Path

import pytest

from loyaldesk.demo.seed import DEMO_PASSWORD, seed_demo
from loyaldesk.kernel.db import Database
from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.e2e

SEEDED_UNTIL = date(2026, 3, 1)  # the day before the test clock's START


def _download(scope, link_name: str) -> list[list[str]]:  # type: ignore[no-untyped-def]
    """Click the link (in ``scope``: the page or one of its sections) and read the CSV it downloads."""
    page = scope.page if hasattr(scope, "page") else scope
    with page.expect_download() as info:
        scope.get_by_role("link", name=link_name).first.click()
    return list(csv.reader(io.StringIO(Path(info.value.path()).read_text())))


def test_each_dashboard_opens_fast_and_exports(live_server: str, page, db: Database) -> None:  # type: ignore[no-untyped-def]
    seed_demo(db, seed=5, customers=200, until=SEEDED_UNTIL)
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill("owner@juniper.example.com")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Analytics").click()

    assert page.get_by_role("heading", name="Customers and orders").is_visible()
    assert page.locator("[data-cohorts] tbody tr").count() >= 6
    assert page.get_by_text("Figures computed").is_visible()
    rows = _download(page, "Download CSV")
    # Every demo customer is a loyalty member: one column, and one row, for them all.
    assert rows[0][:3] == ["group", "customers", "orders"] and [row[0] for row in rows[1:]] == ["everyone"]
    assert page.locator("[data-retention] thead th[data-group]").count() == 1
    screenshot(page, "analytics-retention")

    # Opened again, the page comes from the cache.
    started = time.perf_counter()
    page.reload()
    assert time.perf_counter() - started < 2.0
    page.get_by_role("button", name="Refresh now").click()
    assert page.get_by_role("heading", name="Customers and orders").is_visible()

    tabs = page.get_by_role("navigation", name="Analytics sections")
    tabs.get_by_role("link", name="Customer segments").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/analytics/segments")
    assert tabs.get_by_role("link", name="Customer segments").get_attribute("aria-current") == "page"
    page.get_by_role("link", name="Champions").click()
    assert page.get_by_role("heading", name="Champions").is_visible()
    assert page.locator("[data-segment-members] tbody tr").count() >= 1
    rows = _download(page, "Download this segment (CSV)")
    assert rows[0][:2] == ["customer_id", "segment"] and {row[1] for row in rows[1:]} == {"champions"}
    screenshot(page, "analytics-segments")

    tabs.get_by_role("link", name="Value and churn risk").click()
    assert page.get_by_role("heading", name="At risk and valuable").is_visible()
    assert page.locator("[data-calibration], [data-fit-warnings]").count() >= 1
    rows = _download(page.locator("section[aria-labelledby=risk-heading]"), "Download CSV")
    assert rows[0][0] == "customer_id"
    screenshot(page, "analytics-value")

    tabs.get_by_role("link", name="Support and loyalty impact").click()
    assert page.get_by_role("heading", name="Support experience").is_visible()
    no_contact = page.locator('[data-impact="support"] tr[data-group="no_contact"] td').first.inner_text()
    assert int(no_contact.replace(",", "")) > 0
    rows = _download(page, "Download CSV")
    assert rows[0][:3] == ["dimension", "group", "customers"] and len(rows) == 1 + 5 + 4
    screenshot(page, "analytics-impact")
