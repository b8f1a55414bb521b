"""Asking and answering: product questions reach a capped number of verified buyers through journeys and
the category's owners through a team task; answers carry "verified buyer" and "staff"; bad input is
refused naming the field (a banned word named) and stores nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from loyaldesk import community
from loyaldesk.community import CategoryIn, CommunitySettingsIn, SpaceKind
from loyaldesk.journeys import MessageTemplate, Send, TeamTask
from loyaldesk.kernel.errors import Invalid, NotFound, PermissionDenied
from tests.community.conftest import GRINDER, Forum
from tests.factories import table_counts


def ask(forum: Forum, who: str = "ann", **overrides):  # type: ignore[no-untyped-def]
    values = {
        "store_id": forum.store.id,
        "title": "Does the grinder do espresso?",
        "body": "Fine enough for **espresso**?",
        "space_kind": SpaceKind.PRODUCT_QA,
        "customer_id": forum.people[who],
        "product_id": GRINDER,
    }
    values.update(overrides)
    return forum.write(community.ask_question, **values)


def test_a_product_question_asks_a_capped_number_of_verified_buyers_not_the_asker(forum: Forum) -> None:
    forum.write(
        community.save_community_settings,
        store_id=forum.store.id,
        actor=forum.admin,
        settings_in=CommunitySettingsIn(buyers_to_notify=3),
    )
    forum.add_customer("zed", orders=[[GRINDER]])  # the most recent buyer, and the asker
    thread_id = ask(forum, "zed")
    with forum.db.read() as session:
        sends = session.execute(
            select(Send.customer_id, Send.category, Send.template_key, Send.idempotency_key, Send.content)
        ).all()
    buyers = {forum.people[name] for name in ("bob", "cleo", "dan", "eve", "fay", "gus")}
    asked = {row.customer_id for row in sends}
    assert len(asked) == 3 and asked <= buyers  # capped, only buyers, never the asker
    assert {row.category for row in sends} == {"feedback"}
    assert {row.template_key for row in sends} == {"community_question"}
    assert all(row.idempotency_key == f"community:ask:{thread_id}:{row.customer_id}" for row in sends)
    assert all(
        row.content["context"]["event"]
        == {"question_title": "Does the grinder do espresso?", "thread_id": thread_id}
        for row in sends
    )
    # A second question about the grinder within the week asks buyers not asked this week (zed too,
    # who is not its asker).
    ask(forum, "ann", title="Is it loud?")
    with forum.db.read() as session:
        rows = session.scalars(
            select(Send.customer_id).where(Send.idempotency_key.like("community:ask:%"))
        ).all()
    assert len(rows) == 6 and len(set(rows)) == 6  # three more, nobody asked twice
    assert set(rows) - asked <= buyers | {forum.people["zed"]}
    assert forum.people["ann"] not in rows


def test_the_question_email_is_a_store_template_with_the_question_and_its_link(forum: Forum) -> None:
    ask(forum)
    with forum.db.read() as session:
        template = session.scalar(select(MessageTemplate).where(MessageTemplate.key == "community_question"))
    assert template is not None and template.channel == "email"
    assert "{{ question_title }}" in template.body and "{{ question_url }}" in template.body


def test_the_category_owners_get_a_team_task(forum: Forum) -> None:
    category_id = forum.write(
        community.save_category,
        store_id=forum.store.id,
        actor=forum.admin,
        category_in=CategoryIn(name="Brewing", owner_staff_ids=[forum.agent.id]),
    )
    thread_id = ask(forum, space_kind=SpaceKind.DISCUSSIONS, product_id=None, category_id=category_id)
    with forum.db.read() as session:
        tasks = session.scalars(select(TeamTask)).all()
    assert [(task.title, task.status, task.customer_id) for task in tasks] == [
        ("Community question in Brewing: Does the grinder do espresso?", "open", forum.people["ann"])
    ]
    assert f"#{thread_id}" in tasks[0].details and "Agent" in tasks[0].details


def test_answers_are_marked_verified_buyer_and_staff(forum: Forum) -> None:
    thread_id = ask(forum)
    bob = forum.write(
        community.post_answer,
        store_id=forum.store.id,
        thread_id=thread_id,
        body="Yes.",
        customer_id=forum.people["bob"],
    )
    hal = forum.write(
        community.post_answer,
        store_id=forum.store.id,
        thread_id=thread_id,
        body="No idea.",
        customer_id=forum.people["hal"],
    )
    staff = forum.write(
        community.post_answer,
        store_id=forum.store.id,
        thread_id=thread_id,
        body="It does.",
        actor=forum.agent,
    )
    with forum.db.read() as session:
        view = community.thread(
            session, store_id=forum.store.id, thread_id=thread_id, viewer_customer_id=forum.people["ann"]
        )
    posts = {post.id: post for post in view.posts}
    assert posts[bob].verified_buyer and not posts[hal].verified_buyer
    assert posts[staff].is_staff and posts[staff].author.is_staff and not posts[bob].is_staff
    assert posts[bob].author.display_name == "Bob T."  # never the email
    assert "@" not in str(view.as_json())
    assert "customer_id" not in str(view.as_json())  # customers' ids stay on the server
    assert all(post.may_accept and post.may_vote for post in view.posts if not post.is_staff)
    assert view.author.display_name == "Ann T."


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": "  "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"body": " \n "}, "body"),
        ({"body": "x" * 10_001}, "body"),
        ({"product_id": None}, "product_id"),
        ({"product_id": "NO-SUCH-THING"}, "product_id"),
        ({"space_kind": "events"}, "space_kind"),
        ({"space_kind": "chitchat"}, "space_kind"),
        ({"space_kind": SpaceKind.DISCUSSIONS, "product_id": None, "category_id": 999}, "category_id"),
    ],
)
def test_bad_questions_are_refused_naming_the_field_and_store_nothing(
    forum: Forum, overrides: dict[str, object], field: str
) -> None:
    before = table_counts(forum.db, "community_threads", "journey_sends")
    with pytest.raises(Invalid) as refused:
        ask(forum, **overrides)
    assert [problem.field for problem in refused.value.problems] == [field]
    assert table_counts(forum.db, "community_threads", "journey_sends") == before


def test_banned_words_are_refused_naming_the_word_whole_words_only(forum: Forum) -> None:
    forum.write(
        community.save_community_settings,
        store_id=forum.store.id,
        actor=forum.admin,
        settings_in=CommunitySettingsIn(banned_words=["Scam", "cheap knockoff"]),
    )
    with pytest.raises(Invalid, match='"scam"') as refused:
        ask(forum, body="Is this a SCAM?")
    assert refused.value.problems[0].field == "body"
    with pytest.raises(Invalid, match='"cheap knockoff"'):
        ask(forum, title="A cheap   Knockoff, really?")
    thread_id = ask(forum, body="Scampi and scammers are different words.")  # whole words only
    with pytest.raises(Invalid, match='"scam"'):
        forum.write(
            community.post_answer,
            store_id=forum.store.id,
            thread_id=thread_id,
            body="scam!",
            customer_id=forum.people["bob"],
        )


def test_who_may_post(forum: Forum, other_store) -> None:  # type: ignore[no-untyped-def]
    thread_id = ask(forum)
    with pytest.raises(PermissionDenied):  # neither a shopper nor staff
        forum.write(community.post_answer, store_id=forum.store.id, thread_id=thread_id, body="hi")
    with pytest.raises(PermissionDenied):  # an analyst may not answer as staff
        forum.write(
            community.post_answer,
            store_id=forum.store.id,
            thread_id=thread_id,
            body="hi",
            actor=forum.analyst,
        )
    with pytest.raises(NotFound):  # another store's thread
        forum.write(
            community.post_answer,
            store_id=other_store.id,
            thread_id=thread_id,
            body="hi",
            actor=other_store.actor,
        )
