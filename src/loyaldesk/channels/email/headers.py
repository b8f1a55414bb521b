"""Reading inbound mail's headers safely: addresses, Message-IDs, dates and parameters, each bounded and
never raising on hostile input (see ``parsing``). Pure and I/O-free."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime
from typing import TypeVar

from loyaldesk.channels.email.decoding import CONTROL_CHARACTERS, decode_header_text, undo_surrogate_escapes

MAX_ADDRESSES_PER_HEADER = 100
_T = TypeVar("_T")


def one_line(text: str) -> str:
    """``text`` without control characters, its white space collapsed to single spaces."""
    return " ".join(CONTROL_CHARACTERS.sub("", text).split())


ADDRESS = re.compile(r"[^\s@<>()\[\],;:\\\"]{1,64}@[^\s@<>()\[\],;:\\\"]{1,255}")


def addresses(raw_values: list[str]) -> list[tuple[str, str]]:
    """(address with lower-cased domain, display name) for each valid mailbox, at most 100 per header."""
    found: list[tuple[str, str]] = []
    for raw in raw_values[:10]:
        text = CONTROL_CHARACTERS.sub(" ", undo_surrogate_escapes(raw))
        try:
            pairs = getaddresses([text])
        except (RecursionError, ValueError, IndexError):  # deeply nested comments, for one
            pairs = [("", address) for address in ADDRESS.findall(text)]
        for name, address in pairs[:MAX_ADDRESSES_PER_HEADER]:
            if ADDRESS.fullmatch(address) and len(address) <= 320:
                local, domain = address.rsplit("@", 1)
                found.append((f"{local}@{domain.lower()}", one_line(decode_header_text(name))[:200]))
    return found


BRACKETED_ID = re.compile(r"<([^<>\s]{1,500})>")


def message_ids(text: str) -> list[str]:
    """Message ids in a header, in order: angle brackets stripped, domain part lower-cased."""
    ids = BRACKETED_ID.findall(text) or [
        word for word in (word.strip("<>") for word in text.split()) if "@" in word and len(word) <= 500
    ]
    normalised = []
    for message_id in ids:
        if CONTROL_CHARACTERS.search(message_id) is None and "<" not in message_id and ">" not in message_id:
            local, at, domain = message_id.rpartition("@")
            normalised.append(f"{local}@{domain.lower()}" if at else message_id)
    return normalised


def parse_date(text: str) -> datetime | None:
    """A Date header as an aware UTC time, or None when it cannot be read."""
    try:
        parsed = parsedate_to_datetime(text[:200])
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def safe_call(call: Callable[[], _T], default: _T) -> _T:
    """Header parameter access on hostile parts; any stdlib surprise becomes the default."""
    try:
        return call()
    except Exception:
        return default


def report_type(part: Message) -> str | None:
    """The ``report-type`` parameter of a multipart/report part, lower-cased, or None."""
    value = safe_call(lambda: part.get_param("report-type"), None)
    return value.strip().lower()[:100] if isinstance(value, str) else None
