"""The store's backend builds surveys and asks customers through the API; what cannot work is refused
with the reason and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from loyaldesk.feedback import SurveyInvitation, SurveyResponse, invitation_by_token, submit_answers
from loyaldesk.kernel.db import Database
from loyaldesk.kernel.errors import Conflict, Invalid, NotFound
from tests.factories import StoreHandle, make_store

QUESTIONS = [
    {"id": "score", "type": "scale", "min": 1, "max": 5, "text": {"en": "How was it?", "de": "Wie war es?"}},
    {"id": "why", "type": "text", "required": False, "text": {"en": "Why?", "de": "Warum?"}},
    {
        "id": "fix",
        "type": "multiple",
        "text": {"en": "What went wrong?"},
        "options": ["Late", "Broken", "Wrong size"],
        "show_if": {"question": "score", "op": "lte", "value": 2},
    },
]


def _count(db: Database, model: Any) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _customer(client: TestClient, store: StoreHandle, external_id: str = "c-1") -> int:
    response = client.post(
        "/api/v1/customers",
        headers=store.auth,
        json={"external_id": external_id, "email": f"{external_id}@example.com", "first_name": "Emma"},
    )
    assert response.status_code in (200, 201), response.text
    return int(response.json()["id"])


def _active_survey(client: TestClient, store: StoreHandle) -> int:
    made = client.post(
        "/api/v1/surveys",
        headers=store.auth,
        json={
            "name": "After the fitting",
            "kind": "custom",
            "languages": ["en", "de"],
            "questions": QUESTIONS,
        },
    )
    assert made.status_code == 201, made.text
    survey_id = int(made.json()["id"])
    on = client.post(f"/api/v1/surveys/{survey_id}/status", headers=store.auth, json={"status": "active"})
    assert on.status_code == 200 and on.json()["status"] == "active"
    return survey_id


@pytest.mark.parametrize(
    ("questions", "field"),
    [
        ([], "questions"),
        ([{"type": "scale", "min": 5, "max": 1, "text": {"en": "?"}}], "questions[0].min"),
        ([{"type": "single", "text": {"en": "?"}, "options": ["only one"]}], "questions[0].options"),
        ([{"type": "nps", "text": {"fr": "?"}}], "questions[0].text"),
        (
            [{"type": "text", "text": {"en": "?"}, "show_if": {"question": "later", "op": "eq", "value": 1}}],
            "questions[0].show_if.question",
        ),
    ],
)
def test_a_survey_that_cannot_work_is_refused_naming_the_part(
    client: TestClient, db: Database, store: StoreHandle, questions: list[Any], field: str
) -> None:
    from loyaldesk.feedback import Survey

    before = _count(db, Survey)
    response = client.post(
        "/api/v1/surveys", headers=store.auth, json={"name": "Bad", "kind": "custom", "questions": questions}
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == field
    assert _count(db, Survey) == before


def test_an_nps_survey_must_start_with_its_score_question(client: TestClient, store: StoreHandle) -> None:
    response = client.post(
        "/api/v1/surveys",
        headers=store.auth,
        json={"name": "NPS", "kind": "nps", "questions": [{"type": "text", "text": {"en": "Hi?"}}]},
    )
    assert response.status_code == 422 and "score question" in response.text


def test_the_api_asks_once_within_the_throttle_and_says_why_not(
    client: TestClient, db: Database, store: StoreHandle
) -> None:
    survey_id = _active_survey(client, store)
    customer_id = _customer(client, store)
    asked = client.post(
        f"/api/v1/surveys/{survey_id}/invitations",
        headers=store.auth,
        json={"customer_id": customer_id, "channel": "api"},
    )
    assert asked.status_code == 201, asked.text
    assert asked.json()["url"].endswith(f"/s/{store.slug}/{asked.json()['token']}")
    again = client.post(
        f"/api/v1/surveys/{survey_id}/invitations",
        headers=store.auth,
        json={"customer_external_id": "c-1", "channel": "widget"},
    )
    assert again.status_code == 409 and "asked for feedback recently" in again.json()["error"]["message"]
    assert _count(db, SurveyInvitation) == 1
    nobody = client.post(
        f"/api/v1/surveys/{survey_id}/invitations",
        headers=store.auth,
        json={"customer_external_id": "nobody"},
    )
    assert nobody.status_code == 404


def test_answers_are_refused_with_the_reason_and_nothing_is_stored(
    client: TestClient, db: Database, store: StoreHandle
) -> None:
    survey_id = _active_survey(client, store)
    customer_id = _customer(client, store)
    token = client.post(
        f"/api/v1/surveys/{survey_id}/invitations", headers=store.auth, json={"customer_id": customer_id}
    ).json()["token"]

    def answer(answers: dict[str, Any], store_id: int = store.id) -> Any:
        def write(uow: Any) -> Any:
            return submit_answers(uow, invitation_by_token(uow, store_id, token), answers, language="de")

        return db.write(write)

    with pytest.raises(Invalid) as out_of_range:
        answer({"score": 9})
    assert out_of_range.value.problems[0].field == "answers.score"
    with pytest.raises(Invalid) as unknown:
        answer({"colour": "blue"})
    assert "not a question of this survey" in unknown.value.problems[0].reason
    rival = make_store(db, "rival")
    with pytest.raises(NotFound):
        answer({"score": 2}, store_id=rival.id)  # another store's token reads like none
    assert _count(db, SurveyResponse) == 0

    partial = answer({"score": 2})  # a detractor: the conditional question now applies
    assert partial.complete is False and partial.bucket == "detractor" and partial.language == "de"
    done = answer({"why": "Late twice", "fix": ["o1", "o2"]})
    assert done.complete is True and done.answers == {"score": 2, "why": "Late twice", "fix": ["o1", "o2"]}
    assert done.comment == "Late twice"
    with pytest.raises(Conflict, match="already answered"):
        answer({"score": 5})
    client.post(f"/api/v1/surveys/{survey_id}/status", headers=store.auth, json={"status": "closed"})
    with pytest.raises(Conflict, match="closed"):
        answer({"score": 5})
    with db.read() as session:
        stored = session.scalars(select(SurveyResponse)).one()
        assert stored.score == 2 and stored.customer_id == customer_id


def test_a_customers_answers_are_in_their_export_and_their_words_go_with_their_erasure(
    client: TestClient, db: Database, store: StoreHandle
) -> None:
    survey_id = _active_survey(client, store)
    customer_id = _customer(client, store, "c-erase")
    token = client.post(
        f"/api/v1/surveys/{survey_id}/invitations", headers=store.auth, json={"customer_id": customer_id}
    ).json()["token"]
    db.write(
        lambda uow: submit_answers(
            uow, invitation_by_token(uow, store.id, token), {"score": 4, "why": "My own words"}
        )
    )
    export = client.get(f"/api/v1/customers/{customer_id}/export", headers=store.auth)
    assert export.status_code == 200
    assert export.json()["feedback"]["answers"][0]["answers"]["why"] == "My own words"
    erased = client.post(f"/api/v1/customers/{customer_id}/erase", headers=store.auth)
    assert erased.status_code in (200, 202, 204), erased.text
    with db.read() as session:
        response = session.scalars(select(SurveyResponse)).one()
        assert response.customer_id is None and response.comment is None
        assert response.answers == {"score": 4} and response.score == 4  # the count stays, the words go


def test_the_customers_timeline_says_they_were_asked_and_what_they_answered(
    client: TestClient, db: Database, store: StoreHandle
) -> None:
    from loyaldesk.kernel.dispatcher import dispatch_until_idle

    survey_id = _active_survey(client, store)
    customer_id = _customer(client, store, "c-timeline")
    token = client.post(
        f"/api/v1/surveys/{survey_id}/invitations", headers=store.auth, json={"customer_id": customer_id}
    ).json()["token"]
    db.write(lambda uow: submit_answers(uow, invitation_by_token(uow, store.id, token), {"score": 5}))
    dispatch_until_idle(db)
    timeline = client.get(f"/api/v1/customers/{customer_id}/timeline", headers=store.auth)
    assert timeline.status_code == 200, timeline.text
    titles = [entry["title"] for entry in timeline.json()["data"]]
    assert "Asked for feedback: Custom survey" in titles
    assert "Started answering Custom survey" in titles or "Answered Custom survey" in titles


def test_a_one_click_score_completes_the_answer_and_the_comment_can_still_follow(
    client: TestClient, db: Database, store: StoreHandle
) -> None:
    survey_id = _active_survey(client, store)
    customer_id = _customer(client, store, "c-click")
    token = client.post(
        f"/api/v1/surveys/{survey_id}/invitations", headers=store.auth, json={"customer_id": customer_id}
    ).json()["token"]

    def answer(answers: dict[str, Any]) -> Any:
        return db.write(lambda uow: submit_answers(uow, invitation_by_token(uow, store.id, token), answers))

    assert answer({"score": 5}).complete is True  # the email's click: the only required question
    later = answer({"why": "Quick and friendly"})
    assert later.complete is True and later.comment == "Quick and friendly"
    with pytest.raises(Conflict, match="already answered"):
        answer({"why": "Changed my mind"})


def test_a_list_for_a_single_choice_is_refused_not_a_crash() -> None:
    from loyaldesk.feedback.rules.questions import check_answers, validate_questions

    questions = validate_questions(
        [{"id": "pick", "type": "single", "text": {"en": "?"}, "options": ["a", "b"]}], ["en"]
    )
    _, problems = check_answers(questions, {"pick": ["o1"]})
    assert problems and problems[0].question == "pick"
    _, problems = check_answers(questions, {"pick": {"x": 1}})
    assert problems
