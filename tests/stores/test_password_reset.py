"""Forgotten passwords: a link mailed to a real SMTP peer, used once within the hour; asking answers the
same whether or not an account exists; throttled per address and per client; every session ends."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from loyaldesk.cli import app as cli
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from loyaldesk.kernel.mail_transport import SmtpTransport
from loyaldesk.runtime import Runtime
from loyaldesk.settings import get_settings
from loyaldesk.stores import account_mail
from loyaldesk.stores.models import AccountEmail, AuditLogEntry, PasswordReset, StaffAccount
from loyaldesk.stores.passwords import verify_password
from loyaldesk.stores.tokens import TokenPurpose
from tests.factories import TEST_PASSWORD, StoreHandle, csrf_of, login, make_staff, table_counts
from tests.stores.conftest import MailPeer, another_client, close_code, free_port, link_path, text_of
from tests.support.desk import console_socket
from tests.web.test_console_forms import assert_error_beside

NEW_PASSWORD = "a brand new secret"


def ask_for_link(client: TestClient, email: str) -> object:
    page = client.get("/login/forgot")
    assert page.status_code == 200, page.text
    return client.post("/login/forgot", data={"csrf_token": csrf_of(page.text), "email": email})


def choose(client: TestClient, path: str, password: str) -> object:
    page = client.get(path)
    assert page.status_code == 200, page.text
    return client.post(
        path, data={"csrf_token": csrf_of(page.text), "new_password": password}, follow_redirects=False
    )


def password_hash_of(db: Database, email: str) -> str:
    with db.read() as session:
        return session.scalars(select(StaffAccount.password_hash).where(StaffAccount.email == email)).one()


def _without_tokens(html: str) -> str:
    return re.sub(r'name="csrf_token" value="[^"]*"', "", html)


def test_a_reset_link_is_mailed_works_once_and_ends_every_session(
    mailing_client: TestClient, db: Database, store: StoreHandle, password_hash: str, smtp_peer: MailPeer
) -> None:
    email = make_staff(db, store, "agent", password_hash)
    login(mailing_client, email)  # a browser still logged in somewhere, its live inbox open
    with console_socket(mailing_client, store.slug) as console:
        assert console.receive_json()["type"] == "ready"
        stranger = another_client(mailing_client)
        asked = ask_for_link(stranger, email.upper())
        assert asked.status_code == 200 and "a link to choose a new password is on its way" in asked.text  # type: ignore[attr-defined]
        [mail] = smtp_peer.deliver(db)
        assert mail["To"] == email and mail["Subject"] == "Reset your loyaldesk password"
        body = text_of(mail)
        assert "within 60 minutes" in body and "If it was not you, ignore this mail" in body
        path = link_path(body, "login/reset")
        page = stranger.get(path)
        assert page.status_code == 200 and email in page.text and page.headers["cache-control"] == "no-store"
        chosen = choose(stranger, path, NEW_PASSWORD)
        assert chosen.status_code == 303 and chosen.headers["location"] == "/login?reset=1"  # type: ignore[attr-defined]
        # The open console closes, telling the page to log in again.
        assert close_code(console) == 4401
    assert mailing_client.get("/console", follow_redirects=False).headers["location"].startswith("/login")
    assert verify_password(password_hash_of(db, email), NEW_PASSWORD)
    assert not verify_password(password_hash_of(db, email), TEST_PASSWORD)
    assert stranger.get(path).status_code == 410  # once
    again = stranger.post(path, data={"csrf_token": "x", "new_password": "yet another one!"})
    assert again.status_code == 410 and verify_password(password_hash_of(db, email), NEW_PASSWORD)
    login(stranger, email, NEW_PASSWORD)
    with db.read() as session:
        actions = set(session.scalars(select(AuditLogEntry.action)))
        outbox = session.scalars(select(AccountEmail)).one()
    assert {"staff.password_reset_requested", "staff.password_reset"} <= actions
    assert outbox.raw is None


def test_asking_for_a_link_answers_the_same_whether_or_not_the_account_exists(
    mailing_client: TestClient, db: Database, store: StoreHandle, password_hash: str, smtp_peer: MailPeer
) -> None:
    email = make_staff(db, store, "agent", password_hash)
    known = ask_for_link(mailing_client, email)
    unknown = ask_for_link(another_client(mailing_client), "nobody@acme.example.com")
    assert known.status_code == unknown.status_code == 200  # type: ignore[attr-defined]
    assert _without_tokens(known.text).replace(email, "X") == _without_tokens(unknown.text).replace(  # type: ignore[attr-defined]
        "nobody@acme.example.com", "X"
    )
    assert [mail["To"] for mail in smtp_peer.deliver(db)] == [email]
    with db.read() as session:
        assert len(session.scalars(select(PasswordReset)).all()) == 1
    nonsense = ask_for_link(mailing_client, "not an address")
    assert nonsense.status_code == 422  # type: ignore[attr-defined]
    assert_error_beside(nonsense.text, "email", "Enter the address you log in with", "not an address")  # type: ignore[attr-defined]


def test_reset_requests_are_throttled_per_address_and_per_client(
    mailing_client: TestClient, db: Database, store: StoreHandle, password_hash: str, smtp_peer: MailPeer
) -> None:
    email = make_staff(db, store, "agent", password_hash)
    for address in (email, "nobody@acme.example.com"):  # the same limit, account or not
        statuses = [ask_for_link(mailing_client, address).status_code for _ in range(4)]  # type: ignore[attr-defined]
        assert statuses == [200, 200, 200, 429], address
    blocked = ask_for_link(mailing_client, email)
    assert "Too many password reset requests" in blocked.text  # type: ignore[attr-defined]
    assert 0 < int(blocked.headers["retry-after"]) <= 3600  # type: ignore[attr-defined]
    assert len(smtp_peer.deliver(db)) == 3
    # Per client: ten requests an hour from one address, whatever the accounts (nine were made above).
    more = [ask_for_link(mailing_client, f"n{i}@acme.example.com").status_code for i in range(3)]  # type: ignore[attr-defined]
    assert more == [200, 429, 429]


def test_a_reset_link_expires_after_an_hour_and_cannot_serve_as_an_invitation(
    mailing_client: TestClient,
    db: Database,
    store: StoreHandle,
    password_hash: str,
    smtp_peer: MailPeer,
    clock: FakeClock,
) -> None:
    email = make_staff(db, store, "agent", password_hash)
    ask_for_link(mailing_client, email)
    path = link_path(text_of(smtp_peer.deliver(db)[0]), "login/reset")
    token = path.rsplit("/", 1)[1]
    assert mailing_client.get(f"/invitations/{token}").status_code == 410  # signed for another purpose
    page = mailing_client.get(path)
    clock.advance(timedelta(minutes=60, seconds=1))
    late = mailing_client.post(path, data={"csrf_token": csrf_of(page.text), "new_password": NEW_PASSWORD})
    assert late.status_code == 410 and "no longer works" in late.text
    assert verify_password(password_hash_of(db, email), TEST_PASSWORD)


def test_a_bad_new_password_is_refused_by_name_and_keeps_the_link(
    mailing_client: TestClient, db: Database, store: StoreHandle, password_hash: str, smtp_peer: MailPeer
) -> None:
    email = make_staff(db, store, "agent", password_hash)
    ask_for_link(mailing_client, email)
    path = link_path(text_of(smtp_peer.deliver(db)[0]), "login/reset")
    short = choose(mailing_client, path, "short")
    assert short.status_code == 422  # type: ignore[attr-defined]
    assert_error_beside(short.text, "new_password", "must be at least 10 characters", typed="")  # type: ignore[attr-defined]
    forged = mailing_client.post(path, data={"csrf_token": "forged", "new_password": NEW_PASSWORD})
    assert forged.status_code == 403
    assert verify_password(password_hash_of(db, email), TEST_PASSWORD)
    assert choose(mailing_client, path, NEW_PASSWORD).status_code == 303  # type: ignore[attr-defined]


def test_a_new_link_voids_the_older_ones_and_a_password_change_voids_them_all(
    mailing_client: TestClient, db: Database, store: StoreHandle, password_hash: str, smtp_peer: MailPeer
) -> None:
    email = make_staff(db, store, "agent", password_hash)
    ask_for_link(mailing_client, email)
    ask_for_link(mailing_client, email)
    first, second = (link_path(text_of(mail), "login/reset") for mail in smtp_peer.deliver(db))
    assert mailing_client.get(first).status_code == 410
    assert mailing_client.get(second).status_code == 200
    login(mailing_client, email)
    page = mailing_client.get("/console/account")
    changed = mailing_client.post(
        "/console/account/password",
        data={
            "csrf_token": csrf_of(page.text),
            "current_password": TEST_PASSWORD,
            "new_password": NEW_PASSWORD,
        },
        follow_redirects=False,
    )
    assert changed.status_code == 303
    assert mailing_client.get(second).status_code == 410


def test_without_mail_no_link_is_made_and_the_page_says_so(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    email = make_staff(db, store, "agent", password_hash)
    page = client.get("/login/forgot")
    assert "does not send mail yet" in page.text and "loyaldesk staff reset-link" in page.text
    assert 'name="email"' not in page.text  # no form to fill in
    token = csrf_of(client.get("/login").text)  # a form from before mail was switched off, say
    asked = client.post("/login/forgot", data={"csrf_token": token, "email": email})
    assert asked.status_code == 200
    assert table_counts(db, "staff_password_resets", "staff_account_emails") == {
        "staff_password_resets": 0,
        "staff_account_emails": 0,
    }
    assert "/login/forgot" in client.get("/login").text


def test_a_mail_server_that_is_down_keeps_the_link_mail_until_it_is_back(
    mailing_client: TestClient,
    mailing_runtime: Runtime,
    db: Database,
    store: StoreHandle,
    password_hash: str,
    smtp_peer: MailPeer,
    clock: FakeClock,
) -> None:
    email = make_staff(db, store, "agent", password_hash)
    ask_for_link(mailing_client, email)
    down = SmtpTransport("127.0.0.1", free_port(), starttls=False, timeout=2)  # nobody listens there
    assert account_mail.send_due(db, down) == 0
    with db.read() as session:
        waiting = session.scalars(select(AccountEmail)).one()
    assert waiting.status == "pending" and waiting.attempts == 1 and waiting.raw is not None
    assert "ConnectionRefusedError" in (waiting.last_error or "")
    assert smtp_peer.deliver(db) == []  # not due yet: it waits a minute before trying again
    clock.advance(timedelta(minutes=1))
    [mail] = smtp_peer.deliver(db)
    assert mail["To"] == email
    assert account_mail.send_due(db, smtp_peer.transport) == 0  # sent once


def test_the_cli_prints_a_reset_link_for_the_operator(
    client: TestClient,
    db: Database,
    store: StoreHandle,
    password_hash: str,
    database_url: str,
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    email = make_staff(db, store, "agent", password_hash)
    monkeypatch.setenv("LOYALDESK_DATABASE_URL", database_url)
    monkeypatch.setenv("LOYALDESK_SECRET_KEY", runtime.secret_key)  # the server's key: its links work there
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["staff", "reset-link", "--email", email])
        unknown = CliRunner().invoke(cli, ["staff", "reset-link", "--email", "nobody@acme.example.com"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    path = link_path(result.output, "login/reset")
    assert runtime.account_tokens.digest_of(TokenPurpose.PASSWORD_RESET, path.rsplit("/", 1)[1])
    assert choose(client, path, NEW_PASSWORD).status_code == 303  # type: ignore[attr-defined]
    assert unknown.exit_code == 1 and "no staff account" in unknown.output
