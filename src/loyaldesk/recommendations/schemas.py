"""API models of recommendations, built on the vocab enums."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from loyaldesk.journeys import Channel

# -- Customer preferences --------------------------------------------------------------------------------
# What a customer told the store: sizes by kind of product, interests and categories to leave out
# (category names as the catalogue spells them), and the channels they would rather hear on.

MAX_SIZES = 20
MAX_CATEGORIES = 50
SizeKind = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40, pattern=r"^[^\x00-\x1f]+$")
]
SizeValue = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20, pattern=r"^[^\x00-\x1f]+$")
]
CategoryName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=r"^[^\x00-\x1f]+$")
]


def _distinct(values: list[str]) -> list[str]:
    """Each value once (first spelling wins, compared without case), in the order given."""
    seen: set[str] = set()
    kept = []
    for value in values:
        if value.casefold() not in seen:
            seen.add(value.casefold())
            kept.append(value)
    return kept


class PreferencesIn(BaseModel):
    """Everything the customer prefers, as a whole (what is left out is cleared)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    sizes: dict[SizeKind, SizeValue] = Field(
        default_factory=dict,
        max_length=MAX_SIZES,
        description='Size by kind of product, e.g. {"shoes": "42", "tops": "M"}.',
    )
    interests: list[CategoryName] = Field(
        default_factory=list, max_length=MAX_CATEGORIES, description="Categories the customer likes."
    )
    excluded_categories: list[CategoryName] = Field(
        default_factory=list, max_length=MAX_CATEGORIES, description="Categories never to suggest."
    )
    channels: list[Channel] = Field(
        default_factory=list, max_length=len(Channel), description="Preferred channels, most preferred first."
    )

    @field_validator("interests", "excluded_categories")
    @classmethod
    def _once(cls, values: list[str]) -> list[str]:
        return _distinct(values)

    @field_validator("channels")
    @classmethod
    def _channels_once(cls, values: list[Channel]) -> list[Channel]:
        return list(dict.fromkeys(values))


class PreferencesOut(BaseModel):
    sizes: dict[str, str]
    interests: list[str]
    excluded_categories: list[str]
    channels: list[Channel]
    updated_at: datetime | None = Field(description="null: the customer has not said anything yet.")


class MemberPreferencesOut(PreferencesOut):
    """The shopper's own preferences, with the store's categories to choose interests and exclusions from."""

    category_choices: list[str]


# -- end of customer preferences -------------------------------------------------------------------------
