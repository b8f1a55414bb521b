"""Pure figures of the team pages: a share with its Wilson interval, eNPS with its interval, the
recurring keyphrases of short comments. No I/O."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

Z95 = 1.959963984540054


@dataclass(frozen=True)
class Share:
    """``hits`` of ``n`` as a percentage with its 95% Wilson interval (sound for small ``n``)."""

    hits: int
    n: int
    percent: float
    low: float
    high: float


def wilson(hits: int, n: int) -> Share | None:
    """The share ``hits / n`` with its 95% Wilson score interval, in percent (None without answers)."""
    if n <= 0:
        return None
    p = hits / n
    denominator = 1 + Z95**2 / n
    centre = (p + Z95**2 / (2 * n)) / denominator
    margin = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / denominator
    return Share(hits, n, 100 * p, 100 * max(0.0, centre - margin), 100 * min(1.0, centre + margin))


@dataclass(frozen=True)
class Enps:
    """Employee Net Promoter Score: % promoters (9-10) minus % detractors (0-6), from -100 to 100, with
    its 95% interval (normal approximation of the difference of two shares of one multinomial)."""

    score: float
    low: float
    high: float
    n: int
    promoters: int
    passives: int
    detractors: int


def enps(scores: Sequence[int]) -> Enps | None:
    """eNPS of 0-10 answers (None without any)."""
    n = len(scores)
    if n == 0:
        return None
    promoters = sum(1 for score in scores if score >= 9)
    detractors = sum(1 for score in scores if score <= 6)
    p, d = promoters / n, detractors / n
    value = p - d
    variance = max(0.0, (p + d - value * value) / n)
    margin = Z95 * math.sqrt(variance)
    return Enps(
        score=100 * value,
        low=100 * max(-1.0, value - margin),
        high=100 * min(1.0, value + margin),
        n=n,
        promoters=promoters,
        passives=n - promoters - detractors,
        detractors=detractors,
    )


def keyphrases(comments: Sequence[str], *, top: int = 10, min_comments: int = 2) -> list[tuple[str, int]]:
    """The phrases (one to three words, English stop words left out) found in at least ``min_comments``
    of the comments, most frequent first, a phrase dropped when a longer one found as often contains it.
    Counted per comment (a word repeated in one comment counts once): what recurs across people."""
    texts = [comment for comment in comments if comment and comment.strip()]
    if len(texts) < min_comments:
        return []
    from sklearn.feature_extraction.text import CountVectorizer

    vectorizer = CountVectorizer(ngram_range=(1, 3), stop_words="english", binary=True)
    try:
        matrix = vectorizer.fit_transform(texts)
    except ValueError:  # nothing but stop words
        return []
    counts = matrix.sum(axis=0).A1
    found = [
        (phrase, int(count))
        for phrase, count in zip(vectorizer.get_feature_names_out(), counts, strict=True)
        if count >= min_comments
    ]
    found.sort(key=lambda item: (-item[1], -len(item[0].split()), item[0]))
    kept: list[tuple[str, int]] = []
    for phrase, count in found:
        if any(count == other_count and f" {phrase} " in f" {other} " for other, other_count in kept):
            continue
        kept.append((phrase, count))
        if len(kept) == top:
            break
    return kept
