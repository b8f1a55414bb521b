"""The assistant in the chat, driven as shoppers and agents drive it: the widget over its WebSocket, the
agent through the console's forms. The intent model, the help center and the tools are small fakes of
their contracts (``assistant.ports``, ``assistant.tools.registry``)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from loyaldesk.assistant.dialog.models import AssistantConversation
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from loyaldesk.kernel.dispatcher import dispatch_until_idle
from loyaldesk.stores import store_by_id
from loyaldesk.support import Conversation
from tests.assistant.dialogue.helpers import (
    ASSISTANT_NAME,
    FakeTool,
    enable_assistant,
    messages_of,
    replies_after,
    widget,
)
from tests.factories import StoreHandle, login, make_staff
from tests.support.desk import console_csrf, console_socket, hello, send_message, signed


@pytest.fixture
def agent(client: TestClient, db: Database, store: StoreHandle, password_hash: str) -> str:
    email = make_staff(db, store, "agent", password_hash)
    login(client, email)
    return email


def secret_of(db: Database, store: StoreHandle) -> str:
    with db.read() as session:
        return store_by_id(session, store.id).identity_secret


def conversation(db: Database, conversation_id: int) -> Conversation:
    with db.read() as session:
        found = session.get(Conversation, conversation_id)
        assert found is not None
        session.expunge(found)
        return found


def state(db: Database, conversation_id: int) -> AssistantConversation:
    with db.read() as session:
        found = session.get(AssistantConversation, conversation_id)
        assert found is not None
        session.expunge(found)
        return found


def test_hi_gets_the_assistants_greeting_and_no_agent_is_paged(
    client: TestClient, db: Database, store: StoreHandle, agent: str, assistant_world: dict[str, FakeTool]
):
    enable_assistant(db, store)
    with console_socket(client, store.slug) as console:
        json.loads(console.receive_text())  # ready: the agent is online
        with widget(client, store) as ws:
            hello(ws)
            ack = send_message(ws, "hi", "c-1")
            reply = replies_after(ws, db)
    assert reply["author_name"] == ASSISTANT_NAME
    assert "I'm Juno, the store's assistant" in reply["body_html"]
    talk = conversation(db, ack["conversation_id"])
    # The assistant answers it: nobody was given the conversation, no SLA clock runs, nobody waits.
    assert talk.assistant_active and talk.assignee_id is None
    assert talk.sla_state is None and talk.waiting_since is None
    attention = client.get(f"/console/{store.slug}/inbox.json").json()["attention"]
    assert attention == {"unassigned": 0, "waiting": []}  # nothing calls for the agent


def test_a_signed_in_shopper_gets_the_tools_answer_and_a_visitor_is_asked_to_sign_in(
    client: TestClient, db: Database, store: StoreHandle, assistant_world: dict[str, FakeTool]
):
    enable_assistant(db, store)
    tool = assistant_world["order_status"]
    with widget(client, store) as ws:
        hello(ws, customer=signed(secret_of(db, store), "cust-9"))
        send_message(ws, "Where is my order?", "c-1")
        asked = replies_after(ws, db)
        assert "order number" in asked["body_html"]  # the tool needs it: the assistant asks
        send_message(ws, "It's #1001", "c-2")
        answer = replies_after(ws, db)
    assert "Order #1001 was shipped on 3 Dec with DHL" in answer["body_html"]
    asker, request = tool.calls[-1]
    assert asker.customer_id is not None and request.slots["order_number"] == "1001"
    assert request.intent == "order_status"
    with widget(client, store) as ws:
        hello(ws)  # an anonymous visitor: no identity
        send_message(ws, "where is my order 1001", "c-1")
        refused = replies_after(ws, db)
    assert "sign in" in refused["body_html"] and "DHL" not in refused["body_html"]
    assert tool.calls[-1][0].customer_id is None


def test_not_understood_twice_hands_off_with_one_packet_then_silence_until_handed_back(
    client: TestClient, db: Database, store: StoreHandle, agent: str, assistant_world: dict[str, FakeTool]
):
    enable_assistant(db, store)
    csrf = console_csrf(client, store.slug)
    with widget(client, store) as ws:
        hello(ws)
        ack = send_message(ws, "Where is my order 1001?", "c-1")
        conversation_id = ack["conversation_id"]
        replies_after(ws, db)  # asks to sign in (a tool call with its result, for the packet)
        send_message(ws, "blorp the quux", "c-2")
        first_miss = replies_after(ws, db)
        assert "didn't understand" in first_miss["body_html"]
        send_message(ws, "zyzzyva frobnicate", "c-3")
        handing = replies_after(ws, db)
        assert "passing you to a person" in handing["body_html"]
        notes = [m for m in messages_of(db, conversation_id) if m.internal]
        assert len(notes) == 1  # ONE internal note: the packet
        packet = notes[0].body
        assert "not understood twice" in packet
        assert "order_status" in packet and "needs_identity" in packet  # the tool called and its result
        assert "1001" in packet  # the summary keeps the shopper's facts
        assert "Sentiment:" in packet and "Articles tried: none" in packet
        # Handed off: in the normal queue now, and the bot says nothing more.
        talk = conversation(db, conversation_id)
        assert not talk.assistant_active and talk.waiting_since is not None
        before = len(messages_of(db, conversation_id))
        send_message(ws, "hello?", "c-4")
        dispatch_until_idle(db)
        after = messages_of(db, conversation_id)
        assert len(after) == before + 1 and after[-1].author_kind == "customer"
        # The agent sees the hand-back action in the conversation's panel and hands it back.
        panel = client.get(f"/console/{store.slug}/inbox/{conversation_id}/assistant")
        assert panel.status_code == 200
        assert "Handed to people: not understood twice" in panel.text and "Hand back to Juno" in panel.text
        back = client.post(
            f"/console/{store.slug}/inbox/{conversation_id}/assistant/hand-back",
            data={"csrf_token": csrf},
            follow_redirects=False,
        )
        assert back.status_code == 303
        assert conversation(db, conversation_id).assistant_active
        send_message(ws, "hi", "c-5")
        again = replies_after(ws, db)
    assert again["author_kind"] == "assistant" and "Juno" in again["body_html"]


def test_asking_for_a_person_hands_off_at_once(
    client: TestClient, db: Database, store: StoreHandle, assistant_world: dict[str, FakeTool]
):
    enable_assistant(db, store)
    with widget(client, store) as ws:
        hello(ws)
        ack = send_message(ws, "I want to talk to a real person please", "c-1")
        reply = replies_after(ws, db)
    assert "passing you to a person" in reply["body_html"]
    assert state(db, ack["conversation_id"]).handoff_reason == "asked_for_person"


@pytest.mark.parametrize(
    ("texts", "frustrated"),
    [
        # Negative words alone are a complaint to answer, not frustration with the service.
        (["My parcel arrived damaged, this is terrible and I hate it"], False),
        # The support lexicon plus negative sentiment.
        (["This is ridiculous, my parcel is still not here!"], True),
        # The same request again, with the lexicon.
        (["where is my parcel from last week", "where is my parcel from last week, third time"], True),
    ],
)
def test_frustration_needs_more_than_sentiment(
    client: TestClient,
    db: Database,
    store: StoreHandle,
    assistant_world: dict[str, FakeTool],
    texts: list[str],
    frustrated: bool,
):
    enable_assistant(db, store)
    with widget(client, store) as ws:
        hello(ws, customer=signed(secret_of(db, store), "cust-9"))
        for number, text in enumerate(texts):
            ack = send_message(ws, text, f"c-{number}")
            last = replies_after(ws, db)
    reason = state(db, ack["conversation_id"]).handoff_reason
    if frustrated:
        assert reason == "frustrated" and "passing you to a person" in last["body_html"]
    else:
        assert reason is None and "passing you" not in last["body_html"]


def test_a_failed_tool_hands_off(
    client: TestClient, db: Database, store: StoreHandle, assistant_world: dict[str, FakeTool]
):
    def broken(asker, request):  # type: ignore[no-untyped-def]
        raise RuntimeError("the carrier's API is down")

    enable_assistant(db, store)
    assistant_world["order_status"].answer = broken
    with widget(client, store) as ws:
        hello(ws, customer=signed(secret_of(db, store), "cust-9"))
        ack = send_message(ws, "where is order 1001", "c-1")
        reply = replies_after(ws, db)
    assert "something went wrong" in reply["body_html"] and "passing you to a person" in reply["body_html"]
    talk = state(db, ack["conversation_id"])
    assert talk.handoff_reason == "tool_failed" and talk.tool_calls[-1]["status"] == "failed"


def test_a_vip_tier_goes_to_people_first(
    client: TestClient, db: Database, store: StoreHandle, agent: str, assistant_world: dict[str, FakeTool]
):
    from loyaldesk.customers import Customer
    from loyaldesk.loyalty.models import Member, Tier
    from tests.factories import make_member

    make_member(db, store, "vip")

    def promote(uow):  # type: ignore[no-untyped-def]
        gold = Tier(
            store_id=store.id,
            name="Gold",
            rank=9,
            threshold=0,
            earn_multiplier="1",
            perks=[],
            entry_reward_points=0,
            membership_days=0,
            support_priority="normal",
            created_at=uow.now(),
        )
        uow.session.add(gold)
        uow.session.flush()
        uow.session.scalars(select(Member)).one().tier_id = gold.id
        return uow.session.scalar(select(Customer.id).where(Customer.external_id == "vip"))

    db.write(promote)
    enable_assistant(db, store, people_first_tiers=["gold"])
    with console_socket(client, store.slug) as console:
        json.loads(console.receive_text())  # the agent is online
        with widget(client, store) as ws:
            hello(ws, customer=signed(secret_of(db, store), "vip"))
            ack = send_message(ws, "hi", "c-1")
            dispatch_until_idle(db)
    conversation_id = ack["conversation_id"]
    assert [m.author_kind for m in messages_of(db, conversation_id)] == ["customer"]
    talk = conversation(db, conversation_id)
    assert not talk.assistant_active and talk.assignee_id is not None  # straight to the online agent


def test_outside_business_hours_it_says_when_a_person_will_answer(
    client: TestClient,
    db: Database,
    store: StoreHandle,
    clock: FakeClock,
    assistant_world: dict[str, FakeTool],
):
    from loyaldesk.support import BusinessCalendarRow

    def office_hours(uow):  # type: ignore[no-untyped-def]
        uow.session.add(
            BusinessCalendarRow(
                store_id=store.id,
                name="Office",
                time_zone="UTC",
                weekly_hours=["09:00-17:00"] * 5 + ["", ""],
                holidays=[],
            )
        )

    db.write(office_hours)
    enable_assistant(db, store)
    clock.advance(timedelta(days=5))  # Saturday 7 March 2026, 10:00 UTC
    with widget(client, store) as ws:
        hello(ws)
        send_message(ws, "Can I speak to someone?", "c-1")
        reply = replies_after(ws, db)
    assert "Our team is away right now" in reply["body_html"]
    # Monday 09:00 UTC, told in the store's time zone (Europe/Amsterdam by default: 10:00).
    assert "9 Mar 2026, 10:00" in reply["body_html"]


def test_it_speaks_the_shoppers_language(
    client: TestClient, db: Database, store: StoreHandle, assistant_world: dict[str, FakeTool]
):
    from loyaldesk.stores import Store

    def german(uow):  # type: ignore[no-untyped-def]
        found = uow.session.get(Store, store.id)
        found.default_language = "de"

    db.write(german)
    enable_assistant(db, store)
    with widget(client, store) as ws:
        hello(ws)
        send_message(ws, "hallo", "c-1")
        greeting = replies_after(ws, db)
        send_message(ws, "blorp", "c-2")
        missed = replies_after(ws, db)
    assert "Hallo! Ich bin Juno" in greeting["body_html"]
    assert "Das habe ich leider nicht verstanden" in missed["body_html"]


def test_erasing_the_customer_scrubs_what_the_assistant_kept(
    client: TestClient, db: Database, store: StoreHandle, assistant_world: dict[str, FakeTool]
):
    enable_assistant(db, store)
    with widget(client, store) as ws:
        hello(ws, customer=signed(secret_of(db, store), "cust-9"))
        ack = send_message(ws, "where is my order #1001, I live at Hauptstr. 5", "c-1")
        replies_after(ws, db)
    kept = state(db, ack["conversation_id"])
    assert kept.customer_texts and kept.tool_calls and kept.customer_id is not None
    erased = client.post(f"/api/v1/customers/{kept.customer_id}/erase", headers=store.auth)
    assert erased.status_code == 200
    scrubbed = state(db, ack["conversation_id"])
    assert scrubbed.customer_texts == [] and scrubbed.tool_calls == [] and scrubbed.last_answer is None
    assert scrubbed.intent == "order_status"  # the outcome still counts in the report


def test_a_question_without_an_intent_is_answered_from_the_help_center_and_every_search_is_logged(
    client: TestClient, db: Database, store: StoreHandle, assistant_world: dict[str, FakeTool]
):
    from loyaldesk.assistant.knowledge.models import SearchLogEntry

    enable_assistant(db, store)
    with widget(client, store) as ws:
        hello(ws)
        send_message(ws, "do you ship to Norway?", "c-1")  # no intent reads it; an article does
        answer = replies_after(ws, db)
        assert "Shipping times" in answer["body_html"]
        send_message(ws, "blorp the quux", "c-2")
        missed = replies_after(ws, db)
        assert "didn't understand" in missed["body_html"]
    with db.read() as session:
        logged = session.scalars(select(SearchLogEntry).order_by(SearchLogEntry.id)).all()
        seen = [(entry.channel, entry.query, entry.results_count, entry.top_article_id) for entry in logged]
    assert seen == [
        ("assistant", "do you ship to Norway?", 1, None),  # the fake finder's article is not stored
        ("assistant", "blorp the quux", 0, None),  # a content gap in the help center's report
    ]
