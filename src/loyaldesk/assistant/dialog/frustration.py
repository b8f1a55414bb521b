"""Is the shopper frustrated? Three signals, and never the first alone (pure, no I/O):

1. sentiment: VADER's compound score of the message is at most ``NEGATIVE`` (-0.35). Alone it proves
   little: "my parcel was damaged, terrible" is a plain return request, not anger at the service;
2. the support lexicon: phrases shoppers use when the service fails them ("ridiculous", "third time",
   "still not", "useless bot"...), in English and German;
3. repetition: the same request again (the words of an earlier message of theirs in this conversation,
   Jaccard overlap of word sets at least ``REPEATED``), or the same intent a third time.

``assess(text, earlier_texts, intent_repeats)`` is frustrated when at least two signals hold.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

NEGATIVE = -0.35
REPEATED = 0.7

LEXICON = (
    "ridiculous",
    "third time",
    "3rd time",
    "second time",
    "again and again",
    "still not",
    "still no",
    "still haven't",
    "still havent",
    "still waiting",
    "useless bot",
    "stupid bot",
    "useless",
    "waste of time",
    "not helpful",
    "doesn't help",
    "does not help",
    "you don't understand",
    "you do not understand",
    "already told you",
    "already said",
    "unacceptable",
    "joke",
    "fed up",
    "lächerlich",
    "schon wieder",
    "immer noch nicht",
    "immer noch kein",
    "zum dritten mal",
    "nutzlos",
    "sinnlos",
    "unverschämt",
)


@dataclass(frozen=True)
class Frustration:
    sentiment: float  # VADER compound, -1..1
    lexicon_hits: tuple[str, ...]
    repeated: bool

    @property
    def negative(self) -> bool:
        return self.sentiment <= NEGATIVE

    @property
    def frustrated(self) -> bool:
        return sum((self.negative, bool(self.lexicon_hits), self.repeated)) >= 2

    def describe(self) -> str:
        """In words, for the hand-off note."""
        parts = [f"{self.sentiment:+.2f} ({'negative' if self.negative else 'not negative'})"]
        if self.lexicon_hits:
            parts.append("said " + ", ".join(f'"{hit}"' for hit in self.lexicon_hits))
        if self.repeated:
            parts.append("repeated the request")
        return "; ".join(parts)


@lru_cache(maxsize=1)
def _analyzer():  # type: ignore[no-untyped-def]
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def sentiment(text: str) -> float:
    """VADER's compound score of ``text`` (-1 very negative .. 1 very positive)."""
    return float(_analyzer().polarity_scores(text)["compound"])


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.casefold()))


def is_repetition(text: str, earlier_texts: Sequence[str]) -> bool:
    words = _words(text)
    if len(words) < 3:  # "ok", "yes please": short answers repeat without meaning it
        return False
    for earlier in earlier_texts:
        other = _words(earlier)
        if other and len(words & other) / len(words | other) >= REPEATED:
            return True
    return False


def assess(text: str, earlier_texts: Sequence[str] = (), intent_repeats: int = 0) -> Frustration:
    """The three signals for ``text`` given the shopper's ``earlier_texts`` in this conversation and how
    many times before they asked with the same intent (``intent_repeats``)."""
    folded = " ".join(text.casefold().replace("\u2019", "'").split())
    hits = tuple(phrase for phrase in LEXICON if re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", folded))
    return Frustration(
        sentiment=sentiment(text),
        lexicon_hits=hits,
        repeated=is_repetition(text, earlier_texts) or intent_repeats >= 2,
    )
