"""The feedback settings page, as a browser drives it (session cookie, CSRF, form): a manager changes the
throttle and the detractors' team; a refused value comes back beside its input and nothing changes; an
agent may look but not save."""

from __future__ import annotations

import html

from fastapi.testclient import TestClient

from loyaldesk.feedback import feedback_settings
from loyaldesk.kernel.db import Database
from loyaldesk.support import save_team
from tests.factories import StoreHandle, csrf_of, login, make_staff

PAGE = "/console/acme/feedback/settings"


def _settings(db: Database, store: StoreHandle):  # type: ignore[no-untyped-def]
    with db.read() as session:
        return feedback_settings(session, store.id)


def _form(**changes: str) -> dict[str, str]:
    values = {
        "throttle_days": "30",
        "invitation_days": "30",
        "detractor_conversations": "on",
        "detractor_sla_hours": "48",
        "detractor_team": "",
        "recovery_survey": "on",
        "team_min_answers": "5",
        "pulse_min_answers": "5",
    }
    return {**values, **changes}


def test_a_manager_sets_the_throttle_and_the_detractors_team(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    team = db.write(lambda uow: save_team(uow, store.actor, store.id, name="Recovery"))
    login(client, make_staff(db, store, "admin", password_hash))
    page = client.get(PAGE)
    assert page.status_code == 200
    assert "Ask a customer for feedback at most once in this many days" in html.unescape(page.text)
    csrf = csrf_of(page.text)
    saved = client.post(
        PAGE,
        data=_form(csrf_token=csrf, throttle_days="14", detractor_team=str(team.id)),
        follow_redirects=False,
    )
    assert saved.status_code == 303
    settings = _settings(db, store)
    assert settings.throttle_days == 14 and settings.detractor_team_id == team.id

    refused = client.post(PAGE, data=_form(csrf_token=csrf, throttle_days="-3"))
    assert refused.status_code == 422
    assert 'aria-invalid="true"' in refused.text and 'value="-3"' in refused.text
    assert _settings(db, store).throttle_days == 14


def test_an_agent_may_look_but_not_save(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    login(client, make_staff(db, store, "agent", password_hash))
    page = client.get(PAGE)
    assert page.status_code == 200 and "Save settings" not in page.text
    denied = client.post(PAGE, data=_form(csrf_token=csrf_of(page.text), throttle_days="1"))
    assert denied.status_code == 403
    assert _settings(db, store).throttle_days == 30


def test_a_surveys_asking_rule_does_not_break_the_journeys_pages(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    from sqlalchemy import select

    from loyaldesk.feedback import Survey, SurveyStatus, set_survey_status

    with db.read() as session:
        survey_id = session.scalar(select(Survey.id).where(Survey.builtin_key == "csat-delivery"))
    db.write(set_survey_status, store.actor, store.id, survey_id, SurveyStatus.ACTIVE)
    login(client, make_staff(db, store, "admin", password_hash))
    for page in ("/console/acme/journeys", "/console/acme/journeys/calendar"):
        response = client.get(page)
        assert response.status_code == 200, page
    listed = client.get("/api/v1/journeys", headers=store.auth).json()["data"]
    assert any(rule["purpose"] == "survey" and rule["category"] == "feedback" for rule in listed)
