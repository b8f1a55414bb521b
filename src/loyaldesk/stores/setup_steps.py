"""What happens when a store is created, beyond the store itself: each capability that keeps per-store
state (the desk's settings, the loyalty program) creates it then, so that no page has to create it on
first read.

The stores domain knows only the shape of a step (``StoreSetupStep``); the composition root
(``loyaldesk.composition``) says which steps there are, in order, with ``set_store_setup_steps``.
``create_store`` runs them in its own unit of work, so a store exists with all its parts or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.stores.models import Store


class StoreSetupStep(Protocol):
    """Creates a capability's per-store state for a store just created (in the creating transaction)."""

    def __call__(self, uow: UnitOfWork, store: Store, /) -> object: ...


_steps: list[StoreSetupStep] = []


def set_store_setup_steps(steps: Iterable[StoreSetupStep]) -> None:
    """The steps every new store goes through, in order (replacing those set before)."""
    _steps[:] = list(steps)


def run_store_setup(uow: UnitOfWork, store: Store) -> None:
    """Run every setup step for ``store`` (flushed, with its id)."""
    for step in list(_steps):
        step(uow, store)
