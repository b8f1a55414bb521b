"""What the community's queries return: plain frozen dataclasses the pages and the JSON API render.
``as_json()`` gives the member API's shape (times as ISO 8601 strings)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass
from datetime import datetime
from typing import Any, ClassVar


def _jsonable(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        hidden: frozenset[str] = getattr(value, "NOT_IN_JSON", frozenset())
        return {
            item.name: _jsonable(getattr(value, item.name))
            for item in fields(value)
            if item.name not in hidden
        }
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    return value


class _Json:
    NOT_IN_JSON: ClassVar[frozenset[str]] = frozenset()

    def as_json(self) -> dict[str, Any]:
        """The view as JSON-able values (times as ISO 8601 strings); fields in ``NOT_IN_JSON`` are left
        out (an author's customer id never leaves the server)."""
        return _jsonable(self)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class AuthorView(_Json):
    """Who wrote something, as shoppers see it: the display name (never the email), their tier's name,
    whether staff. ``customer_id`` lets the server's pages tell "you" (None for staff); it is left out of
    ``as_json()`` (ids of customers are not for the public)."""

    NOT_IN_JSON: ClassVar[frozenset[str]] = frozenset({"customer_id"})

    display_name: str
    tier_name: str | None = None
    is_staff: bool = False
    customer_id: int | None = None


@dataclass(frozen=True)
class SpaceView(_Json):
    id: int
    kind: str
    name: str


@dataclass(frozen=True)
class CategoryView(_Json):
    id: int
    name: str
    slug: str
    description: str
    owner_staff_ids: list[int]
    position: int


@dataclass(frozen=True)
class ThreadSummary(_Json):
    """A thread in a list: ``answers_count`` counts visible answers; ``accepted``: an answer is
    accepted; ``snippet``: the body's first words as plain text (not HTML: escape it like any text)."""

    id: int
    space_kind: str
    title: str
    status: str
    author: AuthorView
    product_id: str | None
    category_id: int | None
    answers_count: int
    accepted: bool
    hidden: bool
    created_at: datetime
    last_activity_at: datetime
    snippet: str = ""


@dataclass(frozen=True)
class PostView(_Json):
    """An answer with its rendered, sanitised HTML (``body_html``) and its Markdown source (``body``,
    for editing and quoting; never render it unescaped). ``voted``: the viewer voted it helpful;
    ``may_vote``: the viewer may vote (signed in, not theirs, not voted yet); ``may_accept``: the viewer
    may accept it (the asker or staff, thread not closed, not the accepted one already)."""

    id: int
    body: str
    body_html: str
    author: AuthorView
    is_staff: bool
    verified_buyer: bool
    helpful_votes: int
    accepted: bool
    hidden: bool
    hidden_reason: str | None
    created_at: datetime
    voted: bool = False
    may_vote: bool = False
    may_accept: bool = False


@dataclass(frozen=True)
class ThreadView(_Json):
    """A thread with its posts, oldest first (the accepted answer is marked, not moved). Event fields are
    set for events (``going``: the viewer is going)."""

    id: int
    space_kind: str
    title: str
    body: str
    body_html: str
    status: str
    author: AuthorView
    product_id: str | None
    category_id: int | None
    accepted_post_id: int | None
    article_id: int | None
    hidden: bool
    hidden_reason: str | None
    created_at: datetime
    last_activity_at: datetime
    posts: list[PostView] = field(default_factory=list)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    location: str | None = None
    capacity: int | None = None
    going_count: int = 0
    going: bool = False
    may_answer: bool = False


@dataclass(frozen=True)
class EventView(_Json):
    """An event with its RSVPs: ``going_count`` people going (of ``capacity``; None: no limit),
    ``going``: the viewer is going, ``full``: no place left."""

    id: int
    title: str
    body_html: str
    starts_at: datetime
    ends_at: datetime
    location: str
    capacity: int | None
    going_count: int
    going: bool
    full: bool


@dataclass(frozen=True)
class ReportView(_Json):
    """A report in the moderation queue with the content it is about (hidden content included: staff
    see everything). ``reporter``: the reporter as staff see them (display name or staff name)."""

    id: int
    status: str
    reason: str
    reporter: str
    thread_id: int
    post_id: int | None
    thread_title: str
    content_html: str
    content_author: AuthorView
    content_hidden: bool
    created_at: datetime
    resolved_at: datetime | None


@dataclass(frozen=True)
class ParticipationGroup(_Json):
    """One side of the participation comparison over the period: ``customers`` in the group, ``buyers``
    (those with an order in the period) and their ``orders``; ``repeat_purchase_rate``: the share of
    buyers with two or more orders (0.0 without buyers); ``spend_per_customer`` (over the whole group)
    and ``average_order_value``, in minor units of the store's currency, net of refunds."""

    customers: int
    buyers: int
    orders: int
    repeat_purchase_rate: float
    spend_per_customer: float
    average_order_value: float


@dataclass(frozen=True)
class Participation(_Json):
    """Members who took part in the community in ``[period_start, period_end)`` (asked, answered, voted
    or RSVPd) against the store's other customers, each with its purchase figures in the same period."""

    period_start: datetime
    period_end: datetime
    currency: str
    participants: ParticipationGroup
    others: ParticipationGroup
