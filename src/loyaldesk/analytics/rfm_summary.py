"""Per-customer recency/frequency/monetary summary of raw transactions, the input of the CLV models. No I/O.

Conventions (those of the BG/NBD and Gamma-Gamma literature and of the published CDNOW summary):
- A purchase's day is its UTC calendar date. All purchases of one customer on one day count as a single
  purchase whose value is their sum, because the models describe purchase occasions, not order lines.
- Time is measured in whole days and then expressed in periods of ``period_days`` days (7 for weeks), so
  recency and age are multiples of ``1 / period_days`` and not rounded to whole periods.
- The first purchase starts the customer's clock and is not a repeat purchase: ``frequency`` counts the
  purchase days after the first one, and ``monetary_value`` averages only those repeat days.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from loyaldesk.kernel.errors import Invalid

DayLike = date | datetime | np.datetime64 | str


@dataclass(frozen=True)
class RfmSummary:
    """One row per customer whose first purchase falls on or before the calibration end.

    Arrays are aligned with ``customer_ids`` (sorted ascending). Times are in periods of ``period_days``.
    - ``frequency``: number of repeat purchase days in the calibration window (x in the papers), int64.
    - ``recency``: last calibration purchase day minus first purchase day (t_x); 0 when ``frequency`` is 0.
    - ``age``: calibration end minus first purchase day (T in the papers).
    - ``monetary_value``: mean value of the repeat purchase days (zbar); 0 when ``frequency`` is 0.
    - ``holdout_frequency``, ``holdout_monetary_value``: purchase days after the calibration end, up to
      and including the observation end, and their mean value (0 when none); ``None`` without a split.
    - ``holdout_duration``: observation end minus calibration end, in periods; ``None`` without a split.
    """

    customer_ids: NDArray[Any]
    first_purchase_day: NDArray[np.datetime64]
    frequency: NDArray[np.int64]
    recency: NDArray[np.float64]
    age: NDArray[np.float64]
    monetary_value: NDArray[np.float64]
    period_days: float
    holdout_frequency: NDArray[np.int64] | None = None
    holdout_monetary_value: NDArray[np.float64] | None = None
    holdout_duration: float | None = None

    @property
    def customer_count(self) -> int:
        return int(self.frequency.shape[0])


def summarize_transactions(
    customer_ids: ArrayLike,
    purchased_at: ArrayLike | Sequence[DayLike],
    amounts: ArrayLike,
    *,
    observation_end: DayLike,
    calibration_end: DayLike | None = None,
    period_days: float = 1.0,
) -> RfmSummary:
    """Summarise raw transactions into the per-customer inputs of the BG/NBD and Gamma-Gamma models.

    Inputs: three aligned 1-d sequences, one entry per transaction: ``customer_ids`` (any sortable ids),
    ``purchased_at`` (numpy datetime64 of any unit, ``date``/``datetime`` objects, aware ones converted
    to UTC, or ISO strings) and ``amounts`` (finite numbers in the caller's money unit; the summary's
    monetary values are in that unit). ``observation_end`` is the last day observed (inclusive);
    transactions after it are ignored. With ``calibration_end`` (inclusive, not after
    ``observation_end``) the frequency, recency, age and monetary value describe the calibration window
    only and the holdout fields describe the days after it; customers first seen after the calibration
    end are left out, since the calibration models cannot know them. ``period_days`` is the length of
    one time unit in days (1 for days, 7 for weeks).

    Output: an :class:`RfmSummary`. Values are exact (not rounded); use :func:`round_half_up` to
    compare with published two-decimal tables.

    Raises ``Invalid`` naming the field when the arrays differ in length, a date is missing, an amount
    is not finite, ``period_days`` is not positive or the calibration end is after the observation end.
    """
    ids = np.asarray(customer_ids)
    days = _to_days(purchased_at, "purchased_at")
    values = np.asarray(amounts, dtype=np.float64)
    if ids.ndim != 1 or days.ndim != 1 or values.ndim != 1:
        raise Invalid.field("customer_ids", "customer_ids, purchased_at and amounts must be 1-d arrays")
    if not (ids.shape == days.shape == values.shape):
        raise Invalid.field(
            "purchased_at",
            f"customer_ids, purchased_at and amounts differ in length "
            f"({ids.shape[0]}, {days.shape[0]}, {values.shape[0]})",
        )
    if not np.all(np.isfinite(values)):
        raise Invalid.field("amounts", "every amount must be a finite number")
    if not (np.isfinite(period_days) and period_days > 0):
        raise Invalid.field("period_days", "must be a positive number of days")
    observation_day = _to_day(observation_end, "observation_end")
    calibration_day = (
        observation_day if calibration_end is None else _to_day(calibration_end, "calibration_end")
    )
    if calibration_day > observation_day:
        raise Invalid.field("calibration_end", "must not be after observation_end")

    observed = days <= observation_day
    if not observed.all():  # else no copies of the (possibly ten million) transactions
        ids, days, values = ids[observed], days[observed], values[observed]
    del observed
    customer_index, unique_ids = _customer_codes(ids)
    day_customer, day_date, day_value = _purchase_days(customer_index, days, values)
    del customer_index, ids, days, values
    is_first_day = np.ones(day_customer.shape[0], dtype=bool)
    is_first_day[1:] = day_customer[1:] != day_customer[:-1]
    first_day_of_customer = day_date[is_first_day]

    # Keep only customers known at the calibration end; renumber them densely.
    known_customer = first_day_of_customer <= calibration_day
    customer_count = int(known_customer.sum())
    new_index = np.cumsum(known_customer) - 1
    keep_day = known_customer[day_customer]
    day_customer, day_date, day_value = (
        new_index[day_customer[keep_day]],
        day_date[keep_day],
        day_value[keep_day],
    )
    is_first_day = is_first_day[keep_day]
    first_day_of_customer = first_day_of_customer[known_customer]

    in_calibration = day_date <= calibration_day
    repeat_in_calibration = in_calibration & ~is_first_day
    frequency = np.bincount(day_customer, weights=repeat_in_calibration, minlength=customer_count)
    frequency = frequency.astype(np.int64)
    repeat_value = np.bincount(
        day_customer, weights=np.where(repeat_in_calibration, day_value, 0.0), minlength=customer_count
    )
    # Days are sorted within each customer and every kept customer has a calibration day (the first),
    # so each customer's last calibration day ends its run in the calibration rows.
    calibration_customer, calibration_date = day_customer[in_calibration], day_date[in_calibration]
    ends_run = np.ones(calibration_customer.shape[0], dtype=bool)
    ends_run[:-1] = calibration_customer[1:] != calibration_customer[:-1]
    last_day = calibration_date[ends_run]
    recency = (last_day - first_day_of_customer) / period_days
    age = (calibration_day - first_day_of_customer) / period_days
    monetary_value = np.divide(repeat_value, frequency, out=np.zeros(customer_count), where=frequency > 0)

    holdout_frequency = holdout_monetary_value = None
    holdout_duration = None
    if calibration_end is not None:
        in_holdout = ~in_calibration
        holdout_frequency = np.bincount(day_customer, weights=in_holdout, minlength=customer_count)
        holdout_frequency = holdout_frequency.astype(np.int64)
        holdout_value = np.bincount(
            day_customer, weights=np.where(in_holdout, day_value, 0.0), minlength=customer_count
        )
        holdout_monetary_value = np.divide(
            holdout_value, holdout_frequency, out=np.zeros(customer_count), where=holdout_frequency > 0
        )
        holdout_duration = float((observation_day - calibration_day) / period_days)

    return RfmSummary(
        customer_ids=unique_ids[known_customer],
        first_purchase_day=first_day_of_customer.astype("datetime64[D]"),
        frequency=frequency,
        recency=recency.astype(np.float64),
        age=age.astype(np.float64),
        monetary_value=monetary_value,
        period_days=float(period_days),
        holdout_frequency=holdout_frequency,
        holdout_monetary_value=holdout_monetary_value,
        holdout_duration=holdout_duration,
    )


def round_half_up(values: ArrayLike, decimals: int = 2) -> NDArray[np.float64]:
    """Round to ``decimals`` places with exact halves going up, as spreadsheets and published tables do.

    numpy's ``round`` rounds halves to even and sees 22.345 as 22.344999..., so a mean of cents such as
    22.345 would come out 22.34 where the published CDNOW table says 22.35. Products with the power of ten
    are first snapped to 6 decimals to drop binary noise below any real difference. Returns float64.
    """
    scale = 10.0**decimals
    scaled = np.round(np.asarray(values, dtype=np.float64) * scale, 6)
    return np.sign(scaled) * np.floor(np.abs(scaled) + 0.5) / scale


def _purchase_days(
    customer_index: NDArray[np.int64], days: NDArray[np.int64], values: NDArray[np.float64]
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    """(customer, day, summed value) of each distinct purchase day, sorted by customer then day."""
    # Sorting by (customer, day) turns the per-day aggregation into segment sums.
    order = np.lexsort((days, customer_index))
    customer_sorted, day_sorted, value_sorted = customer_index[order], days[order], values[order]
    del order  # each array here is one per transaction: freed as soon as it is not needed
    starts_day = np.ones(customer_sorted.shape[0], dtype=bool)
    starts_day[1:] = (customer_sorted[1:] != customer_sorted[:-1]) | (day_sorted[1:] != day_sorted[:-1])
    day_starts = np.flatnonzero(starts_day)
    del starts_day
    day_value = np.add.reduceat(value_sorted, day_starts) if day_starts.size else value_sorted[:0]
    return customer_sorted[day_starts], day_sorted[day_starts], day_value


def _customer_codes(ids: NDArray[Any]) -> tuple[NDArray[np.int64], NDArray[Any]]:
    unique_ids, inverse = np.unique(ids, return_inverse=True)
    return inverse.reshape(-1).astype(np.int64), unique_ids


def _to_days(values: ArrayLike | Sequence[DayLike], field: str) -> NDArray[np.int64]:
    """Days since 1970-01-01 (UTC calendar dates) as int64."""
    array = np.asarray(values)
    if array.dtype == object:
        aware = _aware_days(array.reshape(-1))
        if aware is not None:
            return aware
        array = np.array([_naive_utc(value) for value in array.reshape(-1)], dtype="datetime64[us]")
    try:
        day_array = array.astype("datetime64[D]")
    except (TypeError, ValueError) as error:
        raise Invalid.field(field, f"must be dates or datetimes ({error})") from error
    if np.any(np.isnat(day_array)):
        raise Invalid.field(field, "every transaction needs a date")
    return day_array.astype(np.int64)


def _aware_days(values: NDArray[Any]) -> NDArray[np.int64] | None:
    """UTC days of aware datetimes from their POSIX timestamps (fast); ``None`` when any value is something
    else (naive datetimes, dates, strings), which the general path handles."""
    try:
        seconds = np.fromiter(
            (value.timestamp() if value.tzinfo is not None else np.nan for value in values),
            dtype=np.float64,
            count=values.shape[0],
        )
    except (AttributeError, TypeError):
        return None
    if np.isnan(seconds).any():
        return None
    return np.floor_divide(seconds, 86400.0).astype(np.int64)


def _to_day(value: DayLike, field: str) -> int:
    return int(_to_days(np.array([_naive_utc(value)], dtype="datetime64[us]"), field)[0])


def _naive_utc(value: Any) -> Any:
    # numpy refuses timezone-aware datetimes; the UTC wall time is the instant numpy should store.
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value
