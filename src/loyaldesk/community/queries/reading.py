"""Reading the community: spaces, categories, thread lists, a thread with its posts, product questions,
events, settings and a member's display name."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from loyaldesk.community.queries.views import (
    CategoryView,
    EventView,
    SpaceView,
    ThreadSummary,
    ThreadView,
)
from loyaldesk.community.schemas import CommunitySettingsIn
from loyaldesk.community.vocab import SpaceKind


def spaces(session: Session, *, store_id: int) -> list[SpaceView]:
    raise NotImplementedError


def categories(session: Session, *, store_id: int) -> list[CategoryView]:
    raise NotImplementedError


def threads(
    session: Session,
    *,
    store_id: int,
    space_kind: SpaceKind | str,
    category_id: int | None = None,
    product_id: str | None = None,
    viewer_customer_id: int | None = None,
    include_hidden: bool = False,
    page: int = 1,
    limit: int = 20,
) -> list[ThreadSummary]:
    raise NotImplementedError


def thread(
    session: Session,
    *,
    store_id: int,
    thread_id: int,
    viewer_customer_id: int | None = None,
    staff: bool = False,
) -> ThreadView:
    raise NotImplementedError


def product_questions(
    session: Session, *, store_id: int, product_id: str, limit: int = 10
) -> list[ThreadView]:
    raise NotImplementedError


def events(
    session: Session,
    *,
    store_id: int,
    upcoming: bool = True,
    viewer_customer_id: int | None = None,
    now: datetime | None = None,
) -> list[EventView]:
    raise NotImplementedError


def community_settings(session: Session, *, store_id: int) -> CommunitySettingsIn:
    raise NotImplementedError


def display_name(session: Session, *, store_id: int, customer_id: int) -> str:
    raise NotImplementedError
