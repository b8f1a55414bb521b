"""A booking's life through the actions, with its points: a hold, confirmed and paid through the loyalty
ledger (exactly once, never overdrawn, free for the tiers listed), lapsed holds given back (by the next
hold and by the job), cancellation inside the window refused with nothing changed and outside refunded,
staff cancelling any time, and a reschedule that charges nothing twice. The ledger check stays clean."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from loyaldesk import bookings
from loyaldesk.bookings import BookingStatus
from loyaldesk.bookings.models import Occurrence, Seat
from loyaldesk.kernel.errors import NotFound
from loyaldesk.loyalty import LedgerEntry, Member, TierIn, save_tier
from loyaldesk.stores.models import AuditLogEntry
from tests.bookings.desk import NOW, START_POINTS, TUESDAY_10, Desk


def seat(desk: Desk, seat_id: int) -> Seat:
    with desk.db.read() as session:
        found = session.get(Seat, seat_id)
        assert found is not None
        return found


def entries(desk: Desk, key: str) -> list[int]:
    with desk.db.read() as session:
        return list(
            session.scalars(
                select(LedgerEntry.points).where(
                    LedgerEntry.store_id == desk.store.id, LedgerEntry.idempotency_key == key
                )
            )
        )


def test_a_hold_then_confirm_pays_once_and_replays_change_nothing(desk: Desk) -> None:
    shopper = desk.customers[0]
    held = desk.hold(shopper, TUESDAY_10)
    assert seat(desk, held).status == BookingStatus.HELD
    assert seat(desk, held).hold_expires_at == NOW + timedelta(minutes=10)
    assert desk.points(shopper) == START_POINTS  # nothing paid for a hold

    for _ in range(2):  # a replayed confirmation pays nothing twice
        desk.write(bookings.confirm_booking, customer_id=shopper, seat_id=held)
    confirmed = seat(desk, held)
    assert (confirmed.status, confirmed.points_paid, confirmed.pay_ledger_key) == (
        "confirmed",
        100,
        f"booking:{held}:pay",
    )
    assert desk.points(shopper) == START_POINTS - 100
    assert entries(desk, f"booking:{held}:pay") == [-100]
    desk.ledger_clean()

    mine = desk.read(bookings.customer_bookings, customer_id=shopper, now=NOW)
    assert [(b.id, b.expert_name, b.refund_on_cancel, b.can_cancel.allowed) for b in mine] == [
        (held, "Maya", 100, True)
    ]
    assert mine[0].can_cancel.deadline == TUESDAY_10 - timedelta(hours=24)
    with pytest.raises(NotFound):
        desk.read(bookings.customer_booking, customer_id=desk.customers[1], seat_id=held, now=NOW)


def test_not_enough_points_refuses_and_changes_nothing(desk: Desk) -> None:
    shopper = desk.customers[0]

    def drain(uow):  # type: ignore[no-untyped-def]
        from loyaldesk.loyalty import AdjustmentIn, adjust_points

        member = uow.session.scalar(select(Member).where(Member.customer_id == shopper))
        adjust_points(
            uow, desk.store.actor, desk.store.id, member.id,
            AdjustmentIn(points=-450, reason_code="correction", note="test"), key="drain",
        )  # fmt: skip

    desk.db.write(drain)
    held = desk.hold(shopper, TUESDAY_10)
    with pytest.raises(bookings.NotEnoughPoints, match="100 points"):
        desk.write(bookings.confirm_booking, customer_id=shopper, seat_id=held)
    assert seat(desk, held).status == BookingStatus.HELD
    assert desk.points(shopper) == 50
    assert entries(desk, f"booking:{held}:pay") == []
    desk.ledger_clean()


def test_a_tier_the_session_is_free_for_pays_nothing(desk: Desk) -> None:
    shopper = desk.customers[0]

    def gold(uow):  # type: ignore[no-untyped-def]
        save_tier(uow, desk.store.actor, desk.store.id, TierIn(name="Base", rank=0, threshold=0))
        tier = save_tier(uow, desk.store.actor, desk.store.id, TierIn(name="Gold", rank=1, threshold=10**9))
        uow.session.scalar(select(Member).where(Member.customer_id == shopper)).tier_id = tier.id
        return tier.id

    tier_id = desk.db.write(gold)
    current = desk.read(bookings.session_type, session_type_id=desk.types["styling"])
    data = bookings.SessionTypeIn(
        **{
            **current.model_dump(exclude={"id", "hosts"}),
            "free_for_tier_ids": [tier_id],
            "hosts": [{"schedule_id": h.schedule_id, "priority": h.priority} for h in current.hosts],
        }
    )
    desk.write(
        bookings.save_session_type, actor_id=desk.manager, session_type_in=data, session_type_id=current.id
    )
    booked = desk.book(shopper, TUESDAY_10)
    assert seat(desk, booked).points_paid == 0
    assert desk.points(shopper) == START_POINTS
    other = desk.book(desk.customers[1], TUESDAY_10)  # the second expert; not gold: pays
    assert seat(desk, other).points_paid == 100


def test_a_lapsed_hold_is_given_back_by_the_next_hold_and_by_the_job(desk: Desk) -> None:
    first, second, third = desk.customers[:3]
    stale = [desk.hold(first, TUESDAY_10), desk.hold(second, TUESDAY_10)]  # both experts held
    with pytest.raises(bookings.SlotUnavailable):
        desk.hold(third, TUESDAY_10)
    desk.clock.advance(timedelta(minutes=11))
    with pytest.raises(bookings.HoldExpired):
        desk.write(bookings.confirm_booking, customer_id=first, seat_id=stale[0])
    fresh = desk.hold(third, TUESDAY_10)  # the lapsed holds go in the same transaction
    assert [seat(desk, s).status for s in stale] == ["cancelled", "cancelled"]
    assert seat(desk, fresh).status == "held"

    changed_mind = desk.hold(second, TUESDAY_10 + timedelta(days=1, hours=2))
    later_hold = desk.hold(second, TUESDAY_10 + timedelta(days=1))  # gives the previous hold back
    assert seat(desk, changed_mind).status == "cancelled"
    desk.clock.advance(timedelta(minutes=11))
    assert desk.db.write(bookings.release_expired_holds) == 2  # the fresh and the later hold
    assert desk.db.write(bookings.release_expired_holds) == 0  # a rerun finds nothing
    assert seat(desk, later_hold).status == "cancelled"
    with desk.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Occurrence).where(Occurrence.active)) == 0


def test_cancel_inside_the_window_is_refused_and_outside_refunded_once(desk: Desk) -> None:
    shopper = desk.customers[0]
    soon = NOW + timedelta(hours=4)  # Monday 12:00 in Berlin: inside the 24-hour window
    inside = desk.book(shopper, soon)
    outside = desk.book(shopper, TUESDAY_10 + timedelta(days=1))
    assert desk.points(shopper) == START_POINTS - 200

    with pytest.raises(bookings.CancellationClosed) as closed:
        desk.write(bookings.cancel_booking, seat_id=inside, customer_id=shopper)
    assert closed.value.deadline == soon - timedelta(hours=24)
    assert closed.value.deadline.isoformat() in closed.value.message
    assert seat(desk, inside).status == "confirmed" and desk.points(shopper) == START_POINTS - 200

    assert desk.write(bookings.cancel_booking, seat_id=outside, customer_id=shopper) == 100
    assert desk.write(bookings.cancel_booking, seat_id=outside, customer_id=shopper) == 0  # a replay
    assert desk.points(shopper) == START_POINTS - 100
    assert entries(desk, f"booking:{outside}:refund") == [100]
    assert seat(desk, outside).refund_ledger_key == f"booking:{outside}:refund"
    # another shopper cannot cancel it; staff can, inside the window, refunding in full
    with pytest.raises(NotFound):
        desk.write(bookings.cancel_booking, seat_id=inside, customer_id=desk.customers[1])
    assert (
        desk.write(bookings.cancel_booking, seat_id=inside, actor_id=desk.manager, reason="expert ill") == 100
    )
    assert desk.points(shopper) == START_POINTS
    with desk.db.read() as session:
        audit = session.scalars(
            select(AuditLogEntry.action).where(
                AuditLogEntry.target_type == "bookings_seat", AuditLogEntry.target_id == str(inside)
            )
        ).all()
        assert audit == ["bookings.booking_cancelled"]
    desk.ledger_clean()


def test_reschedule_moves_the_payment_without_charging_twice(desk: Desk) -> None:
    shopper = desk.customers[0]
    booked = desk.book(shopper, TUESDAY_10)
    moved = desk.write(
        bookings.reschedule_booking,
        seat_id=booked,
        customer_id=shopper,
        new_starts_at=TUESDAY_10 + timedelta(hours=2),
    )
    assert desk.points(shopper) == START_POINTS - 100
    assert seat(desk, booked).status == "cancelled" and seat(desk, booked).points_paid == 0
    new = seat(desk, moved)
    assert (new.status, new.points_paid, new.pay_ledger_key) == ("confirmed", 100, f"booking:{booked}:pay")
    assert [b.id for b in desk.read(bookings.customer_bookings, customer_id=shopper, now=NOW)] == [moved]
    # cancelling the moved booking refunds the one payment, once
    assert desk.write(bookings.cancel_booking, seat_id=moved, customer_id=shopper) == 100
    assert entries(desk, f"booking:{booked}:refund") == [100]
    assert desk.points(shopper) == START_POINTS
    desk.ledger_clean()


def test_reschedule_is_refused_inside_its_window_and_to_a_taken_time(desk: Desk) -> None:
    first, second = desk.customers[:2]
    booked = desk.book(first, TUESDAY_10)
    desk.book(second, TUESDAY_10 + timedelta(hours=3))
    desk.book(desk.customers[2], TUESDAY_10 + timedelta(hours=3))  # both experts busy then
    with pytest.raises(bookings.SlotUnavailable):
        desk.write(
            bookings.reschedule_booking,
            seat_id=booked,
            customer_id=first,
            new_starts_at=TUESDAY_10 + timedelta(hours=3),
        )
    assert seat(desk, booked).status == "confirmed"
    desk.clock.set(TUESDAY_10 - timedelta(hours=23))
    with pytest.raises(bookings.RescheduleClosed):
        desk.write(
            bookings.reschedule_booking,
            seat_id=booked,
            customer_id=first,
            new_starts_at=TUESDAY_10 + timedelta(hours=5),
        )
    assert desk.points(first) == START_POINTS - 100


def test_the_customer_timeline_tells_the_booking_story(desk: Desk) -> None:
    from loyaldesk.customers.queries import timeline

    shopper = desk.customers[0]
    booked = desk.book(shopper, TUESDAY_10)
    moved = desk.write(
        bookings.reschedule_booking,
        seat_id=booked,
        customer_id=shopper,
        new_starts_at=TUESDAY_10 + timedelta(days=1),
    )
    desk.write(bookings.cancel_booking, seat_id=moved, customer_id=shopper)
    with desk.db.read() as session:
        items, _cursor = timeline(session, desk.store.id, shopper)
    lines = [(item.title, item.detail) for item in items if "expert session" in item.title]
    assert lines == [
        ("Cancelled an expert session", "03 Jun 2026 08:00 UTC, by the customer, 100 points refunded"),
        ("Moved an expert session", "Now 03 Jun 2026 08:00 UTC"),
        ("Booked an expert session", "02 Jun 2026 08:00 UTC, 100 points paid"),
    ]


def test_someone_elses_booking_is_not_found_and_nothing_changes(desk: Desk) -> None:
    owner, intruder = desk.customers[:2]
    booked = desk.book(owner, TUESDAY_10 + timedelta(days=1))
    held = desk.hold(owner, TUESDAY_10 - timedelta(hours=1), "workshop")
    entry = desk.write(
        bookings.join_waitlist, customer_id=owner, session_type_id=desk.types["styling"],
        wanted_from=TUESDAY_10, wanted_until=TUESDAY_10 + timedelta(days=2),
    )  # fmt: skip
    attempts = [
        (bookings.confirm_booking, {"seat_id": held}),
        (bookings.cancel_booking, {"seat_id": booked}),
        (bookings.reschedule_booking, {"seat_id": booked, "new_starts_at": TUESDAY_10 + timedelta(hours=4)}),
        (bookings.leave_waitlist, {"entry_id": entry}),
        (bookings.accept_waitlist_offer, {"entry_id": entry}),
    ]
    for action, kwargs in attempts:
        with pytest.raises(NotFound):
            desk.write(action, customer_id=intruder, **kwargs)
    assert (seat(desk, held).status, seat(desk, booked).status) == ("held", "confirmed")
    assert desk.read(bookings.customer_waitlist, customer_id=owner)[0].status == "waiting"
    assert desk.points(owner) == START_POINTS - 100 and desk.points(intruder) == START_POINTS
    other_store_staff = desk.db.write(lambda uow: _staff_elsewhere(uow))
    from loyaldesk.kernel.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        desk.write(bookings.cancel_booking, seat_id=booked, actor_id=other_store_staff)
    with pytest.raises(PermissionDenied):
        desk.write(bookings.mark_attendance, seat_id=booked, actor_id=other_store_staff, attended=False)
    assert seat(desk, booked).status == "confirmed"


def _staff_elsewhere(uow):  # type: ignore[no-untyped-def]
    from loyaldesk.stores import StaffAccount

    staff = StaffAccount(
        email="stranger@else.example.com", name="Stranger", password_hash="-", created_at=uow.now()
    )
    uow.session.add(staff)
    uow.session.flush()
    return staff.id


def test_the_composition_runs_the_hold_job_and_the_survey_handler(desk: Desk) -> None:
    from loyaldesk.composition import compose
    from loyaldesk.kernel.dispatcher import HandlerRegistry
    from loyaldesk.kernel.jobs import JobRegistry
    from loyaldesk.settings import Settings

    handlers, jobs = HandlerRegistry(), JobRegistry()
    compose(Settings(mail_domain="one.example"), handlers=handlers, jobs=jobs)
    [job] = [job for job in jobs.all() if job.name == "bookings.release_expired_holds"]
    assert len(handlers.for_type("bookings.session_attended")) == 1  # the CSAT ask
    held = desk.hold(desk.customers[0], TUESDAY_10)
    desk.clock.advance(timedelta(minutes=10))
    assert desk.db.write(job.run) == 1  # type: ignore[arg-type]
    assert seat(desk, held).status == "cancelled"
