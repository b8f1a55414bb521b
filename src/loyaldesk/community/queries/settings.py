"""A store's community settings as the actions and pages read them."""

from __future__ import annotations

from sqlalchemy.orm import Session

from loyaldesk.community.models import CommunitySettings
from loyaldesk.community.schemas import CommunitySettingsIn


def load_settings(session: Session, store_id: int) -> CommunitySettingsIn:
    """The store's community settings; the defaults until it saved its own."""
    row = session.get(CommunitySettings, store_id)
    if row is None:
        return CommunitySettingsIn()
    return CommunitySettingsIn(
        banned_words=list(row.banned_words or []),
        points_accepted=row.points_accepted,
        points_helpful=row.points_helpful,
        points_question_answered=row.points_question_answered,
        helpful_milestones=list(row.helpful_milestones or []),
        daily_points_cap=row.daily_points_cap,
        posts_per_hour=row.posts_per_hour,
        new_member_posts_per_hour=row.new_member_posts_per_hour,
        new_member_days=row.new_member_days,
        buyers_to_notify=row.buyers_to_notify,
    )
