"""RFM scores and named RFM segments: lists of customers a manager can open, export and target. No I/O.

Conventions:
- Inputs are per customer: ``recency_days`` (days since the last purchase, smaller is more recent),
  ``frequency`` (number of purchases) and ``monetary`` (spend, in any one money unit). The window and the
  exact definitions are the caller's; only the order of the values matters here.
- Scores are rank-based quantile scores 1 .. ``bins`` (quintiles for the default 5), higher is better:
  a customer's score is ``1 + floor(bins * below / n)`` where ``n`` is the number of customers and
  ``below`` the number of customers with a strictly worse value (smaller frequency or spend; more days
  since the last purchase for recency). Tied customers therefore share one score, the lowest the tie
  group reaches (its first rank), whatever the input order; with n distinct values each score holds
  n / bins customers (as near as integers allow). Computed in integers, so no rounding is involved.
- Segments read R against FM = the average of F and M rounded half up, ``(F + M + 1) // 2``, on the grid
  in :data:`SEGMENT_GRID` (the widely used 11-segment RFM map, with its R/F grid's F replaced by FM so
  that spend counts as much as frequency). Every one of the 25 cells belongs to exactly one segment.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from loyaldesk.analytics.vocab import Segment
from loyaldesk.kernel.errors import Invalid

IntArray = NDArray[np.int64]


# Display order: best customers first, then by how much attention they need.
SEGMENT_ORDER: tuple[Segment, ...] = tuple(Segment)


_C, _L, _P = Segment.CHAMPIONS, Segment.LOYAL, Segment.POTENTIAL_LOYALIST
_N, _PR, _NA = Segment.NEW_CUSTOMERS, Segment.PROMISING, Segment.NEED_ATTENTION
_S, _AR, _CL = Segment.ABOUT_TO_SLEEP, Segment.AT_RISK, Segment.CANNOT_LOSE_THEM
_H, _LO = Segment.HIBERNATING, Segment.LOST

# SEGMENT_GRID[R - 1][FM - 1]: rows R = 1 .. 5 (5 = most recent), columns FM = 1 .. 5.
#         FM=1 FM=2 FM=3 FM=4 FM=5
SEGMENT_GRID: tuple[tuple[Segment, ...], ...] = (
    (_LO, _LO, _AR, _AR, _CL),  # R=1
    (_H, _H, _AR, _AR, _CL),  # R=2
    (_S, _S, _NA, _L, _L),  # R=3
    (_PR, _P, _P, _L, _L),  # R=4
    (_N, _P, _P, _C, _C),  # R=5
)

CSV_HEADER = ("customer_id", "segment", "segment_label", "r", "f", "m", "rfm")


@dataclass(frozen=True)
class RfmScores:
    """Scores 1 .. ``bins`` aligned with the inputs of :func:`rfm_scores` (int64 arrays, higher is better)."""

    recency: IntArray
    frequency: IntArray
    monetary: IntArray
    bins: int

    @property
    def customer_count(self) -> int:
        return int(self.recency.shape[0])


@dataclass(frozen=True)
class SegmentMembers:
    """One segment's customers: ids sorted ascending and their count."""

    segment: Segment
    customer_ids: tuple[Any, ...]

    @property
    def count(self) -> int:
        return len(self.customer_ids)

    @property
    def label(self) -> str:
        return self.segment.label


def rfm_scores(
    recency_days: ArrayLike, frequency: ArrayLike, monetary: ArrayLike, bins: int = 5
) -> RfmScores:
    """R, F and M scores 1 .. ``bins`` of each customer by rank-based quantiles (see the module docstring).

    Inputs: three aligned 1-d sequences, one entry per customer; ``recency_days`` and ``frequency`` finite
    and non-negative, ``monetary`` finite. R is higher for fewer days since the last purchase; F and M are
    higher for larger values. Ties share the lowest score of their group, so the result depends only on
    the values, never on the input order. Empty inputs give empty scores.

    Raises ``Invalid`` naming the field when the arrays are not 1-d, differ in length, hold a non-finite
    or (recency, frequency) negative value, or when ``bins`` is not an integer >= 1.
    """
    if isinstance(bins, bool) or not isinstance(bins, int | np.integer) or bins < 1:
        raise Invalid.field("bins", "must be an integer >= 1")
    recency = _finite_1d(recency_days, "recency_days", non_negative=True)
    purchases = _finite_1d(frequency, "frequency", non_negative=True)
    spend = _finite_1d(monetary, "monetary", non_negative=False)
    if not (recency.shape == purchases.shape == spend.shape):
        raise Invalid.field(
            "frequency",
            f"recency_days, frequency and monetary differ in length "
            f"({recency.shape[0]}, {purchases.shape[0]}, {spend.shape[0]})",
        )
    # Recency is scored on its negation: fewer days since the last purchase is the better value.
    return RfmScores(
        recency=_quantile_scores(-recency, int(bins)),
        frequency=_quantile_scores(purchases, int(bins)),
        monetary=_quantile_scores(spend, int(bins)),
        bins=int(bins),
    )


def fm_score(f: int, m: int) -> int:
    """The F/M average used by the segment grid: (F + M) / 2 rounded half up, i.e. ``(f + m + 1) // 2``."""
    return (_score(f, "f") + _score(m, "m") + 1) // 2


def segment_of(r: int, f: int, m: int) -> Segment:
    """The named segment of scores R, F, M (each an integer 1 .. 5): ``SEGMENT_GRID[R - 1][FM - 1]`` with
    FM from :func:`fm_score`. Raises ``Invalid`` naming the score that is not an integer in 1 .. 5."""
    return SEGMENT_GRID[_score(r, "r") - 1][fm_score(f, m) - 1]


def segments(scores: RfmScores) -> tuple[Segment, ...]:
    """The segment of each customer, aligned with the scores. Needs 5-bin scores (``Invalid`` otherwise)."""
    _require_five_bins(scores)
    return tuple(_GRID_ARRAY[segment_codes(scores)].tolist())


# The grid flattened, indexed by (R - 1) * 5 + (FM - 1).
_GRID_ARRAY = np.array([segment for row in SEGMENT_GRID for segment in row], dtype=object)


def segment_codes(scores: RfmScores) -> IntArray:
    """Each customer's cell of :data:`SEGMENT_GRID` as ``(R - 1) * 5 + (FM - 1)``, computed on the arrays
    (:func:`segment_of` for all at once). Raises ``Invalid`` naming the score that is not in 1 .. 5."""
    for array, field in ((scores.recency, "r"), (scores.frequency, "f"), (scores.monetary, "m")):
        values = np.asarray(array)
        if values.dtype.kind in "iu" and (not values.size or 1 <= values.min() <= values.max() <= 5):
            continue
        for value in values.tolist():
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
                raise Invalid.field(field, f"must be an integer score in 1 .. 5 (got {value!r})")
    recency = np.asarray(scores.recency, dtype=np.int64)
    fm = (np.asarray(scores.frequency, dtype=np.int64) + np.asarray(scores.monetary, dtype=np.int64) + 1) // 2
    return (recency - 1) * 5 + (fm - 1)


def segment_members(
    customer_ids: Sequence[Any] | NDArray[Any], scores: RfmScores
) -> tuple[SegmentMembers, ...]:
    """Every segment, in :data:`SEGMENT_ORDER` (empty ones included, with count 0), with its customer ids
    sorted ascending. ``customer_ids`` is aligned with ``scores``; ids must be distinct and sortable."""
    ids = _customer_ids(customer_ids, scores)
    members: dict[Segment, list[Any]] = {segment: [] for segment in SEGMENT_ORDER}
    _require_five_bins(scores)
    codes = segment_codes(scores)
    id_array = np.array(ids, dtype=object)
    for code in np.unique(codes).tolist():
        members[_GRID_ARRAY[code]].extend(id_array[codes == code].tolist())
    return tuple(SegmentMembers(segment, tuple(sorted(members[segment]))) for segment in SEGMENT_ORDER)


def segment_rows(
    customer_ids: Sequence[Any] | NDArray[Any], scores: RfmScores, segment: Segment | None = None
) -> list[tuple[str, ...]]:
    """CSV-ready rows (all strings) for ``csv.writer``: :data:`CSV_HEADER` first, then one row per customer
    (``customer_id, segment slug, segment label, r, f, m, rfm`` with rfm the three digits, e.g. "545"),
    ordered by :data:`SEGMENT_ORDER` then customer id. With ``segment`` only that segment's customers."""
    rows: list[tuple[str, ...]] = [CSV_HEADER]
    ids = _customer_ids(customer_ids, scores)
    position = {customer_id: index for index, customer_id in enumerate(ids)}
    for group in segment_members(ids, scores):
        if segment is not None and group.segment != segment:
            continue
        for customer_id in group.customer_ids:
            index = position[customer_id]
            r, f, m = (
                str(int(array[index])) for array in (scores.recency, scores.frequency, scores.monetary)
            )
            rows.append((str(customer_id), group.segment.value, group.label, r, f, m, r + f + m))
    return rows


def _quantile_scores(values: NDArray[np.float64], bins: int) -> IntArray:
    """1 + floor(bins * (number of strictly smaller values) / n), in integer arithmetic."""
    count = values.shape[0]
    if count == 0:
        return np.zeros(0, dtype=np.int64)
    below = np.searchsorted(np.sort(values), values, side="left").astype(np.int64)
    return 1 + (bins * below) // count


def _finite_1d(values: ArrayLike, field: str, *, non_negative: bool) -> NDArray[np.float64]:
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise Invalid.field(field, f"must be numbers ({error})") from error
    if array.ndim != 1:
        raise Invalid.field(field, "must be a 1-d sequence with one entry per customer")
    if not np.all(np.isfinite(array)):
        raise Invalid.field(field, "every value must be a finite number")
    if non_negative and np.any(array < 0):
        raise Invalid.field(field, "must not be negative")
    return array


def _score(value: int, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or not 1 <= value <= 5:
        raise Invalid.field(field, f"must be an integer score in 1 .. 5 (got {value!r})")
    return int(value)


def _require_five_bins(scores: RfmScores) -> None:
    if scores.bins != 5:
        raise Invalid.field("bins", f"named segments need 5-bin scores (got {scores.bins})")


def _customer_ids(customer_ids: Sequence[Any] | NDArray[Any], scores: RfmScores) -> list[Any]:
    ids = [value.item() if isinstance(value, np.generic) else value for value in customer_ids]
    if len(ids) != scores.customer_count:
        raise Invalid.field(
            "customer_ids", f"has {len(ids)} entries for {scores.customer_count} scored customers"
        )
    if len(set(ids)) != len(ids):
        raise Invalid.field("customer_ids", "must be distinct")
    return ids
