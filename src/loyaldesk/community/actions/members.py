"""A member's community profile: the display name shown with their posts (never their email)."""

from __future__ import annotations

from loyaldesk.community.actions.common import lock_member, shopper
from loyaldesk.community.queries.settings import load_settings
from loyaldesk.community.rules.words import check_display_name
from loyaldesk.kernel.db import UnitOfWork


def set_display_name(uow: UnitOfWork, *, store_id: int, customer_id: int, display_name: str | None) -> None:
    """Choose the name shown with the member's posts; None or blank goes back to the default (first name
    and last initial). Refused: ``Invalid`` on ``display_name`` (2 to 40 characters; letters, digits,
    spaces and . ' - _; no email address; not a reserved name; no banned word), ``NotFound`` for a
    customer not of the store."""
    shopper(uow, store_id, customer_id)
    cleaned = None
    if display_name is not None and display_name.strip():
        cleaned = check_display_name(display_name, load_settings(uow.session, store_id).banned_words)
    member = lock_member(uow, store_id, customer_id)
    member.display_name = cleaned
    member.updated_at = uow.now()
    uow.session.flush()
