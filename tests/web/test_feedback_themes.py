"""The feedback themes page, an answer's themes corrected through the console (which retrains and changes
the next prediction), and the themes API, driven over HTTP."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import delete, select

from loyaldesk.feedback.models import ResponseTheme, Theme
from loyaldesk.feedback.themes import jobs as theme_jobs
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from loyaldesk.support import save_team
from tests.factories import StoreHandle, csrf_of, login, make_api_key, make_staff, table_counts
from tests.feedback.test_themes import answer, theme_id, theme_keys_of

GIFT_COMMENTS = [
    "Please offer gift wrapping for presents.",
    "The gift wrap option was lovely, ribbon and a card.",
    "I wanted it gift wrapped but there was no option to add wrapping.",
    "Gift wrapping paper was torn and the bow was missing.",
    "Could you wrap gifts for Christmas? I'd pay for gift wrap.",
]


def as_role(client: TestClient, db: Database, store: StoreHandle, role: str, password_hash: str) -> str:
    login(client, make_staff(db, store, role, password_hash))
    return csrf_of(client.get("/console/account").text)


def test_agent_reads_the_page_and_corrects_an_answer_which_retrains_the_model(
    client: TestClient, db: Database, store: StoreHandle, clock: FakeClock, password_hash: str
) -> None:
    # A manager makes a theme of the store's own, from the page.
    manager = TestClient(client.app, base_url="https://testserver")
    manager_csrf = as_role(manager, db, store, "admin", password_hash)
    made = manager.post(
        "/console/acme/feedback/themes",
        data={"name": "Gift wrap", "description": "Wrapping presents", "csrf_token": manager_csrf},
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    gift = theme_id(db, store.id, "gift_wrap")
    ids = [answer(db, store.id, text, customer=f"g-{i}") for i, text in enumerate(GIFT_COMMENTS)]
    assert all("gift_wrap" not in theme_keys_of(db, response_id) for response_id in ids)

    csrf = as_role(client, db, store, "agent", password_hash)
    page = client.get("/console/acme/feedback/themes")
    assert page.status_code == 200
    assert "Gift wrap" in page.text and "mark 5 more answers with it (0 so far)" in page.text
    assert "Retrain now" not in page.text and 'action="/console/acme/feedback/themes"' not in page.text
    assert f'href="/console/acme/feedback/themes/{gift}/fix"' in page.text
    assert "The built-in model tags your comments" in page.text

    for response_id in ids:
        corrected = client.post(
            f"/console/acme/feedback/responses/{response_id}/themes",
            data={"theme_id": [str(gift)], "csrf_token": csrf},
            follow_redirects=False,
        )
        assert corrected.status_code == 303, corrected.text
        assert corrected.headers["location"] == f"/console/acme/feedback/responses/{response_id}?done=themes"
        assert theme_keys_of(db, response_id) == {"gift_wrap": "agent"}
    assert theme_jobs.run_due_theme_training(db) == 0  # one training, a minute after the first correction
    clock.advance(timedelta(seconds=61))
    assert theme_jobs.run_due_theme_training(db) == 1

    page = client.get("/console/acme/feedback/themes")
    assert "Version 1, trained" in page.text and "mark 5 more" not in page.text
    fresh = answer(db, store.id, "Do you do gift wrapping? I want it wrapped as a present.", customer="g-new")
    assert "gift_wrap" in theme_keys_of(db, fresh)
    chart = client.get("/console/acme/feedback/themes/counts.svg")
    assert chart.status_code == 200 and "Gift wrap" in chart.text and "<script" not in chart.text


def test_a_bad_correction_changes_nothing(
    client: TestClient, db: Database, store: StoreHandle, other_store: StoreHandle, password_hash: str
) -> None:
    response_id = answer(db, store.id, "My parcel arrived ten days late.")
    before = table_counts(db, "feedback_response_themes", "feedback_theme_models")
    csrf = as_role(client, db, store, "agent", password_hash)
    foreign = theme_id(db, other_store.id, "payment")
    for values in (["abc"], [str(foreign)], ["99999999"]):
        refused = client.post(
            f"/console/acme/feedback/responses/{response_id}/themes",
            data={"theme_id": values, "csrf_token": csrf},
            follow_redirects=False,
        )
        assert refused.status_code == 422, refused.text
        assert "theme_id" in refused.text or "not themes of this store" in refused.text
    missing = client.post(
        "/console/acme/feedback/responses/999999/themes", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert missing.status_code == 404
    assert table_counts(db, "feedback_response_themes", "feedback_theme_models") == before
    assert theme_keys_of(db, response_id) == {"delivery": "model"}


def test_manager_sets_the_owning_team_switches_a_theme_off_and_retrains(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    team = db.write(save_team, store.actor, store.id, name="Logistics").id
    csrf = as_role(client, db, store, "owner", password_hash)
    delivery = theme_id(db, store.id, "delivery")
    page = client.get("/console/acme/feedback/themes")
    assert f'id="f-t{delivery}-owner_team_id"' in page.text and ">Logistics</option>" in page.text
    saved = client.post(
        f"/console/acme/feedback/themes/{delivery}/edit",
        data={"owner_team_id": str(team), "csrf_token": csrf},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    with db.read() as session:
        row = session.get(Theme, delivery)
        assert row is not None and row.owner_team_id == team and row.enabled is False
    duplicate = client.post(
        "/console/acme/feedback/themes", data={"name": "delivery", "csrf_token": csrf}, follow_redirects=False
    )
    assert duplicate.status_code == 409 and "already" in duplicate.text
    retrain = client.post(
        "/console/acme/feedback/themes/retrain", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert retrain.status_code == 303
    assert "A retraining is due" in client.get("/console/acme/feedback/themes?done=retrain").text


def test_themes_api(client: TestClient, db: Database, store: StoreHandle, other_store: StoreHandle) -> None:
    response_id = answer(db, store.id, "My parcel arrived ten days late.")
    listed = client.get("/api/v1/feedback/themes", headers=store.auth)
    assert listed.status_code == 200
    by_key = {theme["key"]: theme for theme in listed.json()}
    assert by_key["delivery"]["answers_30_days"] == 1 and by_key["delivery"]["f1"] > 0.5
    made = client.post("/api/v1/feedback/themes", json={"name": "Gift wrap"}, headers=store.auth)
    assert made.status_code == 201 and made.json()["key"] == "gift_wrap" and made.json()["labels_needed"] == 5
    bad = client.post("/api/v1/feedback/themes", json={"name": ""}, headers=store.auth)
    assert bad.status_code == 422
    changed = client.patch(
        f"/api/v1/feedback/themes/{made.json()['id']}", json={"enabled": False}, headers=store.auth
    )
    assert changed.status_code == 200 and changed.json()["enabled"] is False
    team = client.patch(
        f"/api/v1/feedback/themes/{made.json()['id']}", json={"owner_team_id": 12345}, headers=store.auth
    )
    assert team.status_code == 422 and "owner_team_id" in team.text
    payment = by_key["payment"]["id"]
    put = client.put(
        f"/api/v1/feedback/responses/{response_id}/themes", json={"theme_ids": [payment]}, headers=store.auth
    )
    assert put.status_code == 200 and put.json() == {"response_id": response_id, "theme_ids": [payment]}
    with db.read() as session:
        rows = {
            row.theme_id: (row.source, row.present)
            for row in session.scalars(select(ResponseTheme).where(ResponseTheme.response_id == response_id))
        }
    assert rows == {payment: ("agent", True), by_key["delivery"]["id"]: ("agent", False)}
    foreign = client.put(
        f"/api/v1/feedback/responses/{response_id}/themes", json={"theme_ids": []}, headers=other_store.auth
    )
    assert foreign.status_code == 404
    reader = make_api_key(db, store, ["feedback:read"])
    denied = client.put(
        f"/api/v1/feedback/responses/{response_id}/themes", json={"theme_ids": []}, headers=reader
    )
    assert denied.status_code == 403
    assert theme_keys_of(db, response_id) == {"payment": "agent"}


def test_a_suggested_theme_is_created_from_the_page(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    for index, text in enumerate(
        [
            "Would love an engraving service for the watches.",
            "Can you add an engraving service? My initials on the lid would be perfect.",
            "The engraving service you offered last year was great, bring it back.",
        ]
    ):
        answer(db, store.id, text, customer=f"e-{index}")
    csrf = as_role(client, db, store, "admin", password_hash)
    page = client.get("/console/acme/feedback/themes")
    assert "“engraving service”</strong> in 3 comments" in page.text
    assert "<q>Would love an engraving service for the watches.</q>" in page.text
    assert '<input type="hidden" name="name" value="Engraving service">' in page.text
    created = client.post(
        "/console/acme/feedback/themes",
        data={"name": "Engraving service", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert created.status_code == 303
    page = client.get(created.headers["location"])
    assert "Theme created." in page.text and "No suggestion: recent comments fit your themes." in page.text
    with db.read() as session:
        made = session.scalar(
            select(Theme).where(Theme.store_id == store.id, Theme.key == "engraving_service")
        )
    assert made is not None and made.builtin is False


def test_a_store_made_before_themes_gets_them_when_its_page_or_list_is_first_read(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    db.write(lambda uow: uow.session.execute(delete(Theme).where(Theme.store_id == store.id)))
    as_role(client, db, store, "analyst", password_hash)
    page = client.get("/console/acme/feedback/themes")
    assert page.status_code == 200 and "Damaged item" in page.text and "Retrain now" not in page.text
    assert len(client.get("/api/v1/feedback/themes", headers=store.auth).json()) == 13
