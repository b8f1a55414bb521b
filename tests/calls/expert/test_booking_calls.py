"""The video call of an expert session: the expert or the seat's customer opens it (one per seat), the
other answers; another customer, another expert, an in-store session or a cancelled booking are refused."""

from __future__ import annotations

from datetime import timedelta

import pytest

from loyaldesk import bookings, calls
from loyaldesk.bookings.models import SessionType
from loyaldesk.calls import CallKind, CallParty, CallState
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.errors import NotFound
from tests.bookings.desk import TUESDAY_10, Desk


def expert(desk: Desk, index: int) -> Actor:
    return Actor(kind="staff", id=desk.experts[index], store_id=desk.store.id, label="expert", role="agent")


def test_the_expert_and_the_customer_meet_in_one_call(desk: Desk) -> None:
    customer = desk.customers[0]
    seat = desk.book(customer, TUESDAY_10)
    opened = desk.write(calls.open_booking_call, seat_id=seat, party=CallParty.AGENT, actor=expert(desk, 0))
    assert (
        opened.kind == CallKind.VIDEO
        and opened.customer_id == customer
        and opened.agent_user_id == desk.experts[0]
    )
    joined = desk.write(calls.open_booking_call, seat_id=seat, party=CallParty.SHOPPER, customer_id=customer)
    assert joined.id == opened.id  # one call per seat
    assert desk.read(calls.open_session_for_seat, seat_id=seat).id == opened.id  # type: ignore[union-attr]
    with pytest.raises(NotFound):  # another customer's seat
        desk.write(
            calls.open_booking_call, seat_id=seat, party=CallParty.SHOPPER, customer_id=desk.customers[1]
        )
    with pytest.raises(calls.NotTheAnsweringParty):  # a shopper who is not the seat's
        desk.write(
            calls.answer_session,
            session_id=opened.id,
            party=CallParty.SHOPPER,
            accept=True,
            customer_id=desk.customers[1],
        )
    answered = desk.write(
        calls.answer_session, session_id=opened.id, party=CallParty.SHOPPER, accept=True, customer_id=customer
    )
    assert answered.state == CallState.ACTIVE
    desk.clock.advance(timedelta(minutes=30))
    ended = desk.write(calls.end_session, session_id=opened.id, party=CallParty.AGENT, actor=expert(desk, 0))
    assert ended.duration_seconds == 1800 and desk.read(calls.open_session_for_seat, seat_id=seat) is None


def test_a_customers_ring_is_the_seats_experts_to_answer(desk: Desk) -> None:
    customer = desk.customers[0]
    seat = desk.book(customer, TUESDAY_10)
    ringing = desk.write(calls.open_booking_call, seat_id=seat, party=CallParty.SHOPPER, customer_id=customer)
    with pytest.raises(calls.NotTheAnsweringParty):  # another expert
        desk.write(
            calls.answer_session,
            session_id=ringing.id,
            party=CallParty.AGENT,
            accept=True,
            actor=expert(desk, 1),
        )
    answered = desk.write(
        calls.answer_session, session_id=ringing.id, party=CallParty.AGENT, accept=True, actor=expert(desk, 0)
    )
    assert answered.state == CallState.ACTIVE


def test_in_store_and_cancelled_sessions_have_no_call(desk: Desk) -> None:
    in_store = desk.book(desk.customers[0], TUESDAY_10 - timedelta(hours=1), slug="workshop")

    def move_in_store(uow):  # type: ignore[no-untyped-def]
        uow.session.get(SessionType, desk.types["workshop"]).mode = bookings.SessionMode.IN_STORE.value

    desk.db.write(move_in_store)
    with pytest.raises(calls.KindNotAllowed):
        desk.write(calls.open_booking_call, seat_id=in_store, party=CallParty.AGENT, actor=expert(desk, 0))
    seat = desk.book(desk.customers[1], TUESDAY_10 + timedelta(hours=3))
    desk.write(bookings.cancel_booking, customer_id=desk.customers[1], seat_id=seat)
    with pytest.raises(calls.SessionNotOpen):
        desk.write(
            calls.open_booking_call, seat_id=seat, party=CallParty.SHOPPER, customer_id=desk.customers[1]
        )
