"""Hardening: tier names unique per store whatever their case; callbacks' private-network permission
moves from each channel to the install; idempotency keys without a "running" lock.

* ``loyalty_tiers.name_key``: the name trimmed and case-folded, unique per store. Stores that already
  have tiers whose names differ only by case (or surrounding space) keep the name of the lowest-ranked
  one; each other gets `` (2)``, `` (3)``... appended (cut to fit 60 characters), in rank order, so
  that no tier is lost and members keep their tier.
* ``support_api_channels.allow_private_network`` is dropped: whether callbacks (and IMAP polling) may reach
  private, loopback or link-local addresses is now the install's setting
  ``LOYALDESK_ALLOW_PRIVATE_NETWORK``, not a store admin's choice.
* ``idempotency_keys.locked_until`` is dropped: a request's claim on its key now lives in the request's
  own transaction, so that nothing outlives a process that died. Rows left "running" by a process of an
  earlier version are removed (their requests never committed a response).

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import loyaldesk.kernel.orm

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME_LENGTH = 60


def _name_key(name: str) -> str:
    # Kept here, not imported: a migration must keep doing what it did when it was written.
    return name.strip().casefold()[:180]


def _unique_tier_names() -> None:
    tiers = sa.table(
        "loyalty_tiers",
        sa.column("id", sa.Integer),
        sa.column("store_id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("rank", sa.Integer),
        sa.column("name_key", sa.String),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(tiers.c.id, tiers.c.store_id, tiers.c.name).order_by(
            tiers.c.store_id, tiers.c.rank, tiers.c.id
        )
    ).all()
    taken: dict[int, set[str]] = {}
    for tier_id, store_id, stored_name in rows:
        used = taken.setdefault(store_id, set())
        base = (stored_name or "").strip() or f"Tier {tier_id}"
        name, number = base, 1
        while _name_key(name) in used:
            number += 1
            suffix = f" ({number})"
            name = base[: NAME_LENGTH - len(suffix)] + suffix
        used.add(_name_key(name))
        bind.execute(
            sa.update(tiers).where(tiers.c.id == tier_id).values(name=name, name_key=_name_key(name))
        )


def upgrade() -> None:
    with op.batch_alter_table("loyalty_tiers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name_key", sa.String(length=180), nullable=True))
    _unique_tier_names()
    with op.batch_alter_table("loyalty_tiers", schema=None) as batch_op:
        batch_op.alter_column("name_key", existing_type=sa.String(length=180), nullable=False)
        batch_op.create_unique_constraint(
            batch_op.f("uq_loyalty_tiers_store_id_name_key"), ["store_id", "name_key"]
        )
    with op.batch_alter_table("support_api_channels", schema=None) as batch_op:
        batch_op.drop_column("allow_private_network")
    op.execute(sa.text("DELETE FROM idempotency_keys WHERE state <> 'done'"))
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.drop_column("locked_until")


def downgrade() -> None:
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        # Every row is a finished request: its lock has long run out.
        batch_op.add_column(
            sa.Column(
                "locked_until",
                loyaldesk.kernel.orm.UTCDateTime(timezone=True),
                nullable=False,
                server_default=sa.text("CURRENT_TIMESTAMP"),
            )
        )
    with op.batch_alter_table("support_api_channels", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("allow_private_network", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("loyalty_tiers", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_loyalty_tiers_store_id_name_key"), type_="unique")
        batch_op.drop_column("name_key")
