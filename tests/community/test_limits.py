"""Flooding: members post a limited number of questions and answers an hour, fewer while they are new;
the count comes from the tables, so it holds across processes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from loyaldesk import community
from loyaldesk.community import CommunitySettingsIn
from loyaldesk.community.rules.limits import is_new_member, milestones_reached, posting_refusal
from loyaldesk.kernel.db import Database
from loyaldesk.kernel.errors import RateLimited
from tests.community.conftest import Forum
from tests.factories import table_counts


def post(forum: Forum, who: str, database: Database | None = None, n: int = 0) -> int:
    return (database or forum.db).write(
        community.ask_question,
        store_id=forum.store.id,
        title=f"Question {n} from {who}",
        body="?",
        customer_id=forum.people[who],
    )


def test_new_members_are_held_to_the_stricter_limit_across_processes(forum: Forum, database_url: str) -> None:
    forum.write(
        community.save_community_settings,
        store_id=forum.store.id,
        actor=forum.admin,
        settings_in=CommunitySettingsIn(posts_per_hour=4, new_member_posts_per_hour=2, new_member_days=7),
    )
    post(forum, "ann", n=1)
    forum.clock.advance(timedelta(minutes=10))
    thread_id = post(forum, "ann", n=2)
    other_process = Database(database_url, clock=forum.clock)  # another server process's pool
    try:
        before = table_counts(forum.db, "community_threads", "community_posts")
        with pytest.raises(RateLimited) as refused:
            post(forum, "ann", other_process, n=3)
        assert "50 minutes" in str(refused.value) and refused.value.retry_after_seconds == 50 * 60
        with pytest.raises(RateLimited):  # answers count too
            other_process.write(
                community.post_answer,
                store_id=forum.store.id,
                thread_id=thread_id,
                body="!",
                customer_id=forum.people["ann"],
            )
        assert table_counts(forum.db, "community_threads", "community_posts") == before
        post(forum, "bob", other_process)  # another member is not held by ann's posts
    finally:
        other_process.dispose()
    forum.clock.advance(timedelta(minutes=51))  # the first post left the hour
    post(forum, "ann", n=4)


def test_established_members_get_the_ordinary_limit(forum: Forum) -> None:
    forum.write(
        community.save_community_settings,
        store_id=forum.store.id,
        actor=forum.admin,
        settings_in=CommunitySettingsIn(posts_per_hour=4, new_member_posts_per_hour=2, new_member_days=7),
    )
    post(forum, "bob")
    forum.clock.advance(timedelta(days=8))  # bob's first post and customer record are older than 7 days
    for n in range(4):
        post(forum, "bob", n=n)
    with pytest.raises(RateLimited):
        post(forum, "bob", n=5)
    forum.add_customer("neo", orders=[["BEANS-1"]])  # a customer record made today: new
    forum.clock.advance(timedelta(days=1))
    post(forum, "neo")
    post(forum, "neo", n=1)
    with pytest.raises(RateLimited):
        post(forum, "neo", n=2)


def test_the_rules() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 5, 1, 12, tzinfo=UTC)
    month_ago, yesterday = now - timedelta(days=30), now - timedelta(days=1)
    assert is_new_member(month_ago, None, now, 7)  # no post yet: their first is now
    assert is_new_member(month_ago, yesterday, now, 7)
    assert is_new_member(yesterday, month_ago, now, 7)
    assert not is_new_member(month_ago, month_ago, now, 7)
    assert not is_new_member(None, month_ago, now, 7)
    assert posting_refusal(2, 3, yesterday) is None
    assert posting_refusal(3, 3, now - timedelta(minutes=20)) == now + timedelta(minutes=40)
    assert milestones_reached(2, 3, [3, 10]) == [3]
    assert milestones_reached(3, 4, [3, 10]) == []
    assert milestones_reached(0, 10, [10, 3]) == [3, 10]
