"""The console's Community section over HTTP, as staff use it: the moderation queue with the reported
content (hide, restore, dismiss; the audit trail shown), a staff answer marked staff on the member page,
accepting as staff and publishing the accepted answer as a knowledge-base article, the settings and
categories (refused values named, nothing saved), events with their RSVPs, and the participation panel
with its chart."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from loyaldesk.runtime import Runtime
from loyaldesk.web.app import create_app
from tests.factories import StoreHandle, csrf_of, login, make_staff
from tests.web.community_fixtures import Community, community_shop


@pytest.fixture
def shop(runtime: Runtime, store: StoreHandle, db: Database, clock: FakeClock) -> Community:
    return community_shop(runtime, store, db, clock)


def _staff(
    runtime: Runtime, db: Database, store: StoreHandle, role: str, password_hash: str
) -> tuple[TestClient, str]:
    client = TestClient(create_app(runtime=runtime), base_url="https://testserver")
    login(client, make_staff(db, store, role, password_hash))
    return client, csrf_of(client.get("/console/account").text)


def test_an_agent_hides_reported_content_restores_it_and_the_log_shows_both(
    shop: Community, runtime: Runtime, db: Database, store: StoreHandle, password_hash: str
) -> None:
    thread_id = shop.ask("ana")
    post_id = shop.answer(thread_id, "cleo", body="Cheaper at **otherplace.example**!")
    assert shop.api("bea", "POST", "/reports", json={"post_id": post_id, "reason": "spam"}).status_code == 201
    agent, csrf = _staff(runtime, db, store, "agent", password_hash)

    queue = agent.get("/console/acme/community")
    assert queue.status_code == 200
    assert "spam" in queue.text and "<strong>otherplace.example</strong>" in queue.text
    report_id = int(re.search(r'data-report-id="(\d+)"', queue.text).group(1))  # type: ignore[union-attr]
    hidden = agent.post(
        f"/console/acme/community/reports/{report_id}",
        data={"csrf_token": csrf, "action": "hide"},
        follow_redirects=False,
    )
    assert hidden.status_code == 303
    page = shop.page("bea", f"/threads/{thread_id}")
    assert page.status_code == 200 and "otherplace" not in page.text  # left out, or a notice in its place
    log = agent.get("/console/acme/community?status=hidden")
    assert "community.content_hidden" in log.text and "agent@acme.example.com" in log.text

    restored = agent.post(
        f"/console/acme/community/threads/{thread_id}/visibility",
        data={"csrf_token": csrf, "action": "restore", "post_id": str(post_id), "back": "queue"},
        follow_redirects=False,
    )
    assert restored.status_code == 303
    assert "otherplace" in shop.page("bea", f"/threads/{thread_id}").text
    bad = agent.post(
        f"/console/acme/community/reports/{report_id}",
        data={"csrf_token": csrf, "action": "delete-everything"},
    )
    assert bad.status_code == 422 and "action" in bad.text


def test_staff_answer_accept_and_publish_as_article(
    shop: Community, runtime: Runtime, db: Database, store: StoreHandle, password_hash: str
) -> None:
    thread_id = shop.ask("ana", title="How do I reproof the jacket?")
    admin, csrf = _staff(runtime, db, store, "admin", password_hash)
    listed = admin.get("/console/acme/community/threads")
    assert "How do I reproof the jacket?" in listed.text
    answered = admin.post(
        f"/console/acme/community/threads/{thread_id}/answers",
        data={"csrf_token": csrf, "body": "Wash it, then tumble dry **warm** for 20 minutes."},
        follow_redirects=False,
    )
    assert answered.status_code == 303
    member_view = shop.page("ana", f"/threads/{thread_id}")
    assert 'data-testid="staff-badge"' in member_view.text and "tumble dry" in member_view.text
    page = admin.get(f"/console/acme/community/threads/{thread_id}")
    post_id = int(re.search(r'data-post-id="(\d+)"', page.text).group(1))  # type: ignore[union-attr]
    accepted = admin.post(
        f"/console/acme/community/threads/{thread_id}/accept",
        data={"csrf_token": csrf, "post_id": str(post_id)},
        follow_redirects=False,
    )
    assert accepted.status_code == 303
    published = admin.post(
        f"/console/acme/community/threads/{thread_id}/publish",
        data={"csrf_token": csrf},
        follow_redirects=True,
    )
    assert published.status_code == 200 and 'data-testid="article-link"' in published.text
    article_id = int(re.search(r"/help-center/articles/(\d+)", published.text).group(1))  # type: ignore[union-attr]
    article = admin.get(f"/console/acme/help-center/articles/{article_id}")
    assert article.status_code == 200 and "tumble dry" in article.text
    closed = admin.post(
        f"/console/acme/community/threads/{thread_id}/closing",
        data={"csrf_token": csrf, "action": "close"},
        follow_redirects=False,
    )
    assert closed.status_code == 303
    late = shop.api(
        "bea", "POST", f"/threads/{thread_id}/answers", json={"body": "Also: use a reproofing spray."}
    )
    assert late.status_code == 409
    assert "Your answer" not in shop.page("bea", f"/threads/{thread_id}").text  # no form on a closed thread


def test_settings_and_categories_refuse_bad_values_and_save_good_ones(
    shop: Community, runtime: Runtime, db: Database, store: StoreHandle, password_hash: str
) -> None:
    admin, csrf = _staff(runtime, db, store, "admin", password_hash)
    form = {
        "csrf_token": csrf,
        "points_accepted": "80",
        "points_helpful": "5",
        "points_question_answered": "15",
        "daily_points_cap": "300",
        "buyers_to_notify": "3",
        "posts_per_hour": "10",
        "new_member_posts_per_hour": "2",
        "new_member_days": "7",
        "helpful_milestones": "3, 10",
        "banned_words": "scam\ncheap knockoff",
    }
    refused = admin.post("/console/acme/community/settings", data={**form, "points_accepted": "-4"})
    assert refused.status_code == 422 and 'id="f-points_accepted-error"' in refused.text
    saved = admin.post("/console/acme/community/settings", data=form, follow_redirects=False)
    assert saved.status_code == 303
    page = admin.get("/console/acme/community/settings")
    assert 'value="80"' in page.text and "cheap knockoff" in page.text
    assert "/static/widget/community-qa.js" in page.text and "data-store=&#34;acme&#34;" in page.text
    banned = shop.api("ana", "POST", "/questions", json={"space": "discussions", "title": "Is this a scam?"})
    assert banned.status_code == 422 and "scam" in banned.json()["error"]["message"]

    nameless = admin.post("/console/acme/community/categories", data={"csrf_token": csrf, "name": ""})
    assert nameless.status_code == 422 and "Name" in nameless.text
    created = admin.post(
        "/console/acme/community/categories",
        data={"csrf_token": csrf, "name": "Trail tips"},
        follow_redirects=True,
    )
    assert created.status_code == 200 and "Trail tips" in created.text
    assert "Trail tips" in shop.page("ana", "/discussions").text


def test_events_with_rsvps_and_the_participation_panel(
    shop: Community, runtime: Runtime, db: Database, store: StoreHandle, password_hash: str, clock: FakeClock
) -> None:
    admin, csrf = _staff(runtime, db, store, "admin", password_hash)
    start = (clock.now() + timedelta(days=2)).strftime("%Y-%m-%d") + "T18:00"
    later = start[:-5] + "20:00"
    wrong = admin.post(
        "/console/acme/community/events",
        data={"csrf_token": csrf, "title": "Waxing workshop", "starts_at": "soon", "ends_at": later},
    )
    assert wrong.status_code == 422 and 'id="f-starts_at-error"' in wrong.text
    created = admin.post(
        "/console/acme/community/events",
        data={
            "csrf_token": csrf,
            "title": "Waxing workshop",
            "starts_at": start,
            "ends_at": later,
            "capacity": "2",
        },
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text[:400]
    events = shop.page("ana", "/events")
    event_id = int(re.search(r'data-event-id="(\d+)"', events.text).group(1))  # type: ignore[union-attr]
    going = shop.form("ana", f"/events/{event_id}/rsvp", going="yes")
    assert going.status_code == 303
    assert "You are going." in shop.page("ana", f"/threads/{event_id}").text
    listed = admin.get("/console/acme/community/events")
    assert re.search(r'data-testid="rsvps">1 of 2', listed.text)

    clock.advance(timedelta(hours=1))
    panel = admin.get("/console/acme/community/participation?days=30")
    assert panel.status_code == 200 and 'data-testid="participation-comparison"' in panel.text
    assert '"row">Took part</th><td>1</td>' in panel.text  # Ana, who said she goes
    assert '"row">Did not take part</th><td>2</td>' in panel.text  # Bea and Cleo
    chart = admin.get("/console/acme/community/participation.svg?days=30")
    assert chart.status_code == 200 and chart.headers["content-type"].startswith("image/svg+xml")
    assert "<script" not in chart.text and "Took part" in chart.text
