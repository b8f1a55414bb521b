"""Pure rules of the stores domain: roles and what they may do, API scopes, password and slug policy."""

from __future__ import annotations

import re
from enum import StrEnum

from loyaldesk.kernel.errors import FieldProblem, Invalid


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    AGENT = "agent"
    ANALYST = "analyst"


class Permission(StrEnum):
    VIEW_CUSTOMERS = "view_customers"
    EDIT_CUSTOMERS = "edit_customers"
    EXPORT_CUSTOMER_DATA = "export_customer_data"
    ERASE_CUSTOMERS = "erase_customers"
    VIEW_ORDERS = "view_orders"
    MANAGE_STAFF = "manage_staff"
    MANAGE_API_KEYS = "manage_api_keys"
    MANAGE_STORE_SETTINGS = "manage_store_settings"
    VIEW_AUDIT_LOG = "view_audit_log"
    VIEW_ANALYTICS = "view_analytics"
    VIEW_CONVERSATIONS = "view_conversations"
    ANSWER_CONVERSATIONS = "answer_conversations"
    MANAGE_SUPPORT = "manage_support"


_EVERYTHING = frozenset(Permission)

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OWNER: _EVERYTHING,
    Role.ADMIN: _EVERYTHING,
    Role.AGENT: frozenset(
        {
            Permission.VIEW_CUSTOMERS,
            Permission.EDIT_CUSTOMERS,
            Permission.VIEW_ORDERS,
            Permission.VIEW_CONVERSATIONS,
            Permission.ANSWER_CONVERSATIONS,
        }
    ),
    Role.ANALYST: frozenset(
        {
            Permission.VIEW_CUSTOMERS,
            Permission.VIEW_ORDERS,
            Permission.VIEW_ANALYTICS,
            Permission.VIEW_CONVERSATIONS,
        }
    ),
}

ROLE_DESCRIPTIONS: dict[Role, str] = {
    Role.OWNER: "Everything, including making other owners.",
    Role.ADMIN: "Everything except managing owners.",
    Role.AGENT: "Answers customers; sees and edits customer profiles and orders.",
    Role.ANALYST: "Reads customers, orders and analytics; changes nothing.",
}


def has_permission(role: str, permission: Permission) -> bool:
    try:
        return permission in ROLE_PERMISSIONS[Role(role)]
    except ValueError:
        return False


def may_manage_member(acting_role: str, target_role: str, new_role: str | None = None) -> bool:
    """Admins manage admins, agents and analysts; only owners touch owners or make new ones."""
    if not has_permission(acting_role, Permission.MANAGE_STAFF):
        return False
    touches_owner = target_role == Role.OWNER or new_role == Role.OWNER
    return not touches_owner or acting_role == Role.OWNER


# What a store backend's API key may be allowed to do. Later capabilities add their scopes here.
API_SCOPES: dict[str, str] = {
    "customers:read": "Read customer profiles and timelines.",
    "customers:write": "Create, update and upsert customers.",
    "customers:export": "Export everything about a customer (GDPR access request).",
    "customers:erase": "Erase a customer's personal data (GDPR erasure request).",
    "orders:read": "Read orders, lines and refunds.",
    "orders:write": "Create orders, change their status, record refunds and returns.",
    "products:read": "Read the product catalogue.",
    "products:write": "Create and update products.",
    "events:read": "Read the store's event stream.",
    "loyalty:read": "Read the loyalty program, members' points, tiers, rewards and referrals.",
    "loyalty:write": "Change the program; adjust points; redeem rewards; record actions and referrals.",
    "conversations:read": "Read support conversations and their messages.",
    "conversations:write": "Start conversations and post messages on behalf of customers.",
}

DEFAULT_API_SCOPES = (
    "customers:read",
    "customers:write",
    "orders:read",
    "orders:write",
    "products:read",
    "products:write",
    "events:read",
    "loyalty:read",
    "loyalty:write",
)


def check_scopes(scopes: list[str]) -> list[str]:
    """The scopes, de-duplicated and sorted, or ``Invalid`` naming each unknown one."""
    unknown = [scope for scope in scopes if scope not in API_SCOPES]
    if unknown:
        raise Invalid(
            "unknown API scopes",
            [FieldProblem(f"scopes.{scopes.index(s)}", f"{s!r} is not a scope") for s in unknown],
        )
    if not scopes:
        raise Invalid.field("scopes", "choose at least one scope")
    return sorted(set(scopes))


MIN_PASSWORD_LENGTH = 10


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid.field("password", f"must be at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > 256:
        raise Invalid.field("password", "must be at most 256 characters")
    return password


_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")


def check_slug(slug: str) -> str:
    if not _SLUG.match(slug or ""):
        raise Invalid.field("slug", "use 1-64 lower-case letters, digits and inner hyphens")
    return slug
