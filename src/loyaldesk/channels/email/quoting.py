"""Quoted reply history split from the new text of a message, so agents read what is new first. Pure.

Recognised, in the order they appear: an attribution line ("On <date>, <name> wrote:" and its French,
German, Spanish, Italian, Dutch, Portuguese, Scandinavian and Polish forms, also wrapped over up to three
lines as Gmail does), an "-----Original Message-----" separator (several languages), an Outlook header
block ("From: ..." followed within four lines by "Sent:"/"Date:", optionally after a line of underscores),
and a trailing block of "> " lines (which is also what ``sanitise.html_to_text`` makes of Gmail's and
Apple Mail's ``<blockquote>`` quotes). Forwarded messages are not quotes and stay in the new text.
"""

from __future__ import annotations

import re

_ATTRIBUTION_START = re.compile(r"(on|le|am|el|il|op|em|den|på|w dniu)\s", re.IGNORECASE)
_ATTRIBUTION = re.compile(
    r"(on|le|am|el|il|op|em|den|på|w dniu)\s.{0,400}?"
    r"(wrote|a écrit|schrieb|escribió|ha scritto|schreef|escreveu|skrev|kirjoitti|napisał)\s*:",
    re.IGNORECASE,
)
_ORIGINAL_MESSAGE = re.compile(
    r"-{2,}\s*(original message|ursprüngliche nachricht|message d'origine|mensaje original"
    r"|messaggio originale|oorspronkelijk bericht|mensagem original|originalmeddelande)\s*-{2,}",
    re.IGNORECASE,
)
_OUTLOOK_FROM = re.compile(r"\*?(from|von|de|da|van|från|od)\s*:\*?\s*\S", re.IGNORECASE)
_OUTLOOK_SENT = re.compile(
    r"\*?(sent|date|gesendet|datum|envoyé|enviado|inviato|verzonden|skickat|wysłano)\s*:", re.IGNORECASE
)
_UNDERSCORES = re.compile(r"_{10,}\s*")
_LONGEST_MARKER_LINE = 500


def split_quoted_reply(text: str) -> tuple[str, str]:
    """(new text, quoted history) of a plain-text body; together they hold every non-blank input line.

    When an attribution and its "> " lines come first and new text follows (bottom-posting), the new
    text is the unquoted lines after it. Linear time: each line meets a few bounded patterns at most.
    """
    lines = text.replace("\r\n", "\n").split("\n")
    cut = _first_marker(lines)
    if cut is None:
        cut = _trailing_quote(lines)
    if cut is None:
        return text.strip("\n"), ""
    new, quoted = "\n".join(lines[:cut]).strip(), "\n".join(lines[cut:]).strip("\n")
    quote_lines = [line for line in lines[cut + 1 :] if line.lstrip().startswith(">")]
    if not new and quote_lines:
        answer = [line for line in lines[cut + 1 :] if not line.lstrip().startswith(">")]
        if "".join(answer).strip():
            return "\n".join(answer).strip(), "\n".join([lines[cut], *quote_lines]).strip("\n")
    return new, quoted


def _first_marker(lines: list[str]) -> int | None:
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or len(stripped) > _LONGEST_MARKER_LINE:
            continue
        if _ORIGINAL_MESSAGE.match(stripped):
            return index
        if _ATTRIBUTION_START.match(stripped) and _is_attribution(lines, index):
            return index
        if _OUTLOOK_FROM.match(stripped) and any(
            _OUTLOOK_SENT.match(after.strip()) for after in lines[index + 1 : index + 5]
        ):
            previous = index - 1
            while previous >= 0 and not lines[previous].strip():
                previous -= 1
            return previous if previous >= 0 and _UNDERSCORES.fullmatch(lines[previous].strip()) else index
    return None


def _is_attribution(lines: list[str], index: int) -> bool:
    """An attribution fills one to three whole lines, names a date (has a digit) and ends with a colon."""
    for count in (1, 2, 3):
        joined = " ".join(line.strip() for line in lines[index : index + count])
        if len(joined) <= _LONGEST_MARKER_LINE * 2 and _ATTRIBUTION.fullmatch(joined):
            return any(character.isdigit() for character in joined)
    return False


def _trailing_quote(lines: list[str]) -> int | None:
    """Start of a "> " block that runs to the end (blank lines allowed), with non-quoted text before it."""
    index = len(lines)
    start = None
    while index > 0 and (not lines[index - 1].strip() or lines[index - 1].lstrip().startswith(">")):
        index -= 1
        if lines[index].strip():
            start = index
    if start is None or not "".join(lines[:start]).strip():
        return None
    previous = start - 1
    while previous >= 0 and not lines[previous].strip():
        previous -= 1
    introduction = lines[previous].strip()
    if introduction.endswith(":") and len(introduction) < 300:
        return previous
    return start
