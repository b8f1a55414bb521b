"""The slots a shopper is offered (``slots_for_shopper``): the slot rule on each host's stored schedule,
their live sessions of every type blocking with buffers, date overrides, the daily cap, group sessions
offering their seats left, the shopper's own dates, round robin; and a hold accepts exactly what is
offered."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from loyaldesk import bookings
from loyaldesk.bookings import DateOverrideIn, ScheduleIn
from loyaldesk.bookings.models import Occurrence, Seat
from loyaldesk.kernel.errors import Invalid
from tests.bookings.desk import NOW, TUESDAY_10, WEEKDAYS, Desk

TUESDAY = date(2026, 6, 2)
WORKSHOP_AT = TUESDAY_10 - timedelta(hours=1)  # 09:00 in Berlin: on the 90-minute grid


def starts(
    desk: Desk, slug: str = "styling", zone: str = "Europe/Berlin", day: date = TUESDAY, days: int = 1
):  # type: ignore[no-untyped-def]
    found = desk.read(
        bookings.slots_for_shopper,
        session_type_id=desk.types[slug],
        time_zone=zone,
        first_day=day,
        days=days,
        now=desk.clock.now(),
    )
    return {d: [(s.local_start[11:16], s.seats_left) for s in slots] for d, slots in found.items()}


def hours(*clocks: str) -> list[tuple[str, int]]:
    return [(clock, 1) for clock in clocks]


def test_a_free_day_offers_every_hour_and_a_booking_blocks_with_its_buffer(desk: Desk) -> None:
    assert starts(desk) == {
        TUESDAY: hours("09:00", "10:00", "11:00", "12:00", "13:00", "14:00", "15:00", "16:00")
    }
    # Maya and Noah both booked at 10:00 (until 11:15 with the buffer): 09:00's own buffer would run
    # into it, and 11:00 starts inside it
    desk.book(desk.customers[0], TUESDAY_10)
    desk.book(desk.customers[1], TUESDAY_10)
    assert starts(desk)[TUESDAY] == hours("12:00", "13:00", "14:00", "15:00", "16:00")


def test_another_session_type_blocks_the_expert(desk: Desk) -> None:
    desk.book(desk.customers[0], WORKSHOP_AT, "workshop")  # Maya 09:00-10:30 (+15)
    assert starts(desk)[TUESDAY][:3] == hours("09:00", "10:00", "11:00")  # Noah still free
    noah = desk.book(desk.customers[1], TUESDAY_10)  # Maya is busy then: Noah, though priority 2
    with desk.db.read() as session:
        seat = session.get(Seat, noah)
        assert session.get(Occurrence, seat.occurrence_id).schedule_id == desk.schedules[1]  # type: ignore[union-attr]
    assert starts(desk)[TUESDAY][:2] == hours("11:00", "12:00")  # Maya free again at 11:00


def test_a_group_session_offers_its_seats_left_before_a_new_one(desk: Desk) -> None:
    first = desk.book(desk.customers[0], WORKSHOP_AT, "workshop")
    workshop = starts(desk, "workshop")[TUESDAY]
    assert workshop[:2] == [("09:00", 2), ("12:00", 3)]  # 2 of 3 seats left; 10:30 would overlap
    second = desk.book(desk.customers[1], WORKSHOP_AT, "workshop")
    with desk.db.read() as session:
        occurrences = {session.get(Seat, s).occurrence_id for s in (first, second)}  # type: ignore[union-attr]
        assert len(occurrences) == 1
        assert session.get(Occurrence, occurrences.pop()).seats_taken == 2  # type: ignore[union-attr]
    desk.book(desk.customers[2], WORKSHOP_AT, "workshop")
    assert "09:00" not in [clock for clock, _ in starts(desk, "workshop")[TUESDAY]]
    with pytest.raises(bookings.SlotUnavailable):
        desk.book(desk.customers[3], WORKSHOP_AT, "workshop")


def test_overrides_holidays_notice_and_the_daily_cap(desk: Desk) -> None:
    for schedule in desk.schedules:
        desk.write(
            bookings.set_date_override,
            actor_id=desk.manager,
            schedule_id=schedule,
            override=DateOverrideIn(day=TUESDAY, ranges=[("13:00", "15:00")]),
        )
        desk.write(
            bookings.set_date_override, actor_id=desk.manager, schedule_id=schedule,
            override=DateOverrideIn(day=TUESDAY + timedelta(days=1)),
        )  # fmt: skip
    week = starts(desk, days=3)
    assert week[TUESDAY] == hours("13:00", "14:00")
    assert TUESDAY + timedelta(days=1) not in week  # a holiday
    assert date(2026, 6, 4) in week
    # today: 08:00 now, an hour of notice -> from 09:00 still; two sessions a day at most
    for schedule, expert in zip(desk.schedules, desk.experts, strict=True):
        desk.write(
            bookings.save_schedule,
            actor_id=desk.manager,
            schedule_id=schedule,
            schedule_in=ScheduleIn(
                user_id=expert, time_zone="Europe/Berlin", weekly_hours=WEEKDAYS, minimum_notice_minutes=90,
                max_per_day=1, buffer_after_minutes=15,
            ),
        )  # fmt: skip
    today = date(2026, 6, 1)
    assert starts(desk, day=today)[today][0] == ("10:00", 1)  # 09:00 is inside 90 minutes' notice
    desk.book(desk.customers[0], datetime(2026, 6, 1, 12, 0, tzinfo=UTC))
    desk.book(desk.customers[1], datetime(2026, 6, 1, 13, 0, tzinfo=UTC))
    assert today not in starts(desk, day=today)  # both experts reached their one a day


def test_the_shopper_reads_slots_on_their_own_dates(desk: Desk) -> None:
    tokyo = starts(desk, zone="Asia/Tokyo", day=TUESDAY)
    # Berlin 09:00-16:00 on Tuesday is 16:00-23:00 in Tokyo the same day
    assert tokyo[TUESDAY][0] == ("16:00", 1) and tokyo[TUESDAY][-1] == ("23:00", 1)
    # 14 hours ahead of UTC, Monday's Berlin afternoon is already Tuesday
    assert starts(desk, zone="Pacific/Kiritimati")[TUESDAY] == hours(
        "00:00", "01:00", "02:00", "03:00", "04:00", "21:00", "22:00", "23:00"
    )
    with pytest.raises(Invalid) as raised:
        starts(desk, zone="Nowhere/Land")
    assert raised.value.problems[0].field == "time_zone"
    with pytest.raises(Invalid):
        starts(desk, days=0)


def test_round_robin_by_priority_and_by_load(desk: Desk) -> None:
    def expert_of(seat_id: int) -> int:
        with desk.db.read() as session:
            return session.get(Occurrence, session.get(Seat, seat_id).occurrence_id).schedule_id  # type: ignore[union-attr]

    maya, noah = desk.schedules
    # by priority: the lowest number that is free (Maya, 1), then Noah
    assert expert_of(desk.book(desk.customers[0], TUESDAY_10)) == maya
    assert expert_of(desk.book(desk.customers[1], TUESDAY_10)) == noah
    current = desk.read(bookings.session_type, session_type_id=desk.types["styling"])
    data = bookings.SessionTypeIn(
        **{
            **current.model_dump(exclude={"id", "hosts"}),
            "host_assignment": "round_robin_load",
            "hosts": [{"schedule_id": h.schedule_id, "priority": h.priority} for h in current.hosts],
        }
    )
    desk.write(
        bookings.save_session_type, actor_id=desk.manager, session_type_in=data, session_type_id=current.id
    )
    desk.book(desk.customers[2], TUESDAY_10 + timedelta(hours=3))  # Maya again (a tie: priority)
    # by load: Maya has 2 upcoming sessions, Noah 1: Noah gets the next
    assert expert_of(desk.book(desk.customers[3], TUESDAY_10 + timedelta(days=1))) == noah
    assert expert_of(desk.book(desk.customers[4], TUESDAY_10 + timedelta(days=2))) in (maya, noah)


def test_a_hold_takes_only_an_offered_start(desk: Desk) -> None:
    for refused in (
        TUESDAY_10 + timedelta(minutes=30),  # off the grid
        datetime(2026, 6, 2, 16, 0, tzinfo=UTC),  # 18:00 in Berlin: after hours
        NOW - timedelta(hours=1),  # the past
    ):
        with pytest.raises(bookings.SlotUnavailable):
            desk.hold(desk.customers[0], refused)
    with pytest.raises(Invalid):
        desk.hold(desk.customers[0], datetime(2026, 6, 2, 10, 0))  # naive


def test_a_hold_accepts_exactly_the_offered_starts(desk: Desk) -> None:
    """Every quarter hour of a busy Tuesday: a hold succeeds exactly where a slot is offered (each try in
    a transaction rolled back), so the shopper is never shown what they cannot take, nor refused what
    they could."""
    desk.book(desk.customers[0], TUESDAY_10)
    desk.book(desk.customers[1], WORKSHOP_AT + timedelta(hours=3), "workshop")  # Maya 12:00-13:30
    desk.book(desk.customers[2], TUESDAY_10 + timedelta(hours=5))  # 15:00, Maya again (priority)
    offered = {
        slot.starts_at
        for slot in desk.read(
            bookings.slots_for_shopper, session_type_id=desk.types["styling"], time_zone="Europe/Berlin",
            first_day=TUESDAY, days=1, now=desk.clock.now(),
        )[TUESDAY]
    }  # fmt: skip
    assert offered
    moment = datetime(2026, 6, 2, 6, 0, tzinfo=UTC)  # 08:00 in Berlin
    while moment < datetime(2026, 6, 2, 16, 0, tzinfo=UTC):
        with desk.db.scratch() as uow:
            try:
                bookings.hold_slot(
                    uow, store_id=desk.store.id, customer_id=desk.customers[3],
                    session_type_id=desk.types["styling"], starts_at=moment,
                )  # fmt: skip
                held = True
            except bookings.SlotUnavailable:
                held = False
        assert held == (moment in offered), moment
        moment += timedelta(minutes=15)
