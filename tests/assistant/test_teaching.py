"""A store teaches the assistant, over HTTP as its staff and its backend do: a manager creates an intent
and adds examples on the intents page, the retraining job trains the store's model in the background, the
page shows the accuracy per intent and the model recognises the taught phrasing; an agent labels a
customer's message in the inbox; a failed training keeps the previous model."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from loyaldesk.assistant.ports import read_intents
from loyaldesk.assistant.teaching import current_trainer, provide_trainer
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from tests.assistant.teaching_helpers import (
    FailingTrainer,
    customer_writes,
    run_retrain_job,
    use_small_trainer,
)
from tests.factories import StoreHandle, csrf_of, login, make_staff

GIFT_WRAP = [
    "can you gift wrap my order",
    "I would like gift wrapping please",
    "is gift wrapping available",
    "please wrap it as a present",
    "do you offer gift wrap for birthdays",
]


@pytest.fixture(autouse=True)
def small_trainer() -> None:
    use_small_trainer()


def _owner(client: TestClient, db: Database, store: StoreHandle, password_hash: str) -> str:
    login(client, make_staff(db, store, "owner", password_hash))
    return csrf_of(client.get(f"/console/{store.slug}/assistant/intents").text)


def _teach_gift_wrapping(client: TestClient, store: StoreHandle, csrf: str) -> None:
    base = f"/console/{store.slug}/assistant"
    created = client.post(
        f"{base}/custom-intents",
        data={
            "name": "gift_wrapping",
            "label": "Gift wrapping",
            "description": "Wrapping as a present.",
            "csrf_token": csrf,
        },
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text
    assert created.headers["location"].endswith("/assistant/intents/gift_wrapping?done=intent")
    for text in GIFT_WRAP:
        added = client.post(
            f"{base}/examples",
            data={"intent": "gift_wrapping", "text": text, "csrf_token": csrf},
            follow_redirects=False,
        )
        assert added.status_code == 303, added.text


def test_taught_examples_are_trained_in_the_background_and_recognised(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str, clock: FakeClock
):
    csrf = _owner(client, db, store, password_hash)
    _teach_gift_wrapping(client, store, csrf)
    page = client.get(f"/console/{store.slug}/assistant/intents").text
    assert "Gift wrapping" in page
    assert "The built-in model answers" in page
    assert "A retraining is due" in page

    # Debounced: examples added one after another make one training, a minute after the first.
    assert run_retrain_job(db) == 0
    clock.advance(timedelta(seconds=61))
    assert run_retrain_job(db) == 1
    assert run_retrain_job(db) == 0

    page = client.get(f"/console/{store.slug}/assistant/intents").text
    assert "Version 1, trained" in page
    row = re.search(
        r"gift_wrapping\">Gift wrapping</a>.*?intent-examples\">(\d+)<.*?intent-accuracy\">([^<]+)<",
        page,
        re.S,
    )
    assert row is not None
    assert row.group(1) == "5"
    assert re.fullmatch(r"\d{1,3}%", row.group(2)), row.group(2)
    # The chart's numbers are its text alternative too.
    assert re.search(r'alt="Bar chart of cross-validated accuracy per intent:[^"]*Gift wrapping \d+%', page)
    chart = client.get(f"/console/{store.slug}/assistant/intent-accuracy.svg")
    assert chart.status_code == 200
    assert chart.headers["content-type"].startswith("image/svg+xml")
    assert "<script" not in chart.text and "Gift wrapping" in chart.text

    with db.read() as session:
        [prediction] = read_intents(session, store.id, ["Is gift wrapping available?"])
    assert prediction.intent == "gift_wrapping"

    status = client.get("/api/v1/assistant/model", headers=store.auth).json()
    assert status["status"] == "ready" and status["version"] == 1
    assert status["accuracy_per_intent"]["gift_wrapping"] == pytest.approx(
        float(row.group(2)[:-1]) / 100, abs=0.01
    )
    intents = {i["name"]: i for i in client.get("/api/v1/assistant/intents", headers=store.auth).json()}
    assert intents["gift_wrapping"]["example_count"] == 5

    detail = client.get(f"/console/{store.slug}/assistant/intents/gift_wrapping").text
    for text in GIFT_WRAP:
        assert text in detail
    assert "Added on the intents page" in detail


def test_an_agent_labels_a_customer_message_in_the_inbox(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
):
    csrf = _owner(client, db, store, password_hash)
    _teach_gift_wrapping(client, store, csrf)
    client.cookies.clear()
    conversation_id, message_id = customer_writes(db, store, "Could you wrap the mug as a gift?")
    login(client, make_staff(db, store, "agent", password_hash))
    inbox = client.get(f"/console/{store.slug}/inbox", params={"c": conversation_id}).text
    action = f"/console/{store.slug}/inbox/{conversation_id}/messages/{message_id}/intent"
    assert f'action="{action}"' in inbox
    assert '<option value="gift_wrapping">Gift wrapping</option>' in inbox

    labelled = client.post(
        action, data={"intent": "gift_wrapping", "csrf_token": csrf_of(inbox)}, follow_redirects=False
    )
    assert labelled.status_code == 303, labelled.text
    assert labelled.headers["location"].startswith(f"/console/{store.slug}/inbox?c={conversation_id}")
    inbox = client.get(f"/console/{store.slug}/inbox", params={"c": conversation_id}).text
    assert '<option value="gift_wrapping" selected>Gift wrapping</option>' in inbox
    # The live inbox's fragment of the message carries the control too.
    fragment = client.get(f"/console/{store.slug}/inbox/{conversation_id}/messages/{message_id}").text
    assert f'action="{action}"' in fragment

    detail = client.get(f"/console/{store.slug}/assistant/intents/gift_wrapping").text
    assert "Could you wrap the mug as a gift?" in detail
    assert "Labelled in the inbox · Agent" in detail
    examples = client.get("/api/v1/assistant/examples?intent=gift_wrapping", headers=store.auth).json()
    assert [e["message_id"] for e in examples if e["source"] == "inbox_label"] == [message_id]

    # Agents label; they do not manage the intents.
    refused = client.post(
        f"/console/{store.slug}/assistant/examples",
        data={"intent": "gift_wrapping", "text": "wrap it", "csrf_token": csrf_of(inbox)},
    )
    assert refused.status_code == 403
    assert len(client.get("/api/v1/assistant/examples", headers=store.auth).json()) == 6


def test_bad_input_gets_a_clear_error_naming_the_field(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
):
    csrf = _owner(client, db, store, password_hash)
    _teach_gift_wrapping(client, store, csrf)
    base = f"/console/{store.slug}/assistant"

    empty = client.post(
        f"{base}/examples", data={"intent": "gift_wrapping", "text": "   ", "csrf_token": csrf}
    )
    assert empty.status_code == 422
    assert "is empty: write what a customer would say" in empty.text
    assert 'aria-invalid="true"' in empty.text
    unknown = client.post(
        f"{base}/examples", data={"intent": "teleport", "text": "beam me", "csrf_token": csrf}
    )
    assert unknown.status_code == 422
    assert "&#39;teleport&#39; is not an intent of this store" in unknown.text
    twice = client.post(
        f"{base}/examples",
        data={"intent": "gift_wrapping", "text": "IS gift  wrapping available", "csrf_token": csrf},
    )
    assert twice.status_code == 409
    assert "taught for gift_wrapping already" in twice.text
    bad_name = client.post(
        f"{base}/custom-intents", data={"name": "Gift Wrap!", "label": "x", "csrf_token": csrf}
    )
    assert bad_name.status_code == 422
    assert "lower-case letters" in bad_name.text

    api = store.auth
    for body, field in (
        ({"intent": "gift_wrapping", "text": ""}, "text"),
        ({"intent": "teleport", "text": "beam me up"}, "intent"),
    ):
        response = client.post("/api/v1/assistant/examples", json=body, headers=api)
        assert response.status_code == 422, response.text
        assert [f["field"] for f in response.json()["error"]["fields"]] == [field]

    # A staff message teaches nothing.
    conversation_id, _ = customer_writes(db, store, "Hello?")
    client.post(
        f"/console/{store.slug}/inbox/{conversation_id}/messages",
        data={"body": "Hi, how can I help?", "csrf_token": csrf},
    )
    staff_message = client.get(f"/console/{store.slug}/inbox/{conversation_id}/messages.json").json()[
        "messages"
    ][-1]
    assert staff_message["author_kind"] == "agent"
    response = client.post(
        "/api/v1/assistant/examples",
        json={"intent": "gift_wrapping", "message_id": staff_message["id"]},
        headers=api,
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == [
        {"field": "message_id", "reason": "is not a customer's message: only what customers write teaches"}
    ]
    labelled = client.post(
        f"/console/{store.slug}/inbox/{conversation_id}/messages/{staff_message['id']}/intent",
        data={"intent": "gift_wrapping", "csrf_token": csrf},
    )
    assert labelled.status_code == 422
    assert len(client.get("/api/v1/assistant/examples", headers=api).json()) == 5


def test_another_store_cannot_label_my_messages_or_see_my_intents(
    client: TestClient, db: Database, store: StoreHandle, other_store: StoreHandle, password_hash: str
):
    csrf = _owner(client, db, store, password_hash)
    _teach_gift_wrapping(client, store, csrf)
    conversation_id, message_id = customer_writes(db, store, "wrap it nicely please")
    client.cookies.clear()
    login(client, make_staff(db, other_store, "owner", password_hash))
    theirs = csrf_of(client.get(f"/console/{other_store.slug}/assistant/intents").text)
    # Through their own store's address, with my ids: not found, nothing taught.
    response = client.post(
        f"/console/{other_store.slug}/inbox/{conversation_id}/messages/{message_id}/intent",
        data={"intent": "greeting", "csrf_token": theirs},
    )
    assert response.status_code == 404
    assert client.get(f"/console/{store.slug}/assistant/intents").status_code == 404
    assert client.get(f"/console/{other_store.slug}/assistant/intents/gift_wrapping").status_code == 404
    assert '/intents/gift_wrapping"' not in client.get(f"/console/{other_store.slug}/assistant/intents").text

    labelled = client.post(
        "/api/v1/assistant/examples",
        json={"intent": "greeting", "message_id": message_id},
        headers=other_store.auth,
    )
    assert labelled.status_code == 404
    assert client.get("/api/v1/assistant/examples", headers=other_store.auth).json() == []
    names = [i["name"] for i in client.get("/api/v1/assistant/intents", headers=other_store.auth).json()]
    assert "gift_wrapping" not in names
    mine = client.get("/api/v1/assistant/examples", headers=store.auth).json()
    assert len(mine) == 5 and all(e["source"] == "console" for e in mine)


def test_a_failed_training_is_shown_and_the_previous_model_keeps_answering(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
):
    csrf = _owner(client, db, store, password_hash)
    _teach_gift_wrapping(client, store, csrf)
    base = f"/console/{store.slug}/assistant"
    assert (
        client.post(f"{base}/retrain", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    )
    assert run_retrain_job(db) == 1

    provide_trainer(FailingTrainer(current_trainer()))
    client.post(
        f"{base}/examples", data={"intent": "gift_wrapping", "text": "gift box it", "csrf_token": csrf}
    )
    retrain = client.post("/api/v1/assistant/model/retrain", headers=store.auth)
    assert retrain.status_code == 202
    assert run_retrain_job(db) == 1

    page = client.get(f"{base}/intents").text
    assert "The last training failed" in page
    assert "MemoryError: the machine ran out of memory while training" in page
    assert "Version 1, trained" in page
    status = client.get("/api/v1/assistant/model", headers=store.auth).json()
    assert status["status"] == "failed" and status["version"] == 1
    assert status["failure"].startswith("MemoryError")
    with db.read() as session:
        [prediction] = read_intents(session, store.id, ["is gift wrapping available"])
    assert prediction.intent == "gift_wrapping"


def test_a_manager_switches_a_builtin_off_edits_and_deletes_an_own_intent(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
):
    csrf = _owner(client, db, store, password_hash)
    _teach_gift_wrapping(client, store, csrf)
    base = f"/console/{store.slug}/assistant"
    builtin = current_trainer().builtin_intents()[0]

    off = client.post(
        f"{base}/intents/{builtin.name}/enabled",
        data={"enabled": "false", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert off.status_code == 303
    page = client.get(off.headers["location"]).text
    assert "Switched off: the assistant reads it as out of scope." in page
    assert ">Switch on</button>" in page
    conversation_id, _ = customer_writes(db, store, "Hello")
    inbox = client.get(f"/console/{store.slug}/inbox", params={"c": conversation_id}).text
    assert f'<option value="{builtin.name}"' not in inbox
    refused = client.post(
        f"{base}/examples", data={"intent": builtin.name, "text": "hey", "csrf_token": csrf}
    )
    assert refused.status_code == 422 and "switched on" in refused.text
    # The store's model is trained without it, and the assistant reads it as out of scope.
    client.post(f"{base}/retrain", data={"csrf_token": csrf})
    assert run_retrain_job(db) == 1
    said = next(text for text, label in current_trainer().default_examples() if label == builtin.name)
    with db.read() as session:
        [prediction] = read_intents(session, store.id, [said])
    assert prediction.intent != builtin.name

    edited = client.post(
        f"{base}/intents/gift_wrapping/edit",
        data={"label": "Gift wrap", "description": "Presents.", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert edited.status_code == 303
    assert "<h1>Gift wrap</h1>" in client.get(edited.headers["location"]).text
    blank = client.post(f"{base}/intents/gift_wrapping/edit", data={"label": " ", "csrf_token": csrf})
    assert blank.status_code == 422 and 'id="f-label-error"' in blank.text

    detail = client.get(f"{base}/intents/gift_wrapping").text
    example_id = re.search(r"/assistant/examples/(\d+)/delete", detail)
    assert example_id is not None
    removed = client.post(
        f"{base}/examples/{example_id.group(1)}/delete",
        data={"back": "gift_wrapping", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert removed.headers["location"].endswith("/assistant/intents/gift_wrapping?done=removed")
    assert len(client.get("/api/v1/assistant/examples", headers=store.auth).json()) == 4

    deleted = client.post(
        f"{base}/intents/gift_wrapping/delete", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert deleted.status_code == 303
    assert client.get(f"{base}/intents/gift_wrapping").status_code == 404
    assert client.get("/api/v1/assistant/examples", headers=store.auth).json() == []


def test_erasing_a_customer_erases_the_examples_taken_from_their_messages(
    client: TestClient, db: Database, store: StoreHandle
):
    from loyaldesk.support.actions import contacts, post_customer_message

    api = store.auth
    client.post("/api/v1/assistant/examples", json={"intent": "greeting", "text": "hiya folks"}, headers=api)
    created = client.post(
        "/api/v1/customers", json={"external_id": "c-9", "email": "c9@example.com"}, headers=api
    )
    assert created.status_code == 201, created.text
    customer_id = created.json()["id"]
    contact = db.write(contacts.identify_contact, store.id, customer_id=customer_id, visitor_token=None)
    message = db.write(post_customer_message, contact.contact_id, body="good morning to you")
    labelled = client.post(
        "/api/v1/assistant/examples", json={"intent": "greeting", "message_id": message.id}, headers=api
    )
    assert labelled.status_code == 201, labelled.text
    assert labelled.json()["text"] == "good morning to you"

    assert client.post(f"/api/v1/customers/{customer_id}/erase", headers=api).status_code == 200
    left = client.get("/api/v1/assistant/examples", headers=api).json()
    assert [e["text"] for e in left] == ["hiya folks"]
