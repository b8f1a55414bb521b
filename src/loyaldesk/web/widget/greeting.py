"""The chat widget's greeting for a returning shopper:
``GET /widget-api/v1/{store}/greeting?ticket=&language=``.

The widget asks once its socket has welcomed it (the ticket names the contact; a contact is a customer's
only when the store's page signed the shopper in: the widget's HMAC identity verification). For a
signed-in shopper: ``{"personal": true, "language", "title", "lines": [...], "suggestion": {kind, label,
title, text, url}|null, "closing", "first_name", "tier", "points", "expiring_points", "expiring_on"}``
(and ``"sessions": {label, path}`` when the store has expert sessions to book: the member page's),
the words in their language (profile, else the store's default, else the widget's). For an anonymous
visitor, or when the store turned the greeting off (``RecommendationSettings.widget_greeting``):
``{"personal": false}`` and nothing else —
the widget keeps the store's own greeting.

Needs a ticket from a page allowed to use the store's chat; rate limited like the widget's other reads
(``notices``, ``surveys/pending``): every request without a login counts against
``anonymous_requests_per_address`` (``web.api_rate_limit``), over it 429 before any database work.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from loyaldesk import bookings
from loyaldesk.customers import Customer
from loyaldesk.kernel.i18n import _, format_day, format_points, negotiate, use_language
from loyaldesk.recommendations.greeting import Greeting, greeting_for
from loyaldesk.stores import store_by_id
from loyaldesk.support import Contact
from loyaldesk.web.deps import RuntimeDep
from loyaldesk.web.widget.routes import StoreSlug, _ticket_holder

router = APIRouter()

NOT_PERSONAL: dict[str, Any] = {"personal": False}


@router.get(
    "/widget-api/v1/{store_slug}/greeting",
    tags=["widget"],
    summary="The greeting for a signed-in shopper (nothing personal for an anonymous visitor)",
)
def greeting(
    request: Request,
    runtime: RuntimeDep,
    store_slug: StoreSlug,
    ticket: Annotated[str, Query(max_length=512)],
    language: Annotated[str | None, Query(max_length=35, description="The widget's language.")] = None,
) -> JSONResponse:
    store_id, contact_id = _ticket_holder(runtime, store_slug, ticket, request)
    now = runtime.clock.now()
    body: dict[str, Any] = NOT_PERSONAL
    with runtime.database.read() as session:
        contact = session.get(Contact, contact_id)
        customer = session.get(Customer, contact.customer_id) if contact and contact.customer_id else None
        if customer is not None:
            store = store_by_id(session, store_id)
            chosen = negotiate(
                profile=customer.locale, store_default=store.default_language, accept_language=language
            )
            found = greeting_for(session, store_id, customer.id, now, language=chosen)
            if found is not None:
                body = greeting_json(found, chosen, customer.timezone or store.timezone)
                if bookings.session_types(session, store_id=store_id):
                    with use_language(chosen):  # expert sessions: a link to the member page's
                        label = _("Book a session with an expert")
                    body["sessions"] = {"label": label, "path": f"/m/{store.slug}/sessions"}
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


def greeting_json(found: Greeting, language: str, timezone: str) -> dict[str, Any]:
    """The greeting's words in ``language`` (dates as the shopper's day in ``timezone``) and its facts."""
    with use_language(language):
        title = _("Welcome back, {name}!", name=found.first_name) if found.first_name else _("Welcome back!")
        lines: list[str] = []
        if found.points is not None:
            points = format_points(found.points, language)
            lines.append(
                _("You are a {tier} member with {points} points.", tier=found.tier, points=points)
                if found.tier
                else _("You have {points} points.", points=points)
            )
        if found.expiring_points and found.expiring_on is not None:
            lines.append(
                _(
                    "{points} of your points expire on {day}: use them before then.",
                    points=format_points(found.expiring_points, language),
                    day=format_day(found.expiring_on, timezone, language),
                )
            )
        suggestion: dict[str, Any] | None = None
        if found.offer is not None:
            until = _("Until {day}.", day=format_day(found.offer.ends_at, timezone, language))
            suggestion = {
                "kind": "offer",
                "label": _("An offer for you"),
                "title": found.offer.name,
                "text": " ".join(part for part in (found.offer.description.strip(), until) if part),
                "url": None,
            }
        elif found.pick is not None:
            suggestion = {
                "kind": "pick",
                "label": _("Picked for you"),
                "title": found.pick.title,
                "text": found.pick.reason,
                "url": found.pick.url,
            }
        closing = _("How can we help?")
    return {
        "personal": True,
        "language": language,
        "title": title,
        "lines": lines,
        "closing": closing,
        "suggestion": suggestion,
        "first_name": found.first_name,
        "tier": found.tier,
        "points": found.points,
        "expiring_points": found.expiring_points,
        "expiring_on": found.expiring_on.isoformat() if found.expiring_on else None,
    }
