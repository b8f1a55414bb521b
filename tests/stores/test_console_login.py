"""Console login and logout: secure cookies, CSRF, rate limiting, audit."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from loyaldesk.kernel.db import Database
from loyaldesk.stores.models import AuditLogEntry, StaffSession
from tests.factories import StoreHandle, csrf_of, login, make_staff


def test_login_sets_a_secure_httponly_cookie_and_opens_the_console(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    email = make_staff(db, store, "agent", password_hash)
    assert client.get("/console", follow_redirects=False).headers["location"].startswith("/login")
    page = client.get("/login")
    response = client.post(
        "/login",
        data={
            "email": email.upper(),
            "password": "correct horse battery",
            "csrf_token": csrf_of(page.text),
            "next": "/console/acme/customers",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/console/acme/customers"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "secure" in cookie and "samesite=lax" in cookie
    home = client.get("/console/acme/customers")
    assert home.status_code == 200 and "Customers" in home.text
    assert "content-security-policy" in home.headers
    with db.read() as session:
        assert "staff.login" in list(session.scalars(select(AuditLogEntry.action)))


def test_wrong_password_and_unknown_account_say_the_same(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    email = make_staff(db, store, "agent", password_hash)
    for who, password in ((email, "wrong password!"), ("nobody@example.com", "whatever12345")):
        page = client.get("/login")
        response = client.post(
            "/login", data={"email": who, "password": password, "csrf_token": csrf_of(page.text)}
        )
        assert response.status_code == 401
        assert "do not match an account" in response.text
    assert client.get("/console", follow_redirects=False).status_code == 303


def test_login_without_the_form_token_is_refused(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    email = make_staff(db, store, "agent", password_hash)
    client.get("/login")
    response = client.post(
        "/login", data={"email": email, "password": "correct horse battery", "csrf_token": "x"}
    )
    assert response.status_code == 403
    with db.read() as session:
        assert session.scalars(select(StaffSession)).all() == []


def test_repeated_failures_are_rate_limited(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    email = make_staff(db, store, "agent", password_hash)
    for _ in range(5):
        page = client.get("/login")
        client.post(
            "/login", data={"email": email, "password": "guess-guess-guess", "csrf_token": csrf_of(page.text)}
        )
    page = client.get("/login")
    blocked = client.post(
        "/login", data={"email": email, "password": "correct horse battery", "csrf_token": csrf_of(page.text)}
    )
    assert blocked.status_code == 429
    assert "Too many failed attempts" in blocked.text and int(blocked.headers["retry-after"]) > 0
    with db.read() as session:
        assert session.scalars(select(StaffSession)).all() == []
        failures = [a for a in session.scalars(select(AuditLogEntry.action)) if a == "staff.login_failed"]
    assert len(failures) == 5


def test_logout_ends_the_session_everywhere(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    email = make_staff(db, store, "agent", password_hash)
    login(client, email)
    stolen_cookie = dict(client.cookies)
    page = client.get("/console/acme/customers")
    assert client.post("/logout", data={"csrf_token": "wrong"}).status_code == 403
    response = client.post("/logout", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"
    # The old cookie, replayed, no longer works.
    client.cookies.clear()
    for name, value in stolen_cookie.items():
        client.cookies.set(name, value)
    assert client.get("/console/acme/customers", follow_redirects=False).status_code == 303


def test_next_parameter_cannot_send_you_elsewhere(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    email = make_staff(db, store, "agent", password_hash)
    page = client.get("/login?next=//evil.example.com/")
    response = client.post(
        "/login",
        data={
            "email": email,
            "password": "correct horse battery",
            "csrf_token": csrf_of(page.text),
            "next": "//evil.example.com/",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/console"


def test_changing_password_logs_out_and_the_new_one_works(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    email = make_staff(db, store, "agent", password_hash)
    login(client, email)
    page = client.get("/console/account")
    short = client.post(
        "/console/account/password",
        data={
            "csrf_token": csrf_of(page.text),
            "current_password": "correct horse battery",
            "new_password": "short",
        },
    )
    assert short.status_code == 422 and "at least 10 characters" in short.text
    changed = client.post(
        "/console/account/password",
        data={
            "csrf_token": csrf_of(page.text),
            "current_password": "correct horse battery",
            "new_password": "a much longer secret",
        },
        follow_redirects=False,
    )
    assert changed.status_code == 303
    assert client.get("/console", follow_redirects=False).headers["location"].startswith("/login")
    login(client, email, "a much longer secret")
