"""Badge rules, tested exhaustively: the catalogue, new levels, progress, and that badges never go down."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyaldesk.kernel.errors import Invalid
from loyaldesk.loyalty.rules.badges import (
    BadgeAward,
    BadgeDefinition,
    BadgeMetric,
    BadgeProgress,
    badge_progress,
    big_spender_badge,
    default_badge_catalogue,
    evaluate_badges,
    levels_after,
)

CATALOGUE = default_badge_catalogue()


def awarded(awards: list[BadgeAward]) -> list[tuple[str, int, str]]:
    return [(award.code, award.level, award.level_name) for award in awards]


def test_the_default_catalogue() -> None:
    by_code = {definition.code: definition for definition in CATALOGUE}
    assert list(by_code) == ["shopper", "reviewer", "referrer"]
    assert by_code["shopper"].levels == (1, 5, 20)
    assert by_code["shopper"].level_names == ("First order", "Regular", "Devotee")
    assert by_code["shopper"].metric == BadgeMetric.ORDERS
    assert by_code["reviewer"].levels == (1, 5, 20)
    assert by_code["reviewer"].metric == BadgeMetric.REVIEWS
    assert by_code["referrer"].levels == (1, 3, 10)
    assert by_code["referrer"].metric == BadgeMetric.REFERRALS


def test_the_big_spender_badge_comes_only_with_the_stores_thresholds() -> None:
    catalogue = default_badge_catalogue(big_spender_thresholds=(50_000, 200_000, 1_000_000))
    spender = catalogue[-1]
    assert (spender.code, spender.metric, spender.levels) == (
        "big_spender",
        BadgeMetric.SPEND,
        (50_000, 200_000, 1_000_000),
    )
    assert spender.level_names == ("Big spender", "High roller", "Patron")
    yen = big_spender_badge((5_000, 50_000), ("Big spender", "Patron"))
    assert yen.levels == (5_000, 50_000)


@pytest.mark.parametrize(
    ("settings", "field", "reason"),
    [
        ({"levels": (), "level_names": ()}, "levels", "at least one level"),
        ({"levels": (0, 5), "level_names": ("a", "b")}, "levels", "1 or more"),
        ({"levels": (5, 5), "level_names": ("a", "b")}, "levels", "strictly increasing"),
        ({"levels": (5, 3), "level_names": ("a", "b")}, "levels", "strictly increasing"),
        ({"levels": (1, 5), "level_names": ("a",)}, "level_names", "one name per level (2), not 1"),
        ({"code": " "}, "code", "must not be empty"),
        ({"metric": "likes"}, "metric", "must be one of orders, reviews"),
    ],
)
def test_a_malformed_badge_names_the_field(settings: dict[str, Any], field: str, reason: str) -> None:
    arguments: dict[str, Any] = {
        "code": "x",
        "name": "X",
        "metric": BadgeMetric.ORDERS,
        "levels": (1,),
        "level_names": ("One",),
        **settings,
    }
    with pytest.raises(Invalid) as caught:
        BadgeDefinition(**arguments)
    assert caught.value.problems[0].field == field
    assert reason in caught.value.problems[0].reason


def test_a_metric_given_as_text_becomes_a_metric() -> None:
    definition = BadgeDefinition("x", "X", "reviews", (1,), ("One",))  # type: ignore[arg-type]
    assert definition.metric is BadgeMetric.REVIEWS


@pytest.mark.parametrize(
    ("metrics", "held", "expected"),
    [
        ({}, {}, []),
        ({"orders": 1}, {}, [("shopper", 1, "First order")]),
        ({"orders": 4}, {"shopper": 1}, []),
        ({"orders": 5}, {"shopper": 1}, [("shopper", 2, "Regular")]),
        # a jump over two levels gives both, in order, so each can be announced
        ({"orders": 7}, {}, [("shopper", 1, "First order"), ("shopper", 2, "Regular")]),
        (
            {"orders": 500},
            {},
            [("shopper", 1, "First order"), ("shopper", 2, "Regular"), ("shopper", 3, "Devotee")],
        ),
        ({"orders": 3}, {"shopper": 2}, []),  # a refund lowered the count: the level stays
        ({"orders": 20}, {"shopper": 3}, []),
        (
            {"orders": 1, "reviews": 5, "referrals": 3},
            {"reviewer": 1},
            [
                ("shopper", 1, "First order"),
                ("reviewer", 2, "Critic"),
                ("referrer", 1, "Referrer"),
                ("referrer", 2, "Ambassador"),
            ],
        ),
        (
            {"referrals": -2, "spend": 10**9},
            {"retired_badge": 4},
            [],
        ),  # no spend badge; unknown codes ignored
        ({"orders": 25}, {"shopper": 9}, []),  # held above a level the badge no longer has
    ],
)
def test_evaluate_badges(
    metrics: dict[str, int], held: dict[str, int], expected: list[tuple[str, int, str]]
) -> None:
    assert awarded(evaluate_badges(CATALOGUE, metrics, held)) == expected


def test_an_award_says_what_to_announce() -> None:
    [award] = evaluate_badges(CATALOGUE, {"orders": 5}, {"shopper": 1})
    assert award == BadgeAward("shopper", "Shopper", 2, "Regular", 5)


def test_the_same_badge_code_twice_is_refused() -> None:
    with pytest.raises(Invalid, match="repeated: shopper"):
        evaluate_badges([*CATALOGUE, CATALOGUE[0]], {}, {})
    with pytest.raises(Invalid, match="repeated: shopper"):
        badge_progress([*CATALOGUE, CATALOGUE[0]], {}, {})


def test_a_negative_held_level_is_a_bug() -> None:
    with pytest.raises(ValueError, match="shopper"):
        evaluate_badges(CATALOGUE, {}, {"shopper": -1})


def test_badge_progress_for_the_member_page() -> None:
    progress = badge_progress(CATALOGUE, {"orders": 3, "referrals": 12}, {"reviewer": 2})
    assert progress == [
        BadgeProgress("shopper", "Shopper", 1, "First order", 5, 3),
        BadgeProgress("reviewer", "Reviewer", 2, "Critic", 20, 0),  # held, though the reviews were deleted
        BadgeProgress("referrer", "Referrer", 3, "Champion", None, 12),  # at the top
    ]


def test_badge_progress_caps_a_level_the_badge_no_longer_has() -> None:
    [shopper, *_] = badge_progress(CATALOGUE, {"orders": 2}, {"shopper": 7})
    assert (shopper.level, shopper.level_name, shopper.next_threshold) == (3, "Devotee", None)


def test_levels_after_keeps_the_highest() -> None:
    awards = evaluate_badges(CATALOGUE, {"orders": 5, "reviews": 1}, {"shopper": 1, "referrer": 2})
    assert levels_after({"shopper": 1, "referrer": 2}, awards) == {"shopper": 2, "referrer": 2, "reviewer": 1}
    assert levels_after({"shopper": 3}, [BadgeAward("shopper", "Shopper", 1, "First order", 1)]) == {
        "shopper": 3
    }


# -- properties -------------------------------------------------------------------------------------------

METRICS = list(BadgeMetric)
thresholds = st.lists(st.integers(1, 60), min_size=1, max_size=5, unique=True).map(
    lambda values: tuple(sorted(values))
)


@st.composite
def catalogues(draw: st.DrawFn) -> list[BadgeDefinition]:
    count = draw(st.integers(1, 4))
    definitions = []
    for index in range(count):
        levels = draw(thresholds)
        metric = draw(st.sampled_from(METRICS))
        names = tuple(f"level {level}" for level in range(1, len(levels) + 1))
        definitions.append(BadgeDefinition(f"badge{index}", f"Badge {index}", metric, levels, names))
    return definitions


metric_values = st.dictionaries(st.sampled_from([m.value for m in METRICS]), st.integers(-10, 80))
held_levels = st.dictionaries(st.sampled_from([f"badge{index}" for index in range(5)]), st.integers(0, 6))


@given(catalogues(), metric_values, held_levels)
def test_awards_are_each_new_level_in_increasing_order(
    definitions: list[BadgeDefinition], metrics: dict[str, int], held: dict[str, int]
) -> None:
    awards = evaluate_badges(definitions, metrics, held)
    for definition in definitions:
        levels = [award.level for award in awards if award.code == definition.code]
        start = held.get(definition.code, 0)
        reached = sum(1 for threshold in definition.levels if metrics.get(definition.metric, 0) >= threshold)
        assert levels == list(range(start + 1, reached + 1))
        for award in awards:
            if award.code == definition.code:
                assert award.threshold == definition.levels[award.level - 1]
                assert metrics.get(definition.metric, 0) >= award.threshold
    order = [definition.code for definition in definitions]
    assert [award.code for award in awards] == sorted((award.code for award in awards), key=order.index)


@given(catalogues(), metric_values, held_levels)
def test_evaluating_twice_awards_nothing_the_second_time(
    definitions: list[BadgeDefinition], metrics: dict[str, int], held: dict[str, int]
) -> None:
    after = levels_after(held, evaluate_badges(definitions, metrics, held))
    assert evaluate_badges(definitions, metrics, after) == []


@given(catalogues(), st.lists(metric_values, min_size=1, max_size=8))
def test_badges_never_go_down_and_each_level_is_awarded_once(
    definitions: list[BadgeDefinition], history: list[dict[str, int]]
) -> None:
    held: dict[str, int] = {}
    announced: list[tuple[str, int]] = []
    for metrics in history:  # metrics rise and fall (refunds, deleted reviews)
        before = dict(held)
        awards = evaluate_badges(definitions, metrics, held)
        announced += [(award.code, award.level) for award in awards]
        held = levels_after(held, awards)
        assert all(held.get(code, 0) >= level for code, level in before.items())
        for progress in badge_progress(definitions, metrics, held):
            assert progress.level == held.get(progress.code, 0)
            assert progress.next_threshold is None or progress.next_threshold > progress.value
    assert len(announced) == len(set(announced))
    for definition in definitions:
        best = max(definition.level_for(metrics.get(definition.metric, 0)) for metrics in history)
        assert [level for code, level in announced if code == definition.code] == list(range(1, best + 1))


@given(catalogues(), metric_values, held_levels)
def test_progress_never_shows_less_than_what_is_held_or_reached(
    definitions: list[BadgeDefinition], metrics: dict[str, int], held: dict[str, int]
) -> None:
    for definition, progress in zip(definitions, badge_progress(definitions, metrics, held), strict=True):
        value = metrics.get(definition.metric, 0)
        assert progress.code == definition.code
        assert progress.value == value
        top = len(definition.levels)
        assert progress.level == max(min(held.get(definition.code, 0), top), definition.level_for(value))
        assert progress.level_name == (definition.level_names[progress.level - 1] if progress.level else None)
        expected_next = definition.levels[progress.level] if progress.level < top else None
        assert progress.next_threshold == expected_next
