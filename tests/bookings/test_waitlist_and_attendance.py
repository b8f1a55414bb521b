"""The waitlist (join, leave, a freed seat offered through journeys to the next in line, the first to
accept wins and the other gets ``OfferTaken``) and attendance after the session (a no-show's points
taken once, never overdrawn; an attended session asks the store's CSAT survey, once)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from loyaldesk import bookings
from loyaldesk.feedback import SurveyIn, SurveyInvitation, SurveyStatus, create_survey, set_survey_status
from loyaldesk.journeys import Send
from loyaldesk.kernel.dispatcher import dispatch_until_idle
from loyaldesk.kernel.errors import Conflict, Invalid
from loyaldesk.loyalty import LedgerEntry
from tests.bookings.desk import START_POINTS, TUESDAY_10, Desk


def join(desk: Desk, customer: int, **window: timedelta) -> int:
    return int(
        desk.write(
            bookings.join_waitlist,
            customer_id=customer,
            session_type_id=desk.types["styling"],
            wanted_from=TUESDAY_10 - window.get("before", timedelta(hours=1)),
            wanted_until=TUESDAY_10 + window.get("after", timedelta(hours=1)),
        )
    )


def offers_sent(desk: Desk) -> list[str]:
    with desk.db.read() as session:
        return list(
            session.scalars(
                select(Send.idempotency_key)
                .where(Send.template_key == "booking_waitlist_offer")
                .order_by(Send.id)
            )
        )


def test_a_freed_seat_goes_to_the_first_who_accepts(desk: Desk) -> None:
    a, b, c, d = desk.customers[:4]
    booked = [desk.book(a, TUESDAY_10), desk.book(b, TUESDAY_10)]  # both experts
    first, second = join(desk, c), join(desk, d)
    far = join(desk, desk.customers[4], before=timedelta(hours=-5), after=timedelta(hours=9))  # wants later
    with pytest.raises(Conflict):
        join(desk, c)  # already waiting then
    with pytest.raises(Invalid) as raised:
        desk.write(
            bookings.join_waitlist, customer_id=c, session_type_id=desk.types["styling"],
            wanted_from=TUESDAY_10, wanted_until=TUESDAY_10 - timedelta(hours=1),
        )  # fmt: skip
    assert raised.value.problems[0].field == "wanted_until"

    desk.write(bookings.cancel_booking, seat_id=booked[0], customer_id=a)
    desk.write(bookings.cancel_booking, seat_id=booked[0], customer_id=a)  # a replay offers nothing again
    assert len(offers_sent(desk)) == 2  # c and d (in line), not the one wanting another time
    waitlist = desk.read(bookings.customer_waitlist, customer_id=c)
    assert (waitlist[0].status, waitlist[0].offered_starts_at) == ("offered", TUESDAY_10)
    assert desk.read(bookings.customer_waitlist, customer_id=desk.customers[4])[0].status == "waiting"

    seat = desk.write(bookings.accept_waitlist_offer, customer_id=d, entry_id=second)  # d is quicker
    assert desk.write(bookings.accept_waitlist_offer, customer_id=d, entry_id=second) == seat  # a replay
    with pytest.raises(bookings.OfferTaken):
        desk.write(bookings.accept_waitlist_offer, customer_id=c, entry_id=first)
    assert desk.points(d) == START_POINTS - 100  # paid once
    assert [w.status for w in desk.read(bookings.customer_waitlist, customer_id=c)] == ["waiting"]
    assert [w.status for w in desk.read(bookings.customer_waitlist, customer_id=d)] == ["booked"]
    desk.write(bookings.leave_waitlist, customer_id=c, entry_id=first)
    desk.write(bookings.leave_waitlist, customer_id=c, entry_id=first)  # twice: nothing more
    assert [w.status for w in desk.read(bookings.customer_waitlist, customer_id=c)] == ["withdrawn"]
    assert far
    desk.ledger_clean()


def test_a_lapsed_hold_freed_by_the_job_is_offered_too(desk: Desk) -> None:
    desk.book(desk.customers[0], TUESDAY_10)
    desk.hold(desk.customers[1], TUESDAY_10)
    entry = join(desk, desk.customers[2])
    desk.clock.advance(timedelta(minutes=11))
    assert desk.db.write(bookings.release_expired_holds) == 1
    assert offers_sent(desk) == [offers_sent(desk)[0]] and str(entry) in offers_sent(desk)[0]
    seat = desk.write(bookings.accept_waitlist_offer, customer_id=desk.customers[2], entry_id=entry)
    assert [
        b.id
        for b in desk.read(bookings.customer_bookings, customer_id=desk.customers[2], now=desk.clock.now())
    ] == [seat]


def test_a_no_show_costs_its_points_once_and_never_overdraws(desk: Desk) -> None:
    shopper = desk.customers[0]
    booked = desk.book(shopper, TUESDAY_10)
    with pytest.raises(Conflict, match="not started"):
        desk.write(bookings.mark_attendance, actor_id=desk.manager, seat_id=booked, attended=False)
    desk.clock.set(TUESDAY_10 + timedelta(hours=1))
    for _ in range(2):
        desk.write(bookings.mark_attendance, actor_id=desk.manager, seat_id=booked, attended=False)
    assert desk.points(shopper) == START_POINTS - 100 - 30
    with pytest.raises(Conflict):
        desk.write(bookings.mark_attendance, actor_id=desk.manager, seat_id=booked, attended=True)
    with desk.db.read() as session:
        keys = session.scalars(
            select(LedgerEntry.points).where(LedgerEntry.idempotency_key == f"booking:{booked}:no-show")
        ).all()
        assert keys == [-30]
    desk.ledger_clean()


def test_an_attended_session_asks_the_csat_survey_once(desk: Desk) -> None:
    def survey(uow):  # type: ignore[no-untyped-def]
        made = create_survey(
            uow,
            desk.store.actor,
            desk.store.id,
            SurveyIn(name="After your session", kind="csat", channel="email"),
        )
        set_survey_status(uow, desk.store.actor, desk.store.id, made.id, SurveyStatus.ACTIVE)
        return made.id

    survey_id = desk.db.write(survey)
    booked = desk.book(desk.customers[0], TUESDAY_10)
    desk.clock.set(TUESDAY_10 + timedelta(hours=1))
    desk.write(bookings.mark_attendance, actor_id=desk.manager, seat_id=booked, attended=True)
    desk.write(bookings.mark_attendance, actor_id=desk.manager, seat_id=booked, attended=True)
    dispatch_until_idle(desk.db)
    dispatch_until_idle(desk.db)
    with desk.db.read() as session:
        asked = session.execute(
            select(SurveyInvitation.survey_id, SurveyInvitation.customer_id, SurveyInvitation.idempotency_key)
        ).all()
    assert [tuple(row) for row in asked] == [(survey_id, desk.customers[0], f"booking:{booked}:csat")]
    assert desk.points(desk.customers[0]) == START_POINTS - 100  # attending costs nothing


def test_two_shoppers_accepting_the_same_freed_seat_at_once_one_wins(desk: Desk) -> None:
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from loyaldesk.kernel.errors import DomainError

    a, b, c, d = desk.customers[:4]
    booked = desk.book(a, TUESDAY_10)
    desk.book(b, TUESDAY_10)
    entries = {c: join(desk, c), d: join(desk, d)}
    desk.write(bookings.cancel_booking, seat_id=booked, customer_id=a)
    barrier = threading.Barrier(2)

    def accept(customer: int) -> int | DomainError:
        barrier.wait()
        try:
            return int(
                desk.write(bookings.accept_waitlist_offer, customer_id=customer, entry_id=entries[customer])
            )
        except DomainError as error:
            return error

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(accept, [c, d]))
    won = [result for result in results if isinstance(result, int)]
    assert len(won) == 1, results
    assert [type(result) for result in results if not isinstance(result, int)] == [bookings.OfferTaken]
    assert sorted(desk.points(customer) for customer in (c, d)) == [START_POINTS - 100, START_POINTS]
    desk.ledger_clean()


def test_a_journey_can_follow_up_an_attended_session(desk: Desk) -> None:
    """Stores build their own follow-ups on the booking events (here a webhook step after attendance)."""
    from loyaldesk.journeys import DeliveryResult, DeliveryStatus, RuleIn, register_adapter
    from loyaldesk.journeys.actions.deliver import DeliveryConfig, deliver_due
    from loyaldesk.journeys.actions.rules import save_rule
    from loyaldesk.journeys.actions.run_steps import run_due
    from loyaldesk.journeys.ports import ADAPTERS

    class Hooks:
        channel = "webhook"
        delivered: list[dict] = []

        def address_of(self, session, store_id, customer_id, /):  # type: ignore[no-untyped-def]
            return "somewhere"

        def deliver(self, message, /):  # type: ignore[no-untyped-def]
            self.delivered.append(message.payload)
            return DeliveryResult(DeliveryStatus.SENT, provider_id="p")

    saved, hooks = ADAPTERS.get("webhook"), Hooks()
    register_adapter(hooks)  # type: ignore[arg-type]
    try:
        rule = RuleIn(
            name="After a session", enabled=True, category="transactional",
            trigger={"kind": "event", "event": "bookings.session_attended"},
            steps=[{"kind": "call_webhook", "url": "https://shop.example.com/hooks/session"}],
        )  # fmt: skip
        desk.db.write(save_rule, desk.store.actor, desk.store.id, rule)
        booked = desk.book(desk.customers[0], TUESDAY_10)
        desk.clock.set(TUESDAY_10 + timedelta(hours=1))
        desk.write(bookings.mark_attendance, actor_id=desk.manager, seat_id=booked, attended=True)
        for _ in range(3):
            dispatch_until_idle(desk.db)
            desk.db.write(run_due)
            deliver_due(
                desk.db, DeliveryConfig(base_url="https://desk.example.com", secret_source=lambda: "s")
            )
        assert [payload["customer_id"] for payload in hooks.delivered] == [desk.customers[0]]
    finally:
        if saved is not None:
            register_adapter(saved)
