"""Moderation: reports, the queue's resolution, hiding and restoring content (audited)."""

from __future__ import annotations

from loyaldesk.community.vocab import ReportResolution
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork


def report_content(
    uow: UnitOfWork,
    *,
    store_id: int,
    reason: str,
    thread_id: int | None = None,
    post_id: int | None = None,
    reporter_customer_id: int | None = None,
    actor: Actor | None = None,
) -> int:
    """Report a thread or a post; returns the report's id."""
    raise NotImplementedError


def hide_content(
    uow: UnitOfWork,
    *,
    store_id: int,
    actor: Actor,
    reason: str,
    thread_id: int | None = None,
    post_id: int | None = None,
) -> None:
    """Hide a thread or a post from shoppers."""
    raise NotImplementedError


def restore_content(
    uow: UnitOfWork,
    *,
    store_id: int,
    actor: Actor,
    thread_id: int | None = None,
    post_id: int | None = None,
    reason: str = "",
) -> None:
    """Show hidden content again."""
    raise NotImplementedError


def resolve_report(
    uow: UnitOfWork, *, store_id: int, actor: Actor, report_id: int, action: ReportResolution | str
) -> None:
    """Dismiss a report or hide its content."""
    raise NotImplementedError
