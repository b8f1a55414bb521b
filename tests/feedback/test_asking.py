"""Asking: a survey switched on asks through its journeys rule at the right moment, the invitation email
carries the first question as one link per answer, and one throttle holds across every survey and
channel."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from loyaldesk.customers import CustomerProfile, upsert_customer
from loyaldesk.feedback import (
    SurveyChannel,
    SurveyIn,
    SurveyInvitation,
    SurveyKind,
    SurveyStatus,
    ask_customer,
    create_survey,
    set_survey_status,
)
from loyaldesk.feedback.models import Survey
from loyaldesk.journeys import DeliveryResult, DeliveryStatus, OutgoingMessage, register_adapter
from loyaldesk.journeys.actions.deliver import DeliveryConfig, deliver_due
from loyaldesk.journeys.actions.run_steps import run_due
from loyaldesk.journeys.ports import ADAPTERS
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from loyaldesk.kernel.dispatcher import dispatch_until_idle
from tests.factories import StoreHandle, order_payload

_RUNS = itertools.count()
CONFIG = DeliveryConfig(base_url="https://desk.example.com", secret_source=lambda: "test-secret")


class CapturingEmail:
    channel = "email"

    def __init__(self) -> None:
        self.delivered: list[OutgoingMessage] = []

    def address_of(self, session: Any, store_id: int, customer_id: int, /) -> str | None:
        return "emma@example.com"

    def deliver(self, message: OutgoingMessage, /) -> DeliveryResult:
        self.delivered.append(message)
        return DeliveryResult(DeliveryStatus.SENT, provider_id=f"p-{message.send_id}")


@pytest.fixture
def email() -> Iterator[CapturingEmail]:
    saved = ADAPTERS.get("email")
    channel = CapturingEmail()
    register_adapter(channel)  # type: ignore[arg-type]
    yield channel
    if saved is not None:
        register_adapter(saved)


def _read(db: Database, query: Any) -> Any:
    with db.read() as session:
        return query(session)


def _survey(db: Database, store: StoreHandle, key: str) -> int:
    return int(
        _read(
            db,
            lambda s: s.scalar(
                select(Survey.id).where(Survey.store_id == store.id, Survey.builtin_key == key)
            ),
        )
    )


def _settle(db: Database) -> None:
    for _ in range(10):
        done = dispatch_until_idle(db) + db.write(run_due) + deliver_due(db, CONFIG)
        if not done:
            return


def test_a_delivered_order_asks_its_csat_two_days_later_with_the_first_question_in_the_email(
    client: TestClient, db: Database, clock: FakeClock, store: StoreHandle, email: CapturingEmail
) -> None:
    survey_id = _survey(db, store, "csat-delivery")
    db.write(set_survey_status, store.actor, store.id, survey_id, SurveyStatus.ACTIVE)
    clock.advance(timedelta(hours=12))  # mid-morning somewhere: not in quiet hours for the test's zone
    order = client.post("/api/v1/orders", json=order_payload(), headers=store.auth)
    assert order.status_code in (200, 201), order.text
    order_id = order.json()["order"]["id"]
    delivered = client.post(
        f"/api/v1/orders/{order_id}/status", json={"status": "delivered"}, headers=store.auth
    )
    assert delivered.status_code == 200, delivered.text
    _settle(db)
    assert email.delivered == []  # two days to wait
    clock.advance(timedelta(days=2, hours=1))
    _settle(db)
    for _ in range(3):  # quiet hours may hold it until the morning
        if email.delivered:
            break
        clock.advance(timedelta(hours=8))
        _settle(db)
    assert len(email.delivered) == 1
    message = email.delivered[0]
    invitation = _read(db, lambda s: s.scalars(select(SurveyInvitation)).one())
    assert invitation.order_id == order_id and invitation.survey_id == survey_id
    links = re.findall(r'href="([^"]+/s/acme/[^"?]+\?a=(\d+))"', message.html or "")
    assert [int(value) for _, value in links] == [1, 2, 3, 4, 5]
    assert all(invitation.token in url for url, _ in links)
    assert "How satisfied are you with your order?" in (message.html or "")
    assert f"/s/acme/{invitation.token}?a=5" in message.text
    assert "List-Unsubscribe" not in message.headers  # a survey is not marketing: no tracking either
    assert "/t/c/" not in (message.html or "")


def test_a_customer_who_opted_out_of_email_is_not_asked(db: Database, store: StoreHandle) -> None:
    from loyaldesk.journeys import Channel, set_consent

    survey_id = _survey(db, store, "nps-relationship")
    db.write(set_survey_status, store.actor, store.id, survey_id, SurveyStatus.ACTIVE)
    customer_id = _customer(db, store, "c-out")
    db.write(set_consent, store.id, customer_id, Channel.EMAIL, granted=False, source="test")
    result = db.write(_ask, store, survey_id, customer_id, SurveyChannel.EMAIL, "k-out")
    assert result == "opted_out"


def _customer(db: Database, store: StoreHandle, external_id: str) -> int:
    result = db.write(
        upsert_customer,
        store.actor,
        store.id,
        external_id,
        CustomerProfile(email=f"{external_id}@example.com", first_name="Emma"),
    )
    return int(result.customer.id)


def _ask(
    uow: Any, store: StoreHandle, survey_id: int, customer_id: int, channel: SurveyChannel, key: str
) -> str:
    result = ask_customer(
        uow,
        store_id=store.id,
        survey_id=survey_id,
        customer_id=customer_id,
        channel=channel,
        context={},
        key=key,
        base_url="https://desk.example.com",
    )
    return result.reason


ASKS = st.lists(
    st.tuples(
        st.integers(0, 1),  # which customer
        st.integers(0, 2),  # which survey
        st.sampled_from([SurveyChannel.EMAIL, SurveyChannel.WIDGET, SurveyChannel.API, SurveyChannel.MEMBER]),
        st.integers(0, 24 * 40),  # hours before this ask
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(asks=ASKS)
def test_no_customer_is_asked_twice_within_the_throttle_whatever_the_survey_or_channel(
    db: Database, clock: FakeClock, store: StoreHandle, asks: list[tuple[int, int, SurveyChannel, int]]
) -> None:
    surveys = _active_surveys(db, store)
    run = f"r{next(_RUNS)}"
    customers = [_customer(db, store, f"p-{run}-{n}") for n in range(2)]
    window = timedelta(days=30)
    outcomes, expected = [], []
    last_asked: dict[int, Any] = {}
    for number, (who, which, channel, hours) in enumerate(asks):
        clock.advance(timedelta(hours=hours))
        customer_id, now = customers[who], clock.now()
        outcome = db.write(_ask, store, surveys[which], customer_id, channel, f"{run}-{number}")
        outcomes.append(outcome)
        free = customer_id not in last_asked or now - last_asked[customer_id] >= window
        expected.append("asked" if free else "throttled")
        if outcome == "asked":
            last_asked[customer_id] = now
    assert outcomes == expected  # asked whenever the window allows, never otherwise
    for customer_id in customers:
        asked = sorted(
            _read(
                db,
                lambda s, c=customer_id: list(
                    s.scalars(select(SurveyInvitation.asked_at).where(SurveyInvitation.customer_id == c))
                ),
            )
        )
        assert all(later - earlier >= window for earlier, later in itertools.pairwise(asked))


def _active_surveys(db: Database, store: StoreHandle) -> list[int]:
    def make(uow: Any) -> list[int]:
        ids = list(
            uow.session.scalars(
                select(Survey.id).where(Survey.store_id == store.id, Survey.status == SurveyStatus.ACTIVE)
            )
        )
        if len(ids) >= 3:
            return ids[:3]
        for key in ("nps-relationship", "csat-delivery"):
            survey_id = uow.session.scalar(
                select(Survey.id).where(Survey.store_id == store.id, Survey.builtin_key == key)
            )
            set_survey_status(uow, store.actor, store.id, survey_id, SurveyStatus.ACTIVE)
        custom = create_survey(uow, store.actor, store.id, SurveyIn(name="Our own", kind=SurveyKind.CUSTOM))
        set_survey_status(uow, store.actor, store.id, custom.id, SurveyStatus.ACTIVE)
        return list(
            uow.session.scalars(
                select(Survey.id).where(
                    Survey.store_id == store.id,
                    Survey.status == SurveyStatus.ACTIVE,
                    Survey.builtin_key.is_distinct_from("chat-rating"),
                )
            )
        )

    return db.write(make)


def test_a_relationship_nps_asks_its_sample_of_customers_who_ordered_on_its_schedule(
    client: TestClient, db: Database, clock: FakeClock, store: StoreHandle, email: CapturingEmail
) -> None:
    from loyaldesk.feedback import update_survey
    from loyaldesk.journeys.actions.scan import scan_rules

    for number in range(6):
        payload = order_payload(
            f"o-{number}",
            customer={"external_id": f"c-{number}", "email": f"c{number}@example.com", "first_name": "Emma"},
        )
        assert client.post("/api/v1/orders", json=payload, headers=store.auth).status_code in (200, 201)
    _customer(db, store, "never-ordered")
    survey_id = _survey(db, store, "nps-relationship")
    every_one = SurveyIn(
        name="NPS",
        kind=SurveyKind.NPS,
        trigger={"kind": "schedule", "recurrence": "monthly", "sample_percent": 100},
    )
    db.write(update_survey, store.actor, store.id, survey_id, every_one)
    db.write(set_survey_status, store.actor, store.id, survey_id, SurveyStatus.ACTIVE)
    for _ in range(4):  # the first run is tomorrow at 10:00 in each customer's zone
        clock.advance(timedelta(hours=12))
        db.write(scan_rules)
        _settle(db)
    invitations = _read(db, lambda s: list(s.scalars(select(SurveyInvitation))))
    assert len(invitations) == 6  # every customer who ordered, once; not the one who never did
    assert len(email.delivered) == 6
    assert all(len(re.findall(r"\?a=\d+", m.html or "")) == 11 for m in email.delivered)  # 0 to 10


def test_two_workers_asking_one_customer_at_once_ask_once(
    db: Database, store: StoreHandle, database_url: str
) -> None:
    """On PostgreSQL the throttle is read under the customer's row lock: of two asks racing for one
    customer (different surveys, different channels), exactly one gets through."""
    import threading

    if not database_url.startswith("postgresql"):
        pytest.skip("several connections writing at once: PostgreSQL")
    surveys = _active_surveys(db, store)
    customer_id = _customer(db, store, "racing")
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def ask(survey_id: int, channel: SurveyChannel, key: str) -> None:
        def write(uow: Any) -> str:
            start.wait(timeout=10)
            return _ask(uow, store, survey_id, customer_id, channel, key)

        outcomes.append(db.write(write))

    threads = [
        threading.Thread(target=ask, args=(surveys[0], SurveyChannel.EMAIL, "race-1")),
        threading.Thread(target=ask, args=(surveys[1], SurveyChannel.WIDGET, "race-2")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["asked", "throttled"]
