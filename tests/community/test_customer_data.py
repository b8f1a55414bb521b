"""The community in a customer's GDPR export and erasure (through the API, as a store's backend asks):
their posts are exported; on erasure they stay, anonymised ("Deleted member"), and their votes, RSVPs and
display name go."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from loyaldesk import community
from loyaldesk.community import EventIn
from loyaldesk.community.models import CommunityMember, Post, Rsvp, Thread, Vote
from tests.community.conftest import GRINDER, Forum


def test_export_then_erasure_anonymises_posts_and_removes_votes_and_rsvps(
    client: TestClient, forum: Forum
) -> None:
    bob = forum.people["bob"]
    thread_id = forum.write(
        community.ask_question,
        store_id=forum.store.id,
        title="Grinder burrs?",
        body="Steel or ceramic?",
        space_kind="product_qa",
        product_id=GRINDER,
        customer_id=forum.people["ann"],
    )
    own_thread = forum.write(
        community.ask_question, store_id=forum.store.id, title="Bob asks", body="Hello all", customer_id=bob
    )
    post_id = forum.write(
        community.post_answer,
        store_id=forum.store.id,
        thread_id=thread_id,
        body="Steel, since 2024.",
        customer_id=bob,
    )
    cleo_post = forum.write(
        community.post_answer,
        store_id=forum.store.id,
        thread_id=thread_id,
        body="Ceramic.",
        customer_id=forum.people["cleo"],
    )
    forum.write(community.vote_helpful, store_id=forum.store.id, post_id=cleo_post, customer_id=bob)
    forum.write(
        community.set_display_name, store_id=forum.store.id, customer_id=bob, display_name="Bob the Barista"
    )
    now = forum.clock.now()
    event_id = forum.write(
        community.create_event,
        store_id=forum.store.id,
        actor=forum.admin,
        event_in=EventIn(
            title="Cupping", starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=1, hours=1)
        ),
    )
    forum.write(community.rsvp, store_id=forum.store.id, thread_id=event_id, customer_id=bob, going=True)

    timeline = client.get(f"/api/v1/customers/{bob}/timeline", headers=forum.store.auth)
    assert timeline.status_code == 200, timeline.text
    titles = [entry["title"] for entry in timeline.json()["data"]]
    assert f"Answered in the community (thread #{thread_id})" in titles
    assert f"Asked in discussions (thread #{own_thread})" in titles
    assert (
        "Voted a community answer helpful" in titles and f"Going to a community event (#{event_id})" in titles
    )

    export = client.get(f"/api/v1/customers/{bob}/export", headers=forum.store.auth)
    assert export.status_code == 200, export.text
    section = export.json()["community"]
    assert section["display_name"] == "Bob the Barista"
    assert [(post["id"], post["body"], post["verified_buyer"]) for post in section["posts"]] == [
        (post_id, "Steel, since 2024.", True)
    ]
    assert [thread["title"] for thread in section["threads"]] == ["Bob asks"]
    assert [vote["post_id"] for vote in section["votes"]] == [cleo_post]
    assert [rsvp["event_id"] for rsvp in section["rsvps"]] == [event_id]

    erased = client.post(f"/api/v1/customers/{bob}/erase", headers=forum.store.auth)
    assert erased.status_code in (200, 202), erased.text
    with forum.db.read() as session:
        assert session.execute(
            select(Post.author_customer_id, Post.body, Post.verified_buyer).where(Post.id == post_id)
        ).one() == (
            None,
            "Steel, since 2024.",
            False,
        )
        assert session.scalar(select(Thread.author_customer_id).where(Thread.id == own_thread)) is None
        assert session.scalars(select(Vote.id).where(Vote.customer_id == bob)).all() == []
        assert session.scalar(select(Post.helpful_votes).where(Post.id == cleo_post)) == 0
        assert session.scalars(select(Rsvp.id).where(Rsvp.customer_id == bob)).all() == []
        assert session.scalar(select(Thread.going_count).where(Thread.id == event_id)) == 0
        assert (
            session.scalars(select(CommunityMember.id).where(CommunityMember.customer_id == bob)).all() == []
        )
        view = community.thread(session, store_id=forum.store.id, thread_id=thread_id)
    by_id = {post.id: post for post in view.posts}
    assert (
        by_id[post_id].author.display_name == "Deleted member" and by_id[post_id].body == "Steel, since 2024."
    )
    assert "Bob" not in str(view.as_json())
