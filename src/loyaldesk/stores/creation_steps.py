"""What else happens when a store is created, registered by the domains that keep per-store state.

Stores know no other domain: a domain that needs a row for every store (loyalty's program) registers a
step here, and ``actions.create_store`` runs every step in the same transaction, so the row exists as soon
as the store does and no reader ever has to create it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from loyaldesk.kernel.db import UnitOfWork
    from loyaldesk.stores.models import Store

StoreCreatedStep = Callable[["UnitOfWork", "Store"], object]

_steps: list[StoreCreatedStep] = []


def on_store_created(step: StoreCreatedStep) -> StoreCreatedStep:
    """Run ``step(uow, store)`` whenever a store is created (once per step, however often registered)."""
    if step not in _steps:
        _steps.append(step)
    return step


def run_store_created_steps(uow: UnitOfWork, store: Store) -> None:
    """Every registered step, in registration order, inside the creating transaction."""
    for step in _steps:
        step(uow, store)
