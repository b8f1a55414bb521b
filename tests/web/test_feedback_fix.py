"""Closing the loop over HTTP, as a browser and a store backend drive it: the fix form shows who will
be told and how many opted out (following the "from" date), marking fixed leads to the broadcast with
each recipient's message status, bad input comes back beside its input storing nothing, an agent may
not, and the API marks fixed and lists broadcasts."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from loyaldesk.feedback.models import LoopClosure, Theme
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from tests.factories import StoreHandle, csrf_of, login, make_api_key, make_staff
from tests.feedback.test_close_loop import opt_out, raised
from tests.feedback.test_detractors import make_customer, make_survey, make_theme


@pytest.fixture
def delivery(db: Database, store: StoreHandle, clock: FakeClock) -> int:
    """A theme three customers raised: ann (long ago), bob and cleo (who opted out of email)."""
    survey = make_survey(db, store)
    theme = make_theme(db, store, "delivery")
    ann, bob, cleo = (make_customer(db, store, name) for name in ("ann", "bob", "cleo"))
    raised(db, store, survey, ann, theme)
    clock.advance(timedelta(days=10))
    raised(db, store, survey, bob, theme)
    raised(db, store, survey, cleo, theme)
    opt_out(db, store, cleo)
    return theme


def manager(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str, role: str = "admin"
) -> str:
    login(client, make_staff(db, store, role, password_hash))
    return csrf_of(client.get("/console/account").text)


def closures(db: Database) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(LoopClosure)) or 0)


def test_the_form_says_who_will_be_told_and_marking_fixed_shows_the_broadcast(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str, delivery: int, clock: FakeClock
) -> None:
    csrf = manager(client, db, store, password_hash)
    url = f"/console/acme/feedback/themes/{delivery}/fix"
    page = client.get(url)
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert 'data-total="3" data-reached="2" data-opted-out="1"' in page.text
    assert "2 customers will be told; 1 opted out of email" in " ".join(re.sub(r"<[^>]+>", "", text).split())
    # From a date: only the two recent answers count.
    since = (clock.now() - timedelta(days=1)).date().isoformat()
    recent = client.get(url, params={"since": since})
    assert 'data-total="2" data-reached="1" data-opted-out="1"' in recent.text
    done = client.post(
        url,
        data={
            "csrf_token": csrf,
            "note": "Parcels now ship the same day.",
            "goodwill_points": "0",
            "since": "",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text[:500]
    broadcast = client.get(done.headers["location"])
    assert broadcast.status_code == 200
    shown = html.unescape(broadcast.text)
    assert "Parcels now ship the same day." in shown and "3 customers raised it" in shown
    assert shown.count('data-send-status="queued"') == 3  # journeys decides at delivery: cleo's is held then
    assert shown.count("opted out: it will not be sent") == 1
    listing = html.unescape(client.get("/console/acme/feedback/closures").text)
    assert "Delivery" in listing and "Parcels now ship the same day." in listing
    with db.read() as session:
        assert session.get(Theme, delivery).fixed_note == "Parcels now ship the same day."  # type: ignore[union-attr]


def test_bad_input_comes_back_beside_its_input_and_stores_nothing(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str, delivery: int
) -> None:
    csrf = manager(client, db, store, password_hash)
    url = f"/console/acme/feedback/themes/{delivery}/fix"
    empty = client.post(url, data={"csrf_token": csrf, "note": "", "goodwill_points": "0"})
    assert empty.status_code == 422 and 'aria-invalid="true"' in empty.text
    too_many = client.post(url, data={"csrf_token": csrf, "note": "Fixed", "goodwill_points": "50000"})
    assert too_many.status_code == 422 and "Fixed" in too_many.text  # what was typed is kept
    nobody = client.post(
        url, data={"csrf_token": csrf, "note": "Fixed", "goodwill_points": "0", "since": "2099-01-01"}
    )
    assert nobody.status_code == 422 and "no customer raised this" in nobody.text
    assert closures(db) == 0


def test_an_agent_sees_broadcasts_but_may_not_mark_fixed(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str, delivery: int
) -> None:
    csrf = manager(client, db, store, password_hash, role="agent")
    url = f"/console/acme/feedback/themes/{delivery}/fix"
    assert client.get(url).status_code == 403
    refused = client.post(url, data={"csrf_token": csrf, "note": "Fixed", "goodwill_points": "0"})
    assert refused.status_code == 403
    assert client.get("/console/acme/feedback/closures").status_code == 200
    assert closures(db) == 0


def test_the_api_marks_fixed_and_lists_broadcasts(
    client: TestClient, db: Database, store: StoreHandle, other_store: StoreHandle, delivery: int
) -> None:
    reader = make_api_key(db, store, ["feedback:read"])
    refused = client.post(f"/api/v1/feedback/themes/{delivery}/fixed", json={"note": "Fixed"}, headers=reader)
    assert refused.status_code == 403
    foreign = client.post(
        f"/api/v1/feedback/themes/{delivery}/fixed", json={"note": "Fixed"}, headers=other_store.auth
    )
    assert foreign.status_code == 404  # another store's theme: as if there were none
    bad = client.post(
        f"/api/v1/feedback/themes/{delivery}/fixed",
        json={"note": " ", "goodwill_points": -1},
        headers=store.auth,
    )
    assert bad.status_code == 422 and "note" in bad.text and "goodwill_points" in bad.text
    assert closures(db) == 0
    made = client.post(
        f"/api/v1/feedback/themes/{delivery}/fixed",
        json={"note": "Same-day shipping.", "goodwill_points": 10},
        headers=store.auth,
    )
    assert made.status_code == 201, made.text
    body = made.json()
    assert (body["recipient_count"], body["reached"], body["opted_out"]) == (3, 2, 1)
    listed = client.get("/api/v1/feedback/closures", headers=reader)
    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()["data"]] == [body["id"]]
    assert client.get("/api/v1/feedback/closures", headers=other_store.auth).json()["data"] == []
