"""Where other capabilities plug into the customer record.

* ``timeline_entry`` describers turn a stored event into a line on the customer's timeline.
* ``export_section`` providers add their data to a GDPR export (orders, points, conversations...).
* ``erasure_step`` functions remove personal data a capability keeps about a customer.
* ``customer_facts`` providers tell other capabilities what they know of a customer (the loyalty
  program: tier, perks and points), so that support can use them without importing loyalty.
* a ``goodwill_granter`` gives a customer points as a gesture (the loyalty program registers one; the
  support desk calls ``grant_goodwill_points``).

Each capability registers at import time, from its own package, so the customers domain never imports
them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.events import StoredEvent


@dataclass(frozen=True)
class TimelineEntry:
    title: str
    detail: str | None = None
    link: str | None = None


TimelineDescriber = Callable[[StoredEvent], TimelineEntry | None]
ExportSection = Callable[[Session, int, int], Any]
ErasureStep = Callable[[UnitOfWork, int, int], None]

_describers: dict[str, TimelineDescriber] = {}
_export_sections: dict[str, ExportSection] = {}
_erasure_steps: dict[str, ErasureStep] = {}
FactsProvider = Callable[[Session, int, int], "dict[str, Any] | None"]
_facts_providers: dict[str, FactsProvider] = {}


def timeline_entry(*event_types: str) -> Callable[[TimelineDescriber], TimelineDescriber]:
    """Decorator: describe these event types on the customer timeline."""

    def register(fn: TimelineDescriber) -> TimelineDescriber:
        for event_type in event_types:
            _describers[event_type] = fn
        return fn

    return register


def export_section(name: str) -> Callable[[ExportSection], ExportSection]:
    """Decorator: ``fn(session, store_id, customer_id)`` returns JSON-able data for the export."""

    def register(fn: ExportSection) -> ExportSection:
        _export_sections[name] = fn
        return fn

    return register


def erasure_step(name: str) -> Callable[[ErasureStep], ErasureStep]:
    """Decorator: ``fn(uow, store_id, customer_id)`` removes this capability's personal data."""

    def register(fn: ErasureStep) -> ErasureStep:
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


def customer_facts(name: str) -> Callable[[FactsProvider], FactsProvider]:
    """Decorator: ``fn(session, store_id, customer_id)`` returns JSON-able facts, or None."""

    def register(fn: FactsProvider) -> FactsProvider:
        _facts_providers[name] = fn
        return fn

    return register


def facts_about(session: Session, store_id: int, customer_id: int) -> dict[str, dict[str, Any]]:
    """Every registered capability's facts about a customer, by capability name (absent: no facts)."""
    facts: dict[str, dict[str, Any]] = {}
    for name, provider in _facts_providers.items():
        found = provider(session, store_id, customer_id)
        if found is not None:
            facts[name] = found
    return facts


@dataclass(frozen=True)
class GoodwillGiven:
    points: int
    available_points: int  # the customer's balance afterwards


# (uow, store_id, customer_id, points, note, key, reason_code, actor_label) -> GoodwillGiven
GoodwillGranter = Callable[[UnitOfWork, int, int, int, str, str, str, str], GoodwillGiven]
_goodwill_granters: list[GoodwillGranter] = []


def goodwill_granter(fn: GoodwillGranter) -> GoodwillGranter:
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


# (session, store_id) -> the rewards that can be given; (uow, store, customer, reward, note, key, label)
GoodwillRewardLister = Callable[[Session, int], "list[GoodwillReward]"]
GoodwillRewardGiver = Callable[[UnitOfWork, int, int, int, str, str, str], GoodwillReward]
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
