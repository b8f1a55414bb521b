"""Stores vocabularies have one spelling: roles, permissions and API scopes are the enums of
``stores.vocab``; the columns that store roles hold every role; every scope the code asks for exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import loyaldesk
from loyaldesk.stores import API_SCOPES, DEFAULT_API_SCOPES, models
from loyaldesk.stores.rules import ROLE_PERMISSIONS, check_scopes
from loyaldesk.stores.vocab import (
    API_SCOPE_DESCRIPTIONS,
    ROLE_DESCRIPTIONS,
    ROLE_LABELS,
    ApiScope,
    Permission,
    Role,
)
from tests.vocab_checks import assert_column_holds, assert_labelled, values

SOURCE = Path(loyaldesk.__file__).parent
# A scope as the code spells it where it asks for one: "orders:write".
SCOPE_IN_CODE = re.compile(r"[\"']([a-z_]+:(?:read|write|export|erase))[\"']")


def test_every_role_has_a_label_a_description_and_permissions() -> None:
    assert_labelled(Role, ROLE_LABELS)
    assert set(ROLE_DESCRIPTIONS) == set(Role)
    assert set(ROLE_PERMISSIONS) == set(Role)
    assert all(role.description == ROLE_DESCRIPTIONS[role] for role in Role)


def test_every_permission_belongs_to_some_role() -> None:
    assert set().union(*ROLE_PERMISSIONS.values()) == set(Permission)
    assert Permission.VIEW_CUSTOMERS.label == "view customers"


def test_the_console_lists_exactly_the_scopes_with_their_descriptions() -> None:
    assert list(API_SCOPES) == [scope.value for scope in ApiScope]
    assert set(API_SCOPE_DESCRIPTIONS) == set(ApiScope)
    assert all(API_SCOPES[scope.value] == scope.description for scope in ApiScope)
    assert set(DEFAULT_API_SCOPES) <= set(ApiScope)


def test_checked_scopes_are_plain_strings_whatever_they_were_given_as() -> None:
    checked = check_scopes([ApiScope.ORDERS_WRITE, "orders:read", ApiScope.ORDERS_WRITE])
    assert checked == ["orders:read", "orders:write"]
    assert all(type(scope) is str for scope in checked)


@pytest.mark.parametrize("column", [models.StoreMembership.role, models.StaffInvitation.role])
def test_the_role_columns_hold_every_role(column) -> None:
    assert_column_holds(column, Role)


def test_every_scope_the_code_asks_for_is_a_scope() -> None:
    asked = {
        (path.relative_to(SOURCE).as_posix(), scope)
        for path in SOURCE.rglob("*.py")
        for scope in SCOPE_IN_CODE.findall(path.read_text(encoding="utf-8"))
    }
    assert asked, "the pattern no longer finds the scopes the code asks for"
    unknown = sorted((where, scope) for where, scope in asked if scope not in values(ApiScope))
    assert unknown == []
