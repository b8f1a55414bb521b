"""Surveys in the chat widget: a signed-in shopper (the widget's HMAC identity made their contact a
customer's) sees the invitations that still take answers as a card, and answers without leaving.

* ``GET /widget-api/v1/{store}/surveys/pending?ticket=&language=``: the ticket holder's open invitations
  (asked or partly answered, not expired, their survey not closed); an anonymous visitor's list is
  always empty.
* ``POST /widget-api/v1/{store}/surveys/{invitation_id}/answers`` (``{"ticket", "answers",
  "language"}``): answered like the survey API (200, 409 with the reason, 422 per question); another
  shopper's invitation answers 404, exactly like one that does not exist.

Both need a widget ticket from a page allowed to use the store's chat (``widget_origins``); answers are
limited per contact and per address.
"""

from __future__ import annotations

from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from loyaldesk.kernel import rate_limits
from loyaldesk.kernel.errors import NotFound
from loyaldesk.stores import Store
from loyaldesk.support import Contact
from loyaldesk.web.deps import RuntimeDep, client_ip
from loyaldesk.web.member import survey_view as view
from loyaldesk.web.member.survey_api import answer, not_found_response, survey_json
from loyaldesk.web.widget.routes import RowId, StoreSlug, _ticket_holder

router = APIRouter()


class WidgetAnswersIn(BaseModel):
    ticket: str = Field(max_length=512, description="The widget ticket from the socket's welcome.")
    answers: dict[str, Any] = Field(description="Question id → answer; added to what was answered before.")
    language: str | None = Field(default=None, max_length=35, description="The widget's language.")


def _customer_of(session: Session, contact_id: int) -> int | None:
    contact = session.get(Contact, contact_id)
    return contact.customer_id if contact is not None else None


@router.get(
    "/widget-api/v1/{store_slug}/surveys/pending",
    tags=["widget"],
    summary="The signed-in shopper's surveys waiting for an answer",
)
def pending_surveys(
    request: Request,
    runtime: RuntimeDep,
    store_slug: StoreSlug,
    ticket: Annotated[str, Query(max_length=512)],
    language: Annotated[str | None, Query(max_length=35)] = None,
) -> JSONResponse:
    """``{"surveys": [{"id", "kind", "language", "questions", "visible", "answers", "status", ...}]}``,
    newest first; empty for an anonymous visitor."""
    store_id, contact_id = _ticket_holder(runtime, store_slug, ticket, request)
    surveys: list[dict[str, Any]] = []
    now = runtime.clock.now()
    with runtime.database.read() as session:
        customer_id = _customer_of(session, contact_id)
        if customer_id is not None:
            brand, logo = view.brand_of(session, store_id)
            for opened in view.open_invitations(session, store_id, customer_id, now):
                chosen = view.survey_language(opened.survey, language, opened.customer)
                item = survey_json(opened, chosen, brand, logo, now)
                surveys.append({"id": opened.invitation.id, **item})
    return JSONResponse({"surveys": surveys}, headers={"Cache-Control": "no-store"})


@router.post(
    "/widget-api/v1/{store_slug}/surveys/{invitation_id}/answers",
    tags=["widget"],
    summary="Answer one of the shopper's surveys from the widget",
)
async def answer_in_widget(
    request: Request, runtime: RuntimeDep, store_slug: StoreSlug, invitation_id: RowId, given: WidgetAnswersIn
) -> JSONResponse:
    store_id, contact_id = await anyio.to_thread.run_sync(
        _ticket_holder, runtime, store_slug, given.ticket, request
    )
    runtime.rate_limits.hit_all(
        (rate_limits.WIDGET_ACTIONS_PER_CONTACT, contact_id),
        (rate_limits.WIDGET_MESSAGES_PER_ADDRESS, client_ip(request)),
    )

    def read() -> view.Opened:
        with runtime.database.read() as session:
            store = session.get(Store, store_id)
            assert store is not None
            opened = view.open_by_id(session, store, _customer_of(session, contact_id), invitation_id)
            session.expunge_all()
        return opened

    try:
        opened = await anyio.to_thread.run_sync(read)
    except NotFound:
        return not_found_response()
    return await answer(runtime, opened, {"answers": given.answers, "language": given.language})
