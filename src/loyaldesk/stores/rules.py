"""Pure rules of the stores domain: roles and what they may do, API scopes, password and slug policy."""

from __future__ import annotations

import re

from loyaldesk.kernel.errors import FieldProblem, Invalid
from loyaldesk.stores.vocab import DEFAULT_API_SCOPES, ROLE_DESCRIPTIONS, ApiScope, Permission, Role

__all__ = [  # the vocabularies' home is vocab; they are named here too, where the rules use them
    "API_SCOPES",
    "DEFAULT_API_SCOPES",
    "MIN_PASSWORD_LENGTH",
    "ROLE_DESCRIPTIONS",
    "ROLE_PERMISSIONS",
    "ApiScope",
    "Permission",
    "Role",
    "check_password",
    "check_scopes",
    "check_slug",
    "has_permission",
    "may_manage_member",
]


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
            Permission.VIEW_FEEDBACK,
        }
    ),
    Role.ANALYST: frozenset(
        {
            Permission.VIEW_CUSTOMERS,
            Permission.VIEW_ORDERS,
            Permission.VIEW_ANALYTICS,
            Permission.VIEW_CONVERSATIONS,
            Permission.VIEW_JOURNEYS,
            Permission.VIEW_FEEDBACK,
        }
    ),
}


def has_permission(role: str, permission: Permission) -> bool:
    """Whether ``role`` (a role's value; an unknown one may do nothing) grants ``permission``."""
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


# Each scope with what it allows, as the console lists them.
API_SCOPES: dict[str, str] = {scope.value: scope.description for scope in ApiScope}


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
    return sorted({str(scope) for scope in scopes})  # plain strings, however they were given


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
