"""The RFM summary reproduces the published CDNOW summary from raw transactions, and obeys its conventions."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loyaldesk.analytics.rfm_summary import RfmSummary, round_half_up, summarize_transactions
from loyaldesk.kernel.errors import Invalid

CDNOW = Path(__file__).resolve().parent.parent / "data" / "cdnow"


def load_cdnow_transactions() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(sample customer id, purchase day, dollars) of every raw CDNOW_sample transaction."""
    columns = np.loadtxt(CDNOW / "CDNOW_sample.txt", dtype=str)
    days = np.array([f"{text[:4]}-{text[4:6]}-{text[6:]}" for text in columns[:, 2]], dtype="datetime64[D]")
    return columns[:, 1].astype(np.int64), days, columns[:, 4].astype(np.float64)


def cdnow_summary() -> RfmSummary:
    customer_ids, days, dollars = load_cdnow_transactions()
    return summarize_transactions(
        customer_ids,
        days,
        dollars,
        observation_end=date(1998, 6, 30),
        calibration_end=date(1997, 9, 30),
        period_days=7,
    )


def read_csv(name: str) -> np.ndarray:
    return np.genfromtxt(CDNOW / name, delimiter=",", names=True)


def test_cdnow_summary_equals_the_published_summary_row_for_row() -> None:
    summary = cdnow_summary()
    published = read_csv("cdnow_customers_summary.csv")

    assert summary.customer_count == 2357
    np.testing.assert_array_equal(summary.customer_ids, published["ID"])
    np.testing.assert_array_equal(summary.frequency, published["frequency"])
    np.testing.assert_array_equal(round_half_up(summary.recency), published["recency"])
    np.testing.assert_array_equal(round_half_up(summary.age), published["T"])


def test_cdnow_summary_equals_the_published_x_tx_T_zbar() -> None:
    summary = cdnow_summary()
    published = read_csv("cdnow_customers_summary_with_transactions.csv")

    np.testing.assert_array_equal(summary.customer_ids, published["ID"])
    np.testing.assert_array_equal(summary.frequency, published["x"])
    np.testing.assert_array_equal(round_half_up(summary.recency), published["t_x"])
    np.testing.assert_array_equal(round_half_up(summary.age), published["T"])
    np.testing.assert_array_equal(round_half_up(summary.monetary_value), published["zbar"])
    # Exact means of cents sit on half-cents for many customers: numpy's half-to-even would miss them.
    assert not np.array_equal(np.round(summary.monetary_value, 2), published["zbar"])
    assert int((summary.frequency > 0).sum()) == 946


def test_cdnow_holdout_counts_purchase_days_after_the_calibration_end() -> None:
    summary = cdnow_summary()

    assert summary.holdout_duration == 39.0
    assert summary.holdout_frequency is not None and summary.holdout_monetary_value is not None
    assert int(summary.holdout_frequency.sum()) == 1882
    # Customer 1 bought on 1997-12-12 only in the holdout, for $26.48.
    assert summary.holdout_frequency[0] == 1
    assert summary.holdout_monetary_value[0] == pytest.approx(26.48)


def test_round_half_up_rounds_exact_halves_away_from_zero() -> None:
    values = [22.345, 0.125, 2.675, 1.005, -1.005, 38.857142857, 0.0, 10.0]
    assert round_half_up(values).tolist() == [22.35, 0.13, 2.68, 1.01, -1.01, 38.86, 0.0, 10.0]
    assert round_half_up([1.25, 1.35], decimals=1).tolist() == [1.3, 1.4]


def test_same_day_purchases_count_once_with_their_summed_value() -> None:
    summary = summarize_transactions(
        ["ann", "ann", "ann", "ann", "bob"],
        ["2024-01-01T09:00", "2024-01-08T10:00", "2024-01-08T18:00", "2024-01-15", "2024-01-05"],
        [10.0, 20.0, 5.0, 30.0, 99.0],
        observation_end="2024-01-29",
        period_days=7,
    )

    assert summary.customer_ids.tolist() == ["ann", "bob"]
    assert summary.frequency.tolist() == [2, 0]
    assert summary.recency.tolist() == [2.0, 0.0]
    assert summary.age == pytest.approx([4.0, 24 / 7])
    assert summary.monetary_value.tolist() == [(25.0 + 30.0) / 2, 0.0]
    assert summary.first_purchase_day.tolist() == [date(2024, 1, 1), date(2024, 1, 5)]
    assert summary.holdout_frequency is None and summary.holdout_duration is None


def test_calibration_split_excludes_late_customers_and_ignores_purchases_after_the_end() -> None:
    summary = summarize_transactions(
        np.array([1, 1, 1, 1, 2, 3]),
        np.array(["2024-01-01", "2024-01-03", "2024-01-20", "2024-02-10", "2024-01-02", "2024-01-15"]),
        np.array([5.0, 7.0, 11.0, 1000.0, 3.0, 4.0]),
        observation_end=date(2024, 1, 31),
        calibration_end=date(2024, 1, 10),
    )

    # Customer 3 first bought after the calibration end: the calibration model cannot know them.
    assert summary.customer_ids.tolist() == [1, 2]
    assert summary.frequency.tolist() == [1, 0]
    assert summary.recency.tolist() == [2.0, 0.0]
    assert summary.age.tolist() == [9.0, 8.0]
    assert summary.monetary_value.tolist() == [7.0, 0.0]
    assert summary.holdout_frequency is not None and summary.holdout_monetary_value is not None
    assert summary.holdout_frequency.tolist() == [1, 0]  # the 2024-02-10 purchase is after the end
    assert summary.holdout_monetary_value.tolist() == [11.0, 0.0]
    assert summary.holdout_duration == 21.0


def test_aware_datetimes_fall_on_their_utc_day() -> None:
    new_york = timezone(timedelta(hours=-5))
    summary = summarize_transactions(
        [7, 7],
        [datetime(2024, 3, 1, 12, tzinfo=UTC), datetime(2024, 3, 1, 20, 30, tzinfo=new_york)],
        [1.0, 2.0],
        observation_end=datetime(2024, 3, 5, tzinfo=UTC),
    )

    assert summary.frequency.tolist() == [1]  # 20:30 in New York is 01:30 UTC the next day
    assert summary.recency.tolist() == [1.0]


def test_bad_input_names_the_field() -> None:
    with pytest.raises(Invalid, match="purchased_at"):
        summarize_transactions([1, 2], ["2024-01-01"], [1.0, 2.0], observation_end="2024-02-01")
    with pytest.raises(Invalid, match="amounts"):
        summarize_transactions([1], ["2024-01-01"], [float("nan")], observation_end="2024-02-01")
    with pytest.raises(Invalid, match="purchased_at"):
        summarize_transactions(
            [1], np.array(["NaT"], dtype="datetime64[D]"), [1.0], observation_end="2024-02-01"
        )
    with pytest.raises(Invalid, match="calibration_end"):
        summarize_transactions(
            [1], ["2024-01-01"], [1.0], observation_end="2024-02-01", calibration_end="2024-03-01"
        )
    with pytest.raises(Invalid, match="period_days"):
        summarize_transactions([1], ["2024-01-01"], [1.0], observation_end="2024-02-01", period_days=0)


def test_no_transactions_give_an_empty_summary() -> None:
    summary = summarize_transactions(
        np.array([], dtype=np.int64), np.array([], dtype="datetime64[D]"), [], observation_end="2024-01-01"
    )
    assert summary.customer_count == 0


transactions = st.lists(
    st.tuples(st.integers(0, 5), st.integers(0, 60), st.integers(1, 10_000)), min_size=1, max_size=60
)


@settings(max_examples=150, deadline=None)
@given(transactions, st.integers(0, 60), st.integers(0, 30), st.sampled_from([1, 7]))
def test_summary_matches_a_plain_python_reference(
    rows: list[tuple[int, int, int]], calibration_day: int, holdout_days: int, period_days: int
) -> None:
    start = date(2024, 1, 1)
    observation_day = calibration_day + holdout_days
    summary = summarize_transactions(
        [customer for customer, _, _ in rows],
        [start + timedelta(days=day) for _, day, _ in rows],
        [cents / 100 for _, _, cents in rows],
        observation_end=start + timedelta(days=observation_day),
        calibration_end=start + timedelta(days=calibration_day),
        period_days=period_days,
    )

    spend_by_day: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for customer, day, cents in rows:
        if day <= observation_day:
            spend_by_day[customer][day] += cents
    expected = {}
    for customer, spend in spend_by_day.items():
        days = sorted(spend)
        if days[0] > calibration_day:
            continue
        calibration = [day for day in days if day <= calibration_day]
        holdout = [day for day in days if day > calibration_day]
        repeat_cents = sum(spend[day] for day in calibration[1:])
        expected[customer] = (
            len(calibration) - 1,
            (calibration[-1] - days[0]) / period_days,
            (calibration_day - days[0]) / period_days,
            repeat_cents / 100 / (len(calibration) - 1) if len(calibration) > 1 else 0.0,
            len(holdout),
        )

    assert summary.customer_ids.tolist() == sorted(expected)
    assert summary.holdout_frequency is not None
    for index, customer in enumerate(summary.customer_ids.tolist()):
        frequency, recency, age, monetary_value, holdout_frequency = expected[customer]
        assert summary.frequency[index] == frequency
        assert summary.recency[index] == pytest.approx(recency)
        assert summary.age[index] == pytest.approx(age)
        assert summary.monetary_value[index] == pytest.approx(monetary_value)
        assert summary.holdout_frequency[index] == holdout_frequency
        assert 0 <= summary.recency[index] <= summary.age[index]
