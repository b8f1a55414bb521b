"""The survey page a customer reaches from an invitation (``/s/{store}/{token}``) and its JSON API
(``/survey-api/v1/{store}/{token}``), driven over HTTP as a browser or a store's site would: the language
and colours, the email's answer link (GET writes nothing), partial answers, conditions without scripts,
and every refusal with its reason, storing nothing."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import update

from loyaldesk.feedback import Survey
from loyaldesk.journeys import update_messaging_settings
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database, UnitOfWork
from loyaldesk.web.member.survey_view import contrast, theme_css
from tests.factories import StoreHandle, table_counts
from tests.web.survey_fixtures import (
    invitation_status,
    invite,
    make_customer,
    make_survey,
    response_of,
)

TABLES = ("feedback_responses", "feedback_invitations")


def form_token(html: str) -> str:
    match = re.search(r'name="form_token" value="([^"]+)"', html)
    assert match, html[:500]
    return match.group(1)


def shown(html: str, question: str) -> bool:
    """The question's block is on the page and not hidden."""
    match = re.search(rf'<div class="survey-question[^"]*" id="question-{question}"[^>]*>', html)
    assert match, f"no question {question}"
    return " hidden" not in match.group(0)


def opened(db: Database, store: StoreHandle, locale: str | None = None) -> tuple[int, str]:
    survey = make_survey(db, store)
    return invite(db, store, survey, make_customer(db, store, locale=locale))


def test_the_page_speaks_the_customers_language_and_shows_what_applies(
    client: TestClient, db: Database, store: StoreHandle
) -> None:
    _id, token = opened(db, store)
    page = client.get(f"/s/acme/{token}")
    assert page.status_code == 200
    assert "How likely are you to recommend us?" in page.text
    assert '<html lang="en">' in page.text
    assert shown(page.text, "score") and shown(page.text, "comment")
    assert not shown(page.text, "why_low") and not shown(page.text, "liked")  # conditions not met yet
    assert "<fieldset" in page.text and "<legend>" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    german = client.get(f"/s/acme/{token}?lang=de")
    assert "Wie wahrscheinlich empfehlen Sie uns?" in german.text and '<html lang="de">' in german.text
    assert "Antworten senden" in german.text or "Send my answers" not in german.text
    # A language the survey does not have falls back to the customer's, then the survey's first.
    assert "How likely" in client.get(f"/s/acme/{token}?lang=fr").text
    _id2, token2 = opened(db, store, locale="de-AT")
    assert "Wie wahrscheinlich" in client.get(f"/s/acme/{token2}").text


def test_the_emails_link_chooses_the_answer_and_the_get_writes_nothing(
    client: TestClient, db: Database, store: StoreHandle
) -> None:
    invitation, token = opened(db, store)
    before = table_counts(db, *TABLES)
    page = client.get(f"/s/acme/{token}?a=9")
    assert page.status_code == 200
    assert 'data-record="score"' in page.text
    assert re.search(r'value="9" checked', page.text)
    assert "Confirm my answer" in page.text  # the <noscript> way to record it
    assert table_counts(db, *TABLES) == before and response_of(db, invitation) is None
    # The page's script records it through the API (what a browser does next).
    saved = client.post(f"/survey-api/v1/acme/{token}/answers", json={"answers": {"score": 9}})
    assert saved.status_code == 200 and saved.json()["status"] == "partial"
    assert set(saved.json()["visible"]) == {"score", "liked", "comment"}
    # Opened again, the link records nothing new: 9 is already the answer.
    again = client.get(f"/s/acme/{token}?a=9")
    assert "data-record=" not in again.text and re.search(r'value="9" checked', again.text)


def test_an_answer_out_of_range_in_the_link_is_shown_and_not_kept(
    client: TestClient, db: Database, store: StoreHandle
) -> None:
    invitation, token = opened(db, store)
    page = client.get(f"/s/acme/{token}?a=42")
    assert page.status_code == 422
    assert 'role="alert"' in page.text and "Choose a number from 0 to 10." in page.text
    assert "data-record=" not in page.text and response_of(db, invitation) is None


def test_without_scripts_each_step_saves_and_the_next_questions_appear(
    client: TestClient, db: Database, store: StoreHandle
) -> None:
    invitation, token = opened(db, store)
    page = client.get(f"/s/acme/{token}?a=3")
    confirmed = client.post(
        f"/s/acme/{token}", data={"form_token": form_token(page.text), "q_score": "3", "action": "save"}
    )
    assert confirmed.status_code == 200, confirmed.text[:500]
    assert shown(confirmed.text, "why_low") and not shown(confirmed.text, "liked")
    assert "Your answers are saved" in confirmed.text
    response = response_of(db, invitation)
    assert response is not None and response.score == 3 and not response.complete
    assert invitation_status(db, invitation) == "partial"
    # "Send" with a required question unanswered names it, and keeps what was given.
    missing = client.post(
        f"/s/acme/{token}",
        data={"form_token": form_token(confirmed.text), "q_comment": "slow", "action": "submit"},
    )
    assert missing.status_code == 422
    assert '<a href="#question-why_low">What went wrong?: Choose one of the answers.</a>' in missing.text
    assert response_of(db, invitation).comment == "slow"  # type: ignore[union-attr]
    done = client.post(
        f"/s/acme/{token}",
        data={"form_token": form_token(missing.text), "q_why_low": "delivery", "action": "submit"},
    )
    assert done.status_code == 200 and "Thank you!" in done.text
    final = response_of(db, invitation)
    assert (
        final is not None
        and final.complete
        and final.answers
        == {
            "score": 3,
            "why_low": "delivery",
            "comment": "slow",
        }
    )
    assert final.bucket == "detractor"


def test_answering_twice_says_thank_you_and_stores_nothing(
    client: TestClient, db: Database, store: StoreHandle
) -> None:
    invitation, token = opened(db, store)
    page = client.get(f"/s/acme/{token}")
    answers = {"q_score": "10", "q_liked": ["price", "speed"], "action": "submit"}
    done = client.post(f"/s/acme/{token}", data={"form_token": form_token(page.text), **answers})
    assert done.status_code == 200 and "Thank you!" in done.text
    first = response_of(db, invitation)
    assert first is not None and first.complete and first.answers["liked"] == ["price", "speed"]
    before = table_counts(db, *TABLES)
    again = client.get(f"/s/acme/{token}")
    assert again.status_code == 200 and "You have already answered this survey. Thank you!" in again.text
    second = client.post(
        f"/s/acme/{token}", data={"form_token": form_token(page.text), "q_score": "0", "action": "submit"}
    )
    assert second.status_code == 200 and "Thank you" in second.text
    api = client.post(f"/survey-api/v1/acme/{token}/answers", json={"answers": {"score": 0}})
    assert api.status_code == 409 and api.json()["error"]["reason"] == "answered"
    assert table_counts(db, *TABLES) == before
    assert response_of(db, invitation).answers == first.answers  # type: ignore[union-attr]


def test_a_closed_survey_and_an_expired_invitation_say_why(
    client: TestClient, db: Database, store: StoreHandle, clock: FakeClock
) -> None:
    invitation, token = opened(db, store)
    page = client.get(f"/s/acme/{token}")
    clock.advance(timedelta(days=31))
    expired = client.get(f"/s/acme/{token}")
    assert expired.status_code == 409 and "This survey has expired" in expired.text
    posted = client.post(f"/s/acme/{token}", data={"form_token": form_token(page.text), "q_score": "9"})
    assert posted.status_code == 409 and "expired" in posted.text
    api = client.post(f"/survey-api/v1/acme/{token}/answers", json={"answers": {"score": 9}})
    assert api.status_code == 409 and api.json()["error"]["reason"] == "expired"
    assert response_of(db, invitation) is None

    invitation, token = opened(db, store)
    db.write(lambda uow: uow.session.execute(update(Survey).values(status="closed")))
    closed = client.get(f"/s/acme/{token}?lang=de")
    assert closed.status_code == 409 and "Diese Umfrage ist geschlossen" in closed.text
    api = client.post(f"/survey-api/v1/acme/{token}/answers", json={"answers": {"score": 9}})
    assert api.status_code == 409 and api.json()["error"]["reason"] == "closed"
    assert client.get(f"/survey-api/v1/acme/{token}").json()["reason"] == "closed"
    assert response_of(db, invitation) is None


def test_another_stores_token_reads_like_none(
    client: TestClient, db: Database, store: StoreHandle, other_store: StoreHandle
) -> None:
    invitation, token = opened(db, store)
    unknown = client.get("/s/acme/not-a-token-at-all")
    foreign = client.get(f"/s/globex/{token}")
    assert unknown.status_code == foreign.status_code == 404
    assert unknown.text == foreign.text
    page = client.get(f"/s/acme/{token}")
    posted = client.post(f"/s/globex/{token}", data={"form_token": form_token(page.text), "q_score": "9"})
    assert posted.status_code == 404
    for url in (f"/survey-api/v1/globex/{token}", "/survey-api/v1/acme/nope"):
        assert client.get(url).status_code == 404
        assert client.post(url + "/answers", json={"answers": {"score": 9}}).status_code == 404
    assert response_of(db, invitation) is None


def test_a_post_that_did_not_come_from_the_page_is_refused(
    client: TestClient, db: Database, store: StoreHandle
) -> None:
    invitation, token = opened(db, store)
    page = client.get(f"/s/acme/{token}")
    no_token = client.post(f"/s/acme/{token}", data={"q_score": "9"})
    assert no_token.status_code == 403 and "out of date" in no_token.text
    other_page = client.post(
        f"/s/acme/{token}",
        data={"form_token": form_token(page.text), "q_score": "9"},
        headers={"Origin": "https://evil.example"},
    )
    assert other_page.status_code == 403
    assert response_of(db, invitation) is None
    same_origin = client.post(
        f"/s/acme/{token}",
        data={"form_token": form_token(page.text), "q_score": "9"},
        headers={"Origin": "https://testserver"},
    )
    assert same_origin.status_code == 200


def test_an_answer_out_of_range_on_the_page_is_refused_beside_its_question(
    client: TestClient, db: Database, store: StoreHandle
) -> None:
    invitation, token = opened(db, store)
    page = client.get(f"/s/acme/{token}")
    refused = client.post(
        f"/s/acme/{token}",
        data={"form_token": form_token(page.text), "q_score": "11", "q_comment": "hi", "action": "submit"},
    )
    assert refused.status_code == 422
    assert '<p class="survey-error" id="err-score">Choose a number from 0 to 10.</p>' in refused.text
    assert 'aria-describedby="err-score"' in refused.text
    assert response_of(db, invitation) is None and invitation_status(db, invitation) == "asked"


def test_the_json_api_reads_and_answers_with_one_problem_per_question(
    client: TestClient, db: Database, store: StoreHandle
) -> None:
    invitation, token = opened(db, store)
    read = client.get(f"/survey-api/v1/acme/{token}?lang=de", headers={"Origin": "https://shop.example"})
    assert read.status_code == 200
    assert read.headers["access-control-allow-origin"] == "*"
    body = read.json()
    assert body["kind"] == "nps" and body["language"] == "de" and body["status"] == "asked"
    assert body["questions"][0]["text"] == "Wie wahrscheinlich empfehlen Sie uns?"
    assert body["questions"][1]["options"][0] == {"id": "delivery", "text": "Lieferung"}
    assert body["brand_color"] == "#1f5fbf" and body["answers"] == {}
    wrong = client.post(
        f"/survey-api/v1/acme/{token}/answers",
        json={"answers": {"score": 11, "liked": ["nothing"], "nope": 1}},
    )
    assert wrong.status_code == 422
    fields = {item["field"]: item["reason"] for item in wrong.json()["error"]["fields"]}
    assert fields == {
        "answers.score": "must be a whole number from 0 to 10",
        "answers.liked": "must be a list of the question's options",
        "answers.nope": "is not a question of this survey",
    }
    assert client.post(f"/survey-api/v1/acme/{token}/answers", content=b"{").status_code == 422
    assert response_of(db, invitation) is None
    partial = client.post(
        f"/survey-api/v1/acme/{token}/answers", json={"answers": {"score": 8}, "language": "de"}
    )
    assert partial.status_code == 200 and partial.json()["status"] == "partial"
    complete = client.post(f"/survey-api/v1/acme/{token}/answers", json={"answers": {"liked": ["speed"]}})
    assert complete.json() == {
        "status": "answered",
        "complete": True,
        "answers": {"score": 8, "liked": ["speed"]},
        "visible": ["score", "liked", "comment"],
    }
    response = response_of(db, invitation)
    assert response is not None and response.language == "de" and response.bucket == "passive"
    preflight = client.options(
        f"/survey-api/v1/acme/{token}/answers",
        headers={
            "Origin": "https://shop.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Content-Type",
        },
    )
    assert preflight.status_code == 200 and preflight.headers["access-control-allow-origin"] == "*"


def test_the_page_is_in_the_stores_colours_with_readable_contrast(
    client: TestClient, db: Database, store: StoreHandle
) -> None:
    def yellow(uow: UnitOfWork) -> None:
        update_messaging_settings(
            uow,
            store.actor,
            store.id,
            {"brand_color": "#ffd400", "logo_url": "https://shop.example/logo.png"},
        )

    db.write(yellow)
    _id, token = opened(db, store)
    page = client.get(f"/s/acme/{token}")
    assert 'href="/survey-theme/acme.css"' in page.text
    assert '<img class="survey-logo" src="https://shop.example/logo.png" alt="Acme">' in page.text
    css = client.get("/survey-theme/acme.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert "--brand: #ffd400; --on-brand: #111111;" in css.text
    readable = re.search(r"--brand-text: (#[0-9a-f]{6})", css.text)
    assert readable and contrast(readable.group(1), "#ffffff") >= 4.5
    for colour in ("#000000", "#ffffff", "#1f5fbf", "#00ff00", "#777777"):
        values = dict(re.findall(r"--([a-z-]+): (#[0-9a-f]{6})", theme_css(colour)))
        assert contrast(values["brand"], values["on-brand"]) >= 4.5 or colour == "#777777"
        assert contrast(values["brand-text"], "#ffffff") >= 4.5


def test_answers_of_no_shape_a_question_takes_are_refused(
    client: TestClient, db: Database, store: StoreHandle
) -> None:
    invitation, token = opened(db, store)
    for strange in ({"why_low": [1]}, {"score": {"a": 1}}, {"liked": [["price"]]}, {"score": 9.5}):
        refused = client.post(f"/survey-api/v1/acme/{token}/answers", json={"answers": strange})
        assert refused.status_code == 422, (strange, refused.text)
        assert refused.json()["error"]["fields"][0]["field"] == f"answers.{next(iter(strange))}"
    assert client.get(f"/survey-api/v1/acme/{'x' * 300}").status_code == 404
    assert client.get(f"/survey-api/v1/{'x' * 100}/{token}").status_code == 404
    assert response_of(db, invitation) is None
