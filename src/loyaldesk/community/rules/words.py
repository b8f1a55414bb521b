"""Banned words and display names. Pure.

A banned word matches as a whole word (or phrase), in any case: "ass" bans "Ass" and "ASS!" but not
"class" or "passion". Letters and digits of any script count as word characters, so accents do not
split a word."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence

from loyaldesk.community.models import MAX_DISPLAY_NAME
from loyaldesk.kernel.errors import Invalid

MIN_DISPLAY_NAME = 2
DELETED_MEMBER = "Deleted member"
# Names that would pass for the store's own people or for the system.
RESERVED_NAMES = frozenset({"admin", "administrator", "moderator", "staff", "support", "deleted member"})
_DISPLAY_NAME_CHARACTERS = re.compile(r"^[\w .'\-]+$")


@functools.lru_cache(maxsize=64)
def _pattern(words: tuple[str, ...]) -> re.Pattern[str] | None:
    cleaned = sorted({" ".join(word.split()).casefold() for word in words if word.strip()}, key=len)
    if not cleaned:
        return None
    # Longest first, so that a phrase is named rather than the word it starts with.
    alternatives = "|".join(r"\s+".join(map(re.escape, word.split())) for word in reversed(cleaned))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def find_banned_word(text: str, banned_words: Sequence[str]) -> str | None:
    """The first banned word (as the store spelled it, lower case) that ``text`` contains as a whole word,
    in any case; None when there is none."""
    pattern = _pattern(tuple(banned_words))
    if pattern is None:
        return None
    found = pattern.search(unicodedata.normalize("NFC", text))
    if found is None:
        return None
    return " ".join(found.group(0).split()).casefold()


def refuse_banned_words(fields: Iterable[tuple[str, str]], banned_words: Sequence[str]) -> None:
    """``Invalid`` naming the first field (``(name, text)`` pairs) that contains a banned word, and the
    word."""
    for name, text in fields:
        word = find_banned_word(text, banned_words)
        if word is not None:
            raise Invalid.field(name, f'contains a word this community does not allow: "{word}"')


def default_display_name(first_name: str | None, last_name: str | None, *, erased: bool = False) -> str:
    """How a member is shown when they chose no display name: their first name and last initial ("Anna
    K."), else "Member". Never anything of their email. An erased customer is "Deleted member"."""
    if erased:
        return DELETED_MEMBER
    first = " ".join((first_name or "").split())
    last = " ".join((last_name or "").split())
    if not first:
        return "Member"
    return f"{first} {last[0].upper()}." if last else first


def check_display_name(name: str, banned_words: Sequence[str]) -> str:
    """The display name cleaned (spaces collapsed); ``Invalid`` on ``display_name`` when it is shorter
    than 2 or longer than 40 characters, has characters other than letters, digits, spaces and . ' - _,
    looks like an email address, is reserved (admin, staff, ...) or contains a banned word."""
    cleaned = " ".join(unicodedata.normalize("NFC", name).split())
    if not MIN_DISPLAY_NAME <= len(cleaned) <= MAX_DISPLAY_NAME:
        raise Invalid.field(
            "display_name", f"must be {MIN_DISPLAY_NAME} to {MAX_DISPLAY_NAME} characters long"
        )
    if "@" in cleaned or not _DISPLAY_NAME_CHARACTERS.match(cleaned):
        raise Invalid.field(
            "display_name", "may use letters, digits, spaces and . ' - _ only (no email addresses)"
        )
    if cleaned.casefold() in RESERVED_NAMES:
        raise Invalid.field("display_name", "is reserved; choose another")
    refuse_banned_words([("display_name", cleaned)], banned_words)
    return cleaned


_SLUG_DROP = re.compile(r"[^a-z0-9]+")


def slugify(text: str, *, max_length: int = 120) -> str:
    """``"Care & repair"`` → ``"care-repair"``: ASCII letters and digits joined by hyphens."""
    ascii_text = unicodedata.normalize("NFKD", text.replace("ß", "ss")).encode("ascii", "ignore").decode()
    return _SLUG_DROP.sub("-", ascii_text.lower()).strip("-")[:max_length].strip("-")
