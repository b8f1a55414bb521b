"""A manager sets when the loyalty program starts, in a real browser, while the console says it is still
catching up with an import's events."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from loyaldesk.kernel.db import Database
from loyaldesk.loyalty import program_of_store
from loyaldesk.runtime import Runtime
from tests.e2e.conftest import screenshot
from tests.factories import StoreHandle, make_staff
from tests.web.test_catching_up import _waiting_events

pytestmark = pytest.mark.e2e


def test_manager_sets_the_program_start_while_the_console_is_catching_up(
    live_server: str,
    page,  # type: ignore[no-untyped-def]
    runtime: Runtime,
    db: Database,
    store: StoreHandle,
    password_hash: str,
) -> None:
    runtime.backlog.ttl_seconds = 0
    _waiting_events(db, store.id, 1200)
    email = make_staff(db, store, "admin", password_hash)
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/console/acme/customers")
    assert page.get_by_role("status").filter(has_text="Catching up: 1,200 events left.").is_visible()

    page.goto(f"{live_server}/console/acme/loyalty/settings")
    start = page.get_by_label("The program starts")
    assert start.is_visible()
    start.fill("2024-04-01T09:00")
    screenshot(page, "loyalty-settings-program-start")
    page.get_by_role("button", name="Save settings").click()
    page.wait_for_url("**/loyalty/settings?saved=1")
    assert page.get_by_text("Settings saved.").is_visible()
    assert page.get_by_label("The program starts").input_value() == "2024-04-01T09:00"
    with db.read() as session:
        zone = ZoneInfo(store_zone(session, store.id))
        assert program_of_store(session, store.id).starts_at == datetime(
            2024, 4, 1, 9, tzinfo=zone
        ).astimezone(UTC)


def store_zone(session, store_id: int) -> str:  # type: ignore[no-untyped-def]
    from loyaldesk.stores.models import Store

    found = session.get(Store, store_id)
    assert found is not None
    return str(found.timezone)
