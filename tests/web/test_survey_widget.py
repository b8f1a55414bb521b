"""Surveys in the chat widget, over HTTP as the widget's script calls them: a signed-in shopper's open
invitations, answering one, and everyone who must not: an anonymous visitor, another shopper (whose
invitation reads like a missing one), another store's ticket, a page the store did not allow."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from loyaldesk.runtime import Runtime
from loyaldesk.support.actions.contacts import identify_contact
from loyaldesk.support.actions.desk_settings import update_settings
from loyaldesk.support.widget_ticket import issue_ticket
from tests.factories import StoreHandle, table_counts
from tests.web.survey_fixtures import invitation_status, invite, make_customer, make_survey, response_of

TABLES = ("feedback_responses", "feedback_invitations")


def ticket_for(runtime: Runtime, db: Database, store: StoreHandle, customer_id: int | None) -> str:
    contact = db.write(identify_contact, store.id, customer_id=customer_id, visitor_token=None)
    return issue_ticket(runtime.secret_key, store.id, contact.contact_id)


def test_a_signed_in_shopper_sees_and_answers_their_survey(
    client: TestClient, runtime: Runtime, db: Database, store: StoreHandle
) -> None:
    customer = make_customer(db, store, locale="de")
    survey = make_survey(db, store)
    invitation, _token = invite(db, store, survey, customer, channel="widget")
    ticket = ticket_for(runtime, db, store, customer)
    pending = client.get("/widget-api/v1/acme/surveys/pending", params={"ticket": ticket, "language": "en"})
    assert pending.status_code == 200, pending.text
    [card] = pending.json()["surveys"]
    assert card["id"] == invitation and card["kind"] == "nps" and card["language"] == "en"
    assert card["questions"][0]["text"] == "How likely are you to recommend us?"
    assert card["visible"] == ["score", "comment"] and card["takes_answers"] is True
    url = f"/widget-api/v1/acme/surveys/{invitation}/answers"
    first = client.post(url, json={"ticket": ticket, "answers": {"score": 9}, "language": "en"})
    assert first.status_code == 200 and first.json()["status"] == "partial"
    assert client.get("/widget-api/v1/acme/surveys/pending", params={"ticket": ticket}).json()["surveys"][0][
        "answers"
    ] == {"score": 9}
    out_of_range = client.post(url, json={"ticket": ticket, "answers": {"liked": ["gold"]}})
    assert out_of_range.status_code == 422
    assert out_of_range.json()["error"]["fields"] == [
        {"field": "answers.liked", "reason": "must be a list of the question's options"}
    ]
    rest = client.post(url, json={"ticket": ticket, "answers": {"liked": ["price"], "comment": "Quick!"}})
    assert rest.status_code == 200 and rest.json()["status"] == "answered"
    response = response_of(db, invitation)
    assert response is not None and response.complete and response.channel == "widget"
    assert response.answers == {"score": 9, "liked": ["price"], "comment": "Quick!"}
    # Answered: no longer pending, and a second answer is refused with the reason, storing nothing.
    assert client.get("/widget-api/v1/acme/surveys/pending", params={"ticket": ticket}).json() == {
        "surveys": []
    }
    before = table_counts(db, *TABLES)
    twice = client.post(url, json={"ticket": ticket, "answers": {"score": 0}})
    assert twice.status_code == 409 and twice.json()["error"]["reason"] == "answered"
    assert table_counts(db, *TABLES) == before and response_of(db, invitation).score == 9  # type: ignore[union-attr]


def test_nobody_else_reaches_a_shoppers_survey(
    client: TestClient,
    runtime: Runtime,
    db: Database,
    store: StoreHandle,
    other_store: StoreHandle,
    clock: FakeClock,
) -> None:
    customer = make_customer(db, store, "mine")
    stranger = make_customer(db, store, "theirs")
    survey = make_survey(db, store)
    invitation, _token = invite(db, store, survey, customer)
    url = f"/widget-api/v1/acme/surveys/{invitation}/answers"
    anonymous = ticket_for(runtime, db, store, None)
    assert client.get("/widget-api/v1/acme/surveys/pending", params={"ticket": anonymous}).json() == {
        "surveys": []
    }
    someone_else = ticket_for(runtime, db, store, stranger)
    assert client.get("/widget-api/v1/acme/surveys/pending", params={"ticket": someone_else}).json() == {
        "surveys": []
    }
    missing = client.post(
        "/widget-api/v1/acme/surveys/999999/answers", json={"ticket": someone_else, "answers": {"score": 1}}
    )
    theirs = client.post(url, json={"ticket": someone_else, "answers": {"score": 1}})
    assert theirs.status_code == missing.status_code == 404 and theirs.json() == missing.json()
    assert client.post(url, json={"ticket": anonymous, "answers": {"score": 1}}).status_code == 404
    foreign_contact = db.write(identify_contact, other_store.id, customer_id=None, visitor_token=None)
    foreign = issue_ticket(runtime.secret_key, other_store.id, foreign_contact.contact_id)
    assert client.post(url, json={"ticket": foreign, "answers": {"score": 1}}).status_code == 401
    assert client.post(url, json={"ticket": "forged", "answers": {"score": 1}}).status_code == 401
    assert response_of(db, invitation) is None and invitation_status(db, invitation) == "asked"
    # An expired invitation is not offered, and answering it says why.
    mine = ticket_for(runtime, db, store, customer)
    clock.advance(timedelta(days=31))
    assert client.get("/widget-api/v1/acme/surveys/pending", params={"ticket": mine}).json() == {
        "surveys": []
    }
    late = client.post(url, json={"ticket": mine, "answers": {"score": 1}})
    assert late.status_code == 409 and late.json()["error"]["reason"] == "expired"
    assert response_of(db, invitation) is None


def test_the_widget_on_another_origin(
    client: TestClient, runtime: Runtime, db: Database, store: StoreHandle
) -> None:
    """The store's own site (another origin) calls with CORS; a page it did not allow is refused."""
    db.write(update_settings, store.actor, store.id, {"widget_allowed_origins": ["https://shop.example"]})
    customer = make_customer(db, store)
    invitation, _token = invite(db, store, make_survey(db, store), customer)
    ticket = ticket_for(runtime, db, store, customer)
    url = f"/widget-api/v1/acme/surveys/{invitation}/answers"
    preflight = client.options(
        url,
        headers={
            "Origin": "https://shop.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Content-Type",
        },
    )
    assert preflight.status_code == 200 and preflight.headers["access-control-allow-origin"] == "*"
    allowed = client.get(
        "/widget-api/v1/acme/surveys/pending",
        params={"ticket": ticket},
        headers={"Origin": "https://shop.example"},
    )
    assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == "*"
    assert [item["id"] for item in allowed.json()["surveys"]] == [invitation]
    refused = client.post(
        url, json={"ticket": ticket, "answers": {"score": 9}}, headers={"Origin": "https://evil.example"}
    )
    assert refused.status_code == 403 and "evil.example" in refused.json()["error"]["message"]
    assert response_of(db, invitation) is None
    answered = client.post(
        url, json={"ticket": ticket, "answers": {"score": 9}}, headers={"Origin": "https://shop.example"}
    )
    assert answered.status_code == 200 and response_of(db, invitation).score == 9  # type: ignore[union-attr]
