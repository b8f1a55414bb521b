"""Posting limits and points caps. Pure: the actions count from the tables (so the limits hold across
processes) and ask these rules.

- A member may post (questions and answers together) ``posts_per_hour`` times in any hour; a *new*
  member (customer record or first post younger than ``new_member_days``) ``new_member_posts_per_hour``.
- Points for answers: an accepted answer earns ``points_accepted`` once per thread; an answer earns
  ``points_helpful`` each time its votes from members who bought reach a milestone; a member earns at most
  ``daily_points_cap`` community points per UTC day. An award that would pass the cap is not credited
  at all (no partial credit: "you earned 7 points" reads like a mistake), and is not credited later.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class PostingLimits:
    posts_per_hour: int
    new_member_posts_per_hour: int
    new_member_days: int


def is_new_member(
    customer_since: datetime | None, first_post_at: datetime | None, now: datetime, new_member_days: int
) -> bool:
    """Whether the member is still new: their customer record, or their first post (none yet: now), is
    younger than ``new_member_days``."""
    horizon = now - timedelta(days=new_member_days)
    first = first_post_at or now
    return first > horizon or (customer_since is not None and customer_since > horizon)


def hourly_limit(limits: PostingLimits, *, new_member: bool) -> int:
    return limits.new_member_posts_per_hour if new_member else limits.posts_per_hour


def posting_refusal(posts_last_hour: int, limit: int, oldest_in_hour: datetime | None) -> datetime | None:
    """When the member may post again if ``posts_last_hour`` already reached ``limit`` (the oldest post
    of the hour leaves the window then); None when they may post now."""
    if posts_last_hour < limit:
        return None
    return (oldest_in_hour + HOUR) if oldest_in_hour is not None else None


def fits_daily_cap(points: int, credited_today: int, cap: int) -> bool:
    """Whether crediting ``points`` keeps the member within the day's cap."""
    return points > 0 and credited_today + points <= cap


def milestones_reached(before: int, after: int, milestones: Sequence[int]) -> list[int]:
    """The milestones a counting-vote total crosses going from ``before`` to ``after`` votes."""
    return [milestone for milestone in sorted(set(milestones)) if before < milestone <= after]


def day_start(now: datetime) -> datetime:
    """The start of ``now``'s UTC day (caps count per UTC day)."""
    return now.replace(hour=0, minute=0, second=0, microsecond=0)
