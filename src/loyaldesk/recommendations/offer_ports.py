"""The seam through which personal offers read the analytics' RFM segments, which live in a layer above
recommendations: the composition root registers the segment keys with their labels and the reader of
each customer's segment (``analytics.customer_scores``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session

SegmentReader = Callable[[Session, int, list[int]], Mapping[int, str | None]]


@dataclass(frozen=True)
class SegmentSource:
    labels: Mapping[str, str]  # segment key -> label, in the analytics' order
    read: SegmentReader  # (session, store id, customer ids) -> customer id -> segment key


_source: list[SegmentSource] = []


def provide_offer_segments(labels: Mapping[str, str], read: SegmentReader) -> None:
    """Register the analytics' segments (called once by the composition root)."""
    _source[:] = [SegmentSource(dict(labels), read)]


def segment_labels() -> dict[str, str]:
    """Every RFM segment an offer may target ({} before the composition root registered them)."""
    return dict(_source[0].labels) if _source else {}


def segments_of(session: Session, store_id: int, customer_ids: list[int]) -> dict[int, str | None]:
    if not _source or not customer_ids:
        return {}
    return dict(_source[0].read(session, store_id, customer_ids))
