"""Telling a launched offer's group happens after the launch, in small batches: the launch transaction
issues no code and queues no message; a batch that fails half-way leaves nothing behind and its retry gives
each member one code and one message; a batch whose codes were kept but not marked told issues nothing new
when run again; an offer ended before everyone was told stops telling (no code after the end); the API
and the console show how far telling got."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from loyaldesk.journeys import Send
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from loyaldesk.loyalty import Reward, RewardCode, check_ledger
from loyaldesk.recommendations import Offer, OfferAssignment
from loyaldesk.recommendations.actions import offer_telling
from loyaldesk.recommendations.actions.offer_launch import end_offer
from loyaldesk.recommendations.actions.offer_telling import tell_offer_groups
from tests.factories import StoreHandle, make_api_key, table_counts
from tests.recommendations.offer_world import launched, shop, tell

COUNTED = ("loyalty_reward_codes", "loyalty_entries", "journey_sends")
DISCOUNT: dict[str, Any] = {
    "kind": "percent_discount",
    "value": 10,
    "target_kind": "category",
    "target": "Coffee",
    "holdout_percent": 25,
}


def treatment_of(db: Database, offer_id: int) -> set[int]:
    with db.read() as session:
        return set(
            session.scalars(
                select(OfferAssignment.customer_id).where(
                    OfferAssignment.offer_id == offer_id, OfferAssignment.group == "treatment"
                )
            )
        )


def sends_per_customer(db: Database) -> Counter[int]:
    with db.read() as session:
        return Counter(session.scalars(select(Send.customer_id).where(Send.template_key == "personal_offer")))


def codes_per_member(db: Database) -> Counter[int]:
    with db.read() as session:
        return Counter(session.scalars(select(RewardCode.member_id)))


def test_the_launch_itself_issues_no_code_and_queues_no_message(
    db: Database, store: StoreHandle, clock: FakeClock, client: TestClient
) -> None:
    shop(db, store, 40, clock.now() - timedelta(days=3))
    before = table_counts(db, *COUNTED)
    offer_id = launched(db, store, clock.now() + timedelta(days=10), told=False, **DISCOUNT)
    assert table_counts(db, *COUNTED) == before  # no code, no ledger entry, no message
    treatment = treatment_of(db, offer_id)
    with db.read() as session:
        offer = session.get(Offer, offer_id)
        assert offer is not None and offer.status == "active" and offer.reward_id is not None
        reward = session.get(Reward, offer.reward_id)
        assert reward is not None and reward.active is False  # never in the rewards catalogue
        assert session.scalar(select(func.count()).where(OfferAssignment.told_at.is_not(None))) == 0
    reader = make_api_key(db, store, ["recommendations:read"])
    read = client.get(f"/api/v1/offers/{offer_id}", headers=reader).json()
    assert (read["treatment_count"], read["told_count"], read["telling"]) == (len(treatment), 0, True)

    assert tell_offer_groups(db, batch=7, seconds=0) == 7  # one batch per pass when time is up
    read = client.get(f"/api/v1/offers/{offer_id}", headers=reader).json()
    assert (read["told_count"], read["telling"]) == (7, True)
    tell(db)
    read = client.get(f"/api/v1/offers/{offer_id}", headers=reader).json()
    assert (read["told_count"], read["telling"]) == (len(treatment), False)
    assert set(sends_per_customer(db)) == treatment
    with db.read() as session:
        reward = session.get(Reward, offer.reward_id)
        assert reward is not None and reward.active is False  # switched on only inside each batch
        assert check_ledger(session, store.id) == []


def test_a_batch_interrupted_by_an_exception_leaves_no_duplicate_on_the_retry(
    db: Database, store: StoreHandle, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop(db, store, 30, clock.now() - timedelta(days=3))
    offer_id = launched(db, store, clock.now() + timedelta(days=10), told=False, **DISCOUNT)
    treatment = treatment_of(db, offer_id)
    assert len(treatment) > 10
    real = offer_telling.queue_message
    calls = 0

    def failing(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 7:  # the second batch of 4, after its first two members got a code and a message
            raise RuntimeError("the worker died")
        return real(*args, **kwargs)

    monkeypatch.setattr(offer_telling, "queue_message", failing)
    with pytest.raises(RuntimeError):
        tell_offer_groups(db, batch=4)
    # The first batch stands; the failed one left nothing behind.
    assert sum(sends_per_customer(db).values()) == 4
    assert sum(codes_per_member(db).values()) == 4
    monkeypatch.setattr(offer_telling, "queue_message", real)
    assert tell(db) == len(treatment) - 4
    sends = sends_per_customer(db)
    assert set(sends) == treatment and set(sends.values()) == {1}  # one message each
    codes = codes_per_member(db)
    assert len(codes) == len(treatment) and set(codes.values()) == {1}  # one code each
    with db.read() as session:
        code_ids = list(
            session.scalars(
                select(OfferAssignment.reward_code_id).where(
                    OfferAssignment.offer_id == offer_id, OfferAssignment.group == "treatment"
                )
            )
        )
        assert None not in code_ids and len(set(code_ids)) == len(treatment)
        assert check_ledger(session, store.id) == []


def test_told_members_told_again_get_no_second_code_or_message(
    db: Database, store: StoreHandle, clock: FakeClock
) -> None:
    """As if a batch had committed its codes and messages but not its ``told_at`` marks: the goodwill
    grant's and the journeys message's keys make the second telling a no-op."""
    shop(db, store, 20, clock.now() - timedelta(days=3))
    offer_id = launched(db, store, clock.now() + timedelta(days=10), **DISCOUNT)
    treatment = treatment_of(db, offer_id)
    before = table_counts(db, *COUNTED)
    with db.read() as session:
        codes = dict(
            session.execute(
                select(OfferAssignment.customer_id, OfferAssignment.reward_code_id).where(
                    OfferAssignment.offer_id == offer_id
                )
            ).all()
        )
    db.write(lambda uow: uow.session.execute(update(OfferAssignment).values(told_at=None)))
    assert tell(db) == len(treatment)
    assert table_counts(db, *COUNTED) == before
    with db.read() as session:
        again = dict(
            session.execute(
                select(OfferAssignment.customer_id, OfferAssignment.reward_code_id).where(
                    OfferAssignment.offer_id == offer_id
                )
            ).all()
        )
        assert again == codes  # the same code each
        assert check_ledger(session, store.id) == []


def test_an_offer_ended_before_everyone_was_told_stops_telling(
    db: Database, store: StoreHandle, clock: FakeClock, client: TestClient
) -> None:
    shop(db, store, 30, clock.now() - timedelta(days=3))
    offer_id = launched(db, store, clock.now() + timedelta(days=10), told=False, **DISCOUNT)
    treatment = treatment_of(db, offer_id)
    assert tell_offer_groups(db, batch=5, seconds=0) == 5
    db.write(end_offer, store.actor, store.id, offer_id)
    assert tell(db) == 0
    assert sum(codes_per_member(db).values()) == 5 and sum(sends_per_customer(db).values()) == 5
    read = client.get(f"/api/v1/offers/{offer_id}", headers=store.auth).json()
    assert (read["status"], read["told_count"], read["telling"]) == ("ended", 5, False)
    assert read["treatment_count"] == len(treatment)

    # An offer whose end has passed (the end job not run yet) is not told either.
    later = launched(db, store, clock.now() + timedelta(days=2), told=False, **{**DISCOUNT, "name": "Later"})
    clock.advance(timedelta(days=3))
    assert tell(db) == 0
    assert sum(sends_per_customer(db).values()) == 5
    with db.read() as session:
        assert (
            session.scalar(
                select(func.count()).where(
                    OfferAssignment.offer_id == later, OfferAssignment.told_at.is_not(None)
                )
            )
            == 0
        )
