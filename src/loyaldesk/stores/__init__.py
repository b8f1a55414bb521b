"""Stores (tenants), staff accounts and roles, console sessions, API keys and the audit log.

Other packages import the stores domain through this module only. Its writers are in ``actions``
(``from loyaldesk.stores import actions``), its reads in ``queries``; the vocabularies (roles, permissions,
API scopes) in ``vocab``.
"""

from loyaldesk.stores import actions, queries
from loyaldesk.stores.access import staff_access_channel
from loyaldesk.stores.actions import (
    AccountMailSettings,
    account_mail,
    invitations,
    password_resets,
    record_audit,
)
from loyaldesk.stores.api_key_cache import ApiKeyCache
from loyaldesk.stores.authorization import authorize
from loyaldesk.stores.credentials import shopper_signature, shopper_signature_matches
from loyaldesk.stores.models import StaffAccount, Store, StoreMembership
from loyaldesk.stores.passwords import PasswordHashing, hash_password, needs_rehash
from loyaldesk.stores.queries import (
    ConsoleSession,
    StoreAccess,
    staff_account_by_email,
    store_by_id,
    store_by_slug,
)
from loyaldesk.stores.rules import API_SCOPES, check_password, has_permission
from loyaldesk.stores.shopper_language import set_default_language
from loyaldesk.stores.throttle import AccountLimits, AccountThrottle, wait_in_words
from loyaldesk.stores.tokens import AccountTokens, TokenPurpose
from loyaldesk.stores.vocab import (
    DEFAULT_API_SCOPES,
    ROLE_DESCRIPTIONS,
    ROLE_LABELS,
    ApiScope,
    Permission,
    Role,
)

__all__ = [
    "API_SCOPES",
    "DEFAULT_API_SCOPES",
    "ROLE_DESCRIPTIONS",
    "ROLE_LABELS",
    "AccountLimits",
    "AccountMailSettings",
    "AccountThrottle",
    "AccountTokens",
    "ApiKeyCache",
    "ApiScope",
    "ConsoleSession",
    "PasswordHashing",
    "Permission",
    "Role",
    "StaffAccount",
    "Store",
    "StoreAccess",
    "StoreMembership",
    "TokenPurpose",
    "account_mail",
    "actions",
    "authorize",
    "check_password",
    "has_permission",
    "hash_password",
    "invitations",
    "needs_rehash",
    "password_resets",
    "queries",
    "record_audit",
    "set_default_language",
    "shopper_signature",
    "shopper_signature_matches",
    "staff_access_channel",
    "staff_account_by_email",
    "store_by_id",
    "store_by_slug",
    "wait_in_words",
]
