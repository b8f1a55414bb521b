"""Asking and answering: a new thread (question or discussion) and an answer in it."""

from __future__ import annotations

from loyaldesk.community.vocab import SpaceKind
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork


def ask_question(
    uow: UnitOfWork,
    *,
    store_id: int,
    title: str,
    body: str,
    space_kind: SpaceKind | str = SpaceKind.DISCUSSIONS,
    customer_id: int | None = None,
    actor: Actor | None = None,
    product_id: str | None = None,
    category_id: int | None = None,
) -> int:
    """Start a thread; returns its id."""
    raise NotImplementedError


def post_answer(
    uow: UnitOfWork,
    *,
    store_id: int,
    thread_id: int,
    body: str,
    customer_id: int | None = None,
    actor: Actor | None = None,
) -> int:
    """Answer in a thread; returns the post's id."""
    raise NotImplementedError
