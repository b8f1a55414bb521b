"""Fixtures of the loyalty tests: a store driven through its API (see ``shop.py``), and the ledger's
invariants checked after every test that used a database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from loyaldesk.loyalty.queries.check_ledger import check_ledger
from tests.factories import StoreHandle
from tests.loyalty.shop import Shop


@pytest.fixture
def shop(client: TestClient, store: StoreHandle, db: Database, clock: FakeClock) -> Shop:
    """The store, earning on paid orders; points unlock when the order is fulfilled (no return window)
    unless a test sets its own terms."""
    shop = Shop(client, store, db, clock)
    shop.settings(pending_days=0, unlock_after_status="fulfilled", earn_on_status="paid")
    return shop


@pytest.fixture
def ledger_left_broken() -> None:
    """Requested by a test that breaks the ledger on purpose (to see it detected): no check after it."""


@pytest.fixture(autouse=True)
def ledger_invariants_hold(request: pytest.FixtureRequest) -> Iterator[None]:
    """After every test that used a database, every invariant of the points ledger holds on every store
    (``check_ledger`` on the whole database), whatever the test itself asserted."""
    yield
    url = request.node.funcargs.get("database_url")
    if url is None or "ledger_left_broken" in request.fixturenames:
        return
    database = Database(url)
    try:
        with database.read() as session:
            assert check_ledger(session) == [], "the ledger's invariants are broken after this test"
    finally:
        database.dispose()
