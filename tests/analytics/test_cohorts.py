"""The monthly cohort retention matrix on a small store computed by hand, in UTC and in Europe/Berlin (where
an order late on 31 January UTC is February), with unobserved months left empty and the CSV export."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest

from loyaldesk.analytics.cohorts import CohortRow, RetentionMatrix, retention_matrix
from loyaldesk.analytics.metrics import OrderFact, split_by_membership
from loyaldesk.kernel.errors import Invalid


def order(order_id: int, customer_id: int, placed_at: str, net_amount_minor: int) -> OrderFact:
    return OrderFact(
        customer_id, order_id, datetime.fromisoformat(placed_at).replace(tzinfo=UTC), net_amount_minor
    )


# Times are UTC; amounts net cents.
STORE = (
    order(11, 1, "2024-01-05T12:00", 1000),
    order(12, 1, "2024-02-10T12:00", 2000),
    order(13, 1, "2024-03-03T12:00", 500),
    order(21, 2, "2024-01-20T12:00", 3000),
    order(22, 2, "2024-03-15T12:00", 1000),
    order(31, 3, "2024-01-31T23:30", 4000),  # 2024-02-01 00:30 in Berlin (UTC+1)
    order(32, 3, "2024-02-15T12:00", 1500),
    order(41, 4, "2024-02-02T12:00", 2500),
    order(42, 4, "2024-02-20T12:00", 500),  # a second order in the same month: still one active customer
    order(43, 4, "2024-04-02T12:00", 9000),  # after March
    order(51, 5, "2024-03-10T12:00", 700),
    order(51, 5, "2024-03-10T12:00", 700),  # the same order twice: counts once
    order(61, 6, "2024-03-31T23:30", 800),  # 2024-04-01 01:30 in Berlin (UTC+2 since that morning)
)
MARCH = date(2024, 3, 31)  # any day names its month


def test_utc_matrix_through_march() -> None:
    # Cohorts by first order month (UTC): January {1, 2, 3}, February {4}, March {5, 6}.
    # January: offset 0 all three (1000 + 3000 + 4000); February 1 and 3 (2000 + 1500); March 1 and 2
    # (500 + 1000). February: offset 0 customer 4 (2500 + 500); nobody in March; April not observed.
    # March: 5 and 6 (700 once + 800).
    matrix = retention_matrix(STORE, MARCH)

    assert matrix == RetentionMatrix(
        time_zone="UTC",
        through_month=date(2024, 3, 1),
        offsets=3,
        rows=(
            CohortRow(date(2024, 1, 1), 3, (3, 2, 2), (1.0, 2 / 3, 2 / 3), (8000, 3500, 1500)),
            CohortRow(date(2024, 2, 1), 1, (1, 0, None), (1.0, 0.0, None), (3000, 0, None)),
            CohortRow(date(2024, 3, 1), 2, (2, None, None), (1.0, None, None), (1500, None, None)),
        ),
    )
    assert matrix.rows[0].label == "2024-01"
    assert matrix.rows[0].revenue_total_minor == 13000


def test_berlin_months_move_late_utc_orders_into_the_next_month() -> None:
    # In Berlin customer 3's first order is on 1 February and customer 6's on 1 April (after March).
    # January {1, 2}: offset 0 (1000 + 3000); February customer 1 (2000); March 1 and 2 (500 + 1000).
    # February {3, 4}: offset 0 both (4000 + 1500 + 2500 + 500); nobody in March. March {5}: 700.
    matrix = retention_matrix(STORE, MARCH, "Europe/Berlin")

    assert matrix.time_zone == "Europe/Berlin"
    assert [(row.label, row.size) for row in matrix.rows] == [("2024-01", 2), ("2024-02", 2), ("2024-03", 1)]
    assert [row.retention for row in matrix.rows] == [(1.0, 0.5, 1.0), (1.0, 0.0, None), (1.0, None, None)]
    assert [row.revenue_minor for row in matrix.rows] == [
        (4000, 2000, 1500),
        (8500, 0, None),
        (700, None, None),
    ]


def test_later_orders_are_ignored_and_months_without_acquisitions_have_no_row() -> None:
    january = retention_matrix(STORE, date(2024, 1, 1))
    assert january.offsets == 1
    assert january.rows == (CohortRow(date(2024, 1, 1), 3, (3,), (1.0,), (8000,)),)
    assert retention_matrix(STORE, date(2024, 1, 1), "Europe/Berlin").rows[0].revenue_minor == (4000,)

    # Through May: nobody is acquired in April or May; customer 4 comes back in April (9000).
    may = retention_matrix(STORE, date(2024, 5, 1))
    assert may.offsets == 5
    assert [row.label for row in may.rows] == ["2024-01", "2024-02", "2024-03"]
    assert may.rows[0].active == (3, 2, 2, 0, 0)
    assert may.rows[1].active == (1, 0, 1, 0, None)
    assert may.rows[1].revenue_minor == (3000, 0, 9000, 0, None)
    assert may.rows[2].retention == (1.0, 0.0, 0.0, None, None)


def test_no_orders_observed_gives_an_empty_matrix() -> None:
    for matrix in (retention_matrix([], MARCH), retention_matrix(STORE, date(2023, 12, 1))):
        assert matrix.offsets == 0
        assert matrix.rows == ()
        assert matrix.as_rows() == (("cohort", "size"),)


def test_as_rows_exports_a_csv_with_empty_unobserved_cells() -> None:
    matrix = retention_matrix(STORE, MARCH)

    assert matrix.as_rows() == (
        ("cohort", "size", "month_0", "month_1", "month_2"),
        ("2024-01", 3, 1.0, 2 / 3, 2 / 3),
        ("2024-02", 1, 1.0, 0.0, None),
        ("2024-03", 2, 1.0, None, None),
    )
    assert matrix.as_rows("revenue")[1:] == (
        ("2024-01", 3, 8000, 3500, 1500),
        ("2024-02", 1, 3000, 0, None),
        ("2024-03", 2, 1500, None, None),
    )
    assert matrix.as_rows("active")[2] == ("2024-02", 1, 1, 0, None)
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(matrix.as_rows())
    assert text.getvalue().splitlines()[2:] == ["2024-02,1,1.0,0.0,", "2024-03,2,1.0,,"]


def test_members_get_their_own_matrix() -> None:
    # Members {1, 3}: one January cohort; both in February, only customer 1 in March.
    matrix = retention_matrix(split_by_membership(STORE, {1, 3}).members, MARCH)
    assert matrix.rows == (CohortRow(date(2024, 1, 1), 2, (2, 2, 1), (1.0, 1.0, 0.5), (5000, 3500, 500)),)


def test_bad_input_names_the_field() -> None:
    with pytest.raises(Invalid, match="time_zone"):
        retention_matrix(STORE, MARCH, "Mars/Olympus")
    with pytest.raises(Invalid, match="time_zone"):
        retention_matrix(STORE, MARCH, "../etc/passwd")
    with pytest.raises(Invalid, match="through_month"):
        retention_matrix(STORE, datetime(2024, 3, 1, tzinfo=UTC))
    with pytest.raises(Invalid, match="through_month"):
        retention_matrix(STORE, "2024-03")  # type: ignore[arg-type]
    with pytest.raises(Invalid, match="values"):
        retention_matrix(STORE, MARCH).as_rows("shares")  # type: ignore[arg-type]
    with pytest.raises(Invalid, match="order 51"):
        retention_matrix([*STORE, order(51, 5, "2024-03-10T12:00", 900)], MARCH)
