"""A person sets an answer's themes (``correct_themes``); the classifier learns from it.

Contract of ``correct_themes(uow, actor, store_id, response_id, theme_ids) -> list[int]``:
- Who: ``Permission.VIEW_FEEDBACK`` (everyone who reads the feedback inbox) or the ``feedback:write``
  scope. ``NotFound`` for an answer of another store (the same as for none).
- ``theme_ids`` must be the store's enabled themes (``Invalid`` naming ``theme_ids`` and the ids,
  nothing stored). The answer carries exactly these afterwards: each gets a row with source ``agent``,
  present true; every theme it carried before and does not keep becomes source ``agent``, present
  false (a negative label). Rows a person already marked "not this theme" stay.
- A retraining of the store's model is requested (one per burst of corrections), and an audit row says
  who corrected what. Returns the theme ids, sorted.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from loyaldesk.feedback.models import ResponseTheme, SurveyResponse, Theme
from loyaldesk.feedback.themes.training import request_theme_retraining
from loyaldesk.feedback.vocab import ThemeSource
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Invalid, NotFound
from loyaldesk.stores import Permission, authorize, record_audit


def correct_themes(
    uow: UnitOfWork, actor: Actor, store_id: int, response_id: int, theme_ids: Iterable[int]
) -> list[int]:
    """Set the answer's themes to exactly ``theme_ids`` (the module's contract)."""
    authorize(actor, store_id, scope="feedback:write", permission=Permission.VIEW_FEEDBACK)
    chosen = sorted(set(theme_ids))
    response = uow.session.get(SurveyResponse, response_id)
    if response is None or response.store_id != store_id:
        raise NotFound("no such feedback answer")
    enabled = set(
        uow.session.scalars(select(Theme.id).where(Theme.store_id == store_id, Theme.enabled.is_(True)))
    )
    unknown = [theme_id for theme_id in chosen if theme_id not in enabled]
    if unknown:
        raise Invalid.field(
            "theme_ids", f"not themes of this store that are switched on: {', '.join(map(str, unknown))}"
        )
    rows = {
        row.theme_id: row
        for row in uow.session.scalars(select(ResponseTheme).where(ResponseTheme.response_id == response_id))
    }
    now = uow.now()
    staff_id = actor.id if actor.kind == "staff" else None
    before = sorted(theme_id for theme_id, row in rows.items() if row.present)
    for theme_id in chosen:
        row = rows.get(theme_id)
        if row is None:
            uow.session.add(
                ResponseTheme(
                    response_id=response_id,
                    theme_id=theme_id,
                    store_id=store_id,
                    source=ThemeSource.AGENT.value,
                    present=True,
                    confidence=None,
                    staff_id=staff_id,
                    at=now,
                )
            )
        elif not (row.source == ThemeSource.AGENT and row.present):
            row.source, row.present, row.staff_id, row.at = ThemeSource.AGENT.value, True, staff_id, now
    for theme_id, row in rows.items():
        if theme_id not in chosen and row.present:
            row.source, row.present, row.staff_id, row.at = ThemeSource.AGENT.value, False, staff_id, now
    uow.session.flush()
    request_theme_retraining(uow, store_id)
    record_audit(
        uow,
        actor,
        "feedback.themes_corrected",
        store_id=store_id,
        target_type="feedback_response",
        target_id=response_id,
        details={"before": before, "after": chosen},
    )
    return chosen
