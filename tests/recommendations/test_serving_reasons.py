"""Each pick's why in words (``recommendations.rules.reasons``), in English and German, and what a reason
with missing facts falls back to."""

from __future__ import annotations

import pytest

from loyaldesk.kernel.i18n import active_language
from loyaldesk.recommendations.rules.reasons import reason_text

CASES = [
    (
        "repurchase",
        {"title": "Coffee beans", "days": 30},
        "You buy Coffee beans about every 30 days",
        "Sie kaufen Coffee beans etwa alle 30 Tage",
    ),
    (
        "repurchase",
        {"title": "Milk", "days": 1},
        "You buy Milk about every day",
        "Sie kaufen Milk etwa jeden Tag",
    ),
    (
        "bought_with",
        {"other_key": "b", "other_title": "Grinder"},
        "Often bought with Grinder",
        "Oft zusammen gekauft mit Grinder",
    ),
    (
        "similar",
        {"other_key": "b", "other_title": "Grinder"},
        "Customers who bought Grinder also bought this",
        "Wer Grinder gekauft hat, kaufte auch dies",
    ),
    ("popular_in_category", {"category": "Tea"}, "Popular in Tea", "Beliebt in Tea"),
    ("bestseller", {}, "A bestseller", "Ein Bestseller"),
    (
        "for_you",
        {"category": "Tea"},
        "Picked for you from what you buy",
        "Für Sie ausgewählt nach dem, was Sie kaufen",
    ),
    ("offer", {"offer_id": 3}, "A personal offer for you", "Ein persönliches Angebot für Sie"),
]


@pytest.mark.parametrize(
    ("kind", "params", "english", "german"), CASES, ids=[case[0] + str(i) for i, case in enumerate(CASES)]
)
def test_each_reason_in_both_languages(kind: str, params: dict, english: str, german: str) -> None:  # type: ignore[type-arg]
    assert reason_text(kind, params, "en") == english
    assert reason_text(kind, params, "de-AT") == german
    assert reason_text(kind, params, "fr") == english  # not shipped: English
    assert active_language() == "en"  # the language is set only around the sentence


@pytest.mark.parametrize(
    ("kind", "params"),
    [
        ("repurchase", {"title": "Beans"}),  # no interval
        ("repurchase", {"days": 30}),  # no title
        ("repurchase", {"title": "Beans", "days": True}),
        ("repurchase", {"title": "Beans", "days": 0}),
        ("bought_with", {"other_key": "b"}),
        ("similar", {"other_title": "  "}),
        ("something_new", {}),
    ],
)
def test_missing_facts_fall_back_to_the_general_reason(kind: str, params: dict) -> None:  # type: ignore[type-arg]
    assert reason_text(kind, params, "en") == "Picked for you from what you buy"


def test_the_current_title_wins_and_a_category_less_popularity_is_a_bestseller() -> None:
    assert reason_text("repurchase", {"title": "Old", "days": 29.6}, "en", title="New") == (
        "You buy New about every 30 days"
    )
    assert reason_text("popular_in_category", {}, "de") == "Ein Bestseller"
