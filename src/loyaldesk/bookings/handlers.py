"""Bookings' reactions: after a session the customer attended, ask them the store's CSAT survey."""

from __future__ import annotations

import logging

from sqlalchemy import select

from loyaldesk.bookings.events import SessionAttended
from loyaldesk.feedback import Survey, SurveyChannel, SurveyKind, SurveyStatus, ask_customer
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.dispatcher import HandlerRegistry
from loyaldesk.kernel.events import StoredEvent

log = logging.getLogger("loyaldesk.bookings")


class SessionSurvey:
    """The CSAT ask after an attended session, with the install's public address for its links."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def ask_after_session(self, uow: UnitOfWork, stored: StoredEvent, event: SessionAttended) -> None:
        """The store's newest active CSAT survey sent by email (not the chat's rating, which is asked in
        the conversation), asked once per seat (key ``booking:{seat}:csat``) through feedback's throttle
        and consent; nothing when the store has none or the customer may not be asked (logged)."""
        if not event.attended or event.customer_id is None:
            return
        survey_id = uow.session.scalar(
            select(Survey.id)
            .where(
                Survey.store_id == event.store_id,
                Survey.kind == SurveyKind.CSAT.value,
                Survey.status == SurveyStatus.ACTIVE.value,
                Survey.channel == SurveyChannel.EMAIL.value,
            )
            .order_by(Survey.id.desc())
            .limit(1)
        )
        if survey_id is None:
            return
        result = ask_customer(
            uow,
            store_id=event.store_id,
            survey_id=survey_id,
            customer_id=event.customer_id,
            channel=SurveyChannel.EMAIL,
            context={"booking_seat_id": event.seat_id},
            key=f"booking:{event.seat_id}:csat",
            base_url=self.base_url,
        )
        if not result.asked:
            log.info("no survey after session seat %s: %s", event.seat_id, result.reason)


def register(handlers: HandlerRegistry, *, base_url: str) -> None:
    handlers.on(SessionAttended)(SessionSurvey(base_url).ask_after_session)
