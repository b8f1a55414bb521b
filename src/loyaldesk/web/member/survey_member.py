"""The shopper's open surveys on the member page ("Tell us how we did") and in the member API
(``GET /member-api/v1/{store}/me/surveys``): each with the link to its survey page. Identified like the
rest of the member API (the store's signature of the shopper's id); a shopper sees only their own."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from sqlalchemy.orm import Session

from loyaldesk.web.deps import RuntimeDep
from loyaldesk.web.member import survey_view as view
from loyaldesk.web.member.shopper import Shopper, ShopperDep

router = APIRouter(tags=["member"])


def open_surveys(
    session: Session, shopper: Shopper, now: datetime, base_url: str, language: str | None = None
) -> list[dict[str, Any]]:
    """The shopper's invitations that still take answers, newest first, with their survey page's
    address (in the shopper's language where the survey has it)."""
    if shopper.customer is None:
        return []
    found = []
    for opened in view.open_invitations(session, shopper.store.id, shopper.customer.id, now):
        chosen = view.survey_language(opened.survey, language, opened.customer)
        questions = view.questions_view(opened.survey, chosen)
        page = f"/s/{shopper.store.slug}/{opened.invitation.token}?lang={chosen}"
        found.append(
            {
                "kind": opened.survey.kind,
                "status": opened.invitation.status,
                "question": questions[0]["text"] if questions else "",
                "asked_at": opened.invitation.asked_at.isoformat(),
                "expires_at": opened.invitation.expires_at.isoformat(),
                "url": base_url.rstrip("/") + page,
            }
        )
    return found


@router.get("/member-api/v1/{store_slug}/me/surveys", summary="My surveys waiting for an answer")
def my_surveys(shopper: ShopperDep, runtime: RuntimeDep) -> dict[str, Any]:
    """``{"surveys": [{"kind", "status", "question", "asked_at", "expires_at", "url"}]}``: ``url`` opens
    the survey page (its token is the shopper's own)."""
    with runtime.database.read() as session:
        surveys = open_surveys(session, shopper, runtime.clock.now(), runtime.settings.public_base_url)
    return {"surveys": surveys}
