"""Helpful votes and accepted answers, with the points they credit through the loyalty ledger."""

from __future__ import annotations

from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork


def vote_helpful(uow: UnitOfWork, *, store_id: int, post_id: int, customer_id: int) -> int:
    """Vote a post helpful; returns its vote count."""
    raise NotImplementedError


def accept_answer(
    uow: UnitOfWork,
    *,
    store_id: int,
    thread_id: int,
    post_id: int,
    customer_id: int | None = None,
    actor: Actor | None = None,
) -> None:
    """Accept an answer (the asker or staff)."""
    raise NotImplementedError
