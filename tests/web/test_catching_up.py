"""While the background works through many events (after an import), the console says it is catching up,
with how many of the store's own events are left; other stores' consoles do not."""

from __future__ import annotations

from fastapi.testclient import TestClient

from loyaldesk.commerce.events import OrderPlaced
from loyaldesk.kernel.backlog import CATCHING_UP_FROM
from loyaldesk.kernel.db import Database, UnitOfWork
from loyaldesk.kernel.dispatcher import dispatch_until_idle
from loyaldesk.runtime import Runtime
from tests.factories import StoreHandle, login, make_staff


def _waiting_events(db: Database, store_id: int, count: int) -> None:
    """``count`` events a handler has yet to handle (orders placed, as an import announces them)."""

    def emit(uow: UnitOfWork) -> None:
        for number in range(count):
            uow.emit(
                OrderPlaced(
                    store_id=store_id,
                    order_id=10_000 + number,
                    number=str(number),
                    total=100,
                    currency="EUR",
                    line_count=1,
                    source="import",
                )
            )

    db.write(emit)


def test_the_console_says_it_is_catching_up_until_the_events_are_handled(
    client: TestClient,
    runtime: Runtime,
    db: Database,
    store: StoreHandle,
    other_store: StoreHandle,
    password_hash: str,
) -> None:
    runtime.backlog.ttl_seconds = 0  # count on every page, so that the test sees each change at once
    login(client, make_staff(db, store, "analyst", password_hash))
    _waiting_events(db, store.id, CATCHING_UP_FROM - 1)
    assert "Catching up" not in client.get("/console/acme/customers").text  # a few in flight: nothing to say
    _waiting_events(db, store.id, 1)
    _waiting_events(db, other_store.id, 2 * CATCHING_UP_FROM)
    page = client.get("/console/acme/customers")
    assert page.status_code == 200
    assert f"Catching up: {CATCHING_UP_FROM:,} events left." in page.text  # its own, not the other store's
    make_staff(db, other_store, "agent", password_hash, email="analyst@acme.example.com")
    assert (
        f"Catching up: {2 * CATCHING_UP_FROM:,} events left." in client.get("/console/globex/customers").text
    )
    dispatch_until_idle(db)
    assert "Catching up" not in client.get("/console/acme/customers").text
