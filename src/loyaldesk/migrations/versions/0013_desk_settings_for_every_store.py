"""Support: every store has its desk settings row.

From now on a store's desk settings are created with the store (a store setup step), so that pages read
them without writing; this creates them, with the defaults, for the stores that existed before and never
had them written. Data only: no table changes. The downgrade keeps the rows (a row with the defaults is
what the first read used to create).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 20:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from loyaldesk.kernel.orm import JSONType

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The defaults as support.desk_settings.default_settings had them when this was written (a migration must
# not change with the code).
_DEFAULTS = {
    "auto_assign": True,
    "routing_method": "least_load",
    "default_capacity": 5,
    "tier_priorities": {},
    "high_value_threshold_minor": None,
    "channel_priorities": {},
    "widget_title": "Chat with us",
    "widget_greeting": "Hi! How can we help?",
    "widget_accent": "#1f5fbf",
    "csat_enabled": True,
    "widget_allowed_origins": [],
    "support_email": None,
    "goodwill_budgets": {"agent": 500, "admin": 2000, "owner": None},
    "recovery_enabled": False,
    "recovery_points": 0,
    "imap_host": None,
    "imap_port": 993,
    "imap_ssl": True,
    "imap_username": None,
    "imap_password": None,
    "imap_folder": "INBOX",
    "imap_last_error": None,
}
_JSON_COLUMNS = frozenset(
    {"tier_priorities", "channel_priorities", "widget_allowed_origins", "goodwill_budgets"}
)

support_settings = sa.table(
    "support_settings",
    sa.column("store_id", sa.Integer),
    *(sa.column(name, JSONType if name in _JSON_COLUMNS else None) for name in _DEFAULTS),
)


def upgrade() -> None:
    connection = op.get_bind()
    missing = connection.execute(
        sa.text(
            "SELECT id FROM stores WHERE NOT EXISTS "
            "(SELECT 1 FROM support_settings WHERE support_settings.store_id = stores.id) ORDER BY id"
        )
    ).scalars()
    rows = [{"store_id": store_id, **_DEFAULTS} for store_id in missing]
    if rows:
        op.bulk_insert(support_settings, rows)


def downgrade() -> None:
    pass
