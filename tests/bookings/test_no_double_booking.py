"""The database itself refuses a double booking (decision 0037): rows written straight into
``bookings_occurrences``, bypassing every action, are refused when a live occurrence of the same expert
overlaps, buffers included (PostgreSQL's exclusion constraint, SQLite's triggers); spans that only touch,
other experts and inactive occurrences are allowed. A schema built from the metadata gets the same."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, exc, insert, select, update

from loyaldesk.bookings.actions.occupy import is_overlap
from loyaldesk.bookings.models import Occurrence
from loyaldesk.kernel.orm import Base
from tests.bookings.conftest import MONDAY_NOON, Studio

MINUTE = timedelta(minutes=1)


def occurrence_row(studio: Studio, expert: int, blocked_from: datetime, minutes: int, **extra: Any) -> dict:
    """An occurrence whose buffered span is ``[blocked_from, blocked_from + minutes)`` (no buffers)."""
    until = blocked_from + minutes * MINUTE
    row = {
        "store_id": studio.store.id,
        "schedule_id": expert,
        "session_type_id": studio.types["styling"],
        "starts_at": blocked_from,
        "ends_at": until,
        "blocked_from": blocked_from,
        "blocked_until": until,
        "capacity": 1,
        "seats_taken": 0,
        "active": True,
        "created_at": MONDAY_NOON,
        "updated_at": MONDAY_NOON,
    }
    row.update(extra)
    return row


def insert_occurrence(studio: Studio, row: dict) -> int:
    def write(uow):  # type: ignore[no-untyped-def]
        return uow.session.execute(insert(Occurrence).values(**row).returning(Occurrence.id)).scalar_one()

    return int(studio.db.write(write))


def refused(studio: Studio, write: Any) -> exc.DBAPIError:
    with pytest.raises(exc.DBAPIError) as raised:
        studio.db.write(write)
    assert is_overlap(raised.value), raised.value
    return raised.value


def live_spans(studio: Studio) -> list[tuple[int, datetime, datetime]]:
    with studio.db.read() as session:
        rows = session.execute(
            select(Occurrence.schedule_id, Occurrence.blocked_from, Occurrence.blocked_until)
            .where(Occurrence.active)
            .order_by(Occurrence.schedule_id, Occurrence.blocked_from)
        ).all()
    return [tuple(row) for row in rows]  # type: ignore[misc]


def test_an_overlapping_live_occurrence_of_the_same_expert_is_refused(studio: Studio) -> None:
    expert, other_expert = studio.experts
    insert_occurrence(studio, occurrence_row(studio, expert, MONDAY_NOON, 60))
    for start, minutes in ((30, 60), (-30, 31), (10, 10), (-60, 180), (59, 1), (1, 59)):
        row = occurrence_row(studio, expert, MONDAY_NOON + start * MINUTE, minutes)
        refused(studio, lambda uow, row=row: uow.session.execute(insert(Occurrence).values(**row)))
    # The same start is refused as well (on PostgreSQL by the one live occurrence per expert and start).
    same = occurrence_row(studio, expert, MONDAY_NOON, 30)
    with pytest.raises(exc.IntegrityError):
        studio.db.write(lambda uow: uow.session.execute(insert(Occurrence).values(**same)))
    # Touching on either side is allowed (half-open spans), as is the other expert at the same time.
    insert_occurrence(studio, occurrence_row(studio, expert, MONDAY_NOON + 60 * MINUTE, 30))
    insert_occurrence(studio, occurrence_row(studio, expert, MONDAY_NOON - 30 * MINUTE, 30))
    insert_occurrence(studio, occurrence_row(studio, other_expert, MONDAY_NOON, 60))
    assert len(live_spans(studio)) == 4


def test_inactive_occurrences_do_not_block_and_cannot_come_back_over_a_live_one(studio: Studio) -> None:
    expert = studio.experts[0]
    retired = insert_occurrence(studio, occurrence_row(studio, expert, MONDAY_NOON, 60, active=False))
    live = insert_occurrence(studio, occurrence_row(studio, expert, MONDAY_NOON + 30 * MINUTE, 60))
    # Making the retired one live again, or moving the live one onto another, is refused too.
    refused(
        studio,
        lambda uow: uow.session.execute(
            update(Occurrence).where(Occurrence.id == retired).values(active=True)
        ),
    )
    later = insert_occurrence(studio, occurrence_row(studio, expert, MONDAY_NOON + 120 * MINUTE, 60))
    refused(
        studio,
        lambda uow: uow.session.execute(
            update(Occurrence)
            .where(Occurrence.id == later)
            .values(blocked_from=MONDAY_NOON + 80 * MINUTE, starts_at=MONDAY_NOON + 80 * MINUTE)
        ),
    )
    # A change that keeps it clear of the others is fine (the row is not compared with itself).
    studio.db.write(
        lambda uow: uow.session.execute(
            update(Occurrence)
            .where(Occurrence.id == live)
            .values(seats_taken=1, blocked_until=MONDAY_NOON + 100 * MINUTE)
        )
    )
    assert [span[1] for span in live_spans(studio)] == [MONDAY_NOON + 30 * MINUTE, MONDAY_NOON + 120 * MINUTE]


def test_the_seat_count_never_exceeds_the_capacity(studio: Studio) -> None:
    occurrence = insert_occurrence(
        studio, occurrence_row(studio, studio.experts[0], MONDAY_NOON, 60, capacity=2)
    )
    with pytest.raises(exc.IntegrityError):
        studio.db.write(
            lambda uow: uow.session.execute(
                update(Occurrence).where(Occurrence.id == occurrence).values(seats_taken=3)
            )
        )


def test_a_schema_built_from_the_metadata_refuses_overlaps_too(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'metadata.db'}")
    try:
        Base.metadata.create_all(engine)  # pysqlite leaves foreign keys off: no parent rows needed
        base = {
            "store_id": 1,
            "schedule_id": 1,
            "session_type_id": 1,
            "capacity": 1,
            "seats_taken": 0,
            "active": True,
            "created_at": MONDAY_NOON,
            "updated_at": MONDAY_NOON,
        }

        def span(start: datetime) -> dict:
            end = start + 60 * MINUTE
            return base | {"starts_at": start, "ends_at": end, "blocked_from": start, "blocked_until": end}

        with engine.begin() as connection:
            connection.execute(insert(Occurrence).values(**span(MONDAY_NOON)))
        with pytest.raises(exc.IntegrityError) as raised, engine.begin() as connection:
            connection.execute(insert(Occurrence).values(**span(MONDAY_NOON + 30 * MINUTE)))
        assert is_overlap(raised.value)
    finally:
        engine.dispose()
