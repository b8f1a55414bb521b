"""The knowledge base's vocabularies: every value has its label and fits the column that stores it."""

from __future__ import annotations

from enum import StrEnum

import pytest

from loyaldesk.assistant.knowledge.models import Article, ArticleChunk, Deflection, SearchLogEntry
from loyaldesk.assistant.knowledge.vocab import (
    ARTICLE_LANGUAGES,
    ArticleStatus,
    DeflectionOutcome,
    SearchChannel,
)
from tests.vocab_checks import assert_column_holds


@pytest.mark.parametrize("vocabulary", [ArticleStatus, SearchChannel, DeflectionOutcome])
def test_every_value_has_a_label(vocabulary: type[StrEnum]):
    assert all(member.label for member in vocabulary)  # type: ignore[attr-defined]


def test_the_columns_hold_their_vocabularies():
    assert_column_holds(Article.status, ArticleStatus)
    assert_column_holds(SearchLogEntry.channel, SearchChannel)
    assert_column_holds(Deflection.outcome, DeflectionOutcome)
    width = Article.__table__.c.language.type.length
    assert all(len(code) <= width for code in ARTICLE_LANGUAGES)
    assert ArticleChunk.__table__.c.language.type.length == width
