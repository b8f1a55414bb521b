"""Every write to the customers table. Each function runs inside the caller's unit of work."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from loyaldesk.customers import extensions
from loyaldesk.customers.events import (
    CustomerConsentChanged,
    CustomerCreated,
    CustomerErased,
    CustomerExported,
    CustomerUpdated,
)
from loyaldesk.customers.models import Customer
from loyaldesk.customers.schemas import CustomerCreate, CustomerProfile
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.bulk import bulk_insert, lookup_by_keys
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Conflict, Invalid, NotFound
from loyaldesk.kernel.ids import reserve_ids
from loyaldesk.stores import Permission, authorize, record_audit

PROFILE_FIELDS = tuple(CustomerProfile.model_fields)


def _check_store(actor: Actor, store_id: int, scope: str, permission: Permission) -> None:
    authorize(actor, store_id, scope=scope, permission=permission)


def _locked_customer(uow: UnitOfWork, store_id: int, customer_id: int) -> Customer:
    query = select(Customer).where(Customer.id == customer_id, Customer.store_id == store_id)
    if uow.is_postgresql:
        query = query.with_for_update()
    customer = uow.session.scalar(query)
    if customer is None:
        raise NotFound(f"no customer {customer_id} in this store")
    return customer


def create_customer(
    uow: UnitOfWork, actor: Actor, store_id: int, data: CustomerCreate, *, source: str = "api"
) -> Customer:
    """Create a customer. ``Conflict`` if the store's ``external_id`` is already taken."""
    _check_store(actor, store_id, "customers:write", Permission.EDIT_CUSTOMERS)
    if data.external_id is not None:
        existing = uow.session.scalar(
            select(Customer.id).where(Customer.store_id == store_id, Customer.external_id == data.external_id)
        )
        if existing is not None:
            raise Conflict(f"customer with external_id {data.external_id!r} exists (id {existing})")
    now = uow.now()
    values = data.model_dump(exclude_unset=True)
    customer = Customer(
        store_id=store_id,
        source=source,
        created_at=now,
        updated_at=now,
        tags=[],
        attributes={},
        preferences={},
        marketing_consent=False,
    )
    for name, value in values.items():
        if value is None and name in _NON_NULL:
            continue
        setattr(customer, name, value)
    if customer.marketing_consent:
        customer.marketing_consent_at = now
    uow.session.add(customer)
    uow.session.flush()
    uow.emit(CustomerCreated(store_id=store_id, customer_id=customer.id, source=source))
    if actor.is_person:
        record_audit(
            uow, actor, "customer.created", store_id=store_id, target_type="customer", target_id=customer.id
        )
    return customer


_NON_NULL = {"tags", "attributes", "preferences", "marketing_consent"}


def _apply_profile(uow: UnitOfWork, customer: Customer, data: CustomerProfile) -> list[str]:
    """Set the fields present in ``data``; return the names of those that changed."""
    if customer.erased_at is not None:
        raise Conflict("this customer was erased; their profile cannot be filled in again")
    changed: list[str] = []
    for name in data.model_fields_set:
        value = getattr(data, name)
        if value is None and name in _NON_NULL:
            continue
        if getattr(customer, name) != value:
            setattr(customer, name, value)
            changed.append(name)
    if changed:
        customer.updated_at = uow.now()
        if "marketing_consent" in changed:
            customer.marketing_consent_at = customer.updated_at
    return sorted(changed)


def _emit_update(uow: UnitOfWork, customer: Customer, changed: list[str]) -> None:
    if not changed:
        return
    uow.emit(CustomerUpdated(store_id=customer.store_id, customer_id=customer.id, changed_fields=changed))
    if "marketing_consent" in changed:
        uow.emit(
            CustomerConsentChanged(
                store_id=customer.store_id,
                customer_id=customer.id,
                marketing_consent=customer.marketing_consent,
            )
        )


def update_customer(
    uow: UnitOfWork, actor: Actor, store_id: int, customer_id: int, data: CustomerProfile
) -> Customer:
    """Change the fields present in ``data``. Emits ``customer.updated`` naming what changed."""
    _check_store(actor, store_id, "customers:write", Permission.EDIT_CUSTOMERS)
    customer = _locked_customer(uow, store_id, customer_id)
    changed = _apply_profile(uow, customer, data)
    _emit_update(uow, customer, changed)
    if changed and actor.is_person:
        record_audit(
            uow,
            actor,
            "customer.updated",
            store_id=store_id,
            target_type="customer",
            target_id=customer.id,
            details={"fields": changed},
        )
    return customer


@dataclass(frozen=True)
class UpsertResult:
    customer: Customer
    created: bool


def upsert_customer(
    uow: UnitOfWork,
    actor: Actor,
    store_id: int,
    external_id: str,
    data: CustomerProfile,
    *,
    source: str = "api",
) -> UpsertResult:
    """Create the customer with this ``external_id`` (surrounding whitespace ignored), or update the fields
    present in ``data``."""
    _check_store(actor, store_id, "customers:write", Permission.EDIT_CUSTOMERS)
    external_id = external_id.strip()
    if not external_id:
        raise Invalid.field("external_id", "must not be empty or only whitespace")
    query = select(Customer).where(Customer.store_id == store_id, Customer.external_id == external_id)
    if uow.is_postgresql:
        query = query.with_for_update()
    customer = uow.session.scalar(query)
    if customer is None:
        create = CustomerCreate(external_id=external_id, **data.model_dump(exclude_unset=True))
        return UpsertResult(create_customer(uow, actor, store_id, create, source=source), True)
    changed = _apply_profile(uow, customer, data)
    _emit_update(uow, customer, changed)
    return UpsertResult(customer, False)


@dataclass(frozen=True)
class CustomerRef:
    """How an order names its customer: the store's id, an email, or both, plus profile facts."""

    external_id: str | None = None
    email: str | None = None
    profile: CustomerProfile | None = None
    # When we first heard of them (their first order), if earlier than now: their "customer since".
    first_seen_at: datetime | None = None


def resolve_customers(
    uow: UnitOfWork, store_id: int, refs: list[CustomerRef | None], *, source: str
) -> list[int | None]:
    """The customer id for each ref, creating the customers that do not exist yet. Bulk, for ingestion.

    A ref with an ``external_id`` matches on it; one with only an email matches the oldest live customer
    with that email. Existing profiles are not overwritten here (customer webhooks and the customer API
    do that); new customers get the profile facts the ref carries.
    """
    by_external = {ref.external_id for ref in refs if ref and ref.external_id}
    by_email = {ref.email.lower() for ref in refs if ref and not ref.external_id and ref.email}
    known_external: dict[str, int] = {}
    known_email: dict[str, int] = {}
    table = Customer.__table__
    if by_external:
        rows = lookup_by_keys(uow, table, store_id, "external_id", sorted(by_external))
        known_external.update({external: cid for external, cid in rows})
    if by_email:
        rows = lookup_by_keys(
            uow,
            table,
            store_id,
            "email",
            sorted(by_email),
            extra_condition="erased_at IS NULL",
            order_by="id DESC",
        )
        known_email.update({email: cid for email, cid in rows})  # last write wins: the oldest id

    now = uow.now()
    to_create: list[dict[str, Any]] = []
    keys_to_create: list[tuple[str, str]] = []
    for ref in refs:
        if ref is None:
            continue
        key = ("external", ref.external_id) if ref.external_id else ("email", (ref.email or "").lower())
        if not key[1] or key in keys_to_create:
            continue
        if (key[0] == "external" and key[1] in known_external) or (
            key[0] == "email" and key[1] in known_email
        ):
            continue
        profile = ref.profile.model_dump(exclude_none=True) if ref.profile else {}
        email = ref.email or profile.get("email") or None
        since = min(ref.first_seen_at, now) if ref.first_seen_at else now
        row: dict[str, Any] = {
            "store_id": store_id,
            "external_id": ref.external_id,
            "email": email.lower() if email else None,
            "first_name": profile.get("first_name"),
            "last_name": profile.get("last_name"),
            "phone": profile.get("phone"),
            "birthday": profile.get("birthday"),
            "locale": profile.get("locale"),
            "timezone": profile.get("timezone"),
            "marketing_consent": bool(profile.get("marketing_consent", False)),
            "marketing_consent_at": now if profile.get("marketing_consent") else None,
            "tags": profile.get("tags", []),
            "attributes": profile.get("attributes", {}),
            "preferences": profile.get("preferences", {}),
            "source": source,
            "created_at": since,
            "updated_at": since,
        }
        to_create.append(row)
        keys_to_create.append(key)
    if to_create:
        new_ids = reserve_ids(uow, Customer.__table__, len(to_create))
        for row, new_id in zip(to_create, new_ids, strict=True):
            row["id"] = new_id
        bulk_insert(uow, Customer.__table__, to_create)
        for key, new_id, row in zip(keys_to_create, new_ids, to_create, strict=True):
            (known_external if key[0] == "external" else known_email)[key[1]] = new_id
            uow.emit(
                CustomerCreated(
                    store_id=store_id, customer_id=new_id, source=source, occurred_at=row["created_at"]
                )
            )

    result: list[int | None] = []
    for ref in refs:
        if ref is None:
            result.append(None)
        elif ref.external_id:
            result.append(known_external.get(ref.external_id))
        elif ref.email:
            result.append(known_email.get(ref.email.lower()))
        else:
            result.append(None)
    return result


def _chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def record_export(uow: UnitOfWork, actor: Actor, store_id: int, customer_id: int) -> None:
    """Note in the audit log and on the timeline that a customer's data was exported."""
    _check_store(actor, store_id, "customers:export", Permission.EXPORT_CUSTOMER_DATA)
    _locked_customer(uow, store_id, customer_id)
    uow.emit(CustomerExported(store_id=store_id, customer_id=customer_id))
    record_audit(
        uow, actor, "customer.exported", store_id=store_id, target_type="customer", target_id=customer_id
    )


def erase_customer(uow: UnitOfWork, actor: Actor, store_id: int, customer_id: int) -> Customer:
    """Erase a customer's personal data (GDPR art. 17) and keep what accounting needs, without identity.

    Every profile field is cleared and ``erased_at`` set; each capability's erasure step removes the
    personal data it keeps (order emails and addresses, message bodies...). Amounts, dates and ids stay,
    so that revenue and ledgers still add up. Erasing twice is a no-op.
    """
    _check_store(actor, store_id, "customers:erase", Permission.ERASE_CUSTOMERS)
    customer = _locked_customer(uow, store_id, customer_id)
    if customer.erased_at is not None:
        return customer
    for step in extensions.erasure_steps().values():
        step(uow, store_id, customer_id)
    now = uow.now()
    uow.session.execute(
        update(Customer)
        .where(Customer.id == customer_id)
        .values(
            external_id=None,
            email=None,
            first_name=None,
            last_name=None,
            phone=None,
            birthday=None,
            locale=None,
            timezone=None,
            marketing_consent=False,
            marketing_consent_at=None,
            tags=[],
            attributes={},
            preferences={},
            erased_at=now,
            updated_at=now,
        )
    )
    uow.session.refresh(customer)
    uow.emit(CustomerErased(store_id=store_id, customer_id=customer_id))
    record_audit(
        uow, actor, "customer.erased", store_id=store_id, target_type="customer", target_id=customer_id
    )
    return customer
