"""Property: whatever sequence of questions, answers, votes, accepts, un-accepts and replays members
make, every community fact is credited at most once, each member stays within the day's cap, the
awards agree with the ledger, and the ledger checks clean."""

from __future__ import annotations

from collections import defaultdict

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from loyaldesk import community
from loyaldesk.community import CommunitySettingsIn
from loyaldesk.community.models import Award, Post, Thread
from loyaldesk.kernel.errors import DomainError
from loyaldesk.loyalty import LedgerEntry, Member
from tests.community.conftest import Forum

NAMES = ("ann", "bob", "cleo", "dan", "hal", "ivy")
STEP = st.tuples(
    st.sampled_from(["ask", "answer", "vote", "accept", "unaccept"]), st.integers(0, 5), st.integers(0, 30)
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(STEP, min_size=5, max_size=30))
def test_every_fact_is_credited_at_most_once_within_the_cap(
    forum: Forum, steps: list[tuple[str, int, int]]
) -> None:
    forum.write(
        community.save_community_settings,
        store_id=forum.store.id,
        actor=forum.admin,
        settings_in=CommunitySettingsIn(
            points_accepted=40,
            points_helpful=15,
            points_question_answered=10,
            helpful_milestones=[1, 2],
            daily_points_cap=100,
            posts_per_hour=1000,
            new_member_posts_per_hour=1000,
        ),
    )
    for step, who, pick in steps:
        customer = forum.people[NAMES[who]]
        with forum.db.read() as session:
            threads = session.scalars(
                select(Thread.id).where(Thread.store_id == forum.store.id).order_by(Thread.id)
            ).all()
            posts = session.scalars(
                select(Post.id).where(Post.store_id == forum.store.id).order_by(Post.id)
            ).all()
        for _ in range(2 if pick % 3 == 0 else 1):  # a third of the steps are replayed at once
            try:
                if step == "ask" or not threads:
                    forum.write(
                        community.ask_question,
                        store_id=forum.store.id,
                        title=f"Question {pick}",
                        body="?",
                        customer_id=customer,
                    )
                elif step == "answer":
                    forum.write(
                        community.post_answer,
                        store_id=forum.store.id,
                        thread_id=threads[pick % len(threads)],
                        body="!",
                        customer_id=customer,
                    )
                elif not posts:
                    continue
                elif step == "vote":
                    forum.write(
                        community.vote_helpful,
                        store_id=forum.store.id,
                        post_id=posts[pick % len(posts)],
                        customer_id=customer,
                    )
                else:
                    post_id = posts[pick % len(posts)]
                    with forum.db.read() as session:
                        thread_id, asker = session.execute(
                            select(Thread.id, Thread.author_customer_id)
                            .join(Post, Post.thread_id == Thread.id)
                            .where(Post.id == post_id)
                        ).one()
                    who_acts = {"customer_id": asker} if pick % 2 else {"actor": forum.agent}
                    if step == "accept":
                        forum.write(
                            community.accept_answer,
                            store_id=forum.store.id,
                            thread_id=thread_id,
                            post_id=post_id,
                            **who_acts,
                        )
                    else:
                        forum.write(
                            community.unaccept_answer,
                            store_id=forum.store.id,
                            thread_id=thread_id,
                            **who_acts,
                        )
            except DomainError:
                pass  # refused (a self-vote, say): the invariants must hold all the same

    with forum.db.read() as session:
        entries = session.execute(
            select(
                LedgerEntry.idempotency_key, LedgerEntry.member_id, LedgerEntry.points, LedgerEntry.created_at
            ).where(LedgerEntry.idempotency_key.like("goodwill:community:%"))
        ).all()
        credited = session.execute(
            select(Award.award_key, Award.customer_id, Award.points).where(Award.outcome == "credited")
        ).all()
        members = dict(session.execute(select(Member.id, Member.customer_id)).all())
        per_thread = session.execute(
            select(Award.thread_id, func.count())
            .where(Award.kind == "accepted", Award.outcome == "credited")
            .group_by(Award.thread_id)
        ).all()
    keys = [entry.idempotency_key for entry in entries]
    assert len(keys) == len(set(keys))  # each fact once
    assert sorted(keys) == sorted(f"goodwill:{row.award_key}" for row in credited)  # awards agree
    by_member_day: dict[tuple[int, object], int] = defaultdict(int)
    for entry in entries:
        by_member_day[(members[entry.member_id], entry.created_at.date())] += entry.points
    assert all(total <= 100 for total in by_member_day.values())
    assert all(count == 1 for _, count in per_thread)  # one accepted credit per thread
    forum.ledger_clean()
