"""Stores and who works in them: creating a store, its secrets, staff members and their roles, and the
audit log every privileged action appends to. Each runs inside the caller's unit of work."""

from __future__ import annotations

from typing import Any
from zoneinfo import available_timezones

from babel import Locale, UnknownLocaleError
from sqlalchemy import func, select

from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.email_address import normalise_email
from loyaldesk.kernel.errors import Conflict, Invalid, NotFound, PermissionDenied
from loyaldesk.kernel.money import check_currency
from loyaldesk.stores import credentials
from loyaldesk.stores.access import announce_access_change
from loyaldesk.stores.events import (
    StaffMemberAdded,
    StaffMemberRemoved,
    StaffRoleChanged,
    StoreCreated,
)
from loyaldesk.stores.models import (
    AuditLogEntry,
    StaffAccount,
    Store,
    StoreMembership,
)
from loyaldesk.stores.rules import Permission, Role, check_slug, has_permission
from loyaldesk.stores.rules import may_manage_member as _may_manage_member
from loyaldesk.stores.setup_steps import run_store_setup
from loyaldesk.stores.shopper_language import check_default_language


def record_audit(
    uow: UnitOfWork,
    actor: Actor,
    action: str,
    *,
    store_id: int | None,
    target_type: str | None = None,
    target_id: int | str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Append one row to the audit log. Other domains call this for their privileged actions."""
    uow.session.add(
        AuditLogEntry(
            store_id=store_id,
            actor_kind=actor.kind,
            actor_id=actor.id,
            actor_label=actor.label[:320],
            action=action,
            target_type=target_type,
            target_id=None if target_id is None else str(target_id),
            details=details or {},
            ip=actor.ip,
            created_at=uow.now(),
        )
    )


def require_actor_permission(actor: Actor, store_id: int, permission: Permission) -> None:
    """``PermissionDenied`` unless the actor is this store's staff with ``permission`` (or the system)."""
    if actor.kind == "system" and actor.store_id in (None, store_id):
        return
    if (
        actor.kind != "staff"
        or actor.store_id != store_id
        or not has_permission(actor.role or "", permission)
    ):
        raise PermissionDenied(f"your role may not {permission.label}")


def _check_locale(locale: str) -> str:
    try:
        Locale.parse(locale.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        raise Invalid.field("locale", f"{locale!r} is not a known locale") from None
    return locale


def _check_timezone(timezone: str) -> str:
    if timezone not in available_timezones():
        raise Invalid.field("timezone", f"{timezone!r} is not an IANA time zone")
    return timezone


def create_store(
    uow: UnitOfWork,
    actor: Actor,
    *,
    slug: str,
    name: str,
    currency: str = "EUR",
    timezone: str = "Europe/Amsterdam",
    locale: str = "en",
    default_language: str | None = None,
) -> Store:
    """Create a store (a tenant). Install-level: only the system (CLI, demo) creates stores."""
    if actor.kind != "system":
        raise PermissionDenied("stores are created with `loyaldesk stores create`")
    check_slug(slug)
    if not name.strip():
        raise Invalid.field("name", "must not be empty")
    if uow.session.scalar(select(Store.id).where(Store.slug == slug)) is not None:
        raise Conflict(f"a store with slug {slug!r} exists")
    store = Store(
        slug=slug,
        name=name.strip(),
        currency=check_currency(currency),
        timezone=_check_timezone(timezone),
        locale=_check_locale(locale),
        default_language=check_default_language(default_language),
        identity_secret=credentials.new_identity_secret(),
        created_at=uow.now(),
    )
    uow.session.add(store)
    uow.session.flush()
    run_store_setup(uow, store)  # the capabilities' per-store state (see stores.setup_steps)
    uow.emit(StoreCreated(store_id=store.id, slug=slug))
    record_audit(uow, actor, "store.created", store_id=store.id, target_type="store", target_id=store.id)
    return store


def _normalise_email(email: str) -> str:
    try:
        return normalise_email(email)
    except ValueError as error:
        raise Invalid.field("email", str(error)) from None


def add_staff_member(
    uow: UnitOfWork,
    actor: Actor,
    store_id: int,
    *,
    email: str,
    name: str,
    role: str,
    password_hash: str | None = None,
) -> StoreMembership:
    """Give a person a role in a store directly, creating their account if the email is new.

    Install-level only (the CLI's ``stores create`` and ``staff add``, the demo): the install's operator
    may set a new account's first password. Stores invite people instead (``invitations``), so no store
    sets the credentials of an account that another store may use. A new account needs
    ``password_hash`` (hashed by the caller outside the transaction: argon2 takes tens of milliseconds
    that should not be spent holding the write lock); an existing account keeps its own password.
    """
    try:
        new_role = Role(role)
    except ValueError:
        raise Invalid.field("role", f"{role!r} is not one of {', '.join(r.value for r in Role)}") from None
    if actor.kind != "system":
        raise PermissionDenied("stores invite their staff: Settings → Staff sends an invitation")
    require_actor_permission(actor, store_id, Permission.MANAGE_STAFF)
    normalised = _normalise_email(email)
    account = uow.session.scalar(select(StaffAccount).where(StaffAccount.email == normalised))
    if account is None:
        if password_hash is None:
            raise Invalid.field("password", "a new staff account needs an initial password")
        account = StaffAccount(
            email=normalised,
            name=name.strip() or normalised,
            password_hash=password_hash,
            created_at=uow.now(),
        )
        uow.session.add(account)
        uow.session.flush()
    existing = uow.session.scalar(
        select(StoreMembership).where(
            StoreMembership.store_id == store_id, StoreMembership.staff_id == account.id
        )
    )
    if existing is not None:
        raise Conflict(f"{account.email} already works for this store as {existing.role}")
    membership = StoreMembership(
        store_id=store_id, staff_id=account.id, role=new_role.value, created_at=uow.now()
    )
    uow.session.add(membership)
    uow.session.flush()
    uow.emit(StaffMemberAdded(store_id=store_id, staff_id=account.id, role=new_role.value))
    record_audit(
        uow,
        actor,
        "staff.added",
        store_id=store_id,
        target_type="staff",
        target_id=account.id,
        details={"email": account.email, "role": new_role.value},
    )
    return membership


def _membership(uow: UnitOfWork, store_id: int, staff_id: int) -> StoreMembership:
    query = select(StoreMembership).where(
        StoreMembership.store_id == store_id, StoreMembership.staff_id == staff_id
    )
    if uow.is_postgresql:
        query = query.with_for_update()
    membership = uow.session.scalar(query)
    if membership is None:
        raise NotFound("no such staff member in this store")
    return membership


def _owner_count(uow: UnitOfWork, store_id: int) -> int:
    return int(
        uow.session.scalar(
            select(func.count())
            .select_from(StoreMembership)
            .where(StoreMembership.store_id == store_id, StoreMembership.role == Role.OWNER)
        )
        or 0
    )


def change_staff_role(
    uow: UnitOfWork, actor: Actor, store_id: int, staff_id: int, role: str
) -> StoreMembership:
    """Change a member's role. Owners are managed by owners only; the last owner stays an owner."""
    require_actor_permission(actor, store_id, Permission.MANAGE_STAFF)
    try:
        new_role = Role(role)
    except ValueError:
        raise Invalid.field("role", f"{role!r} is not one of {', '.join(r.value for r in Role)}") from None
    membership = _membership(uow, store_id, staff_id)
    if not _may_manage_member(actor.role or "", membership.role, new_role):
        raise PermissionDenied("only an owner can change an owner's role or make an owner")
    if membership.role == Role.OWNER and new_role != Role.OWNER and _owner_count(uow, store_id) <= 1:
        raise Conflict("a store needs at least one owner; make someone else owner first")
    old_role = membership.role
    if old_role == new_role:
        return membership
    membership.role = new_role.value
    announce_access_change(uow, staff_id, "role_changed", store_id=store_id)
    uow.emit(
        StaffRoleChanged(store_id=store_id, staff_id=staff_id, old_role=old_role, new_role=new_role.value)
    )
    record_audit(
        uow,
        actor,
        "staff.role_changed",
        store_id=store_id,
        target_type="staff",
        target_id=staff_id,
        details={"from": old_role, "to": new_role.value},
    )
    return membership


def remove_staff_member(uow: UnitOfWork, actor: Actor, store_id: int, staff_id: int) -> None:
    """Take a person out of a store. Their sessions stop working for this store at once."""
    require_actor_permission(actor, store_id, Permission.MANAGE_STAFF)
    membership = _membership(uow, store_id, staff_id)
    if not _may_manage_member(actor.role or "", membership.role):
        raise PermissionDenied("only an owner can remove an owner")
    if membership.role == Role.OWNER and _owner_count(uow, store_id) <= 1:
        raise Conflict("a store needs at least one owner")
    uow.session.delete(membership)
    announce_access_change(uow, staff_id, "removed", store_id=store_id)
    uow.emit(StaffMemberRemoved(store_id=store_id, staff_id=staff_id))
    record_audit(uow, actor, "staff.removed", store_id=store_id, target_type="staff", target_id=staff_id)


def set_shopify_webhook_secret(uow: UnitOfWork, actor: Actor, store_id: int, secret: str | None) -> None:
    """Set (or clear, with None) the shared secret that Shopify-format webhooks are signed with."""
    require_actor_permission(actor, store_id, Permission.MANAGE_STORE_SETTINGS)
    if secret is not None and not (8 <= len(secret) <= 255):
        raise Invalid.field("shopify_webhook_secret", "must be 8-255 characters")
    store = uow.session.get(Store, store_id)
    if store is None:
        raise NotFound("no such store")
    store.shopify_webhook_secret = secret
    record_audit(
        uow,
        actor,
        "store.shopify_secret_set" if secret else "store.shopify_secret_cleared",
        store_id=store_id,
        target_type="store",
        target_id=store_id,
    )


def rotate_identity_secret(uow: UnitOfWork, actor: Actor, store_id: int) -> str:
    """A new identity secret for shopper verification; the old one stops working at once."""
    require_actor_permission(actor, store_id, Permission.MANAGE_STORE_SETTINGS)
    store = uow.session.get(Store, store_id)
    if store is None:
        raise NotFound("no such store")
    store.identity_secret = credentials.new_identity_secret()
    record_audit(
        uow,
        actor,
        "store.identity_secret_rotated",
        store_id=store_id,
        target_type="store",
        target_id=store_id,
    )
    return store.identity_secret
