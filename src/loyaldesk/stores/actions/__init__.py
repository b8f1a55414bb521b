"""Every state change of the stores domain. Each runs inside the caller's unit of work (one transaction).

By role: ``stores`` (a store, its secrets, staff members and roles, the audit log), ``sessions`` (console
logins and passwords), ``api_keys``, ``invitations``, ``password_resets`` and ``account_mail`` (the mail
those two send, queued in the same transaction and delivered after it commits).
"""

from loyaldesk.stores.actions import account_mail, invitations, password_resets
from loyaldesk.stores.actions.account_mail import AccountMailSettings
from loyaldesk.stores.actions.api_keys import CreatedApiKey, create_api_key, revoke_api_key, touch_api_key
from loyaldesk.stores.actions.sessions import (
    NewSession,
    change_own_password,
    end_staff_session,
    purge_expired_sessions,
    record_failed_login,
    revoke_all_sessions,
    start_staff_session,
    void_reset_links,
)
from loyaldesk.stores.actions.stores import (
    add_staff_member,
    change_staff_role,
    create_store,
    record_audit,
    remove_staff_member,
    rotate_identity_secret,
    set_shopify_webhook_secret,
)

__all__ = [
    "AccountMailSettings",
    "CreatedApiKey",
    "NewSession",
    "account_mail",
    "add_staff_member",
    "change_own_password",
    "change_staff_role",
    "create_api_key",
    "create_store",
    "end_staff_session",
    "invitations",
    "password_resets",
    "purge_expired_sessions",
    "record_audit",
    "record_failed_login",
    "remove_staff_member",
    "revoke_all_sessions",
    "revoke_api_key",
    "rotate_identity_secret",
    "set_shopify_webhook_secret",
    "start_staff_session",
    "touch_api_key",
    "void_reset_links",
]
