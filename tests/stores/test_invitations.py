"""Staff invitations: a store invites an address and the person accepts by a link (mailed to a real SMTP
peer, or shown once to the inviter when the install has no mail); the person sets their own password or
proves they own the account the address already has. No store sets or learns another store's credentials,
and inviting an address that has an account elsewhere answers exactly as inviting a new one."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from loyaldesk.cli import app as cli
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from loyaldesk.kernel.errors import DomainError
from loyaldesk.runtime import Runtime
from loyaldesk.settings import get_settings
from loyaldesk.stores import AccountMailSettings, invitations
from loyaldesk.stores.models import (
    AccountEmail,
    AuditLogEntry,
    StaffAccount,
    StaffInvitation,
    StoreMembership,
)
from loyaldesk.stores.passwords import verify_password
from loyaldesk.stores.tokens import AccountTokens, TokenPurpose
from tests.factories import TEST_PASSWORD, StoreHandle, csrf_of, login, make_staff, table_counts
from tests.stores.conftest import MailPeer, another_client, link_path, shown_link, text_of
from tests.web.test_console_forms import assert_error_beside

NEW_PASSWORD = "my very own secret"


def invite(client: TestClient, slug: str, email: str, role: str = "agent", name: str = "Nina") -> object:
    page = client.get(f"/console/{slug}/settings/staff")
    assert page.status_code == 200, page.text
    return client.post(
        f"/console/{slug}/settings/staff",
        data={"csrf_token": csrf_of(page.text), "email": email, "role": role, "name": name},
        follow_redirects=False,
    )


def accept(client: TestClient, path: str, password: str, name: str = "Nina New") -> object:
    page = client.get(path)
    assert page.status_code == 200, page.text
    return client.post(
        path,
        data={"csrf_token": csrf_of(page.text), "name": name, "password": password},
        follow_redirects=False,
    )


def password_hash_of(db: Database, email: str) -> str:
    with db.read() as session:
        return session.scalars(select(StaffAccount.password_hash).where(StaffAccount.email == email)).one()


def members_of(db: Database, store: StoreHandle) -> set[str]:
    with db.read() as session:
        return set(
            session.scalars(
                select(StaffAccount.email)
                .join(StoreMembership, StoreMembership.staff_id == StaffAccount.id)
                .where(StoreMembership.store_id == store.id)
            )
        )


def _neutral(html: str, *words: str) -> str:
    """A page with its tokens, and the given words, blanked: what is left must not differ."""
    html = re.sub(r'name="csrf_token" value="[^"]*"', "", html)
    html = re.sub(r"/invitations/[A-Za-z0-9._\-]+", "/invitations/T", html)
    for word in words:
        html = html.replace(word, "W")
    return html


def test_an_invitation_is_mailed_and_accepting_it_creates_the_account_with_the_invitees_password(
    mailing_client: TestClient, db: Database, store: StoreHandle, password_hash: str, smtp_peer: MailPeer
) -> None:
    login(mailing_client, make_staff(db, store, "owner", password_hash))
    response = invite(mailing_client, store.slug, "Nina@Example.com", name="Nina New")
    assert response.status_code == 303  # type: ignore[attr-defined]
    staff_page = mailing_client.get(response.headers["location"]).text  # type: ignore[attr-defined]
    assert (
        "Invitation sent" in staff_page
        and "nina@example.com" in staff_page
        and 'id="invitation-link"' not in staff_page
    )
    [mail] = smtp_peer.deliver(db)
    assert mail["To"] == "nina@example.com" and mail["Subject"] == "Join Acme on loyaldesk"
    assert mail["Auto-Submitted"] == "auto-generated"
    body = text_of(mail)
    assert "as agent" in body and "works once" in body
    html_part = mail.get_body(preferencelist=("html",))
    assert html_part is not None and "Accept the invitation" in str(html_part.get_content())  # type: ignore[attr-defined]
    with db.read() as session:
        outbox = session.scalars(select(AccountEmail)).one()
        invitation = session.scalars(select(StaffInvitation)).one()
    assert outbox.status == "sent" and outbox.raw is None  # the live link is not kept once sent
    path = link_path(body, "invitations")
    assert invitation.token_hash not in path and path.split("/")[-1] not in invitation.token_hash

    invitee = another_client(mailing_client)
    page = invitee.get(path)
    assert "Join Acme" in page.text and "nina@example.com" in page.text
    assert page.headers["cache-control"] == "no-store"
    short = invitee.post(path, data={"csrf_token": csrf_of(page.text), "name": "Nina", "password": "short"})
    assert short.status_code == 422  # the reason beside the password input, which is not typed back
    assert_error_beside(short.text, "password", "must be at least 10 characters", typed="")
    assert 'value="Nina"' in short.text and 'value="short"' not in short.text
    accepted = accept(invitee, path, NEW_PASSWORD, name="Nina Nova")
    assert accepted.status_code == 303 and accepted.headers["location"] == "/console/acme"  # type: ignore[attr-defined]
    assert invitee.get("/console/acme/customers").status_code == 200  # logged in
    assert verify_password(password_hash_of(db, "nina@example.com"), NEW_PASSWORD)
    assert members_of(db, store) == {"owner@acme.example.com", "nina@example.com"}
    with db.read() as session:
        account = session.scalars(select(StaffAccount).where(StaffAccount.email == "nina@example.com")).one()
        actions = list(session.scalars(select(AuditLogEntry.action)))
    assert account.name == "Nina Nova"
    assert {"staff.invited", "staff.account_created", "staff.added"} <= set(actions)
    staff_page = mailing_client.get("/console/acme/settings/staff").text
    assert "Invitations waiting" not in staff_page and "Nina Nova" in staff_page


def test_inviting_an_address_with_an_account_elsewhere_reveals_nothing_and_cannot_set_its_password(
    mailing_client: TestClient,
    db: Database,
    store: StoreHandle,
    other_store: StoreHandle,
    password_hash: str,
    smtp_peer: MailPeer,
) -> None:
    # x@ works for acme with her own password. Globex's owner invites x@ and, for comparison, a new address.
    existing = make_staff(db, store, "agent", password_hash, email="x@acme.example.com")
    login(mailing_client, make_staff(db, other_store, "owner", password_hash))
    answers = [
        invite(mailing_client, "globex", address) for address in (existing, "fresh@globex.example.com")
    ]
    assert [(a.status_code, a.headers["location"]) for a in answers] == [
        (303, "/console/globex/settings/staff?done=invited")
    ] * 2  # type: ignore[attr-defined]
    staff_page = mailing_client.get("/console/globex/settings/staff").text
    rows = re.findall(r"<tr>\s*<td>([^<]+)</td>\s*<td>agent</td>", staff_page)
    assert sorted(rows) == sorted([existing, "fresh@globex.example.com"])  # both simply "waiting"
    mails = smtp_peer.deliver(db)
    by_address = {mail["To"]: mail for mail in mails}
    texts = {address: text_of(mail) for address, mail in by_address.items()}
    assert _neutral(texts[existing]) == _neutral(texts["fresh@globex.example.com"])

    # The link pages look the same too, until someone tries to accept.
    paths = {address: link_path(text, "invitations") for address, text in texts.items()}
    visitor = another_client(mailing_client)
    pages = {address: visitor.get(path).text for address, path in paths.items()}
    assert _neutral(pages[existing], existing) == _neutral(
        pages["fresh@globex.example.com"], "fresh@globex.example.com"
    )

    # Choosing a password for x@ does not take over her account, and uses nothing up.
    before = password_hash_of(db, existing)
    taken_over = accept(visitor, paths[existing], "globex chose this one")
    assert taken_over.status_code == 401  # type: ignore[attr-defined]
    assert "not its password" in taken_over.text  # type: ignore[attr-defined]
    assert password_hash_of(db, existing) == before
    assert existing not in members_of(db, other_store)
    assert visitor.get("/console", follow_redirects=False).headers["location"].startswith("/login")

    # x@ herself accepts with the password she has; it stays hers, and both stores are now hers.
    accepted = accept(visitor, paths[existing], TEST_PASSWORD)
    assert accepted.status_code == 303 and accepted.headers["location"] == "/console/globex"  # type: ignore[attr-defined]
    assert existing in members_of(db, other_store) and existing in members_of(db, store)
    assert password_hash_of(db, existing) == before
    with db.read() as session:
        audit = session.scalars(
            select(AuditLogEntry)
            .where(AuditLogEntry.store_id == other_store.id, AuditLogEntry.action == "staff.added")
            .order_by(AuditLogEntry.id.desc())
        ).first()
    assert audit is not None and audit.details["email"] == existing
    assert "created" not in str(audit.details)  # globex's audit log does not say whether the account was new


def test_without_mail_the_inviter_gets_the_link_once_for_any_address(
    client: TestClient, db: Database, store: StoreHandle, other_store: StoreHandle, password_hash: str
) -> None:
    existing = make_staff(db, other_store, "agent", password_hash, email="x@globex.example.com")
    login(client, make_staff(db, store, "owner", password_hash))
    answers = {address: invite(client, store.slug, address) for address in (existing, "new@acme.example.com")}
    for address, answer in answers.items():
        assert answer.status_code == 201 and answer.headers["cache-control"] == "no-store"  # type: ignore[attr-defined]
        assert f"Invitation link for {address}" in answer.text  # type: ignore[attr-defined]
    links = {address: shown_link(answer.text) for address, answer in answers.items()}  # type: ignore[attr-defined]
    assert table_counts(db, "staff_account_emails") == {"staff_account_emails": 0}
    assert 'id="invitation-link"' not in client.get("/console/acme/settings/staff").text  # shown once
    # The new address sets its password; the existing one needs its own.
    newcomer = another_client(client)
    assert accept(newcomer, links["new@acme.example.com"], NEW_PASSWORD).status_code == 303  # type: ignore[attr-defined]
    stranger = another_client(client)
    assert accept(stranger, links[existing], "acme picked this").status_code == 401  # type: ignore[attr-defined]
    assert accept(stranger, links[existing], TEST_PASSWORD).status_code == 303  # type: ignore[attr-defined]
    assert {existing, "new@acme.example.com"} <= members_of(db, store)


def test_an_invitation_works_once_and_not_after_it_expires(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str, clock: FakeClock
) -> None:
    owner = make_staff(db, store, "owner", password_hash)
    login(client, owner)
    once = shown_link(invite(client, store.slug, "once@acme.example.com").text)  # type: ignore[attr-defined]
    late = shown_link(invite(client, store.slug, "late@acme.example.com").text)  # type: ignore[attr-defined]
    first, second = another_client(client), another_client(client)
    page = second.get(once)  # opened before the first acceptance
    assert accept(first, once, NEW_PASSWORD).status_code == 303  # type: ignore[attr-defined]
    replay = second.post(once, data={"csrf_token": csrf_of(page.text), "password": "another password!"})
    assert replay.status_code == 410 and "no longer works" in replay.text
    assert second.get(once).status_code == 410
    assert password_hash_of(db, "once@acme.example.com") != "" and verify_password(
        password_hash_of(db, "once@acme.example.com"), NEW_PASSWORD
    )

    page = second.get(late)
    clock.advance(timedelta(days=7, seconds=1))
    before = table_counts(db, "staff_accounts", "store_memberships")
    expired = second.post(late, data={"csrf_token": csrf_of(page.text), "password": NEW_PASSWORD})
    assert expired.status_code == 410 and table_counts(db, "staff_accounts", "store_memberships") == before
    login(client, owner)  # a week later: the owner's own session has ended too
    staff_page = client.get("/console/acme/settings/staff").text
    assert '<span class="muted">expired</span>' in staff_page


def test_cancelled_and_replaced_invitations_stop_working(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    login(client, make_staff(db, store, "owner", password_hash))
    first = shown_link(invite(client, store.slug, "nina@acme.example.com").text)  # type: ignore[attr-defined]
    second = shown_link(invite(client, store.slug, "nina@acme.example.com").text)  # type: ignore[attr-defined]
    visitor = another_client(client)
    assert visitor.get(first).status_code == 410  # replaced by the newer one
    with db.read() as session:
        [pending] = invitations.pending_invitations(session, store.id, db.clock.now())
    token = csrf_of(client.get("/console/acme/settings/staff").text)
    resent = client.post(
        f"/console/acme/settings/staff/invitations/{pending.invitation_id}/resend", data={"csrf_token": token}
    )
    third = shown_link(resent.text)
    assert visitor.get(second).status_code == 410 and visitor.get(third).status_code == 200
    with db.read() as session:
        [pending] = invitations.pending_invitations(session, store.id, db.clock.now())
    cancelled = client.post(
        f"/console/acme/settings/staff/invitations/{pending.invitation_id}/cancel",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert cancelled.status_code == 303
    assert visitor.get(third).status_code == 410
    assert "nina@acme.example.com" not in members_of(db, store)


def test_forged_mangled_and_foreign_purpose_links_are_refused(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str, runtime: Runtime
) -> None:
    login(client, make_staff(db, store, "owner", password_hash))
    real = shown_link(invite(client, store.slug, "nina@acme.example.com").text)  # type: ignore[attr-defined]
    token = real.rsplit("/", 1)[1]
    reset_kind = runtime.account_tokens.issue(TokenPurpose.PASSWORD_RESET).token
    other_install = AccountTokens("another-install-key").issue(TokenPurpose.INVITATION).token
    visitor = another_client(client)
    before = table_counts(db, "staff_accounts", "store_memberships", "staff_invitations")
    for bad in (token[:-2] + "xx", "x" * 40, reset_kind, other_install, "a" * 299):
        assert visitor.get(f"/invitations/{bad}").status_code == 410, bad
        assert visitor.post(f"/invitations/{bad}", data={"password": NEW_PASSWORD}).status_code == 410
    assert visitor.get("/invitations/" + "a" * 301).status_code == 422  # longer than any link we make
    assert table_counts(db, "staff_accounts", "store_memberships", "staff_invitations") == before


@pytest.mark.parametrize("role", ["agent", "analyst"])
def test_staff_without_the_right_cannot_invite_and_nothing_changes(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str, role: str
) -> None:
    make_staff(db, store, "owner", password_hash)
    login(client, make_staff(db, store, role, password_hash))
    token = csrf_of(client.get("/console/acme/customers").text)
    before = table_counts(db, "staff_invitations", "staff_account_emails", "audit_log")
    answer = client.post(
        "/console/acme/settings/staff",
        data={"csrf_token": token, "email": "y@example.com", "role": "agent", "name": "Y"},
    )
    assert answer.status_code == 403
    assert table_counts(db, "staff_invitations", "staff_account_emails", "audit_log") == before


def test_admins_cannot_invite_owners_and_known_members_are_named(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    agent = make_staff(db, store, "agent", password_hash)
    login(client, make_staff(db, store, "admin", password_hash))
    before = table_counts(db, "staff_invitations", "audit_log")
    assert invite(client, store.slug, "boss@example.com", role="owner").status_code == 403  # type: ignore[attr-defined]
    assert table_counts(db, "staff_invitations", "audit_log") == before
    again = invite(client, store.slug, agent.upper())
    assert again.status_code == 422 and f"{agent} already works for this store as agent" in again.text  # type: ignore[attr-defined]
    bad = invite(client, store.slug, "not an address")
    assert bad.status_code == 422  # type: ignore[attr-defined]
    assert_error_beside(bad.text, "email", "is not an email address", "not an address")  # type: ignore[attr-defined]
    assert invite(client, store.slug, "x@example.com", role="boss").status_code == 422  # type: ignore[attr-defined]
    assert table_counts(db, "staff_invitations", "audit_log") == before


def test_a_logged_in_invitee_accepts_with_one_click_and_someone_else_is_told_to_log_out(
    client: TestClient, db: Database, store: StoreHandle, other_store: StoreHandle, password_hash: str
) -> None:
    existing = make_staff(db, other_store, "agent", password_hash, email="x@globex.example.com")
    bystander = make_staff(db, other_store, "analyst", password_hash)
    login(client, make_staff(db, store, "owner", password_hash))
    link = shown_link(invite(client, store.slug, existing).text)  # type: ignore[attr-defined]
    someone_else = another_client(client)
    login(someone_else, bystander)
    page = someone_else.get(link)
    assert f"but this invitation is for {existing}" in page.text
    forged = someone_else.post(link, data={"csrf_token": csrf_of(page.text), "password": TEST_PASSWORD})
    assert forged.status_code == 403 and existing not in members_of(db, store)
    invitee = another_client(client)
    login(invitee, existing)
    page = invitee.get(link)
    assert "Accept and open Acme" in page.text and 'name="password"' not in page.text
    accepted = invitee.post(link, data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert accepted.status_code == 303 and accepted.headers["location"] == "/console/acme"
    assert invitee.get("/console/acme/customers").status_code == 200


def test_wrong_passwords_on_an_invitation_count_as_failed_logins_of_that_account(
    client: TestClient, db: Database, store: StoreHandle, other_store: StoreHandle, password_hash: str
) -> None:
    existing = make_staff(db, other_store, "agent", password_hash, email="x@globex.example.com")
    login(client, make_staff(db, store, "owner", password_hash))
    link = shown_link(invite(client, store.slug, existing).text)  # type: ignore[attr-defined]
    guesser = another_client(client)
    for attempt in range(5):
        assert accept(guesser, link, f"guess number {attempt}").status_code == 401  # type: ignore[attr-defined]
    blocked = accept(guesser, link, TEST_PASSWORD)
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0  # type: ignore[attr-defined]
    assert existing not in members_of(db, store)
    with db.read() as session:
        failures = session.scalars(
            select(AuditLogEntry).where(AuditLogEntry.action == "staff.login_failed")
        ).all()
    assert len(failures) == 5


def test_invitation_pages_are_rate_limited_per_client_address(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    login(client, make_staff(db, store, "owner", password_hash))
    link = shown_link(invite(client, store.slug, "nina@acme.example.com").text)  # type: ignore[attr-defined]
    visitor = another_client(client)
    statuses = [visitor.get(link).status_code for _ in range(31)]
    assert statuses[:30] == [200] * 30 and statuses[30] == 429
    assert visitor.post(link, data={"password": NEW_PASSWORD}).status_code == 429
    assert "nina@acme.example.com" not in members_of(db, store)


def test_two_acceptances_at_once_use_the_invitation_once(
    db: Database, store: StoreHandle, password_hash: str
) -> None:
    tokens = AccountTokens("test-secret")
    mail = AccountMailSettings(
        "https://desk.example", "no-reply@desk.example", "desk.example", can_send=False
    )
    created = db.write(
        invitations.invite_staff_member,
        store.actor,
        store.id,
        email="race@acme.example.com",
        name="Race",
        role="agent",
        tokens=tokens,
        mail=mail,
        valid_for=timedelta(days=7),
    )
    assert created.link is not None
    digest = tokens.digest_of(TokenPurpose.INVITATION, created.link.rsplit("/", 1)[1])
    assert digest is not None
    barrier = threading.Barrier(4)
    outcomes: list[object] = []

    def accept_now() -> None:
        barrier.wait()
        try:
            outcomes.append(
                db.write(
                    invitations.accept_invitation,
                    digest,
                    new_account=invitations.NewAccount(name="Race", password_hash=password_hash),
                )
            )
        except DomainError as error:
            outcomes.append(error)

    threads = [threading.Thread(target=accept_now) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    accepted = [o for o in outcomes if isinstance(o, invitations.AcceptedInvitation)]
    assert len(accepted) == 1 and len(outcomes) == 4
    assert all(
        isinstance(o, invitations.InvitationGone | invitations.AccountExists)
        for o in outcomes
        if o not in accepted
    )
    assert table_counts(db, "staff_accounts", "store_memberships") == {
        "staff_accounts": 1,
        "store_memberships": 1,
    }


def test_the_cli_invites_and_prints_the_link_when_the_install_has_no_mail(
    db: Database, store: StoreHandle, database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("LOYALDESK_DATABASE_URL", database_url)
    monkeypatch.setenv("LOYALDESK_SECRET_KEY", "cli-secret")
    monkeypatch.setenv("LOYALDESK_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("LOYALDESK_SMTP_HOST", raising=False)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(
            cli, ["staff", "invite", "--store", "acme", "--email", "cli@acme.example.com", "--role", "admin"]
        )
        refused = CliRunner().invoke(
            cli, ["staff", "invite", "--store", "acme", "--email", "cli@acme.example.com", "--role", "chef"]
        )
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    token = re.search(r"/invitations/(\S+)", result.output)
    assert token and AccountTokens("cli-secret").digest_of(TokenPurpose.INVITATION, token.group(1))
    assert refused.exit_code == 1 and "is not one of" in refused.output
    with db.read() as session:
        assert session.scalars(select(StaffInvitation.role)).all() == ["admin"]
