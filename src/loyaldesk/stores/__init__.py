"""Stores (tenants), staff accounts and roles, console sessions, API keys and the audit log."""

from loyaldesk.stores.actions import record_audit
from loyaldesk.stores.authorization import authorize
from loyaldesk.stores.creation_steps import on_store_created
from loyaldesk.stores.models import Store
from loyaldesk.stores.queries import store_by_id, store_by_slug
from loyaldesk.stores.rules import API_SCOPES, Permission, Role, has_permission

__all__ = [
    "API_SCOPES",
    "Permission",
    "Role",
    "Store",
    "authorize",
    "has_permission",
    "on_store_created",
    "record_audit",
    "store_by_id",
    "store_by_slug",
]
