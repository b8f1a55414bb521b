"""What a personal offer is set up with (the store API's body and the console form's result)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from loyaldesk.recommendations.vocab import OfferKind, OfferTarget


class OfferIn(BaseModel):
    """A draft offer. ``value`` is points, percent or minor units by ``kind``; ``target`` an item key
    (``target_kind`` product) or a category name; ``segment`` an analytics RFM segment key, ``picked``
    (customers whose picks include the target) or empty (every loyalty member with an order)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    kind: OfferKind
    value: int = Field(ge=1, le=10_000_000)
    target_kind: OfferTarget = OfferTarget.ANY
    target: str | None = Field(default=None, max_length=255)
    segment: str | None = Field(default=None, max_length=64)
    holdout_percent: int = Field(default=10, ge=0, le=50)
    ends_at: datetime
