"""A store's loyalty program as the hot paths need it, built once and reused while it is unchanged:
the program settings, the store's timezone and currency, the ledger terms, the earning rates, the
converted purchase rules, the tiers and their ladder.

Reconciling orders, updating tiers and redeeming read all of this on every pass; building it (ORM rows,
rule conversion, the ladder's checks) cost more than the orders of a small pass. ``program_snapshot``
returns the cached snapshot when what it was built from is unchanged, else builds a new one.

How a snapshot is known to be current (a version check, not a time to live): every call reads the rows
the snapshot was built from (the program row, the store's three fields, the store's purchase rules and
tiers: a handful of rows, by index) with Core statements built once, and compares them with the rows the
snapshot was built from. A change made by any process, by an action (``configure_program``) or by any
other write, is therefore seen by the next pass of every process, with no message between processes and
no window of staleness; a time to live would have let another process earn with yesterday's tiers for
its length, and an ``updated_at`` alone misses writes that do not bump it (tiers have none). What is
saved is the ORM objects and the conversions, which were most of the cost.

The snapshot's ``program`` and ``tiers`` are ORM objects that belong to no session: read them, never
change them or add them to a session (actions that change the program load it themselves).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select

from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.loyalty.actions.move_points import LedgerTerms
from loyaldesk.loyalty.models import EarningRule, LoyaltyProgram, Tier
from loyaldesk.loyalty.program import ensure_program, terms_of
from loyaldesk.loyalty.rule_config import purchase_rule
from loyaldesk.loyalty.rules import earning
from loyaldesk.loyalty.rules import tiers as tier_rules
from loyaldesk.stores import Store

__all__ = ["ProgramSnapshot", "forget_programs", "program_snapshot"]


@dataclass(frozen=True)
class ProgramSnapshot:
    """What earning, tiers and redemptions need of a store's program, built from its rows at one moment."""

    store_id: int
    timezone: str
    currency: str
    locale: str
    program: LoyaltyProgram
    terms: LedgerTerms
    rates: tuple[earning.EarnRate, ...]
    purchase_rules: tuple[earning.PurchaseRule, ...]
    tiers: dict[int, Tier]  # by id; never change it
    ladder: tier_rules.TierLadder | None  # None: the store has no tiers (then nobody has one)

    def tier_names(self) -> dict[int, str]:
        return {tier_id: tier.name for tier_id, tier in self.tiers.items()}


_PROGRAM = select(LoyaltyProgram.__table__).where(LoyaltyProgram.store_id == bindparam("store_id"))
_STORE = select(Store.timezone, Store.currency, Store.locale).where(Store.id == bindparam("store_id"))
_RULES = (
    select(EarningRule.__table__)
    .where(EarningRule.store_id == bindparam("store_id"), EarningRule.kind == "purchase")
    .order_by(EarningRule.id)
)
_TIERS = select(Tier.__table__).where(Tier.store_id == bindparam("store_id")).order_by(Tier.id)

log = logging.getLogger("loyaldesk.loyalty.tiers")

_lock = threading.Lock()
_snapshots: dict[tuple[str, int], tuple[tuple[Any, ...], ProgramSnapshot]] = {}


def program_snapshot(uow: UnitOfWork, store_id: int) -> ProgramSnapshot:
    """The store's program snapshot, current as of this unit of work's reads (module docstring). A store
    without a program row gets its program here (``ensure_program``), inside the caller's transaction."""
    session = uow.session
    if session.autoflush:  # what the session's own execute would do first (a tier saved in this unit)
        session.flush()
    # The checking reads go straight to the session's connection: the ORM's execution layer cost more
    # than the reads themselves (these run on every pass of the single-order lane).
    connection = session.connection()
    parameters = {"store_id": store_id}
    program_row = connection.execute(_PROGRAM, parameters).first()
    if program_row is None:
        ensure_program(uow, store_id)
        session.flush()
        program_row = connection.execute(_PROGRAM, parameters).first()
        assert program_row is not None
    store_row = connection.execute(_STORE, parameters).one()
    rule_rows = connection.execute(_RULES, parameters).all()
    tier_rows = connection.execute(_TIERS, parameters).all()
    source = (
        tuple(program_row),
        tuple(store_row),
        tuple(map(tuple, rule_rows)),
        tuple(map(tuple, tier_rows)),
    )
    key = (_database_of(uow), store_id)
    cached = _snapshots.get(key)
    if cached is not None and cached[0] == source:
        return cached[1]
    snapshot = _build(store_id, program_row, store_row, rule_rows, tier_rows)
    with _lock:
        _snapshots[key] = (source, snapshot)
    return snapshot


def forget_programs() -> None:
    """Drop every cached snapshot (they are rebuilt on the next read; for tests and tools that swap
    databases under one process)."""
    with _lock:
        _snapshots.clear()


def _database_of(uow: UnitOfWork) -> str:
    """Which database the snapshot comes from: store ids repeat from one database to another."""
    bind = uow.session.get_bind()
    return bind.url.render_as_string(hide_password=True)  # type: ignore[union-attr]


def _build(
    store_id: int, program_row: Any, store_row: Any, rule_rows: Sequence[Any], tier_rows: Sequence[Any]
) -> ProgramSnapshot:
    timezone, currency, locale = store_row
    program = LoyaltyProgram(**program_row._mapping)
    rules = [EarningRule(**row._mapping) for row in rule_rows]
    tiers = {row.id: Tier(**row._mapping) for row in tier_rows}
    return ProgramSnapshot(
        store_id=store_id,
        timezone=timezone,
        currency=currency,
        locale=locale,
        program=program,
        terms=terms_of(program, timezone),
        rates=tuple(earning.EarnRate(**rate) for rate in program.earn_rates),
        purchase_rules=tuple(purchase_rule(rule) for rule in rules if rule.active),
        tiers=tiers,
        ladder=_ladder(store_id, sorted(tiers.values(), key=lambda tier: tier.rank)),
    )


def _ladder(store_id: int, rows: list[Tier]) -> tier_rules.TierLadder | None:
    """The tiers as a ladder. Never raises on what is stored: tiers that break the ladder's rules (saved
    before a rule existed, or edited by hand) are read as ``readable_ladder`` says and the repair is
    logged once per process."""
    if not rows:
        return None
    ladder, problems = tier_rules.readable_ladder(
        tier_rules.stored_tier(
            id=row.id,
            name=row.name,
            rank=row.rank,
            threshold=row.threshold,
            earn_multiplier=row.earn_multiplier,
            perks=row.perks,
            entry_reward_points=row.entry_reward_points,
        )
        for row in rows
    )
    if problems and (store_id, tuple(problems)) not in _reported:
        _reported.add((store_id, tuple(problems)))
        log.warning(
            "the tiers of store %s break the ladder's rules; read as: %s", store_id, "; ".join(problems)
        )
    return ladder


# Ladder repairs already logged (per store and set of problems), so that each is logged once per process.
_reported: set[tuple[int, tuple[str, ...]]] = set()
