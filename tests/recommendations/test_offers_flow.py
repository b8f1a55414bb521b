"""Personal offers end to end: a launch splits the targeted members at random (reproducibly, in the
expected proportions) and tells nobody itself; the telling job then tells the offer group through
journeys and never the holdout, and issues discount codes to the offer group only; a qualifying paid
order converts either group and credits a bonus once (a replayed event changes nothing; the ledger stays
clean); results come with intervals through the store API; the job ends offers whose time is up; bad
input is refused naming the field, storing nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from loyaldesk.commerce import ingest_orders
from loyaldesk.customers import Customer
from loyaldesk.journeys import Send, register_adapter
from loyaldesk.journeys.actions.deliver import deliver_due
from loyaldesk.journeys.ports import ADAPTERS
from loyaldesk.kernel.actors import system_for
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from loyaldesk.kernel.dispatcher import dispatch_until_idle
from loyaldesk.kernel.errors import Conflict
from loyaldesk.kernel.events import EventRecord
from loyaldesk.kernel.jobs import jobs
from loyaldesk.loyalty import LedgerEntry, Reward, RewardCode, check_ledger
from loyaldesk.recommendations import Offer, OfferAssignment
from loyaldesk.recommendations.actions.offer_launch import end_due_offers, end_offer, launch_offer
from loyaldesk.recommendations.rules.uplift import in_holdout
from loyaldesk.stores import Store
from loyaldesk.stores.credentials import shopper_signature
from tests.factories import StoreHandle, make_api_key, table_counts
from tests.journeys.conftest import CONFIG, RecordingChannel
from tests.recommendations.offer_world import launched, line, order, shop, tell


@pytest.fixture
def email_channel() -> Iterator[RecordingChannel]:
    saved = ADAPTERS.get("email")
    channel = RecordingChannel("email")
    register_adapter(channel)
    yield channel
    if saved is not None:
        register_adapter(saved)


def groups_of(db: Database, offer_id: int) -> dict[int, str]:
    with db.read() as session:
        rows = session.execute(
            select(OfferAssignment.customer_id, OfferAssignment.group).where(
                OfferAssignment.offer_id == offer_id
            )
        )
        return {int(customer): str(group) for customer, group in rows}


def told(db: Database) -> set[int]:
    with db.read() as session:
        return set(session.scalars(select(Send.customer_id).where(Send.template_key == "personal_offer")))


def test_a_launch_splits_1000_members_reproducibly_and_tells_only_the_offer_group(
    db: Database, store: StoreHandle, clock: FakeClock
) -> None:
    customers = shop(db, store, 1000, clock.now() - timedelta(days=3))
    offer_id = launched(
        db, store, clock.now() + timedelta(days=14), told=False, target_kind="any", target=None
    )
    groups = groups_of(db, offer_id)
    assert sorted(groups) == customers
    held = {customer for customer, group in groups.items() if group == "holdout"}
    # 20% held out: within four standard deviations of a binomial(1000, 0.2) (0.2 ± 0.051).
    assert 149 <= len(held) <= 251
    assert all((customer in held) == in_holdout(offer_id, customer, 20) for customer in customers)
    treatment = set(customers) - held
    assert told(db) == set()  # the launch itself tells nobody
    assert "recommendations.tell_offers" in {job.name for job in jobs.all()}  # composed
    assert tell(db) == len(treatment)
    assert told(db) == treatment  # the offer group is told, the holdout never
    with db.read() as session:
        offer = session.get(Offer, offer_id)
        assert offer is not None
        assert (offer.status, offer.treatment_count, offer.holdout_count) == (
            "active",
            len(treatment),
            len(held),
        )
    # Launching again re-assigns nobody and sends nothing more.
    db.write(launch_offer, store.actor, store.id, offer_id)
    assert tell(db) == 0
    assert groups_of(db, offer_id) == groups
    assert table_counts(db, "journey_sends")["journey_sends"] == len(treatment)
    with db.read() as session:
        launches = session.scalars(
            select(EventRecord.payload).where(EventRecord.event_type == "recommendations.offer_launched")
        ).all()
    assert [(p["treatment"], p["holdout"]) for p in launches] == [(len(treatment), len(held))]


def test_the_offer_group_gets_the_message_the_holdout_nothing_and_an_opt_out_is_respected(
    db: Database, store: StoreHandle, clock: FakeClock, email_channel: RecordingChannel
) -> None:
    customers = shop(db, store, 30, clock.now() - timedelta(days=3))
    quiet = customers[0]
    db.write(lambda uow: setattr(uow.session.get(Customer, quiet), "marketing_consent", False))
    offer_id = launched(
        db, store, clock.now() + timedelta(days=14), holdout_percent=40, target_kind="any", target=None
    )
    groups = groups_of(db, offer_id)
    while deliver_due(db, CONFIG):
        pass
    delivered = {message.recipient.customer_id for message in email_channel.delivered}
    treatment = {customer for customer, group in groups.items() if group == "treatment"}
    assert delivered == treatment - {quiet}
    assert all(groups[customer] == "treatment" for customer in delivered)
    message = email_channel.delivered[0]
    assert "150 bonus points on any order" in message.text


def test_a_qualifying_order_converts_both_groups_and_credits_the_bonus_once(
    db: Database, store: StoreHandle, clock: FakeClock
) -> None:
    customers = shop(db, store, 24, clock.now() - timedelta(days=3))
    dispatch_until_idle(db)  # the history's own events (points for those orders)
    offer_id = launched(db, store, clock.now() + timedelta(days=14), holdout_percent=50)
    groups = groups_of(db, offer_id)
    treated = [c for c in customers if groups[c] == "treatment"]
    held = [c for c in customers if groups[c] == "holdout"]
    assert treated and held
    external = {c: f"c{customers.index(c) + 1}" for c in customers}
    later = clock.advance(timedelta(days=1))

    def buy(customer: int, external_id: str, lines: list[dict[str, object]]) -> None:
        db.write(
            ingest_orders,
            system_for(store.id),
            store.id,
            [order(external_id, external[customer], later, lines)],
        )
        dispatch_until_idle(db)

    buy(treated[0], "n-1", [line("BEANS-2", "Coffee"), line("MUG", "Home")])
    buy(held[0], "n-2", [line("BEANS-1", "Coffee")])
    buy(treated[1], "n-3", [line("MUG", "Home")])  # not the target: no conversion
    buy(treated[0], "n-4", [line("BEANS-1", "Coffee")])  # a second qualifying order: no second bonus

    key = f"goodwill:offer-bonus:{offer_id}:{treated[0]}"
    with db.read() as session:
        rows = {
            a.customer_id: a
            for a in session.scalars(select(OfferAssignment).where(OfferAssignment.offer_id == offer_id))
        }
        assert rows[treated[0]].converted_at is not None and rows[treated[0]].bonus_entry_id is not None
        assert rows[held[0]].converted_at is not None and rows[held[0]].bonus_entry_id is None
        assert rows[treated[1]].converted_at is None
        entries = list(session.scalars(select(LedgerEntry).where(LedgerEntry.idempotency_key == key)))
        assert len(entries) == 1 and entries[0].points == 150
        converted = session.scalar(
            select(func.count())
            .select_from(EventRecord)
            .where(EventRecord.event_type == "recommendations.offer_converted")
        )
    assert converted == 2

    # Every paid-order event of the offer's customers delivered again (a retry, a replay): still one
    # bonus, one conversion each, a clean ledger.
    db.write(
        lambda uow: uow.session.execute(
            update(EventRecord)
            .where(EventRecord.event_type == "commerce.order_paid", EventRecord.occurred_at >= later)
            .values(dispatched_at=None, next_dispatch_at=None)
        )
    )
    dispatch_until_idle(db)
    with db.read() as session:
        assert (
            session.scalar(
                select(func.count()).select_from(LedgerEntry).where(LedgerEntry.idempotency_key == key)
            )
            == 1
        )
        assert check_ledger(session, store.id) == []


def shopper_headers(db: Database, store: StoreHandle, external_id: str) -> dict[str, str]:
    with db.read() as session:
        found = session.get(Store, store.id)
        assert found is not None
        secret = found.identity_secret
    return {"X-Customer-Id": external_id, "X-Customer-Signature": shopper_signature(secret, external_id)}


def test_a_discount_gives_the_offer_group_personal_codes_and_the_holdout_sees_nothing(
    db: Database, store: StoreHandle, clock: FakeClock, client: TestClient
) -> None:
    customers = shop(db, store, 16, clock.now() - timedelta(days=3))
    external = {c: f"c{n}" for n, c in enumerate(customers, start=1)}
    offer_id = launched(
        db,
        store,
        clock.now() + timedelta(days=10),
        kind="percent_discount",
        value=15,
        target_kind="product",
        target="BEANS-1",
        holdout_percent=40,
        description="Our house roast",
    )
    groups = groups_of(db, offer_id)
    treated = [c for c in customers if groups[c] == "treatment"]
    held = [c for c in customers if groups[c] == "holdout"]
    assert treated and held
    with db.read() as session:
        offer = session.get(Offer, offer_id)
        assert offer is not None and offer.reward_id is not None
        reward = session.get(Reward, offer.reward_id)
        assert reward is not None
        assert (reward.kind, reward.value, reward.product_sku, reward.active) == (
            "percentage_discount",
            15,
            "BEANS-1",
            False,  # never in the rewards catalogue: the codes are the offer
        )
        codes = {
            a.customer_id: a.reward_code_id
            for a in session.scalars(select(OfferAssignment).where(OfferAssignment.offer_id == offer_id))
        }
        assert all(codes[c] is not None for c in treated)
        assert all(codes[c] is None for c in held)
        assert session.scalar(select(func.count()).select_from(RewardCode)) == len(treated)
        assert check_ledger(session, store.id) == []  # each code's point given and spent
    mine = client.get(
        "/member-api/v1/acme/me/offers", headers=shopper_headers(db, store, external[treated[0]])
    )
    assert mine.status_code == 200
    [shown] = mine.json()["offers"]
    assert shown["gives"] == "15% off"
    assert shown["applies_to"] == "on BEANS-1"  # no catalogue product: the item key
    assert shown["code"].startswith("LD-")
    assert shown["description"] == "Our house roast"
    theirs = client.get(
        "/member-api/v1/acme/me/offers", headers=shopper_headers(db, store, external[held[0]])
    )
    assert theirs.json() == {"offers": []}
    german = client.get(
        "/member-api/v1/acme/me/offers",
        headers={**shopper_headers(db, store, external[treated[0]]), "Accept-Language": "de"},
    )
    assert german.json()["offers"][0]["gives"] == "15\u00a0% Rabatt"


def test_results_through_the_api_with_intervals_and_the_job_ends_the_offer(
    db: Database, store: StoreHandle, clock: FakeClock, client: TestClient
) -> None:
    customers = shop(db, store, 40, clock.now() - timedelta(days=3))
    dispatch_until_idle(db)
    offer_id = launched(db, store, clock.now() + timedelta(days=7), holdout_percent=50)
    groups = groups_of(db, offer_id)
    later = clock.advance(timedelta(days=1))
    buyers = customers[:12]
    db.write(
        ingest_orders,
        system_for(store.id),
        store.id,
        [order(f"n-{c}", f"c{customers.index(c) + 1}", later, [line("BEANS-1", "Coffee")]) for c in buyers],
    )
    dispatch_until_idle(db)
    reader = make_api_key(db, store, ["recommendations:read"])
    found = client.get(f"/api/v1/offers/{offer_id}", headers=reader)
    assert found.status_code == 200
    body = found.json()
    treatment, holdout = body["groups"]
    assert (treatment["group"], holdout["group"]) == ("treatment", "holdout")
    expected = {g: sum(1 for c in buyers if groups[c] == g) for g in ("treatment", "holdout")}
    assert treatment["converted"] == expected["treatment"] and holdout["converted"] == expected["holdout"]
    assert treatment["customers"] + holdout["customers"] == 40
    assert treatment["revenue_per_customer"] == pytest.approx(
        1500 * expected["treatment"] / treatment["customers"]
    )
    interval = body["conversion_difference_interval"]
    assert interval["low"] < body["conversion_difference"] < interval["high"]
    assert body["revenue_difference_interval"]["low"] < body["revenue_difference"]
    listed = client.get("/api/v1/offers", headers=reader).json()
    assert [row["id"] for row in listed["data"]] == [offer_id] and listed["next_cursor"] is None
    assert client.get("/api/v1/offers", headers=make_api_key(db, store, ["loyalty:read"])).status_code == 403

    clock.advance(timedelta(days=7))
    assert "recommendations.end_due_offers" in {job.name for job in jobs.all()}  # composed
    assert db.write(end_due_offers) == 1
    with db.read() as session:
        offer = session.get(Offer, offer_id)
        assert offer is not None and offer.status == "ended"
    # Ended: a late order does not convert, the member page no longer shows it.
    assert client.get(f"/api/v1/offers/{offer_id}", headers=reader).json()["status"] == "ended"
    with pytest.raises(Conflict):
        db.write(launch_offer, store.actor, store.id, offer_id)
    assert db.write(end_offer, store.actor, store.id, offer_id).status == "ended"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "percent_discount", "value": 0}, "value"),
        ({"kind": "percent_discount", "value": 150}, "value"),
        ({"holdout_percent": 60}, "holdout_percent"),
        ({"ends_at": "2020-01-01T00:00:00+00:00"}, "ends_at"),
        ({"target": "Caviar"}, "target"),
        ({"target_kind": "product", "target": "NOPE-1"}, "target"),
        ({"segment": "whales"}, "segment"),
        ({"kind": "free_lunch"}, "kind"),
    ],
)
def test_bad_offers_are_refused_naming_the_field_and_nothing_is_stored(
    db: Database,
    store: StoreHandle,
    clock: FakeClock,
    client: TestClient,
    change: dict[str, object],
    field: str,
) -> None:
    shop(db, store, 3, clock.now() - timedelta(days=3))
    body: dict[str, object] = {
        "name": "Beans bonus",
        "kind": "bonus_points",
        "value": 100,
        "target_kind": "category",
        "target": "Coffee",
        "ends_at": (clock.now() + timedelta(days=5)).isoformat(),
        **change,
    }
    before = table_counts(db, "recommendation_offers", "audit_log")
    answer = client.post("/api/v1/offers", json=body, headers=store.auth)
    assert answer.status_code == 422, answer.text
    assert field in answer.text
    assert table_counts(db, "recommendation_offers", "audit_log") == before
    good = client.post(
        "/api/v1/offers",
        json={**body, **dict.fromkeys(change, None)} | _defaults(change, clock),
        headers=store.auth,
    )
    assert good.status_code == 201, good.text


def _defaults(change: dict[str, object], clock: FakeClock) -> dict[str, object]:
    fixed: dict[str, object] = {
        "kind": "bonus_points",
        "value": 100,
        "holdout_percent": 10,
        "ends_at": (clock.now() + timedelta(days=5)).isoformat(),
        "target_kind": "category",
        "target": "Coffee",
        "segment": None,
    }
    return {key: fixed[key] for key in change} | {"target_kind": "category", "target": "Coffee"}
