"""Replays that race: the same accept sent many times at once, and votes arriving together on one
answer, credit each fact exactly once; the ledger checks clean."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from loyaldesk import community
from loyaldesk.community import CommunitySettingsIn
from loyaldesk.loyalty import LedgerEntry
from tests.community.conftest import Forum
from tests.community.test_points import accept, answer, question


def test_racing_accepts_and_votes_credit_each_fact_once(forum: Forum) -> None:
    forum.write(
        community.save_community_settings,
        store_id=forum.store.id,
        actor=forum.admin,
        settings_in=CommunitySettingsIn(points_helpful=10, helpful_milestones=[2, 3]),
    )
    thread_id = question(forum)
    first, second = answer(forum, thread_id, "bob"), answer(forum, thread_id, "cleo")

    def accept_one(post_id: int) -> None:
        accept(forum, thread_id, post_id)

    def vote(who: str) -> int:
        return forum.write(
            community.vote_helpful, store_id=forum.store.id, post_id=first, customer_id=forum.people[who]
        )

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(accept_one, [first, second, first, second, first, second]))
        counts = list(pool.map(vote, ["dan", "eve", "fay", "gus", "dan", "eve"]))
    assert max(counts) == 4
    with forum.db.read() as session:
        keys = sorted(
            session.scalars(
                select(LedgerEntry.idempotency_key).where(
                    LedgerEntry.idempotency_key.like("goodwill:community:%")
                )
            )
        )
    accepted = [key for key in keys if key.endswith(":accepted")]
    assert len(accepted) == 1  # one accepted credit for the thread, whichever answer won
    assert [key for key in keys if key.endswith(":answered")] == [
        f"goodwill:community:question:{thread_id}:answered"
    ]
    assert [key for key in keys if ":helpful:" in key] == [
        f"goodwill:community:answer:{first}:helpful:2",
        f"goodwill:community:answer:{first}:helpful:3",
    ]
    forum.ledger_clean()
