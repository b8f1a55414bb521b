"""Scores and buckets, pure. Which question of a survey is its score, and where a score puts the
customer: NPS promoter 9-10 / passive 7-8 / detractor 0-6; CSAT (1-5) satisfied 4-5 / neutral 3 /
detractor 1-2; CES (1-7) easy 5-7 / neutral 4 / detractor 1-3. A CSAT or CES "promoter" is a satisfied
or easy answer: one word per place, so reports and filters read the same for every kind."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from loyaldesk.feedback.vocab import Bucket, QuestionType, SurveyKind

# The range each kind's score question has.
SCORE_RANGES = {SurveyKind.NPS: (0, 10), SurveyKind.CSAT: (1, 5), SurveyKind.CES: (1, 7)}


def score_question(questions: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """The survey's score question: its first NPS or scale question (None for a survey without one)."""
    for question in questions:
        if question.get("type") in (QuestionType.NPS, QuestionType.SCALE):
            return question
    return None


def bucket(kind: SurveyKind | str, score: int | None, low: int = 1, high: int = 5) -> Bucket | None:
    """Where ``score`` puts the customer for a survey of ``kind``. For a custom or review survey the
    score question's own range (``low``..``high``) is read like CSAT: its top two fifths are promoters,
    its bottom two fifths detractors."""
    if score is None:
        return None
    kind = SurveyKind(kind)
    if kind is SurveyKind.NPS:
        return Bucket.PROMOTER if score >= 9 else Bucket.PASSIVE if score >= 7 else Bucket.DETRACTOR
    if kind is SurveyKind.CSAT:
        return Bucket.PROMOTER if score >= 4 else Bucket.PASSIVE if score == 3 else Bucket.DETRACTOR
    if kind is SurveyKind.CES:
        return Bucket.PROMOTER if score >= 5 else Bucket.PASSIVE if score == 4 else Bucket.DETRACTOR
    if high <= low:
        return None
    share = (score - low) / (high - low)
    return Bucket.PROMOTER if share >= 0.75 else Bucket.DETRACTOR if share <= 0.25 else Bucket.PASSIVE


def is_detractor(kind: SurveyKind | str, score: int | None, low: int = 1, high: int = 5) -> bool:
    """NPS 0-6, CSAT 1-2, CES 1-3 (and the bottom of a custom scale)."""
    return bucket(kind, score, low, high) is Bucket.DETRACTOR
