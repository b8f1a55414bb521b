"""The team pages' pure figures: the Wilson interval of a CSAT share, eNPS and its interval (checked
against a bootstrap computed here independently), and the comments' recurring keyphrases."""

from __future__ import annotations

import numpy as np
import pytest

from loyaldesk.feedback.team.rules import enps, keyphrases, wilson


def test_wilson_interval_matches_the_published_formula() -> None:
    assert wilson(0, 0) is None
    share = wilson(8, 10)
    assert share is not None
    # Wilson (1927) for 8 of 10 at 95%: 0.490 to 0.943 (e.g. Newcombe 1998, method 3).
    assert share.percent == 80.0
    assert share.low == pytest.approx(49.02, abs=0.01) and share.high == pytest.approx(94.33, abs=0.01)
    everyone = wilson(5, 5)
    assert everyone is not None and everyone.high == 100.0 and everyone.low < 60  # 5 of 5 is no certainty


@pytest.mark.parametrize(("seed", "n"), [(1, 60), (2, 200), (3, 500)])
def test_enps_interval_agrees_with_a_bootstrap(seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    scores = rng.choice(np.arange(11), size=n, p=[0.03] * 5 + [0.05, 0.1, 0.15, 0.15, 0.2, 0.2]).tolist()
    result = enps(scores)
    assert result is not None
    values = np.array(scores)
    expected = 100 * ((values >= 9).mean() - (values <= 6).mean())
    assert result.score == pytest.approx(expected)
    assert result.promoters + result.passives + result.detractors == n
    samples = rng.choice(values, size=(20_000, n), replace=True)
    boot = 100 * ((samples >= 9).mean(axis=1) - (samples <= 6).mean(axis=1))
    low, high = np.percentile(boot, [2.5, 97.5])
    tolerance = 2.0 if n < 100 else 1.0  # the normal approximation is close, closer with more answers
    assert result.low == pytest.approx(low, abs=tolerance)
    assert result.high == pytest.approx(high, abs=tolerance)


def test_enps_bounds() -> None:
    assert enps([]) is None
    top = enps([10, 10, 9])
    assert top is not None and top.score == 100 and top.high == 100
    bottom = enps([0, 3, 6])
    assert bottom is not None and bottom.score == -100 and bottom.low == -100


def test_keyphrases_are_what_recurs_across_comments() -> None:
    comments = [
        "More training on refunds please",
        "more training on refunds and returns",
        "Better chairs",
        "The chairs hurt",
        "Nothing, I love it",
    ]
    found = dict(keyphrases(comments))
    assert found == {"training refunds": 2, "chairs": 2}  # "training" alone is inside "training refunds"
    assert keyphrases(["only one comment"]) == []
    assert keyphrases(["the and of", "and the of"]) == []  # nothing but stop words
