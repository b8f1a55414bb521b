"""Loyalty: every store has its program row, so that reading the program never has to create it.

From now on a store's program is written with the store (loyalty registers ``create_program`` as a step
of creating a store). Stores created before, whose program was only written the first time something
changed it, get it now, with the defaults a new program had when this was written (frozen here: a
migration must not change with the code). Data only: no table changes. Downgrade keeps the rows (a
program row is valid at every revision; the earlier code simply created it later).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 20:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from babel.numbers import get_currency_precision

import loyaldesk.kernel.orm

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As loyalty.program.DEFAULTS had them when this was written.
_DEFAULTS: dict[str, Any] = {
    "enabled": True,
    "auto_enroll": True,
    "earn_on_status": "paid",
    "unlock_after_status": "delivered",
    "pending_days": 14,
    "expiry_policy": "days_after_earning",
    "expiry_amount": 365,
    "negative_balance_policy": "floor_at_zero",
    "point_value_minor": 1,
    "expected_breakage_percent": 20,
    "tier_metric": "spend",
    "tier_period": "rolling_12_months",
    "tier_grace_days": 30,
    "referral_friend_points": 200,
    "referral_friend_on": "first_order",
    "referral_referrer_points": 500,
    "referral_max_per_period": 10,
    "referral_period_days": 30,
    "referral_new_customer_days": 30,
    "surprise_one_in": 0,
    "surprise_min_order_total": 0,
    "surprise_points": 0,
    "winback_after_days": 90,
    "member_page_title": "Rewards",
    "member_page_accent": "#1f5fbf",
    "referral_link_template": None,
}

_stores = sa.table(
    "stores",
    sa.column("id", sa.BigInteger),
    sa.column("currency", sa.String),
    sa.column("created_at", loyaldesk.kernel.orm.UTCDateTime(timezone=True)),
)
_programs = sa.table(
    "loyalty_programs",
    sa.column("store_id", sa.BigInteger),
    sa.column("starts_at", loyaldesk.kernel.orm.UTCDateTime(timezone=True)),
    sa.column("earn_rates", loyaldesk.kernel.orm.JSONType),
    sa.column("created_at", loyaldesk.kernel.orm.UTCDateTime(timezone=True)),
    sa.column("updated_at", loyaldesk.kernel.orm.UTCDateTime(timezone=True)),
    *(sa.column(name) for name in _DEFAULTS),
)


def upgrade() -> None:
    connection = op.get_bind()
    lacking = connection.execute(
        sa.select(_stores.c.id, _stores.c.currency, _stores.c.created_at).where(
            ~sa.exists().where(_programs.c.store_id == _stores.c.id)
        )
    ).all()
    now = datetime.now(UTC)
    rows = [
        {
            "store_id": store_id,
            "starts_at": min(created_at, now),
            "earn_rates": [
                {
                    "currency": currency,
                    "points": 1,
                    "per_amount": 10 ** int(get_currency_precision(currency)),
                    "rounding": "down",
                }
            ],
            "created_at": now,
            "updated_at": now,
            **_DEFAULTS,
        }
        for store_id, currency, created_at in lacking
    ]
    if rows:
        connection.execute(sa.insert(_programs), rows)


def downgrade() -> None:
    pass
