"""What journeys needs from the outside, as typed seams the composition root fills in.

* ``ChannelAdapter``: delivers one rendered message on one channel (email in ``channels/email``, SMS in
  ``channels/sms``, web push in ``channels/push``, the widget in ``channels/widget``). Journeys decides
  *whether* and *when*; the adapter only speaks the channel's protocol.
* ``ScoresProvider``: what the analytics know of a customer (RFM segment, churn risk, value), which lives
  in a layer above journeys; the composition root registers the analytics' implementation.

Adapters register in ``ADAPTERS`` by channel; a channel without an adapter is "not set up" and its sends
are suppressed with that reason (never silently lost).

Some channels live partly in loyaldesk's own tables (web push: the subscriptions and the store's keys; the
widget: the notices a shopper sees on their next page). Their adapters have two more methods, which the
engine calls through ``prepare_delivery`` and ``finish_delivery`` (no-ops for adapters without them):

1. ``prepare(session, message) -> message``: in a read session just before delivery, loads what the
   network call needs into ``message.channel_data`` (held in memory, never stored);
2. ``deliver(message)``: outside any transaction, as for every adapter;
3. ``after_delivery(uow, message, result)``: in the transaction that records the send's outcome, writes
   what the delivery taught (push: drop subscriptions that answered 404/410; the widget: store the
   notice and announce it), so that the outcome and its consequences commit together.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy.orm import Session

from loyaldesk.journeys.vocab import Channel, MessageCategory
from loyaldesk.kernel.db import UnitOfWork


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
    # What an adapter's ``prepare`` loaded for its network call (push: subscriptions and keys). In memory
    # only: the engine never stores it.
    channel_data: dict[str, Any] = field(default_factory=dict)
    # Files an email carries (an invitation's .ics): ``filename``, ``content_type`` (``text/calendar;
    # method=REQUEST``), text ``content``. Other channels ignore them.
    attachments: list[dict[str, str]] = field(default_factory=list)


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
    # What the adapter learnt for its ``after_delivery`` (push: which subscriptions accepted, which are gone).
    details: dict[str, Any] = field(default_factory=dict)


class ChannelAdapter(Protocol):
    """Speaks one channel. ``address_of`` finds where the customer can be reached on it (None: they
    cannot); ``deliver`` hands the message over, outside any transaction (it may block on the network),
    and says what happened. It must not raise for a delivery failure: it returns ``FAILED``/``RETRY``.
    Adapters with tables of their own also have ``prepare`` and ``after_delivery`` (the module's
    docstring); the engine reaches them through ``prepare_delivery`` and ``finish_delivery``."""

    @property
    def channel(self) -> Channel | str: ...

    def address_of(self, session: Session, store_id: int, customer_id: int, /) -> str | None: ...

    def deliver(self, message: OutgoingMessage, /) -> DeliveryResult: ...


# By channel name: the customer channels of ``Channel`` and "webhook" (a rule's call-a-webhook step).
ADAPTERS: dict[str, ChannelAdapter] = {}


def prepare_delivery(adapter: ChannelAdapter, session: Session, message: OutgoingMessage) -> OutgoingMessage:
    """``message`` with what ``adapter`` needs for its network call loaded (its optional ``prepare``, on
    a read session, right before ``deliver``); ``message`` itself for adapters without one."""
    prepare = getattr(adapter, "prepare", None)
    return message if prepare is None else prepare(session, message)  # type: ignore[no-any-return]


def finish_delivery(
    adapter: ChannelAdapter, uow: UnitOfWork, message: OutgoingMessage, result: DeliveryResult
) -> None:
    """Let ``adapter`` write what ``result`` taught it (its optional ``after_delivery``), in ``uow``: the
    transaction in which the engine records the send's outcome."""
    after = getattr(adapter, "after_delivery", None)
    if after is not None:
        after(uow, message, result)


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


@dataclass(frozen=True)
class SurveyAsk:
    """A rule's ``ask_survey`` step for one customer: the step as saved (``survey_id``, ``channel``,
    optional ``sample_percent``), the run's context (the triggering event's ``order_id``,
    ``conversation_id``...) and ``key``, the step's idempotency key (rule, step, customer, occurrence)."""

    store_id: int
    rule_id: int
    enrollment_id: int
    step_index: int
    customer_id: int
    step: dict[str, Any]
    context: dict[str, Any]
    key: str


class SurveyAsker(Protocol):
    """Feedback's side of the ``ask_survey`` step (registered by the composition root): ``survey_ids``
    lists the surveys a rule may ask in a store (checked when the rule is saved); ``ask`` asks one
    customer, in the run's transaction, applying the store's one survey throttle, and returns what the
    explain record says (asked, throttled, sampled out...)."""

    def survey_ids(self, session: Session, store_id: int, /) -> frozenset[int]: ...

    def ask(self, uow: UnitOfWork, ask: SurveyAsk, /) -> str: ...


_askers: list[SurveyAsker] = []


def provide_survey_asker(asker: SurveyAsker) -> None:
    _askers[:] = [asker]


def survey_asker() -> SurveyAsker | None:
    """The registered asker (None in a process that composed without feedback: the step then fails with
    that reason in the explain record)."""
    return _askers[0] if _askers else None


@dataclass(frozen=True)
class ProductAsk:
    """What a message's ``{{ recommendations }}`` block asks for one recipient: up to ``count`` products,
    narrowed to ``categories`` or to a campaign's ``item_keys`` when given, in ``language``."""

    store_id: int
    customer_id: int
    count: int = 3
    categories: tuple[str, ...] = ()
    item_keys: tuple[str, ...] = ()
    language: str = "en"


@dataclass(frozen=True)
class ProductCard:
    """One product in a message: what the recipient reads (``price`` already written in their language,
    "" when unknown; ``reason`` the pick's why in words)."""

    item_key: str
    title: str
    url: str | None = None
    image_url: str | None = None
    price: str = ""
    reason: str = ""


class ProductPicker(Protocol):
    """Recommendations' side of the ``recommendations`` block (registered by the composition root):
    the recipient's picks, best first, [] when there are none (the block then renders nothing). A read."""

    def __call__(self, session: Session, ask: ProductAsk, /) -> list[ProductCard]: ...


_pickers: list[ProductPicker] = []


def provide_product_picker(picker: ProductPicker) -> None:
    _pickers[:] = [picker]


def pick_products(session: Session, ask: ProductAsk) -> list[ProductCard]:
    """The registered picker's products for ``ask`` ([] in a process composed without recommendations)."""
    return _pickers[0](session, ask) if _pickers else []
