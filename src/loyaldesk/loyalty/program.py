"""A store's loyalty program settings: defaults, reading them, and the terms the ledger applies."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import NotFound
from loyaldesk.loyalty.actions.move_points import LedgerTerms
from loyaldesk.loyalty.models import LoyaltyProgram
from loyaldesk.loyalty.rules.expiry import ExpiryPolicy
from loyaldesk.loyalty.rules.ledger import NegativeBalancePolicy
from loyaldesk.loyalty.schemas import ProgramSettings
from loyaldesk.stores import Store


def _defaults() -> dict[str, Any]:
    """What a new program starts with: the defaults of ``ProgramSettings`` (the one place they are
    written), as stored: 1 point per unit of the store's currency (``default_program``), pending 14 days
    after delivery, points expire 365 days after earning, clawbacks stop at zero."""
    defaults: dict[str, Any] = {}
    for name, field in ProgramSettings.model_fields.items():
        if field.is_required():
            continue  # starts_at and earn_rates depend on the store
        value = field.get_default(call_default_factory=True)
        defaults[name] = value.value if isinstance(value, Enum) else value
    return defaults


DEFAULTS: dict[str, Any] = _defaults()


class ProgramMissing(NotFound):
    """The store has no loyalty program row: it was created without loyalty's store-creation step and
    before migration 0012 (which gives every store its program)."""

    code = "loyalty_program_missing"


def default_program(store: Store, now: datetime) -> LoyaltyProgram:
    """The program a store starts with. It starts when the store was created: every store has a program
    from then on (written with the store, ``create_program``), so the store's first live orders earn,
    while history imported later (placed before the store came to loyaldesk) does not."""
    from loyaldesk.kernel.money import exponent

    per_unit = 10 ** exponent(store.currency)
    return LoyaltyProgram(
        store_id=store.id,
        starts_at=min(store.created_at, now),
        earn_rates=[{"currency": store.currency, "points": 1, "per_amount": per_unit, "rounding": "down"}],
        created_at=now,
        updated_at=now,
        **DEFAULTS,
    )


def program_of(session: Session, store_id: int) -> LoyaltyProgram | None:
    """The store's program, or None if it was never set up (reads only)."""
    return session.scalar(select(LoyaltyProgram).where(LoyaltyProgram.store_id == store_id))


def program_of_store(session: Session, store_id: int) -> LoyaltyProgram:
    """The store's program (reads only); ``ProgramMissing`` if the store has none."""
    program = program_of(session, store_id)
    if program is None:
        raise ProgramMissing(
            f"store {store_id} has no loyalty program; `loyaldesk migrate` gives every store its program"
        )
    return program


def create_program(uow: UnitOfWork, store: Store) -> LoyaltyProgram:
    """Give a new store its program, with the defaults (a step of creating a store, registered with
    ``stores.on_store_created``); a store that already has one keeps it."""
    program = program_of(uow.session, store.id)
    if program is None:
        program = default_program(store, uow.now())
        uow.session.add(program)
        uow.session.flush()
    return program


def ensure_program(uow: UnitOfWork, store_id: int) -> LoyaltyProgram:
    """The store's program, for a writer. Every store has one from its creation (``create_program``);
    a store that somehow lacks it gets it here, inside the writer's transaction, never on a read."""
    program = program_of(uow.session, store_id)
    if program is None:
        store = uow.session.get(Store, store_id)
        if store is None:
            raise ValueError(f"no store {store_id}")
        program = default_program(store, uow.now())
        uow.session.add(program)
        uow.session.flush()
    return program


def terms_of(program: LoyaltyProgram, timezone: str) -> LedgerTerms:
    return LedgerTerms(
        expiry_policy=ExpiryPolicy(program.expiry_policy),
        expiry_amount=program.expiry_amount,
        negative_balance_policy=NegativeBalancePolicy(program.negative_balance_policy),
        timezone=timezone,
    )


def referral_link(program: LoyaltyProgram, store: Store, code: str, public_base_url: str) -> str:
    """Where a member's referral link points: the store's own page when the program names one (with
    ``{code}`` filled in), else loyaldesk's invitation page for the store."""
    if program.referral_link_template:
        return program.referral_link_template.replace("{code}", code)
    return f"{public_base_url.rstrip('/')}/r/{store.slug}/{code}"
