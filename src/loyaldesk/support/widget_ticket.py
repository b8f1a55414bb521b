"""A widget ticket: the proof, for the widget's plain HTTP calls (file uploads and downloads), that the
browser is the contact its WebSocket identified.

The WebSocket's ``welcome`` frame hands one out; it is signed with the server's secret key (so every
process accepts it), names the store and the contact, and lasts ``TICKET_MAX_AGE_SECONDS``. It never
carries the visitor token or the store's signature, so a ticket that leaks into a log opens one
contact's files for a day at most.
"""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeTimedSerializer

from loyaldesk.kernel.errors import NotAuthenticated

TICKET_MAX_AGE_SECONDS = 24 * 3600
_SALT = "loyaldesk.widget-ticket"


def issue_ticket(secret_key: str, store_id: int, contact_id: int) -> str:
    return URLSafeTimedSerializer(secret_key, salt=_SALT).dumps([store_id, contact_id])


def contact_of_ticket(secret_key: str, store_id: int, ticket: str | None) -> int:
    """The contact a valid, unexpired ticket for ``store_id`` names; ``NotAuthenticated`` otherwise."""
    if not ticket or len(ticket) > 512:
        raise NotAuthenticated("send the widget ticket from the chat's welcome")
    try:
        payload = URLSafeTimedSerializer(secret_key, salt=_SALT).loads(ticket, max_age=TICKET_MAX_AGE_SECONDS)
    except BadSignature as error:
        raise NotAuthenticated("the widget ticket is not valid or has expired; reload the page") from error
    if (
        not isinstance(payload, list)
        or len(payload) != 2
        or payload[0] != store_id
        or not isinstance(payload[1], int)
    ):
        raise NotAuthenticated("the widget ticket is for another store")
    return payload[1]
