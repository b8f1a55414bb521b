"""Reads of the stores domain: who is asking (API keys, console sessions), staff, keys, audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.errors import NotAuthenticated, NotFound, PermissionDenied
from loyaldesk.kernel.pagination import page_of
from loyaldesk.stores import credentials
from loyaldesk.stores.models import ApiKey, AuditLogEntry, StaffAccount, StaffSession, Store, StoreMembership
from loyaldesk.stores.passwords import verify_password
from loyaldesk.stores.rules import Permission, has_permission


def store_by_slug(session: Session, slug: str) -> Store:
    store = session.scalar(select(Store).where(Store.slug == slug))
    if store is None:
        raise NotFound(f"no store {slug!r}")
    return store


def store_by_id(session: Session, store_id: int) -> Store:
    store = session.get(Store, store_id)
    if store is None:
        raise NotFound("no such store")
    return store


def all_stores(session: Session) -> list[Store]:
    return list(session.scalars(select(Store).order_by(Store.id)))


@dataclass(frozen=True)
class ApiCaller:
    actor: Actor
    api_key_id: int
    last_used_at: datetime | None


def authenticate_api_key(session: Session, token: str) -> ApiCaller:
    """The store backend behind ``token``, or ``NotAuthenticated`` saying why not."""
    parts = credentials.split_api_key(token)
    if parts is None:
        raise NotAuthenticated("the API key is malformed; it looks like ld_<prefix>_<secret>")
    prefix, secret = parts
    api_key = session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    if api_key is None or not credentials.same_hash(api_key.secret_hash, secret):
        raise NotAuthenticated("the API key is not valid")
    if api_key.revoked_at is not None:
        raise NotAuthenticated("the API key was revoked")
    actor = Actor(
        kind="api_key",
        id=api_key.id,
        store_id=api_key.store_id,
        label=f"API key {api_key.name!r} ({api_key.prefix})",
        scopes=frozenset(api_key.scopes),
    )
    return ApiCaller(actor=actor, api_key_id=api_key.id, last_used_at=api_key.last_used_at)


def verify_staff_credentials(session: Session, email: str, password: str) -> StaffAccount | None:
    """The account whose email and password these are, else None (in constant-ish time)."""
    account = session.scalar(select(StaffAccount).where(StaffAccount.email == email.strip().lower()))
    ok = verify_password(account.password_hash if account else None, password)
    if not ok or account is None or account.disabled_at is not None:
        return None
    return account


@dataclass(frozen=True)
class ConsoleSession:
    account: StaffAccount
    session_id: int
    csrf_token: str


def console_session(session: Session, token: str, now: datetime) -> ConsoleSession | None:
    """The live console session for a cookie token, or None if unknown, expired or logged out."""
    row = session.execute(
        select(StaffSession, StaffAccount)
        .join(StaffAccount, StaffAccount.id == StaffSession.staff_id)
        .where(StaffSession.token_hash == credentials.sha256_hex(token))
    ).first()
    if row is None:
        return None
    staff_session, account = row
    if staff_session.revoked_at is not None or staff_session.expires_at <= now or account.disabled_at:
        return None
    return ConsoleSession(account=account, session_id=staff_session.id, csrf_token=staff_session.csrf_token)


@dataclass(frozen=True)
class StoreAccess:
    store: Store
    role: str

    def actor_for(self, account: StaffAccount, ip: str | None = None) -> Actor:
        return Actor(
            kind="staff", id=account.id, store_id=self.store.id, label=account.email, role=self.role, ip=ip
        )

    def can(self, permission: Permission) -> bool:
        return has_permission(self.role, permission)


def memberships_of(session: Session, staff_id: int) -> list[StoreAccess]:
    rows = session.execute(
        select(Store, StoreMembership.role)
        .join(StoreMembership, StoreMembership.store_id == Store.id)
        .where(StoreMembership.staff_id == staff_id)
        .order_by(Store.name)
    ).all()
    return [StoreAccess(store=store, role=role) for store, role in rows]


def access_store(session: Session, staff_id: int, slug: str) -> StoreAccess:
    """The staff member's access to the store, or ``NotFound`` (they may not learn it exists)."""
    row = session.execute(
        select(Store, StoreMembership.role)
        .join(StoreMembership, StoreMembership.store_id == Store.id)
        .where(StoreMembership.staff_id == staff_id, Store.slug == slug)
    ).first()
    if row is None:
        raise NotFound(f"no store {slug!r} among yours")
    return StoreAccess(store=row[0], role=row[1])


def require_permission(access: StoreAccess, permission: Permission) -> None:
    if not access.can(permission):
        raise PermissionDenied(f"your role ({access.role}) may not {permission.value.replace('_', ' ')}")


@dataclass(frozen=True)
class StaffMemberView:
    staff_id: int
    email: str
    name: str
    role: str
    last_login_at: datetime | None
    added_at: datetime


def list_staff(session: Session, store_id: int) -> list[StaffMemberView]:
    rows = session.execute(
        select(StaffAccount, StoreMembership)
        .join(StoreMembership, StoreMembership.staff_id == StaffAccount.id)
        .where(StoreMembership.store_id == store_id)
        .order_by(StaffAccount.name)
    ).all()
    return [
        StaffMemberView(
            staff_id=account.id,
            email=account.email,
            name=account.name,
            role=membership.role,
            last_login_at=account.last_login_at,
            added_at=membership.created_at,
        )
        for account, membership in rows
    ]


def list_api_keys(session: Session, store_id: int) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).where(ApiKey.store_id == store_id).order_by(ApiKey.id.desc())))


def audit_log(
    session: Session,
    store_id: int,
    *,
    before_id: int | None = None,
    limit: int = 50,
    action_prefix: str | None = None,
) -> tuple[list[AuditLogEntry], str | None]:
    """The store's audit log, newest first, a page of ``limit`` entries before ``before_id`` and the cursor
    of the next page; ``action_prefix`` (e.g. ``"community."``) keeps one domain's entries."""
    query = select(AuditLogEntry).where(AuditLogEntry.store_id == store_id)
    if action_prefix is not None:
        escaped = action_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(AuditLogEntry.action.like(f"{escaped}%", escape="\\"))
    if before_id is not None:
        query = query.where(AuditLogEntry.id < before_id)
    rows = list(session.scalars(query.order_by(AuditLogEntry.id.desc()).limit(limit + 1)))
    return page_of(rows, limit, lambda entry: entry.id)


def staff_account_by_email(session: Session, email: str) -> StaffAccount | None:
    return session.scalar(select(StaffAccount).where(StaffAccount.email == email.strip().lower()))
