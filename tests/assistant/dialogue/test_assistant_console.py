"""The assistant from the staff's side, over HTTP: its settings page, the inbox panel's suggestions, the
API's hand-back, and its outcomes in the support report (verified resolutions)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from tests.assistant.dialogue.helpers import (
    FakeTool,
    enable_assistant,
    replies_after,
    widget,
)
from tests.factories import StoreHandle, csrf_of, login, make_staff
from tests.support.desk import console_csrf, hello, send_message


@pytest.fixture
def owner(client: TestClient, db: Database, store: StoreHandle, password_hash: str) -> str:
    email = make_staff(db, store, "owner", password_hash)
    login(client, email)
    return email


def test_a_manager_switches_the_assistant_on_and_the_key_is_never_shown_back(
    client: TestClient, db: Database, store: StoreHandle, owner: str
):
    page = client.get(f"/console/{store.slug}/inbox-settings/assistant")
    assert page.status_code == 200 and "Answer chats first" in page.text
    csrf = csrf_of(page.text)
    form = {
        "csrf_token": csrf,
        "enabled": "on",
        "display_name": "Juno",
        "people_first_tiers": "Gold, VIP",
        "low_confidence_limit": "0",
        "llm_base_url": "https://llm.example.com/v1",
        "llm_model": "small-model",
        "llm_api_key": "sk-secret-abcd1234",
    }
    refused = client.post(f"/console/{store.slug}/inbox-settings/assistant", data=form)
    assert refused.status_code == 422
    assert 'aria-invalid="true"' in refused.text and "low_confidence_limit" in refused.text
    assert "sk-secret-abcd1234" not in refused.text  # the key is never typed back
    saved = client.post(
        f"/console/{store.slug}/inbox-settings/assistant", data={**form, "low_confidence_limit": "3"}
    )
    assert saved.status_code == 200 and "Assistant settings saved." in saved.text
    assert "•••• 1234" in saved.text and "sk-secret-abcd1234" not in saved.text
    assert 'value="Gold, VIP"' in saved.text and 'value="https://llm.example.com/v1"' in saved.text
    half = client.post(
        f"/console/{store.slug}/inbox-settings/assistant",
        data={**form, "low_confidence_limit": "3", "llm_model": ""},
    )
    assert half.status_code == 422 and "give both the LLM" in half.text


def test_the_agent_sees_suggested_articles_and_the_tools_answer_to_insert(
    client: TestClient, db: Database, store: StoreHandle, owner: str, assistant_world: dict[str, FakeTool]
):
    enable_assistant(db, store)
    with widget(client, store) as ws:
        hello(ws)
        ack = send_message(ws, "How fast do you ship?", "c-1")
        answer = replies_after(ws, db)
    assert "Shipping times" in answer["body_html"]  # the shopper got the article's link
    panel = client.get(f"/console/{store.slug}/inbox/{ack['conversation_id']}/assistant")
    assert panel.status_code == 200
    assert "Juno answers this conversation." in panel.text
    assert "https://help.example.com/acme/articles/12-shipping-times" in panel.text
    assert "data-suggested-reply" in panel.text and "within 2 working days" in panel.text
    assert "data-insert-reply" in panel.text
    inbox = client.get(f"/console/{store.slug}/inbox?c={ack['conversation_id']}")
    assert f"/inbox/{ack['conversation_id']}/assistant" in inbox.text  # the page loads the panel


def test_a_store_backend_hands_a_conversation_back(
    client: TestClient, db: Database, store: StoreHandle, assistant_world: dict[str, FakeTool]
):
    enable_assistant(db, store)
    with widget(client, store) as ws:
        hello(ws)
        ack = send_message(ws, "a person please", "c-1")
        replies_after(ws, db)
    url = f"/api/v1/conversations/{ack['conversation_id']}/assistant/hand-back"
    back = client.post(url, headers=store.auth)
    assert back.status_code == 200
    assert back.json() == {
        "conversation_id": ack["conversation_id"],
        "assistant_active": True,
        "status": "active",
    }
    again = client.post(url, headers=store.auth)
    assert again.status_code == 422
    assert again.json()["error"]["fields"][0]["field"] == "assistant"


def test_the_report_counts_verified_resolutions_and_not_a_conversation_reopened_within_72_hours(
    client: TestClient,
    db: Database,
    store: StoreHandle,
    owner: str,
    clock: FakeClock,
    assistant_world: dict[str, FakeTool],
):
    enable_assistant(db, store)
    csrf = console_csrf(client, store.slug)
    with widget(client, store) as ws:  # A: answered, then silence
        hello(ws)
        send_message(ws, "Where do you ship to?", "a-1")
        replies_after(ws, db)
    with widget(client, store) as ws:  # B: answered, resolved, back within a day
        hello(ws)
        ack = send_message(ws, "Do you ship on Saturdays?", "b-1")
        replies_after(ws, db)
        resolved = client.post(
            f"/console/{store.slug}/inbox/{ack['conversation_id']}/status",
            data={"status": "resolved", "csrf_token": csrf},
            follow_redirects=False,
        )
        assert resolved.status_code == 303
        clock.advance(timedelta(hours=20))
        send_message(ws, "And do you ship to Austria?", "b-2")
        replies_after(ws, db)
    with widget(client, store) as ws:  # C: not understood twice, handed off
        hello(ws)
        send_message(ws, "blorp", "c-1")
        replies_after(ws, db)
        send_message(ws, "quux", "c-2")
        replies_after(ws, db)
    login(client, owner)  # the console session timed out while the hours passed
    early = client.get(f"/console/{store.slug}/inbox-reports")
    assert 'data-kpi="assistant-verified">0<' in early.text  # the 72 hours are not over yet
    clock.advance(timedelta(hours=73))
    login(client, owner)
    page = client.get(f"/console/{store.slug}/inbox-reports")
    assert page.status_code == 200
    assert 'data-kpi="assistant-handled">3<' in page.text
    assert 'data-kpi="assistant-handed-off">1<' in page.text
    assert 'data-kpi="assistant-deflected">2<' in page.text
    assert 'data-kpi="assistant-verified">1<' in page.text
    row = page.text.split('data-intent="delivery_options"')[1].split("</tr>")[0]
    assert [cell.split("<")[0] for cell in row.split("<td>")[1:]] == ["2", "0", "2", "1", "0"]
