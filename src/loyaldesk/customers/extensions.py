"""Where other capabilities plug into the customer record, through typed seams.

* ``TimelineDescriber``: turns a stored event into a line on the customer's timeline.
* ``ExportSection``: adds a capability's data to a GDPR export (orders, points, conversations...).
* ``ErasureStep``: removes personal data a capability keeps about a customer.
* ``LoyaltyFactsProvider``: tells other capabilities what the loyalty program knows of a customer, as a
  frozen ``LoyaltyFacts`` (tier, perks, points), so that support routes by it without importing loyalty
  and a renamed field is a type error, not a silently missing key. ``facts_about`` gathers every
  capability's facts into one ``CustomerFacts``.
* a ``GoodwillGranter`` gives a customer points as a gesture (the loyalty program provides one; the
  support desk calls ``grant_goodwill_points``), and a rewards lister and giver give reward codes.

The seams are ``typing.Protocol``s defined here, in the neutral domain that both sides already know.
The composition root (``loyaldesk.composition``) registers every capability's implementations (some of
them through the decorators below, by importing the module that holds them); the customers domain never
imports them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from sqlalchemy.orm import Session

from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.events import DomainEvent, StoredEvent


@dataclass(frozen=True)
class TimelineEntry:
    title: str
    detail: str | None = None
    link: str | None = None


class TimelineDescriber(Protocol):
    """A line on the customer's timeline for a stored event, or None to leave it off."""

    def __call__(self, event: StoredEvent, /) -> TimelineEntry | None: ...


class ExportSection(Protocol):
    """A capability's JSON-able data about a customer for their GDPR export (None: nothing kept)."""

    def __call__(self, session: Session, store_id: int, customer_id: int, /) -> Any: ...


class ErasureStep(Protocol):
    """Removes the personal data a capability keeps about a customer, in the erasure's unit of work."""

    def __call__(self, uow: UnitOfWork, store_id: int, customer_id: int, /) -> None: ...


@dataclass(frozen=True)
class LoyaltyFacts:
    """What the loyalty program tells the rest of loyaldesk about one member."""

    tier: str | None  # None: a member below the first tier
    tier_perks: tuple[str, ...]
    support_priority: str | None  # the tier's own support priority ("high", ...), if it sets one
    points: int  # available now
    pending_points: int
    referral_code: str | None


@dataclass(frozen=True)
class CustomerFacts:
    """Every capability's facts about one customer; a field is None where that capability knows nothing
    of them (not a member, no loyalty program)."""

    loyalty: LoyaltyFacts | None = None


class LoyaltyFactsProvider(Protocol):
    """The loyalty program's facts about a customer, or None for a customer who is not a member."""

    def __call__(self, session: Session, store_id: int, customer_id: int, /) -> LoyaltyFacts | None: ...


_describers: dict[str, TimelineDescriber] = {}
_export_sections: dict[str, ExportSection] = {}
_erasure_steps: dict[str, ErasureStep] = {}
_loyalty_facts: list[LoyaltyFactsProvider] = []

DescriberT = TypeVar("DescriberT", bound=TimelineDescriber)
SectionT = TypeVar("SectionT", bound=ExportSection)
StepT = TypeVar("StepT", bound=ErasureStep)


def timeline_entry(*event_types: type[DomainEvent] | str) -> Callable[[DescriberT], DescriberT]:
    """Decorator: describe these event classes (or type names) on the customer timeline."""

    def register(fn: DescriberT) -> DescriberT:
        for event_type in event_types:
            _describers[event_type if isinstance(event_type, str) else event_type.event_type] = fn
        return fn

    return register


def export_section(name: str) -> Callable[[SectionT], SectionT]:
    """Decorator: ``fn(session, store_id, customer_id)`` returns JSON-able data for the export."""

    def register(fn: SectionT) -> SectionT:
        _export_sections[name] = fn
        return fn

    return register


def erasure_step(name: str) -> Callable[[StepT], StepT]:
    """Decorator: ``fn(uow, store_id, customer_id)`` removes this capability's personal data."""

    def register(fn: StepT) -> StepT:
        _erasure_steps[name] = fn
        return fn

    return register


def describe(event: StoredEvent) -> TimelineEntry | None:
    describer = _describers.get(event.event_type)
    return describer(event) if describer else None


def described_types() -> list[str]:
    return sorted(_describers)


def export_sections() -> dict[str, ExportSection]:
    return dict(_export_sections)


def erasure_steps() -> dict[str, ErasureStep]:
    return dict(_erasure_steps)


def provide_loyalty_facts(provider: LoyaltyFactsProvider) -> None:
    """The loyalty program's facts provider (one per install; registering again replaces it)."""
    _loyalty_facts[:] = [provider]


def facts_about(session: Session, store_id: int, customer_id: int) -> CustomerFacts:
    """Every registered capability's facts about a customer (fields stay None where there are none)."""
    loyalty = _loyalty_facts[0](session, store_id, customer_id) if _loyalty_facts else None
    return CustomerFacts(loyalty=loyalty)


@dataclass(frozen=True)
class GoodwillGiven:
    points: int
    available_points: int  # the customer's balance afterwards


class GoodwillGranter(Protocol):
    """Gives ``points`` once per ``key`` (a replay returns the first grant); ``Conflict`` when the
    customer is not a member."""

    def __call__(
        self,
        uow: UnitOfWork,
        store_id: int,
        customer_id: int,
        points: int,
        note: str,
        key: str,
        reason_code: str,
        actor_label: str,
        /,
    ) -> GoodwillGiven: ...


_goodwill_granters: list[GoodwillGranter] = []
GranterT = TypeVar("GranterT", bound=GoodwillGranter)


def goodwill_granter(fn: GranterT) -> GranterT:
    """Decorator: the capability that turns goodwill into something the customer keeps (points)."""
    _goodwill_granters[:] = [fn]
    return fn


def grant_goodwill_points(
    uow: UnitOfWork,
    store_id: int,
    customer_id: int,
    *,
    points: int,
    note: str,
    key: str,
    reason_code: str,
    actor_label: str,
) -> GoodwillGiven:
    """Give ``points`` once per ``key``. ``Conflict`` when no loyalty program can take them or the
    customer is not a member."""
    from loyaldesk.kernel.errors import Conflict

    if not _goodwill_granters:
        raise Conflict("goodwill points need the loyalty program")
    return _goodwill_granters[0](uow, store_id, customer_id, points, note, key, reason_code, actor_label)


@dataclass(frozen=True)
class GoodwillReward:
    reward_id: int
    name: str
    points: int  # what it costs in points, counted against the giver's budget
    code: str | None = None  # the code issued (None when listing what can be given)


class GoodwillRewardLister(Protocol):
    """The rewards an agent may give in a store."""

    def __call__(self, session: Session, store_id: int, /) -> list[GoodwillReward]: ...


class GoodwillRewardGiver(Protocol):
    """Issues a reward's code to a customer at no cost to them, once per ``key``."""

    def __call__(
        self, uow: UnitOfWork, store_id: int, customer_id: int, reward_id: int, note: str, key: str,
        actor_label: str, /,
    ) -> GoodwillReward: ...  # fmt: skip


_reward_listers: list[GoodwillRewardLister] = []
_reward_givers: list[GoodwillRewardGiver] = []


def goodwill_rewards_provider(lister: GoodwillRewardLister, giver: GoodwillRewardGiver) -> None:
    """The capability that gives reward codes as gestures (the loyalty program) registers here."""
    _reward_listers[:] = [lister]
    _reward_givers[:] = [giver]


def goodwill_rewards(session: Session, store_id: int) -> list[GoodwillReward]:
    """Rewards an agent may give (none without a loyalty program)."""
    return _reward_listers[0](session, store_id) if _reward_listers else []


def grant_goodwill_reward(
    uow: UnitOfWork, store_id: int, customer_id: int, *, reward_id: int, note: str, key: str, actor_label: str
) -> GoodwillReward:
    """Issue the reward's code to the customer at no cost to them, once per ``key``."""
    from loyaldesk.kernel.errors import Conflict

    if not _reward_givers:
        raise Conflict("reward codes need the loyalty program")
    return _reward_givers[0](uow, store_id, customer_id, reward_id, note, key, actor_label)
