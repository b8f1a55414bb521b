"""Every vocabulary of the knowledge base, spelled once: each StrEnum with its labels beside it."""

from __future__ import annotations

from enum import StrEnum


class ArticleStatus(StrEnum):
    """Whether shoppers see an article: ``published`` has a live version, ``draft`` has none."""

    DRAFT = "draft"
    PUBLISHED = "published"

    @property
    def label(self) -> str:
        return ARTICLE_STATUS_LABELS[self]


ARTICLE_STATUS_LABELS: dict[ArticleStatus, str] = {
    ArticleStatus.DRAFT: "Draft",
    ArticleStatus.PUBLISHED: "Published",
}


class SearchChannel(StrEnum):
    """Where a shopper searched the knowledge base."""

    HELP_CENTER = "help-center"
    WIDGET = "widget"
    ASSISTANT = "assistant"

    @property
    def label(self) -> str:
        return SEARCH_CHANNEL_LABELS[self]


SEARCH_CHANNEL_LABELS: dict[SearchChannel, str] = {
    SearchChannel.HELP_CENTER: "Help center",
    SearchChannel.WIDGET: "Chat widget",
    SearchChannel.ASSISTANT: "Assistant",
}


class DeflectionOutcome(StrEnum):
    """What a shopper did after opening an article in the widget."""

    PENDING = "pending"  # the waiting time has not passed yet
    DEFLECTED = "deflected"  # no conversation started within the waiting time
    CONTACTED = "contacted"  # they started a conversation anyway

    @property
    def label(self) -> str:
        return DEFLECTION_OUTCOME_LABELS[self]


DEFLECTION_OUTCOME_LABELS: dict[DeflectionOutcome, str] = {
    DeflectionOutcome.PENDING: "Waiting",
    DeflectionOutcome.DEFLECTED: "Deflected",
    DeflectionOutcome.CONTACTED: "Contacted the store",
}

# Languages an article may be written in (the help center's languages; shopper text ships in en and de).
ARTICLE_LANGUAGES: dict[str, str] = {"en": "English", "de": "Deutsch"}
