"""Console sockets follow access, over real WebSockets: a socket closes when its session ends (logout,
password change, expiry: 4401, "log in again"), when its person is removed from the store (4403) or
their role changes (4000, reconnect); other sockets stay open. Across processes through Redis too. And
the socket's Origin check compares scheme, host and port exactly."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from starlette.websockets import WebSocketDisconnect
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from loyaldesk.runtime import Runtime
from loyaldesk.settings import Settings
from loyaldesk.stores.models import StaffAccount
from loyaldesk.web.app import create_app
from tests.conftest import POSTGRES_URL, REDIS_URL, _truncate_postgres
from tests.factories import TEST_PASSWORD, StoreHandle, csrf_of, login, make_staff, make_store, table_counts
from tests.servers import server_processes
from tests.stores.conftest import another_client, close_code
from tests.support.desk import console_socket
from tests.support.test_two_processes import shared_environment

REPO = Path(__file__).resolve().parents[2]


def ready(ws: Any) -> None:
    assert json.loads(ws.receive_text())["type"] == "ready"


def still_open(ws: Any) -> bool:
    """Ping, and wait for the pong (other frames in between are skipped)."""
    ws.send_text(json.dumps({"type": "ping"}))
    return any(json.loads(ws.receive_text()).get("type") == "pong" for _ in range(50))


def staff_id(db: Database, email: str) -> int:
    with db.read() as session:
        return session.scalars(select(StaffAccount.id).where(StaffAccount.email == email)).one()


def test_logging_out_closes_that_sessions_sockets_only(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    email = make_staff(db, store, "agent", password_hash)
    login(client, email)
    laptop = client
    phone = another_client(client)
    login(phone, email)
    with console_socket(laptop, store.slug) as on_laptop, console_socket(phone, store.slug) as on_phone:
        ready(on_laptop)
        ready(on_phone)
        token = csrf_of(laptop.get("/console/acme/customers").text)
        assert laptop.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
        assert close_code(on_laptop) == 4401
        assert still_open(on_phone)


def test_changing_the_password_closes_every_socket_of_the_person(
    client: TestClient, db: Database, store: StoreHandle, other_store: StoreHandle, password_hash: str
) -> None:
    email = make_staff(db, store, "agent", password_hash)
    make_staff(db, other_store, "agent", password_hash, email=email)
    colleague = make_staff(db, store, "agent", password_hash, email="colleague@acme.example.com")
    login(client, email)
    other_browser = another_client(client)
    login(other_browser, email)
    colleague_browser = another_client(client)
    login(colleague_browser, colleague)
    with (
        console_socket(client, store.slug) as here,
        console_socket(other_browser, other_store.slug) as there,
        console_socket(colleague_browser, store.slug) as colleagues,
    ):
        for ws in (here, there, colleagues):
            ready(ws)
        token = csrf_of(client.get("/console/account").text)
        changed = client.post(
            "/console/account/password",
            data={"csrf_token": token, "current_password": TEST_PASSWORD, "new_password": "another long one"},
            follow_redirects=False,
        )
        assert changed.status_code == 303
        assert close_code(here) == 4401 and close_code(there) == 4401
        assert still_open(colleagues)


def test_removal_from_a_store_closes_that_stores_sockets_and_a_denied_removal_closes_nothing(
    client: TestClient, db: Database, store: StoreHandle, other_store: StoreHandle, password_hash: str
) -> None:
    email = make_staff(db, store, "agent", password_hash)
    make_staff(db, other_store, "agent", password_hash, email=email)
    owner = make_staff(db, store, "owner", password_hash)
    peer = make_staff(db, store, "agent", password_hash, email="peer@acme.example.com")
    login(client, email)
    with console_socket(client, store.slug) as acme, console_socket(client, other_store.slug) as globex:
        ready(acme)
        ready(globex)
        # Another agent may not remove anyone: refused, nothing changes, nothing closes.
        peer_browser = another_client(client)
        login(peer_browser, peer)
        before = table_counts(db, "store_memberships", "audit_log")
        denied = peer_browser.post(
            f"/console/acme/settings/staff/{staff_id(db, email)}/remove",
            data={"csrf_token": csrf_of(peer_browser.get("/console/acme/customers").text)},
        )
        assert denied.status_code == 403 and table_counts(db, "store_memberships", "audit_log") == before
        assert still_open(acme)
        # The owner removes them from acme: acme's socket closes, globex's stays.
        owner_browser = another_client(client)
        login(owner_browser, owner)
        removed = owner_browser.post(
            f"/console/acme/settings/staff/{staff_id(db, email)}/remove",
            data={"csrf_token": csrf_of(owner_browser.get("/console/acme/settings/staff").text)},
            follow_redirects=False,
        )
        assert removed.status_code == 303
        assert close_code(acme) == 4403
        assert still_open(globex)
    with pytest.raises(WebSocketDisconnect) as refused, console_socket(client, store.slug) as ws:
        ws.receive_text()
    assert refused.value.code == 4401


def test_a_role_change_closes_the_socket_for_a_reconnect_with_the_new_role(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    email = make_staff(db, store, "agent", password_hash)
    owner = make_staff(db, store, "owner", password_hash)
    login(client, email)
    owner_browser = another_client(client)
    login(owner_browser, owner)
    with console_socket(client, store.slug) as ws:
        ready(ws)
        changed = owner_browser.post(
            f"/console/acme/settings/staff/{staff_id(db, email)}/role",
            data={
                "role": "analyst",
                "csrf_token": csrf_of(owner_browser.get("/console/acme/settings/staff").text),
            },
            follow_redirects=False,
        )
        assert changed.status_code == 303
        assert close_code(ws) == 4000
    with console_socket(client, store.slug) as again:  # analysts still see conversations
        ready(again)
        assert still_open(again)


@pytest.fixture
def quick_recheck_client(settings: Settings, db: Database) -> Iterator[TestClient]:
    runtime = Runtime(settings.model_copy(update={"console_socket_recheck_seconds": 0.2}), database=db)
    with TestClient(create_app(runtime=runtime), base_url="https://testserver") as test_client:
        yield test_client


def test_an_expired_session_is_noticed_by_the_periodic_recheck(
    quick_recheck_client: TestClient, db: Database, store: StoreHandle, password_hash: str, clock: FakeClock
) -> None:
    login(quick_recheck_client, make_staff(db, store, "agent", password_hash))
    with console_socket(quick_recheck_client, store.slug) as ws:
        ready(ws)
        assert still_open(ws)
        clock.advance(timedelta(hours=12, seconds=1))  # the session's lifetime; nobody announces it
        assert close_code(ws) == 4401


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("https://testserver", True),
        ("https://TESTSERVER:443", True),  # the same origin, spelt otherwise
        ("http://testserver", False),  # another scheme
        ("https://testserver:8443", False),  # another port
        ("https://testserver.evil.example", False),  # a longer host
        ("https://evil-testserver", False),
        ("https://evil.example/https://testserver", False),
        ("https://user@testserver", False),
        ("null", False),
        ("", False),
    ],
)
def test_the_console_socket_accepts_only_its_own_origin(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str, origin: str, allowed: bool
) -> None:
    login(client, make_staff(db, store, "agent", password_hash))
    headers = {"origin": origin} if origin else {}
    if allowed:
        with client.websocket_connect("wss://testserver/ws/console/acme", headers=headers) as ws:
            ready(ws)
        return
    with (
        pytest.raises(WebSocketDisconnect) as refused,
        client.websocket_connect("wss://testserver/ws/console/acme", headers=headers) as ws,
    ):
        ws.receive_text()
    assert refused.value.code == 4403


def test_the_installs_public_address_is_an_allowed_origin_behind_a_proxy(
    settings: Settings, db: Database, store: StoreHandle, password_hash: str
) -> None:
    # A TLS proxy that does not pass the scheme on: the socket looks like plain ws to the server.
    runtime = Runtime(
        settings.model_copy(update={"public_base_url": "https://desk.example.com/", "cookie_secure": False}),
        database=db,
    )
    with TestClient(create_app(runtime=runtime), base_url="http://desk.example.com") as client:
        login(client, make_staff(db, store, "agent", password_hash))
        with client.websocket_connect(
            "ws://desk.example.com/ws/console/acme", headers={"origin": "https://desk.example.com"}
        ) as ws:
            ready(ws)
        with (
            pytest.raises(WebSocketDisconnect) as refused,
            client.websocket_connect(
                "ws://desk.example.com/ws/console/acme",
                headers={"origin": "https://desk.example.com.evil.io"},
            ) as ws,
        ):
            ws.receive_text()
        assert refused.value.code == 4403


# -- across processes --------------------------------------------------------------------------------


def _browser_login(base: str, email: str) -> httpx.Client:
    browser = httpx.Client(base_url=base, follow_redirects=False)
    token = csrf_of(browser.get("/login").text)
    answer = browser.post("/login", data={"email": email, "password": TEST_PASSWORD, "csrf_token": token})
    assert answer.status_code == 303, answer.text
    return browser


@pytest.mark.slow
@pytest.mark.skipif(not (POSTGRES_URL and REDIS_URL), reason="needs PostgreSQL and Redis")
def test_a_logout_on_one_process_closes_the_socket_on_another(
    postgres_migrated: str, tmp_path: Path, password_hash: str
) -> None:
    _truncate_postgres(postgres_migrated)
    database = Database(str(POSTGRES_URL))
    try:
        store = make_store(database, "acme")
        email = make_staff(database, store, "agent", password_hash)
    finally:
        database.dispose()
    with server_processes(2, tmp_path, shared_environment(tmp_path)) as (process_a, process_b):
        # The same browser session, talking to both processes (they share the secret key and the database).
        browser = _browser_login(process_a, email)
        cookie = "; ".join(f"{name}={value}" for name, value in browser.cookies.items())
        url = process_b.replace("http", "ws") + "/ws/console/acme"
        with connect(url, additional_headers={"Cookie": cookie, "Origin": process_b}) as console:
            assert json.loads(console.recv(timeout=10))["type"] == "ready"
            token = csrf_of(browser.get("/console/acme/customers").text)
            started = time.monotonic()
            assert browser.post("/logout", data={"csrf_token": token}).status_code == 303  # on process A
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    console.recv(timeout=20)
            # Closed by the notice through Redis, long before the 60-second periodic re-check.
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
            assert time.monotonic() - started < 20
        browser.close()
