"""Factories and helpers for tests: stores with API keys, staff, order payloads, console login."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from loyaldesk.kernel.actors import SYSTEM, Actor, system_for
from loyaldesk.kernel.db import Database
from loyaldesk.runtime import Runtime
from loyaldesk.stores import actions as store_actions
from loyaldesk.stores.rules import API_SCOPES
from loyaldesk.web.app import create_app

TEST_PASSWORD = "correct horse battery"


# Built apps not serving a test now, by what their middleware was built with (the session cookie's settings).
_idle_apps: dict[tuple[str, int, bool], list[FastAPI]] = {}


@contextmanager
def app_serving(runtime: Runtime) -> Iterator[FastAPI]:
    """An app serving ``runtime`` for the duration of the block: a built app, given this runtime.

    FastAPI builds an app's route table lazily on its first requests (hundreds of dependency signatures,
    about half a second of CPU), more than most tests take. Every route, the middleware and the lifespan
    read the runtime from ``app.state``, so a fresh runtime on a built app is a fresh server; only the
    session middleware keeps settings of its own, hence one pool of apps per cookie configuration. Two
    apps serving at once (two installs in one test) are two apps.
    """
    settings = runtime.settings
    key = (settings.resolved_secret_key(), settings.session_max_age_seconds, settings.cookie_secure)
    idle = _idle_apps.setdefault(key, [])
    app = idle.pop() if idle else create_app(runtime=runtime)
    app.state.runtime = runtime
    try:
        yield app
    finally:
        app.state.runtime = None  # let this test's runtime and database go
        idle.append(app)


@dataclass
class StoreHandle:
    id: int
    slug: str
    token: str  # an API key with every scope
    actor: Actor

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def make_store(db: Database, slug: str = "acme", *, currency: str = "EUR") -> StoreHandle:
    def create(uow):  # type: ignore[no-untyped-def]
        store = store_actions.create_store(uow, SYSTEM, slug=slug, name=slug.title(), currency=currency)
        key = store_actions.create_api_key(
            uow, system_for(store.id), store.id, name="all", scopes=list(API_SCOPES)
        )
        return store.id, key.token

    store_id, token = db.write(create)
    return StoreHandle(store_id, slug, token, system_for(store_id))


def make_api_key(db: Database, store: StoreHandle, scopes: list[str]) -> dict[str, str]:
    created = db.write(
        store_actions.create_api_key, system_for(store.id), store.id, name="limited", scopes=scopes
    )
    return {"Authorization": f"Bearer {created.token}"}


def make_staff(
    db: Database, store: StoreHandle, role: str, password_hash: str, email: str | None = None
) -> str:
    email = email or f"{role}@{store.slug}.example.com"
    db.write(
        store_actions.add_staff_member,
        system_for(store.id),
        store.id,
        email=email,
        name=role.title(),
        role=role,
        password_hash=password_hash,
    )
    return email


def order_payload(external_id: str = "1001", **overrides: Any) -> dict[str, Any]:
    """A valid order as the API takes it: two lines, a known customer."""
    payload: dict[str, Any] = {
        "external_id": external_id,
        "number": f"#{external_id}",
        "customer": {"external_id": "cust-1", "email": "emma@example.com", "first_name": "Emma"},
        "currency": "EUR",
        "lines": [
            {
                "external_id": "l1",
                "sku": "TEE-M",
                "title": "Organic tee",
                "category": "Apparel",
                "quantity": 2,
                "unit_price": 2500,
            },
            {
                "external_id": "l2",
                "sku": "MUG",
                "title": "Mug",
                "category": "Home",
                "quantity": 1,
                "unit_price": 1200,
                "discount": 200,
            },
        ],
        "shipping_total": 495,
        "status": "paid",
        "placed_at": "2026-03-01T12:00:00+00:00",
    }
    payload.update(overrides)
    return payload


def login(client: TestClient, email: str, password: str = TEST_PASSWORD) -> None:
    """Log into the console through the login form, as a browser would."""
    page = client.get("/login")
    assert page.status_code == 200
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token, "next": "/console"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def csrf_of(html: str) -> str:
    return html.split('name="csrf_token" value="')[1].split('"')[0]


def table_counts(db: Database, *tables: str) -> dict[str, int]:
    """Row counts, to assert that a refused request changed nothing."""
    with db.read() as session:
        return {
            table: int(session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
            for table in tables
        }


def make_program(db: Database, store: StoreHandle, **settings: Any) -> None:
    """The store's loyalty program with ``settings`` set (``auto_enroll=False``: an opt-in program, whose
    customers are members only once enrolled). An order's points run in the order's own transaction, so
    a test that wants customers outside the program says so before their first order."""
    from loyaldesk.loyalty.program import ensure_program

    def configure(uow):  # type: ignore[no-untyped-def]
        program = ensure_program(uow, store.id)
        for name, value in settings.items():
            setattr(program, name, value)

    db.write(configure)


def make_member(db: Database, store: StoreHandle, external_id: str = "m-1", **program: Any) -> int:
    """A customer enrolled in the store's loyalty program; ``program`` overrides program settings."""
    from loyaldesk.customers import CustomerRef, resolve_customers
    from loyaldesk.loyalty.actions.enrol_members import enroll
    from loyaldesk.loyalty.program import ensure_program

    def create(uow):  # type: ignore[no-untyped-def]
        settings = ensure_program(uow, store.id)
        for name, value in program.items():
            setattr(settings, name, value)
        [customer_id] = resolve_customers(uow, store.id, [CustomerRef(external_id=external_id)], source="api")
        member, _ = enroll(uow, store.id, customer_id)
        return member.id

    return db.write(create)
