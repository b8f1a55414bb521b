"""Keyset pagination with opaque cursors.

Lists are ordered newest first by id; a cursor encodes the last id seen. Cursors are opaque to clients
(base64 of a small JSON document) so that the ordering can change without breaking them.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from datetime import datetime
from typing import Generic, TypeVar

from pydantic import BaseModel, Field

from loyaldesk.kernel.errors import Invalid

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class Page(BaseModel, Generic[T]):
    """One page of a list. ``next_cursor`` is null on the last page."""

    data: list[T]
    next_cursor: str | None = Field(default=None, description="Pass as ?cursor= to get the next page.")


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"before": last_id}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    """The id to continue before, or ``Invalid`` naming the ``cursor`` parameter."""
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        before = data["before"]
        if not isinstance(before, int) or isinstance(before, bool) or before < 0:
            raise ValueError
        return before
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        raise Invalid.field("cursor", "is not a cursor this API returned") from None


def encode_position(moment: datetime, last_id: int) -> str:
    """A cursor for lists ordered by a time, newest first, with the id breaking ties."""
    document = {"before": [moment.isoformat(), last_id]}
    return base64.urlsafe_b64encode(json.dumps(document).encode()).decode().rstrip("=")


def decode_position(cursor: str | None) -> tuple[datetime, int] | None:
    """The (time, id) to continue before, or ``Invalid`` naming the ``cursor`` parameter."""
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        moment_text, last_id = json.loads(base64.urlsafe_b64decode(padded.encode()))["before"]
        moment = datetime.fromisoformat(moment_text)
        if moment.tzinfo is None or not isinstance(last_id, int) or isinstance(last_id, bool):
            raise ValueError
        return moment, last_id
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        raise Invalid.field("cursor", "is not a cursor this API returned") from None


def page_of(rows: list[T], limit: int, id_of: Callable[[T], int]) -> tuple[list[T], str | None]:
    """Split ``limit + 1`` fetched rows into the page and the next cursor."""
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, encode_cursor(id_of(rows[-1]))
    return rows, None
