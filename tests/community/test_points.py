"""Points for answers through the loyalty ledger: an accepted answer and helpful-vote milestones credit
the answerer once, whatever is replayed; caps and rules against farming hold; the ledger checks clean."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from loyaldesk import community
from loyaldesk.community import AwardOutcome, CommunitySettingsIn, SpaceKind
from loyaldesk.community.models import Award
from loyaldesk.kernel.errors import Conflict, PermissionDenied
from loyaldesk.loyalty import LedgerEntry, Member
from tests.community.conftest import GRINDER, Forum


def settings(forum: Forum, **values: object) -> None:
    forum.write(
        community.save_community_settings,
        store_id=forum.store.id,
        actor=forum.admin,
        settings_in=CommunitySettingsIn(**values),  # type: ignore[arg-type]
    )


def question(forum: Forum, who: str = "ann") -> int:
    return forum.write(
        community.ask_question,
        store_id=forum.store.id,
        title="Does the grinder do espresso?",
        body="Fine enough?",
        space_kind=SpaceKind.PRODUCT_QA,
        customer_id=forum.people[who],
        product_id=GRINDER,
    )


def answer(forum: Forum, thread_id: int, who: str) -> int:
    return forum.write(
        community.post_answer,
        store_id=forum.store.id,
        thread_id=thread_id,
        body=f"{who} says yes",
        customer_id=forum.people[who],
    )


def accept(forum: Forum, thread_id: int, post_id: int, who: str = "ann") -> None:
    forum.write(
        community.accept_answer,
        store_id=forum.store.id,
        thread_id=thread_id,
        post_id=post_id,
        customer_id=forum.people[who],
    )


def vote(forum: Forum, post_id: int, who: str) -> int:
    return forum.write(
        community.vote_helpful, store_id=forum.store.id, post_id=post_id, customer_id=forum.people[who]
    )


def points_of(forum: Forum, who: str) -> int:
    with forum.db.read() as session:
        return int(
            session.scalar(select(Member.available_points).where(Member.customer_id == forum.people[who]))
            or 0
        )


def community_entries(forum: Forum) -> list[tuple[str, int]]:
    with forum.db.read() as session:
        return [
            (key, points)
            for key, points in session.execute(
                select(LedgerEntry.idempotency_key, LedgerEntry.points)
                .where(LedgerEntry.idempotency_key.like("goodwill:community:answer:%"))
                .order_by(LedgerEntry.id)
            )
        ]


def test_an_accepted_answer_credits_once_and_replays_change_nothing(forum: Forum) -> None:
    settings(forum, points_accepted=50)
    thread_id = question(forum)
    post_id = answer(forum, thread_id, "bob")
    before = points_of(forum, "bob")
    for _ in range(3):  # the same call again (a double click, a retried request)
        accept(forum, thread_id, post_id)
    forum.write(  # and staff accepting it too
        community.accept_answer,
        store_id=forum.store.id,
        thread_id=thread_id,
        post_id=post_id,
        actor=forum.agent,
    )
    assert points_of(forum, "bob") == before + 50
    assert community_entries(forum) == [(f"goodwill:community:answer:{post_id}:accepted", 50)]
    with forum.db.read() as session:
        view = community.thread(session, store_id=forum.store.id, thread_id=thread_id)
    assert view.status == "answered" and view.accepted_post_id == post_id
    forum.ledger_clean()


def test_replaying_the_award_itself_credits_once(forum: Forum) -> None:
    """The award step re-run (as a replayed handler would) finds its decision and credits nothing."""
    from loyaldesk.community.actions.awards import award
    from loyaldesk.community.vocab import AwardKind

    thread_id = question(forum)
    post_id = answer(forum, thread_id, "bob")
    accept(forum, thread_id, post_id)
    again = forum.write(
        award,
        store_id=forum.store.id,
        thread_id=thread_id,
        post_id=post_id,
        customer_id=forum.people["bob"],
        kind=AwardKind.ACCEPTED,
        settings=CommunitySettingsIn(),
    )
    assert again == (50, AwardOutcome.CREDITED)  # the first decision, read back
    assert len(community_entries(forum)) == 1
    forum.ledger_clean()


def test_accepting_another_answer_moves_the_mark_not_the_points(forum: Forum) -> None:
    thread_id = question(forum)
    first, second = answer(forum, thread_id, "bob"), answer(forum, thread_id, "cleo")
    accept(forum, thread_id, first)
    accept(forum, thread_id, second)
    accept(forum, thread_id, first)
    assert community_entries(forum) == [(f"goodwill:community:answer:{first}:accepted", 50)]
    with forum.db.read() as session:
        outcomes = dict(
            session.execute(select(Award.post_id, Award.outcome).where(Award.kind == "accepted")).all()
        )
        view = community.thread(session, store_id=forum.store.id, thread_id=thread_id)
    assert outcomes == {first: "credited", second: "already_credited"}
    assert view.accepted_post_id == first
    forum.ledger_clean()


def test_unaccepting_keeps_the_points_and_a_new_accept_credits_nobody_else(forum: Forum) -> None:
    thread_id = question(forum)
    first, second = answer(forum, thread_id, "bob"), answer(forum, thread_id, "cleo")
    accept(forum, thread_id, first)
    with pytest.raises(PermissionDenied):
        forum.write(
            community.unaccept_answer,
            store_id=forum.store.id,
            thread_id=thread_id,
            customer_id=forum.people["cleo"],
        )
    forum.write(
        community.unaccept_answer,
        store_id=forum.store.id,
        thread_id=thread_id,
        customer_id=forum.people["ann"],
    )
    forum.write(
        community.unaccept_answer,
        store_id=forum.store.id,
        thread_id=thread_id,
        customer_id=forum.people["ann"],
    )
    with forum.db.read() as session:
        view = community.thread(session, store_id=forum.store.id, thread_id=thread_id)
    assert (view.status, view.accepted_post_id) == ("open", None)
    accept(forum, thread_id, second)
    assert community_entries(forum) == [(f"goodwill:community:answer:{first}:accepted", 50)]
    forum.ledger_clean()


def test_no_points_for_answering_your_own_question_and_only_the_asker_or_staff_accept(forum: Forum) -> None:
    thread_id = question(forum)
    own = answer(forum, thread_id, "ann")
    bob = answer(forum, thread_id, "bob")
    with pytest.raises(PermissionDenied):
        accept(forum, thread_id, bob, who="cleo")
    with pytest.raises(PermissionDenied):  # an analyst is not allowed to accept as staff
        forum.write(
            community.accept_answer,
            store_id=forum.store.id,
            thread_id=thread_id,
            post_id=bob,
            actor=forum.analyst,
        )
    accept(forum, thread_id, own)
    assert community_entries(forum) == []


def test_helpful_milestones_count_votes_of_buyers_and_credit_once(forum: Forum) -> None:
    settings(forum, points_helpful=10, helpful_milestones=[2, 4])
    thread_id = question(forum)
    post_id = answer(forum, thread_id, "bob")
    with pytest.raises(Conflict):
        vote(forum, post_id, "bob")  # no self-votes
    assert vote(forum, post_id, "ivy") == 1  # ivy never ordered: shown, but not counted for points
    assert vote(forum, post_id, "ivy") == 1  # one vote per member: a second changes nothing
    assert vote(forum, post_id, "cleo") == 2
    assert community_entries(forum) == []  # one counting vote so far
    assert vote(forum, post_id, "dan") == 3
    assert community_entries(forum) == [(f"goodwill:community:answer:{post_id}:helpful:2", 10)]
    vote(forum, post_id, "eve")
    vote(forum, post_id, "fay")
    vote(forum, post_id, "hal")
    assert community_entries(forum) == [
        (f"goodwill:community:answer:{post_id}:helpful:2", 10),
        (f"goodwill:community:answer:{post_id}:helpful:4", 10),
    ]
    with forum.db.read() as session:
        view = community.thread(
            session, store_id=forum.store.id, thread_id=thread_id, viewer_customer_id=forum.people["ivy"]
        )
    assert view.posts[0].helpful_votes == 6 and view.posts[0].voted and not view.posts[0].may_vote
    forum.ledger_clean()


def test_the_daily_cap_stops_farming_and_a_new_day_starts_afresh(forum: Forum) -> None:
    settings(forum, points_accepted=50, daily_points_cap=120)
    credited = []
    for n in range(3):
        thread_id = forum.write(
            community.ask_question,
            store_id=forum.store.id,
            title=f"Question number {n}",
            body="?",
            customer_id=forum.people["ann"],
        )
        post_id = answer(forum, thread_id, "bob")
        accept(forum, thread_id, post_id)
        credited.append(post_id)
    with forum.db.read() as session:
        outcomes = list(
            session.scalars(select(Award.outcome).where(Award.kind == "accepted").order_by(Award.id))
        )
    assert outcomes == ["credited", "credited", "capped"]  # 50 + 50 fits 120; another 50 does not
    assert len(community_entries(forum)) == 2
    forum.clock.advance(timedelta(days=1))
    thread_id = forum.write(
        community.ask_question,
        store_id=forum.store.id,
        title="Next day",
        body="?",
        customer_id=forum.people["ann"],
    )
    accept(forum, thread_id, answer(forum, thread_id, "bob"))
    assert len(community_entries(forum)) == 3
    forum.ledger_clean()


def test_a_customer_outside_the_program_earns_nothing_and_nothing_breaks(forum: Forum) -> None:
    forum.add_customer("otto", orders=[["GRINDER-1"]], member=False)
    thread_id = question(forum)
    post_id = answer(forum, thread_id, "otto")
    accept(forum, thread_id, post_id)
    with forum.db.read() as session:
        assert session.scalars(select(Award.outcome).where(Award.kind == "accepted")).all() == [
            "not_a_member"
        ]
    assert community_entries(forum) == []
    forum.ledger_clean()


def test_points_appear_for_the_answerer_and_the_asker(forum: Forum) -> None:
    """The balances the member pages show: the answerer gets ``points_accepted``, the asker
    ``points_question_answered``, each once per thread; no question points for accepting your own
    answer."""
    settings(forum, points_accepted=50, points_question_answered=15)
    thread_id = question(forum)
    own = answer(forum, thread_id, "ann")
    post_id = answer(forum, thread_id, "bob")
    ann_before, bob_before = points_of(forum, "ann"), points_of(forum, "bob")
    accept(forum, thread_id, own)
    assert points_of(forum, "ann") == ann_before  # her own answer: nothing for anyone
    accept(forum, thread_id, post_id)
    accept(forum, thread_id, answer(forum, thread_id, "cleo"))  # a change of mind credits nothing more
    assert points_of(forum, "bob") == bob_before + 50
    assert points_of(forum, "ann") == ann_before + 15
    with forum.db.read() as session:
        keys = session.scalars(
            select(LedgerEntry.idempotency_key).where(
                LedgerEntry.idempotency_key.like("goodwill:community:question:%")
            )
        ).all()
    assert keys == [f"goodwill:community:question:{thread_id}:answered"]
    forum.ledger_clean()
