"""Sentiment of what customers write to support, as a churn signal. Uses VADER (Hutto & Gilbert 2014), a
lexicon and rule-based scorer made for short informal text: offline, fast, English only.

A customer's sentiment is the mean VADER compound score (-1 very negative .. +1 very positive) of their
messages; it counts as negative at :data:`NEGATIVE_AT` or below. Messages of other languages mostly score
0 (neutral), so they never raise the signal by themselves.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

NEGATIVE_AT = -0.3
MAX_CHARACTERS = 2000  # a long email is scored on its beginning; the rest rarely changes the tone


@lru_cache(maxsize=1)
def _analyzer() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


def score(text: str) -> float:
    """The VADER compound score of ``text`` in [-1, 1]."""
    return float(_analyzer().polarity_scores(text[:MAX_CHARACTERS])["compound"])


def negative_customers(messages: Iterable[tuple[int, str]]) -> set[int]:
    """The customers whose messages ``(customer id, text)`` are negative on average."""
    totals: dict[int, list[float]] = {}
    for customer_id, text in messages:
        if text.strip():
            totals.setdefault(customer_id, []).append(score(text))
    return {customer for customer, scores in totals.items() if sum(scores) / len(scores) <= NEGATIVE_AT}
