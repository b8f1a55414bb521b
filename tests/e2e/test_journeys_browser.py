"""A manager switches on the points-expiring journey in a real browser and sees it in the communication
calendar on the day it will go out. Screenshots of the list, rule, explain and calendar pages go to
LOYALDESK_SCREENSHOTS."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import update

from loyaldesk.journeys.models import Decision
from loyaldesk.kernel.db import Database, UnitOfWork
from loyaldesk.loyalty.models import PointLot
from tests.conftest import START
from tests.e2e.conftest import screenshot
from tests.factories import StoreHandle, make_staff
from tests.web.journeys_helpers import builtin_templates, make_rule
from tests.web.test_console_loyalty import enrolled, give, person

pytestmark = pytest.mark.e2e


def _seed(db: Database, store: StoreHandle) -> int:
    builtin_templates(db, store.id)
    grace = person(db, store, "g", "Grace", "Hopper", "grace@example.com")
    give(db, store, enrolled(db, store, grace), 1_250, "welcome")
    expiring = START + timedelta(days=33, hours=2)  # 30 days before: the calendar's fourth day

    def expire(uow: UnitOfWork) -> None:
        uow.session.execute(update(PointLot).values(expires_at=expiring))

    db.write(expire)
    rule_id = make_rule(
        db,
        store,
        name="Thank you after delivery",
        conditions={"all": [{"field": "orders.count", "op": "gte", "value": 1}]},
        steps=[
            {"kind": "wait", "days": 1},
            {"kind": "send", "channel": "email", "template": "post_purchase_thanks"},
        ],
    )

    def history(uow: UnitOfWork) -> None:
        for hours, outcome, reason, summary in (
            (30, "entered", None, "order.delivered #1001"),
            (29, "deferred", "quiet_hours", "email held until 09:00 her time"),
            (20, "sent", None, "email “Post purchase thanks” sent"),
            (2, "not_entered", "not_matched", "order.delivered #1002: orders.count is 0, needs at least 1"),
        ):
            uow.session.add(
                Decision(
                    store_id=store.id,
                    rule_id=rule_id,
                    customer_id=grace,
                    at=START - timedelta(hours=hours),
                    outcome=outcome,
                    reason=reason,
                    summary=summary,
                )
            )

    db.write(history)
    return rule_id


def test_a_manager_switches_on_points_expiring_and_sees_it_in_the_calendar(
    live_server: str,
    page,  # type: ignore[no-untyped-def]
    db: Database,
    store: StoreHandle,
    password_hash: str,
) -> None:
    rule_id = _seed(db, store)
    email = make_staff(db, store, "admin", password_hash)
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/console/acme/**")

    page.get_by_role("link", name="Journeys", exact=True).click()
    page.wait_for_url(f"{live_server}/console/acme/journeys")
    screenshot(page, "journeys-list")
    page.get_by_role("button", name="Switch on Points expiring in 30 days").click()
    page.wait_for_url(re.compile(r".*/journeys/\d+\?done=builtin"))
    assert page.get_by_role("heading", name="Points expiring in 30 days").is_visible()
    assert "30 days before points expire" in page.locator("[data-part=trigger]").inner_text()

    page.get_by_role("link", name="Calendar").click()
    page.wait_for_url("**/journeys/calendar")
    row = page.locator("tr", has_text="Points expiring in 30 days")
    assert row.count() == 1
    assert "5 Mar 2026" in row.locator("th").inner_text()
    assert "Points expiring in 30 days: 1" in row.inner_text()
    screenshot(page, "journeys-calendar")

    page.goto(f"{live_server}/console/acme/journeys/{rule_id}")
    screenshot(page, "journeys-rule")
    page.get_by_label("Customer's email or id").fill("grace@example.com")
    page.get_by_role("button", name="Explain").click()
    assert page.get_by_text("Would enter now: no").is_visible()
    screenshot(page, "journeys-explain")
