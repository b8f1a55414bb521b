"""Moderation: one open report per reporter and item, a queue for staff, hide and restore with audit
rows; hidden content disappears for shoppers and stays, marked, for staff."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from loyaldesk import community
from loyaldesk.community import ReportResolution
from loyaldesk.kernel.errors import Conflict, Invalid, NotFound, PermissionDenied
from loyaldesk.stores.models import AuditLogEntry
from tests.community.conftest import Forum
from tests.factories import table_counts


def discussion(forum: Forum) -> tuple[int, int]:
    thread_id = forum.write(
        community.ask_question,
        store_id=forum.store.id,
        title="Best beans for a moka pot?",
        body="Tell me.",
        customer_id=forum.people["ann"],
    )
    post_id = forum.write(
        community.post_answer,
        store_id=forum.store.id,
        thread_id=thread_id,
        body="Buy elsewhere!",
        customer_id=forum.people["hal"],
    )
    return thread_id, post_id


def report(forum: Forum, who: str, **item: int) -> int:
    return forum.write(
        community.report_content,
        store_id=forum.store.id,
        reason="spam",
        reporter_customer_id=forum.people[who],
        **item,
    )


def audit(forum: Forum) -> list[tuple[str, str | None, str | None]]:
    with forum.db.read() as session:
        return [
            tuple(row)  # type: ignore[misc]
            for row in session.execute(
                select(AuditLogEntry.action, AuditLogEntry.target_type, AuditLogEntry.target_id)
                .where(AuditLogEntry.action.like("community.content_%"))
                .order_by(AuditLogEntry.id)
            )
        ]


def test_one_open_report_per_reporter_and_item(forum: Forum) -> None:
    thread_id, post_id = discussion(forum)
    first = report(forum, "bob", post_id=post_id)
    before = table_counts(forum.db, "community_reports")
    with pytest.raises(Conflict):
        report(forum, "bob", post_id=post_id)
    assert table_counts(forum.db, "community_reports") == before
    report(forum, "bob", thread_id=thread_id)  # another item
    report(forum, "cleo", post_id=post_id)  # another reporter
    with pytest.raises(Invalid) as refused:
        forum.write(
            community.report_content,
            store_id=forum.store.id,
            reason="  ",
            reporter_customer_id=forum.people["dan"],
            post_id=post_id,
        )
    assert refused.value.problems[0].field == "reason"
    with forum.db.read() as session:
        queue = community.moderation_queue(session, store_id=forum.store.id)
    assert (queue[0].id, queue[0].post_id, queue[0].reason) == (first, post_id, "spam")
    assert queue[0].content_html == "<p>Buy elsewhere!</p>" and queue[0].reporter == "Bob T."
    # Once resolved, the same reporter may report the item again (a new open report).
    forum.write(
        community.resolve_report,
        store_id=forum.store.id,
        actor=forum.agent,
        report_id=first,
        action="dismiss",
    )
    report(forum, "bob", post_id=post_id)


def test_hiding_and_restoring_are_audited_and_hidden_content_is_for_staff_only(forum: Forum) -> None:
    thread_id, post_id = discussion(forum)
    forum.write(
        community.hide_content,
        store_id=forum.store.id,
        actor=forum.agent,
        reason="off topic",
        post_id=post_id,
    )
    forum.write(  # again: nothing changes, no second audit row
        community.hide_content,
        store_id=forum.store.id,
        actor=forum.agent,
        reason="off topic",
        post_id=post_id,
    )
    with forum.db.read() as session:
        shopper = community.thread(
            session, store_id=forum.store.id, thread_id=thread_id, viewer_customer_id=forum.people["bob"]
        )
        staff = community.thread(session, store_id=forum.store.id, thread_id=thread_id, staff=True)
        listed = community.threads(session, store_id=forum.store.id, space_kind="discussions")
    assert shopper.posts == []
    assert [(post.id, post.hidden, post.hidden_reason) for post in staff.posts] == [
        (post_id, True, "off topic")
    ]
    assert listed[0].answers_count == 0
    with pytest.raises(NotFound):  # a hidden post cannot be voted on
        forum.write(
            community.vote_helpful, store_id=forum.store.id, post_id=post_id, customer_id=forum.people["bob"]
        )

    forum.write(
        community.hide_content, store_id=forum.store.id, actor=forum.agent, reason="spam", thread_id=thread_id
    )
    with forum.db.read() as session:
        with pytest.raises(NotFound):
            community.thread(session, store_id=forum.store.id, thread_id=thread_id)
        assert community.threads(session, store_id=forum.store.id, space_kind="discussions") == []
        assert community.threads(
            session, store_id=forum.store.id, space_kind="discussions", include_hidden=True
        )
        assert community.thread(session, store_id=forum.store.id, thread_id=thread_id, staff=True).hidden
    with pytest.raises(NotFound):  # shoppers cannot answer a hidden thread
        forum.write(
            community.post_answer,
            store_id=forum.store.id,
            thread_id=thread_id,
            body="x",
            customer_id=forum.people["bob"],
        )

    forum.write(community.restore_content, store_id=forum.store.id, actor=forum.agent, thread_id=thread_id)
    forum.write(community.restore_content, store_id=forum.store.id, actor=forum.agent, post_id=post_id)
    with forum.db.read() as session:
        again = community.thread(session, store_id=forum.store.id, thread_id=thread_id)
    assert [post.id for post in again.posts] == [post_id]
    assert audit(forum) == [
        ("community.content_hidden", "community_post", str(post_id)),
        ("community.content_hidden", "community_thread", str(thread_id)),
        ("community.content_restored", "community_thread", str(thread_id)),
        ("community.content_restored", "community_post", str(post_id)),
    ]


def test_resolving_a_report_by_hiding_closes_every_open_report_on_the_item(forum: Forum) -> None:
    _, post_id = discussion(forum)
    first, second = report(forum, "bob", post_id=post_id), report(forum, "cleo", post_id=post_id)
    forum.write(
        community.resolve_report,
        store_id=forum.store.id,
        actor=forum.agent,
        report_id=first,
        action=ReportResolution.HIDE,
    )
    with forum.db.read() as session:
        assert community.moderation_queue(session, store_id=forum.store.id) == []
        closed = community.moderation_queue(session, store_id=forum.store.id, status="hidden")
    assert {item.id for item in closed} == {first, second} and all(item.content_hidden for item in closed)
    assert audit(forum) == [("community.content_hidden", "community_post", str(post_id))]
    with pytest.raises(Conflict):
        forum.write(
            community.resolve_report,
            store_id=forum.store.id,
            actor=forum.agent,
            report_id=second,
            action="dismiss",
        )
    with pytest.raises(Invalid):
        forum.write(
            community.resolve_report,
            store_id=forum.store.id,
            actor=forum.agent,
            report_id=second,
            action="burn",
        )


def test_shoppers_and_analysts_cannot_moderate_and_nothing_changes(forum: Forum, other_store) -> None:  # type: ignore[no-untyped-def]
    thread_id, post_id = discussion(forum)
    report_id = report(forum, "bob", post_id=post_id)
    customer = forum.admin.__class__(
        kind="customer", id=forum.people["bob"], store_id=forum.store.id, label="bob"
    )
    for actor in (forum.analyst, customer, other_store.actor):
        with pytest.raises(PermissionDenied):
            forum.write(
                community.hide_content, store_id=forum.store.id, actor=actor, reason="x", post_id=post_id
            )
        with pytest.raises(PermissionDenied):
            forum.write(
                community.resolve_report,
                store_id=forum.store.id,
                actor=actor,
                report_id=report_id,
                action="hide",
            )
    with forum.db.read() as session:
        assert [
            post.hidden
            for post in community.thread(session, store_id=forum.store.id, thread_id=thread_id).posts
        ] == [False]
        assert len(community.moderation_queue(session, store_id=forum.store.id)) == 1
    assert audit(forum) == []


def test_staff_close_a_thread_to_new_answers_and_reopen_it(forum: Forum) -> None:
    thread_id, post_id = discussion(forum)
    forum.write(community.close_thread, store_id=forum.store.id, actor=forum.agent, thread_id=thread_id)
    forum.write(community.close_thread, store_id=forum.store.id, actor=forum.agent, thread_id=thread_id)
    with pytest.raises(Conflict):
        forum.write(
            community.post_answer,
            store_id=forum.store.id,
            thread_id=thread_id,
            body="late",
            customer_id=forum.people["bob"],
        )
    with pytest.raises(Conflict):
        forum.write(
            community.accept_answer,
            store_id=forum.store.id,
            thread_id=thread_id,
            post_id=post_id,
            customer_id=forum.people["ann"],
        )
    with forum.db.read() as session:
        view = community.thread(
            session, store_id=forum.store.id, thread_id=thread_id, viewer_customer_id=forum.people["ann"]
        )
    assert view.status == "closed" and not view.may_answer and not any(post.may_accept for post in view.posts)
    with pytest.raises(PermissionDenied):
        forum.write(
            community.close_thread,
            store_id=forum.store.id,
            actor=forum.analyst,
            thread_id=thread_id,
            closed=False,
        )
    forum.write(
        community.close_thread, store_id=forum.store.id, actor=forum.agent, thread_id=thread_id, closed=False
    )
    with forum.db.read() as session:
        assert community.thread(session, store_id=forum.store.id, thread_id=thread_id).status == "open"
        actions = session.scalars(
            select(AuditLogEntry.action)
            .where(AuditLogEntry.action.like("community.thread_%"))
            .order_by(AuditLogEntry.id)
        ).all()
    assert actions == ["community.thread_closed", "community.thread_reopened"]
