"""The assistant's seams: how the dialogue reads intents and finds articles without knowing who provides
them. The composition root provides both (the intent model from ``assistant.nlu``, the article search from
the help center's retrieval); until then intents read as out of scope and no article is found.

Contracts:
- ``read_intents(session, store_id, texts)`` returns one ``Prediction`` per text, in order. ``intent`` is
  None when the text is out of scope (its best score is under the store model's threshold).
- ``find_articles(session, store_id, text, language, limit)`` returns published articles of that store
  only, best first, each over the retrieval's minimum score (an empty list means "nothing good enough").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Prediction:
    intent: str | None  # None: out of scope
    confidence: float  # the best intent's probability, 0..1
    ranked: tuple[tuple[str, float], ...] = ()  # the best few intents with their probabilities


@dataclass(frozen=True)
class ArticleHit:
    article_id: int
    title: str
    url: str  # the article's public help-center address
    snippet: str  # plain text, a sentence or two
    score: float


class IntentReader(Protocol):
    def __call__(self, session: Session, store_id: int, texts: Sequence[str]) -> list[Prediction]: ...


class ArticleFinder(Protocol):
    def __call__(
        self, session: Session, store_id: int, text: str, language: str, limit: int
    ) -> list[ArticleHit]: ...


_intent_reader: IntentReader | None = None
_article_finder: ArticleFinder | None = None


def provide_intent_reader(reader: IntentReader) -> None:
    global _intent_reader
    _intent_reader = reader


def provide_article_finder(finder: ArticleFinder) -> None:
    global _article_finder
    _article_finder = finder


def read_intents(session: Session, store_id: int, texts: Sequence[str]) -> list[Prediction]:
    if _intent_reader is None:
        return [Prediction(intent=None, confidence=0.0) for _ in texts]
    return _intent_reader(session, store_id, texts)


def find_articles(
    session: Session, store_id: int, text: str, language: str = "en", limit: int = 3
) -> list[ArticleHit]:
    if _article_finder is None:
        return []
    return _article_finder(session, store_id, text, language, limit)
