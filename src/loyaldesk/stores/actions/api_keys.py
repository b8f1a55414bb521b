"""API keys of a store's backend: created (the token shown once), revoked, noted when used."""

from __future__ import annotations

from dataclasses import dataclass

from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Invalid, NotFound
from loyaldesk.stores import credentials
from loyaldesk.stores.actions.stores import record_audit, require_actor_permission
from loyaldesk.stores.events import (
    ApiKeyCreated,
    ApiKeyRevoked,
)
from loyaldesk.stores.models import (
    ApiKey,
)
from loyaldesk.stores.rules import Permission, check_scopes


@dataclass(frozen=True)
class CreatedApiKey:
    """The key as stored and its token, which is returned only this once."""

    api_key: ApiKey
    token: str


def create_api_key(
    uow: UnitOfWork, actor: Actor, store_id: int, *, name: str, scopes: list[str]
) -> CreatedApiKey:
    """A new API key for the store's backend. The token is returned once and never stored."""
    require_actor_permission(actor, store_id, Permission.MANAGE_API_KEYS)
    name = name.strip()
    if not name or len(name) > 100:
        raise Invalid.field("name", "give the key a name of 1-100 characters, e.g. 'shop backend'")
    checked = check_scopes(scopes)
    token, prefix, secret_hash = credentials.new_api_key()
    api_key = ApiKey(
        store_id=store_id,
        name=name,
        prefix=prefix,
        secret_hash=secret_hash,
        scopes=checked,
        created_at=uow.now(),
        created_by_staff_id=actor.id if actor.kind == "staff" else None,
    )
    uow.session.add(api_key)
    uow.session.flush()
    uow.emit(ApiKeyCreated(store_id=store_id, api_key_id=api_key.id, prefix=prefix, scopes=checked))
    record_audit(
        uow,
        actor,
        "api_key.created",
        store_id=store_id,
        target_type="api_key",
        target_id=api_key.id,
        details={"name": name, "prefix": prefix, "scopes": checked},
    )
    return CreatedApiKey(api_key=api_key, token=token)


def revoke_api_key(uow: UnitOfWork, actor: Actor, store_id: int, api_key_id: int) -> ApiKey:
    """Stop a key from working, at once and for good."""
    require_actor_permission(actor, store_id, Permission.MANAGE_API_KEYS)
    api_key = uow.session.get(ApiKey, api_key_id)
    if api_key is None or api_key.store_id != store_id:
        raise NotFound("no such API key in this store")
    if api_key.revoked_at is None:
        api_key.revoked_at = uow.now()
        uow.emit(ApiKeyRevoked(store_id=store_id, api_key_id=api_key.id))
        record_audit(
            uow,
            actor,
            "api_key.revoked",
            store_id=store_id,
            target_type="api_key",
            target_id=api_key.id,
            details={"name": api_key.name, "prefix": api_key.prefix},
        )
    return api_key


def touch_api_key(uow: UnitOfWork, api_key_id: int) -> None:
    """Note that a key was used (called at most every few minutes per key)."""
    api_key = uow.session.get(ApiKey, api_key_id)
    if api_key is not None:
        api_key.last_used_at = uow.now()
