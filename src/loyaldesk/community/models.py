"""The community's tables: spaces and categories, threads (questions, discussions and events) with their
posts, helpful votes, reports, event RSVPs, each store's settings, members' display names and the
decisions on points for answers.

Invariants the database holds (decision 0037):
- one vote per member and post (unique ``(post_id, customer_id)``);
- one RSVP per member and event (unique ``(thread_id, customer_id)``), and an event never has more people
  going than its capacity (``CHECK (going_count <= capacity)``; a place is taken by an atomic
  ``UPDATE ... WHERE going_count < capacity``);
- one open report per reporter and item (a partial unique index on ``(store_id, reporter_key,
  item_key)`` while open);
- one decision per award key (``community:answer:{post}:accepted``, ``...:helpful:{milestone}``), the
  same key the points ledger credits once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from loyaldesk.kernel.orm import Base, IdType, JSONType, UTCDateTime

MAX_TITLE = 200
MAX_DISPLAY_NAME = 40


class Space(Base):
    """One of a store's three spaces (``vocab.SpaceKind``), created on first use."""

    __tablename__ = "community_spaces"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("store_id", "kind"),)


class Category(Base):
    """A category of discussions. ``owner_staff_ids``: the staff accounts told of each new question in
    it."""

    __tablename__ = "community_categories"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(String(500), default="")
    owner_staff_ids: Mapped[list[int]] = mapped_column(JSONType, default=list)
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("store_id", "slug"),)


class Thread(Base):
    """A question or discussion (or an event, in the events space). ``body`` is the Markdown source as
    typed (rendered and sanitised when read). The author is a customer (``author_customer_id``) or staff
    (``author_staff_id``, ``author_is_staff``). ``product_id`` is the store's product id as commerce
    stores it (``products.external_id``, ``order_lines.product_external_id``). ``hidden`` threads are seen
    by staff only. ``accepted_post_id``: the accepted answer. ``article_id``: the knowledge-base article
    its accepted answer became. Events carry ``starts_at``/``ends_at``, ``location`` and ``capacity``
    (None: no limit) with ``going_count`` RSVPs."""

    __tablename__ = "community_threads"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    space_id: Mapped[int] = mapped_column(ForeignKey("community_spaces.id", ondelete="CASCADE"))
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("community_categories.id", ondelete="SET NULL")
    )
    product_id: Mapped[str | None] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(MAX_TITLE))
    body: Mapped[str] = mapped_column(Text)
    author_customer_id: Mapped[int | None] = mapped_column(IdType)
    author_staff_id: Mapped[int | None] = mapped_column(IdType)
    author_is_staff: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16))
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    hidden_reason: Mapped[str | None] = mapped_column(String(500))
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    accepted_post_id: Mapped[int | None] = mapped_column(IdType)
    answers_count: Mapped[int] = mapped_column(Integer, default=0)
    article_id: Mapped[int | None] = mapped_column(IdType)
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    location: Mapped[str | None] = mapped_column(String(500))
    capacity: Mapped[int | None] = mapped_column(Integer)
    going_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_community_threads_space_activity", "store_id", "space_id", "last_activity_at"),
        Index("ix_community_threads_product", "store_id", "product_id"),
        Index("ix_community_threads_author", "store_id", "author_customer_id", "created_at"),
        Index("ix_community_threads_starts", "store_id", "starts_at"),
        CheckConstraint(
            "going_count >= 0 AND (capacity IS NULL OR (capacity >= 1 AND going_count <= capacity))",
            name="going",
        ),
        CheckConstraint("starts_at IS NULL OR ends_at IS NULL OR starts_at < ends_at", name="event_span"),
    )


class Post(Base):
    """An answer or reply in a thread. ``verified_buyer``: when posted, the author had an order with the
    thread's product. ``helpful_votes`` counts every vote (shown); the votes that count towards points
    are those with ``counts_for_points``."""

    __tablename__ = "community_posts"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    thread_id: Mapped[int] = mapped_column(ForeignKey("community_threads.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)
    author_customer_id: Mapped[int | None] = mapped_column(IdType)
    author_staff_id: Mapped[int | None] = mapped_column(IdType)
    is_staff: Mapped[bool] = mapped_column(Boolean, default=False)
    verified_buyer: Mapped[bool] = mapped_column(Boolean, default=False)
    helpful_votes: Mapped[int] = mapped_column(Integer, default=0)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    hidden_reason: Mapped[str | None] = mapped_column(String(500))
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_community_posts_thread", "thread_id", "id"),
        Index("ix_community_posts_author", "store_id", "author_customer_id", "created_at"),
        CheckConstraint("helpful_votes >= 0", name="helpful_votes"),
    )


class Vote(Base):
    """A member's "helpful" vote on a post: one per member and post. ``counts_for_points``: the voter
    had an order in the store when voting (votes of accounts that never bought do not earn anyone
    points)."""

    __tablename__ = "community_votes"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(IdType)
    post_id: Mapped[int] = mapped_column(ForeignKey("community_posts.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(IdType)
    counts_for_points: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("post_id", "customer_id"),
        Index("ix_community_votes_customer", "store_id", "customer_id"),
    )


class Report(Base):
    """Someone (a customer or staff) flagged a thread or a post. ``reporter_key`` (``c:{customer}`` or
    ``s:{staff}``) and ``item_key`` (``t:{thread}`` or ``p:{post}``) keep one open report per reporter
    and item."""

    __tablename__ = "community_reports"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    thread_id: Mapped[int] = mapped_column(ForeignKey("community_threads.id", ondelete="CASCADE"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("community_posts.id", ondelete="CASCADE"))
    reporter_customer_id: Mapped[int | None] = mapped_column(IdType)
    reporter_staff_id: Mapped[int | None] = mapped_column(IdType)
    reporter_key: Mapped[str] = mapped_column(String(40))
    item_key: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16))
    resolved_by_staff_id: Mapped[int | None] = mapped_column(IdType)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index(
            "ix_community_reports_one_open",
            "store_id",
            "reporter_key",
            "item_key",
            unique=True,
            postgresql_where=text("status = 'open'"),
            sqlite_where=text("status = 'open'"),
        ),
        Index("ix_community_reports_queue", "store_id", "status", "created_at"),
    )


class Rsvp(Base):
    """A member going to an event (the row exists while they are going)."""

    __tablename__ = "community_rsvps"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(IdType)
    thread_id: Mapped[int] = mapped_column(ForeignKey("community_threads.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(IdType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("thread_id", "customer_id"),
        Index("ix_community_rsvps_customer", "store_id", "customer_id"),
    )


class CommunitySettings(Base):
    """A store's community settings (defaults until saved): banned words, points for an accepted answer,
    per helpful milestone and for the asker whose question got an accepted answer, the daily cap on
    community points per member, posting limits per hour (stricter for members newer than
    ``new_member_days``), and how many verified buyers a new product question notifies."""

    __tablename__ = "community_settings"

    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"), primary_key=True)
    banned_words: Mapped[list[str]] = mapped_column(JSONType, default=list)
    points_accepted: Mapped[int] = mapped_column(Integer, default=50)
    points_helpful: Mapped[int] = mapped_column(Integer, default=10)
    points_question_answered: Mapped[int] = mapped_column(Integer, default=10)
    helpful_milestones: Mapped[list[int]] = mapped_column(JSONType, default=list)
    daily_points_cap: Mapped[int] = mapped_column(Integer, default=200)
    posts_per_hour: Mapped[int] = mapped_column(Integer, default=10)
    new_member_posts_per_hour: Mapped[int] = mapped_column(Integer, default=3)
    new_member_days: Mapped[int] = mapped_column(Integer, default=7)
    buyers_to_notify: Mapped[int] = mapped_column(Integer, default=5)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        CheckConstraint(
            "points_accepted >= 0 AND points_helpful >= 0 AND points_question_answered >= 0 "
            "AND daily_points_cap >= 0",
            name="points",
        ),
        CheckConstraint(
            "posts_per_hour >= 1 AND new_member_posts_per_hour >= 1 AND new_member_days >= 0",
            name="limits",
        ),
        CheckConstraint("buyers_to_notify >= 0", name="buyers_to_notify"),
    )


class CommunityMember(Base):
    """A customer's community profile: the display name they chose (None: first name and last initial).
    Its row is also what a member's posting and points decisions lock, so that limits and caps hold
    under concurrent requests."""

    __tablename__ = "community_members"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    display_name: Mapped[str | None] = mapped_column(String(MAX_DISPLAY_NAME))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("store_id", "customer_id"),)


class Award(Base):
    """The decision on points for an answer, once per ``award_key`` (the ledger's key for the same fact):
    credited, or why not (``vocab.AwardOutcome``). Caps count the ``points`` credited today."""

    __tablename__ = "community_awards"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    award_key: Mapped[str] = mapped_column(String(200))
    thread_id: Mapped[int] = mapped_column(IdType)
    post_id: Mapped[int] = mapped_column(IdType)
    customer_id: Mapped[int] = mapped_column(IdType)
    kind: Mapped[str] = mapped_column(String(16))
    milestone: Mapped[int | None] = mapped_column(Integer)
    points: Mapped[int] = mapped_column(Integer, default=0)
    outcome: Mapped[str] = mapped_column(String(24))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("store_id", "award_key"),
        Index("ix_community_awards_customer_day", "store_id", "customer_id", "created_at"),
        Index("ix_community_awards_thread", "thread_id", "kind"),
    )
