"""RFM quintile scores on a hand-computed fixture, deterministic ties, the segment grid, members, rows."""

from __future__ import annotations

import csv
import io
import itertools

import numpy as np
import pytest

from loyaldesk.analytics.segments import (
    CSV_HEADER,
    SEGMENT_GRID,
    SEGMENT_ORDER,
    Segment,
    fm_score,
    rfm_scores,
    segment_members,
    segment_of,
    segment_rows,
    segments,
)
from loyaldesk.kernel.errors import Invalid

IDS = ["c01", "c02", "c03", "c04", "c05", "c06", "c07", "c08", "c09", "c10"]
RECENCY_DAYS = [3, 10, 45, 90, 200, 7, 30, 365, 15, 60]
FREQUENCY = [12, 1, 4, 8, 1, 6, 2, 9, 1, 3]
MONETARY = [900, 20, 150, 400, 35, 300, 60, 700, 25, 100]

# score = 1 + floor(5 * below / 10), below = customers with a strictly worse value.
# R (worse = more days): c01 3d: 9 worse -> 1 + 45 // 10 = 5; c02 10d: 7 -> 4; c03 45d: 4 -> 3;
#   c04 90d: 2 -> 2; c05 200d: 1 -> 1; c06 7d: 8 -> 5; c07 30d: 5 -> 3; c08 365d: 0 -> 1;
#   c09 15d: 6 -> 4; c10 60d: 3 -> 2.
EXPECTED_R = [5, 4, 3, 2, 1, 5, 3, 1, 4, 2]
# F: the three customers with 1 purchase tie at below = 0 -> 1; 2: 3 below -> 2; 3: 4 -> 3; 4: 5 -> 3;
#   6: 6 -> 4; 8: 7 -> 4; 9: 8 -> 5; 12: 9 -> 5.
EXPECTED_F = [5, 1, 3, 4, 1, 4, 2, 5, 1, 3]
# M (distinct, k-th smallest scores 1 + k // 2): 20, 25 -> 1; 35, 60 -> 2; 100, 150 -> 3; 300, 400 -> 4;
#   700, 900 -> 5.
EXPECTED_M = [5, 1, 3, 4, 2, 4, 2, 5, 1, 3]
# FM = (F + M + 1) // 2 and the grid row R:
#   c01 R5 FM5 champions; c02 R4 FM1 promising; c03 R3 FM3 need attention; c04 R2 FM4 at risk;
#   c05 R1 FM2 lost; c06 R5 FM4 champions; c07 R3 FM2 about to sleep; c08 R1 FM5 cannot lose them;
#   c09 R4 FM1 promising; c10 R2 FM3 at risk.
EXPECTED_SEGMENTS = [
    Segment.CHAMPIONS,
    Segment.PROMISING,
    Segment.NEED_ATTENTION,
    Segment.AT_RISK,
    Segment.LOST,
    Segment.CHAMPIONS,
    Segment.ABOUT_TO_SLEEP,
    Segment.CANNOT_LOSE_THEM,
    Segment.PROMISING,
    Segment.AT_RISK,
]


def test_scores_of_the_hand_computed_fixture() -> None:
    scores = rfm_scores(RECENCY_DAYS, FREQUENCY, MONETARY)

    assert scores.bins == 5
    assert scores.customer_count == 10
    assert scores.recency.tolist() == EXPECTED_R
    assert scores.frequency.tolist() == EXPECTED_F
    assert scores.monetary.tolist() == EXPECTED_M
    assert scores.recency.dtype == np.int64
    assert list(segments(scores)) == EXPECTED_SEGMENTS


def test_ties_share_the_lowest_score_of_their_group() -> None:
    # frequency 1, 1, 1, 2: the ones have 0 below -> 1; the two has 3 below -> 1 + 15 // 4 = 4.
    # recency 5, 5, 10, 10 days: 5 days has 2 worse -> 1 + 10 // 4 = 3; 10 days has none worse -> 1.
    scores = rfm_scores([5, 5, 10, 10], [1, 1, 1, 2], [7, 7, 7, 7])

    assert scores.frequency.tolist() == [1, 1, 1, 4]
    assert scores.recency.tolist() == [3, 3, 1, 1]
    assert scores.monetary.tolist() == [1, 1, 1, 1]


def test_scores_do_not_depend_on_the_input_order() -> None:
    order = np.random.default_rng(7).permutation(10)
    shuffled = rfm_scores(
        np.array(RECENCY_DAYS)[order], np.array(FREQUENCY)[order], np.array(MONETARY)[order]
    )

    assert shuffled.recency.tolist() == np.array(EXPECTED_R)[order].tolist()
    assert shuffled.frequency.tolist() == np.array(EXPECTED_F)[order].tolist()
    assert shuffled.monetary.tolist() == np.array(EXPECTED_M)[order].tolist()


def test_distinct_values_fill_equal_quintiles() -> None:
    values = np.random.default_rng(3).permutation(100).astype(float)
    scores = rfm_scores(values, values, values)

    for array in (scores.recency, scores.frequency, scores.monetary):
        assert np.bincount(array, minlength=6)[1:].tolist() == [20] * 5
    # Most recent (0 days) gets R = 5, the largest frequency F = 5.
    assert scores.recency[values == 0].tolist() == [5]
    assert scores.frequency[values == 99].tolist() == [5]


def test_other_bin_counts_and_empty_input() -> None:
    # bins = 4 on 1..8: below k scores 1 + (4 k) // 8 = 1 + k // 2.
    assert rfm_scores(range(8), range(8), range(8), bins=4).frequency.tolist() == [1, 1, 2, 2, 3, 3, 4, 4]
    empty = rfm_scores([], [], [])
    assert empty.customer_count == 0
    assert segments(empty) == ()
    assert all(group.count == 0 for group in segment_members([], empty))


@pytest.mark.parametrize(
    ("r", "f", "m", "expected"),
    [
        (5, 5, 5, Segment.CHAMPIONS),
        (5, 1, 1, Segment.NEW_CUSTOMERS),
        (1, 5, 5, Segment.CANNOT_LOSE_THEM),
        (1, 1, 1, Segment.LOST),
        (2, 1, 1, Segment.HIBERNATING),
        (2, 2, 2, Segment.HIBERNATING),
        (1, 3, 3, Segment.AT_RISK),
        (2, 4, 4, Segment.AT_RISK),
        (3, 3, 3, Segment.NEED_ATTENTION),
        (3, 1, 2, Segment.ABOUT_TO_SLEEP),  # FM = (1 + 2 + 1) // 2 = 2
        (3, 5, 5, Segment.LOYAL),
        (4, 4, 4, Segment.LOYAL),
        (4, 1, 1, Segment.PROMISING),
        (4, 2, 3, Segment.POTENTIAL_LOYALIST),
        (5, 3, 3, Segment.POTENTIAL_LOYALIST),
        # FM rounds half up: (3 + 4) / 2 = 3.5 -> 4, (3 + 3) / 2 = 3, (1 + 2) / 2 = 1.5 -> 2.
        (5, 3, 4, Segment.CHAMPIONS),
        (5, 3, 3, Segment.POTENTIAL_LOYALIST),
        (5, 1, 2, Segment.POTENTIAL_LOYALIST),
        (2, 4, 5, Segment.CANNOT_LOSE_THEM),
    ],
)
def test_segment_table_cells(r: int, f: int, m: int, expected: Segment) -> None:
    assert segment_of(r, f, m) is expected


def test_every_score_triple_has_one_segment_and_every_segment_is_reachable() -> None:
    reached = {segment_of(r, f, m) for r, f, m in itertools.product(range(1, 6), repeat=3)}

    assert reached == set(Segment)
    assert len(SEGMENT_ORDER) == 11
    assert all(len(row) == 5 for row in SEGMENT_GRID) and len(SEGMENT_GRID) == 5
    assert [fm_score(f, m) for f, m in [(1, 1), (1, 2), (2, 3), (4, 5), (5, 5)]] == [1, 2, 3, 5, 5]
    assert Segment.CANNOT_LOSE_THEM.label == "Cannot lose them"


@pytest.mark.parametrize(
    ("r", "f", "m"), [(0, 1, 1), (6, 1, 1), (1, 0, 1), (1, 1, 6), (True, 1, 1), (2.0, 1, 1)]
)
def test_segment_of_rejects_scores_outside_1_to_5(r: int, f: int, m: int) -> None:
    with pytest.raises(Invalid):
        segment_of(r, f, m)


def test_segment_members_lists_sorted_ids_and_counts_in_display_order() -> None:
    shuffled = [9, 4, 0, 7, 2, 5, 1, 8, 3, 6]
    scores = rfm_scores(
        [RECENCY_DAYS[i] for i in shuffled], [FREQUENCY[i] for i in shuffled], [MONETARY[i] for i in shuffled]
    )
    groups = segment_members([IDS[i] for i in shuffled], scores)

    assert [group.segment for group in groups] == list(SEGMENT_ORDER)
    by_segment = {group.segment: group.customer_ids for group in groups}
    assert by_segment == {
        Segment.CHAMPIONS: ("c01", "c06"),
        Segment.LOYAL: (),
        Segment.POTENTIAL_LOYALIST: (),
        Segment.NEW_CUSTOMERS: (),
        Segment.PROMISING: ("c02", "c09"),
        Segment.NEED_ATTENTION: ("c03",),
        Segment.ABOUT_TO_SLEEP: ("c07",),
        Segment.AT_RISK: ("c04", "c10"),
        Segment.CANNOT_LOSE_THEM: ("c08",),
        Segment.HIBERNATING: (),
        Segment.LOST: ("c05",),
    }
    assert sum(group.count for group in groups) == 10


def test_segment_rows_are_csv_ready() -> None:
    scores = rfm_scores(RECENCY_DAYS, FREQUENCY, MONETARY)
    rows = segment_rows(np.array(IDS), scores)

    assert rows[0] == CSV_HEADER
    assert rows[1:] == [
        ("c01", "champions", "Champions", "5", "5", "5", "555"),
        ("c06", "champions", "Champions", "5", "4", "4", "544"),
        ("c02", "promising", "Promising", "4", "1", "1", "411"),
        ("c09", "promising", "Promising", "4", "1", "1", "411"),
        ("c03", "need_attention", "Need attention", "3", "3", "3", "333"),
        ("c07", "about_to_sleep", "About to sleep", "3", "2", "2", "322"),
        ("c04", "at_risk", "At risk", "2", "4", "4", "244"),
        ("c10", "at_risk", "At risk", "2", "3", "3", "233"),
        ("c08", "cannot_lose_them", "Cannot lose them", "1", "5", "5", "155"),
        ("c05", "lost", "Lost", "1", "1", "2", "112"),
    ]
    buffer = io.StringIO()
    csv.writer(buffer).writerows(segment_rows(IDS, scores, Segment.AT_RISK))
    assert buffer.getvalue().splitlines() == [
        "customer_id,segment,segment_label,r,f,m,rfm",
        "c04,at_risk,At risk,2,4,4,244",
        "c10,at_risk,At risk,2,3,3,233",
    ]


def test_integer_ids_sort_numerically() -> None:
    scores = rfm_scores([1, 1, 1], [1, 1, 1], [1, 1, 1])
    groups = segment_members(np.array([10, 9, 100]), scores)

    # All values tie: every score is 1, so everyone is lost (R1, FM1), ids sorted as integers.
    assert [(group.segment, group.customer_ids) for group in groups if group.count] == [
        (Segment.LOST, (9, 10, 100))
    ]


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        (([1, 2], [1], [1, 2]), "frequency"),
        (([-1, 2], [1, 1], [1, 2]), "recency_days"),
        (([1, 2], [1, -1], [1, 2]), "frequency"),
        (([1, 2], [1, 1], [1, float("nan")]), "monetary"),
        (([[1, 2]], [[1, 1]], [[1, 2]]), "recency_days"),
    ],
)
def test_rfm_scores_rejects_bad_input(arguments: tuple[list[float], ...], field: str) -> None:
    with pytest.raises(Invalid) as error:
        rfm_scores(*arguments)
    assert error.value.problems[0].field == field


def test_bad_bins_ids_and_segments_of_other_bin_counts_are_rejected() -> None:
    with pytest.raises(Invalid):
        rfm_scores([1], [1], [1], bins=0)
    scores = rfm_scores([1, 2], [1, 2], [1, 2])
    with pytest.raises(Invalid):
        segment_members(["a"], scores)
    with pytest.raises(Invalid):
        segment_members(["a", "a"], scores)
    with pytest.raises(Invalid):
        segments(rfm_scores([1, 2], [1, 2], [1, 2], bins=3))
