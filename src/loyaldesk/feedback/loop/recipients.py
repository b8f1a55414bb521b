"""Who a "we fixed it" broadcast is for, read only: the distinct customers who raised the issue (their
answers tagged with the theme, ``present`` true, from ``since`` on; or the answers a manager picked),
never an erased customer, and how many of them the message will reach (not opted out of the channel,
with an address) against how many opted out. The preview the console shows and ``mark_fixed`` use the
same reading, so the numbers the manager sees are the ones sent."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from loyaldesk.customers import Customer
from loyaldesk.feedback.models import ResponseTheme, SurveyResponse
from loyaldesk.journeys import Channel, feedback_allowed


@dataclass(frozen=True)
class Recipient:
    customer_id: int
    response_id: int  # their latest answer that raised it
    name: str
    opted_out: bool  # journeys will hold the message back (the customer opted out of the channel)
    no_address: bool  # nothing to send it to (no email address)

    @property
    def reached(self) -> bool:
        return not self.opted_out and not self.no_address


@dataclass(frozen=True)
class Audience:
    recipients: list[Recipient]

    @property
    def total(self) -> int:
        return len(self.recipients)

    @property
    def reached(self) -> int:
        return sum(1 for recipient in self.recipients if recipient.reached)

    @property
    def opted_out(self) -> int:
        return sum(1 for recipient in self.recipients if recipient.opted_out)

    @property
    def no_address(self) -> int:
        return sum(1 for recipient in self.recipients if recipient.no_address and not recipient.opted_out)


def audience(
    session: Session,
    store_id: int,
    *,
    theme_id: int | None = None,
    response_ids: Sequence[int] | None = None,
    since: datetime | None = None,
    channel: Channel = Channel.EMAIL,
) -> Audience:
    """The customers a broadcast about ``theme_id`` (or about the answers ``response_ids``, which take
    precedence) is for, one per customer, with their latest such answer. The caller has checked that
    the theme and the answers are the store's."""
    query = select(SurveyResponse.id, SurveyResponse.customer_id).where(
        SurveyResponse.store_id == store_id, SurveyResponse.customer_id.is_not(None)
    )
    if response_ids is not None:
        query = query.where(SurveyResponse.id.in_(list(response_ids)))
    elif theme_id is not None:
        query = query.join(ResponseTheme, ResponseTheme.response_id == SurveyResponse.id).where(
            ResponseTheme.theme_id == theme_id, ResponseTheme.present.is_(True)
        )
    else:
        return Audience([])
    if since is not None:
        query = query.where(SurveyResponse.created_at >= since)
    latest: dict[int, int] = {}
    for response_id, customer_id in session.execute(query.order_by(SurveyResponse.id)):
        if customer_id is not None:
            latest[customer_id] = response_id
    if not latest:
        return Audience([])
    customers = session.scalars(
        select(Customer).where(
            Customer.id.in_(list(latest)), Customer.store_id == store_id, Customer.erased_at.is_(None)
        )
    )
    found = []
    for customer in sorted(customers, key=lambda row: row.id):
        found.append(
            Recipient(
                customer_id=customer.id,
                response_id=latest[customer.id],
                name=customer.display_name,
                opted_out=not feedback_allowed(session, customer, channel),
                no_address=not (customer.email if channel is Channel.EMAIL else customer.phone),
            )
        )
    return Audience(found)
