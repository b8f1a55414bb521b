"""Suggestions for new themes: what recent comments that no theme fits keep talking about.

Contract of ``theme_suggestions(session, store_id, now, ...) -> list[Suggestion]``:
- Reads the store's answers of the last ``days`` with a comment; "unthemed" are those that carry no
  theme, or only the model's tags below ``low_confidence``.
- Scores word n-grams (1-3 words, English stop words dropped) by class-based TF-IDF: how much more often
  a phrase occurs in unthemed comments than across all the store's recent comments (c-TF-IDF, with the
  two classes "unthemed" and "themed"). A phrase must occur in at least ``min_comments`` unthemed
  comments; a phrase inside a better one already chosen is skipped, and so is one inside (or holding)
  the name of an existing theme.
- Each suggestion has the phrase, how many unthemed comments use it, and up to three of them.
With fewer than ``min_comments`` unthemed comments there is no suggestion.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from loyaldesk.feedback.models import ResponseTheme, SurveyResponse, Theme

LOW_CONFIDENCE = 0.6
MAX_COMMENTS = 2000


@dataclass(frozen=True)
class Suggestion:
    phrase: str
    comment_count: int
    examples: tuple[str, ...]


def _comments(
    session: Session, store_id: int, since: datetime, low_confidence: float
) -> tuple[list[str], list[bool]]:
    rows = session.execute(
        select(SurveyResponse.id, SurveyResponse.comment)
        .where(
            SurveyResponse.store_id == store_id,
            SurveyResponse.comment.is_not(None),
            SurveyResponse.created_at >= since,
        )
        .order_by(SurveyResponse.created_at.desc())
        .limit(MAX_COMMENTS)
    ).all()
    if not rows:
        return [], []
    ids = [row.id for row in rows]
    themed = {
        response_id
        for response_id, best in session.execute(
            select(ResponseTheme.response_id, func.max(func.coalesce(ResponseTheme.confidence, 1.0)))
            .where(ResponseTheme.response_id.in_(ids), ResponseTheme.present.is_(True))
            .group_by(ResponseTheme.response_id)
        ).all()
        if best >= low_confidence
    }
    return [row.comment for row in rows], [row.id not in themed for row in rows]


def _overlap(one: str, other: str) -> bool:
    """Whether one phrase holds the other as whole words."""
    return f" {one} " in f" {other} " or f" {other} " in f" {one} "


def theme_suggestions(
    session: Session,
    store_id: int,
    now: datetime,
    *,
    days: int = 90,
    limit: int = 5,
    min_comments: int = 3,
    low_confidence: float = LOW_CONFIDENCE,
) -> list[Suggestion]:
    """Phrases for new themes (the module's contract), best first."""
    comments, unthemed = _comments(session, store_id, now - timedelta(days=days), low_confidence)
    if sum(unthemed) < min_comments:
        return []
    from sklearn.feature_extraction.text import CountVectorizer

    vectorizer = CountVectorizer(ngram_range=(1, 3), stop_words="english", min_df=1, binary=True)
    try:
        counts = vectorizer.fit_transform(comments)
    except ValueError:  # only stop words
        return []
    phrases = vectorizer.get_feature_names_out()
    mask = np.asarray(unthemed)
    in_unthemed = np.asarray(counts[mask].sum(axis=0)).ravel()
    in_all = np.asarray(counts.sum(axis=0)).ravel()
    # c-TF-IDF: the phrase's frequency in the unthemed class, times log(1 + average words per class /
    # the phrase's frequency over both classes).
    words_per_class = counts.sum() / 2
    scores = in_unthemed / max(in_unthemed.sum(), 1) * np.log1p(words_per_class / np.maximum(in_all, 1))
    scores = scores * (1 + 0.5 * np.array([phrase.count(" ") for phrase in phrases]))  # longer says more
    names = {name.lower() for name in session.scalars(select(Theme.name).where(Theme.store_id == store_id))}
    names |= {
        key.replace("_", " ") for key in session.scalars(select(Theme.key).where(Theme.store_id == store_id))
    }
    chosen: list[Suggestion] = []
    texts = [comment for comment, flag in zip(comments, unthemed, strict=True) if flag]
    unthemed_counts = counts[mask]
    for index in np.argsort(-scores):
        if len(chosen) >= limit or in_unthemed[index] < min_comments:
            if len(chosen) >= limit:
                break
            continue
        phrase = str(phrases[index])
        if any(_overlap(phrase, name) for name in names) or any(_overlap(phrase, s.phrase) for s in chosen):
            continue
        rows = unthemed_counts[:, index].nonzero()[0]
        chosen.append(Suggestion(phrase, int(in_unthemed[index]), tuple(texts[row] for row in rows[:3])))
    return chosen
