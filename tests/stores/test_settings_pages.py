"""Settings in the console: staff and roles, API keys shown once, integrations, audit log; role denials."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from loyaldesk.kernel.db import Database
from loyaldesk.stores.models import ApiKey, AuditLogEntry, StoreMembership
from tests.factories import StoreHandle, csrf_of, login, make_staff, table_counts
from tests.stores.conftest import another_client, shown_link


def test_owner_invites_staff_changes_roles_and_removes_them(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    owner = make_staff(db, store, "owner", password_hash)
    login(client, owner)
    page = client.get("/console/acme/settings/staff")
    assert page.status_code == 200
    token = csrf_of(page.text)
    invited = client.post(
        "/console/acme/settings/staff",
        data={"csrf_token": token, "name": "Nina New", "email": "nina@example.com", "role": "agent"},
    )
    assert invited.status_code == 201  # no mail on this install: the link is shown to the inviter
    nina_browser = another_client(client)
    link = shown_link(invited.text)
    accept_page = nina_browser.get(link)
    accepted = nina_browser.post(
        link,
        data={"csrf_token": csrf_of(accept_page.text), "name": "Nina", "password": "welcome to the team"},
        follow_redirects=False,
    )
    assert accepted.status_code == 303
    with db.read() as session:
        nina = session.execute(
            text("SELECT id FROM staff_accounts WHERE email = 'nina@example.com'")
        ).scalar_one()
    assert (
        client.post(
            f"/console/acme/settings/staff/{nina}/role",
            data={"csrf_token": token, "role": "admin"},
            follow_redirects=False,
        ).status_code
        == 303
    )
    assert (
        client.post(
            f"/console/acme/settings/staff/{nina}/remove", data={"csrf_token": token}, follow_redirects=False
        ).status_code
        == 303
    )
    with db.read() as session:
        actions = list(
            session.scalars(select(AuditLogEntry.action).where(AuditLogEntry.store_id == store.id))
        )
    assert {"staff.invited", "staff.added", "staff.role_changed", "staff.removed"} <= set(actions)
    audit = client.get("/console/acme/settings/audit")
    assert "staff.role_changed" in audit.text


def test_the_last_owner_stays_and_admins_cannot_touch_owners(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    owner = make_staff(db, store, "owner", password_hash)
    admin = make_staff(db, store, "admin", password_hash)
    with db.read() as session:
        owner_id = session.execute(
            text(f"SELECT id FROM staff_accounts WHERE email = '{owner}'")
        ).scalar_one()
    login(client, admin)
    token = csrf_of(client.get("/console/acme/settings/staff").text)
    before = table_counts(db, "store_memberships", "staff_invitations", "audit_log")
    demote = client.post(
        f"/console/acme/settings/staff/{owner_id}/role", data={"csrf_token": token, "role": "agent"}
    )
    assert demote.status_code == 403
    promote = client.post(
        "/console/acme/settings/staff",
        data={
            "csrf_token": token,
            "name": "X",
            "role": "owner",
            "email": "x@example.com",
            "password": "0123456789ab",
        },
    )
    assert promote.status_code == 403
    assert table_counts(db, "store_memberships", "staff_invitations", "audit_log") == before

    client.cookies.clear()
    login(client, owner)
    token = csrf_of(client.get("/console/acme/settings/staff").text)
    last = client.post(
        f"/console/acme/settings/staff/{owner_id}/role", data={"csrf_token": token, "role": "admin"}
    )
    assert last.status_code == 422 and "at least one owner" in last.text
    with db.read() as session:
        assert (
            session.scalars(select(StoreMembership.role).where(StoreMembership.staff_id == owner_id)).one()
            == "owner"
        )


@pytest.mark.parametrize("role", ["agent", "analyst"])
def test_agents_and_analysts_cannot_reach_settings(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str, role: str
) -> None:
    email = make_staff(db, store, role, password_hash)
    login(client, email)
    page = client.get("/console/acme/customers")
    assert "/settings" not in page.text  # not offered in the navigation
    token = csrf_of(page.text)
    before = table_counts(db, "api_keys", "store_memberships", "staff_invitations", "audit_log")
    for path in (
        "/console/acme/settings/staff",
        "/console/acme/settings/api-keys",
        "/console/acme/settings/integrations",
        "/console/acme/settings/audit",
    ):
        assert client.get(path).status_code == 403, path
    assert (
        client.post(
            "/console/acme/settings/api-keys",
            data={"csrf_token": token, "name": "x", "scopes": ["orders:read"]},
        ).status_code
        == 403
    )
    assert (
        client.post(
            "/console/acme/settings/staff",
            data={
                "csrf_token": token,
                "name": "x",
                "role": "agent",
                "email": "y@example.com",
                "password": "0123456789ab",
            },
        ).status_code
        == 403
    )
    assert (
        client.post(
            "/console/acme/settings/integrations/shopify", data={"csrf_token": token, "secret": "12345678"}
        ).status_code
        == 403
    )
    assert table_counts(db, "api_keys", "store_memberships", "staff_invitations", "audit_log") == before


def test_api_key_is_shown_once_works_and_is_stored_hashed(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    login(client, make_staff(db, store, "admin", password_hash))
    token = csrf_of(client.get("/console/acme/settings/api-keys").text)
    created = client.post(
        "/console/acme/settings/api-keys",
        data={"csrf_token": token, "name": "backend", "scopes": ["customers:read"]},
    )
    assert created.status_code == 201
    assert created.headers["cache-control"] == "no-store"
    secret = created.text.split('id="new-token" class="token">')[1].split("<")[0]
    assert secret.startswith("ld_")
    assert client.get("/api/v1/customers", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    assert client.get("/api/v1/orders", headers={"Authorization": f"Bearer {secret}"}).status_code == 403
    listing = client.get("/console/acme/settings/api-keys").text
    assert secret not in listing  # never shown again
    with db.read() as session:
        stored = session.scalars(select(ApiKey).where(ApiKey.name == "backend")).one()
    assert secret.split("_", 2)[2] not in stored.secret_hash
    bad = client.post(
        "/console/acme/settings/api-keys", data={"csrf_token": token, "name": "x", "scopes": ["nope"]}
    )
    assert bad.status_code == 422 and "is not a scope" in bad.text
    revoke = client.post(
        f"/console/acme/settings/api-keys/{stored.id}/revoke",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert revoke.status_code == 303
    assert client.get("/api/v1/customers", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_forms_without_the_session_token_are_refused(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    login(client, make_staff(db, store, "owner", password_hash))
    before = table_counts(db, "api_keys")
    response = client.post("/console/acme/settings/api-keys", data={"name": "x", "scopes": ["orders:read"]})
    assert response.status_code == 403 and "expired" in response.text
    assert table_counts(db, "api_keys") == before


def test_staff_of_one_store_cannot_open_another(
    client: TestClient, db: Database, store: StoreHandle, other_store: StoreHandle, password_hash: str
) -> None:
    login(client, make_staff(db, store, "owner", password_hash))
    assert client.get("/console/globex/customers").status_code == 404
    assert client.get("/console/globex/settings/staff").status_code == 404


def test_audit_log_is_append_only_in_the_database(db: Database, store: StoreHandle) -> None:
    for statement in ("UPDATE audit_log SET action = 'tampered'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError), db.transaction() as uow:
            uow.session.execute(text(statement))
    with db.read() as session:
        assert "tampered" not in list(session.scalars(select(AuditLogEntry.action)))
        assert session.scalars(select(AuditLogEntry)).all()
