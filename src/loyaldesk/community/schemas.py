"""What staff send to configure the community: its settings, a category, an event. Pydantic models whose
validation errors name the field (``kernel.errors.Invalid`` via the web's error mapping)."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from loyaldesk.community.models import MAX_TITLE

MAX_BANNED_WORDS = 500
MAX_BANNED_WORD = 40
MAX_MILESTONES = 10


class CommunitySettingsIn(BaseModel):
    """A store's community settings. ``banned_words``: posts, titles and display names containing one of
    them as a whole word (any case) are refused, naming it. Points: ``points_accepted`` for an accepted
    answer (once per thread), ``points_helpful`` each time an answer's helpful votes (from members who
    bought) reach one of ``helpful_milestones``, ``points_question_answered`` to the asker when an answer
    by someone else is accepted (once per thread); a member earns at most ``daily_points_cap`` community
    points a day (UTC). Posting: ``posts_per_hour`` questions and answers per member,
    ``new_member_posts_per_hour`` for members whose customer record or first post is younger than
    ``new_member_days``. ``buyers_to_notify``: verified buyers asked about a new product question."""

    model_config = ConfigDict(extra="forbid")

    banned_words: list[str] = Field(default_factory=list, max_length=MAX_BANNED_WORDS)
    points_accepted: int = Field(default=50, ge=0, le=10_000)
    points_helpful: int = Field(default=10, ge=0, le=10_000)
    points_question_answered: int = Field(default=10, ge=0, le=10_000)
    helpful_milestones: list[int] = Field(default_factory=lambda: [3, 10, 25], max_length=MAX_MILESTONES)
    daily_points_cap: int = Field(default=200, ge=0, le=100_000)
    posts_per_hour: int = Field(default=10, ge=1, le=1000)
    new_member_posts_per_hour: int = Field(default=3, ge=1, le=1000)
    new_member_days: int = Field(default=7, ge=0, le=365)
    buyers_to_notify: int = Field(default=5, ge=0, le=50)

    @field_validator("banned_words")
    @classmethod
    def _words(cls, words: list[str]) -> list[str]:
        cleaned: list[str] = []
        for word in words:
            word = " ".join(word.split()).lower()
            if not word:
                continue
            if len(word) > MAX_BANNED_WORD:
                raise ValueError(f"each word at most {MAX_BANNED_WORD} characters ({word[:20]}...)")
            if word not in cleaned:
                cleaned.append(word)
        return cleaned

    @field_validator("helpful_milestones")
    @classmethod
    def _milestones(cls, milestones: list[int]) -> list[int]:
        if any(milestone < 1 or milestone > 10_000 for milestone in milestones):
            raise ValueError("each milestone is a number of votes from 1 to 10000")
        return sorted(set(milestones))


class CategoryIn(BaseModel):
    """A discussions category; ``owner_staff_ids``: staff of the store told of each new question in it."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=120)
    slug: str = Field(default="", max_length=120)
    description: str = Field(default="", max_length=500)
    owner_staff_ids: list[int] = Field(default_factory=list, max_length=50)
    position: int = Field(default=0, ge=0, le=10_000)


class EventIn(BaseModel):
    """An announcement or event: when (aware times; ``create_event`` refuses an ``ends_at`` not after
    ``starts_at``), where (``location``: a place or a link), and ``capacity`` (None: no limit)."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=MAX_TITLE)
    body: str = Field(default="", max_length=20_000)
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    location: str = Field(default="", max_length=500)
    capacity: int | None = Field(default=None, ge=1, le=100_000)


def utc(value: datetime) -> datetime:
    """``value`` (aware) in UTC."""
    from datetime import UTC

    return value.astimezone(UTC)
