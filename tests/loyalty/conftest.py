"""Fixtures of the loyalty API tests: a store driven through its API (see ``shop.py``)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from tests.factories import StoreHandle
from tests.loyalty.shop import Shop


@pytest.fixture
def shop(client: TestClient, store: StoreHandle, db: Database, clock: FakeClock) -> Shop:
    """The store, earning on paid orders; points unlock when the order is fulfilled (no return window)
    unless a test sets its own terms."""
    shop = Shop(client, store, db, clock)
    shop.settings(pending_days=0, unlock_after_status="fulfilled", earn_on_status="paid")
    return shop
