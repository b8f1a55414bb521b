"""What journeys needs from the outside, as typed seams the composition root fills in.

* ``ChannelAdapter``: delivers one rendered message on one channel (email in ``channels/email``, SMS in
  ``channels/sms``, web push in ``channels/push``, the widget in ``channels/widget``). Journeys decides
  *whether* and *when*; the adapter only speaks the channel's protocol.
* ``ScoresProvider``: what the analytics know of a customer (RFM segment, churn risk, value), which lives
  in a layer above journeys; the composition root registers the analytics' implementation.

Adapters register in ``ADAPTERS`` by channel; a channel without an adapter is "not set up" and its sends
are suppressed with that reason (never silently lost).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy.orm import Session

from loyaldesk.journeys.vocab import Channel, MessageCategory


@dataclass(frozen=True)
class Recipient:
    """Who a message goes to: the customer, and their address on the send's channel (an email address,
    an E.164 phone number, a push subscription's id, a widget contact's id)."""

    customer_id: int
    address: str
    name: str = ""
    language: str = "en"


@dataclass(frozen=True)
class OutgoingMessage:
    """A message rendered and ready for its channel. ``idempotency_key`` is the send's own key: adapters
    pass it to providers that deduplicate (an SMS API's idempotency header, a Message-ID)."""

    store_id: int
    send_id: int
    idempotency_key: str
    channel: Channel | str
    category: MessageCategory
    recipient: Recipient
    subject: str
    text: str
    html: str | None = None
    url: str | None = None  # where a push notification or widget banner leads
    headers: dict[str, str] = field(default_factory=dict)  # List-Unsubscribe and the like (email)
    sender_name: str = ""
    sender_email: str = ""
    payload: dict[str, Any] = field(default_factory=dict)  # a webhook step's JSON body
    signing_secret: str = field(default="", repr=False)  # what a webhook step signs its body with


class DeliveryStatus(StrEnum):
    SENT = "sent"  # the provider accepted it
    RETRY = "retry"  # a passing failure: try again later
    FAILED = "failed"  # it will never go (bad number, refused address)
    GONE = "gone"  # the address is no longer valid (a push subscription answered 404/410)


@dataclass(frozen=True)
class DeliveryResult:
    status: DeliveryStatus
    provider_id: str | None = None
    error: str | None = None


class ChannelAdapter(Protocol):
    """Speaks one channel. ``address_of`` finds where the customer can be reached on it (None: they
    cannot); ``deliver`` hands the message over, outside any transaction (it may block on the network),
    and says what happened. It must not raise for a delivery failure: it returns ``FAILED``/``RETRY``."""

    channel: Channel | str

    def address_of(self, session: Session, store_id: int, customer_id: int, /) -> str | None: ...

    def deliver(self, message: OutgoingMessage, /) -> DeliveryResult: ...


# By channel name: the customer channels of ``Channel`` and "webhook" (a rule's call-a-webhook step).
ADAPTERS: dict[str, ChannelAdapter] = {}


def register_adapter(adapter: ChannelAdapter) -> None:
    """Make ``adapter`` the one for its channel (the composition root calls this; again replaces)."""
    ADAPTERS[str(adapter.channel)] = adapter


@dataclass(frozen=True)
class CustomerScores:
    """The analytics' view of one customer (None where not computed yet)."""

    segment: str | None = None  # RFM segment key ("champions", "at_risk", ...)
    churn_risk: float | None = None  # probability the customer has gone quiet for good, 0..1
    value: float | None = None  # expected value (CLV) in the store's currency
    extra: dict[str, Any] = field(default_factory=dict)


class ScoresProvider(Protocol):
    def __call__(
        self, session: Session, store_id: int, customer_ids: list[int], /
    ) -> dict[int, CustomerScores]: ...


_scores: list[ScoresProvider] = []


def provide_scores(provider: ScoresProvider) -> None:
    _scores[:] = [provider]


def scores_for(session: Session, store_id: int, customer_ids: list[int]) -> dict[int, CustomerScores]:
    """The analytics' scores for these customers ({} when no provider is registered or none computed)."""
    if not _scores or not customer_ids:
        return {}
    return _scores[0](session, store_id, customer_ids)
