"""Customers' messages in batches (the widget's coalesced fast lane): what a batch stores must be what
the same messages posted one by one would have stored, item by item, in order, with each refusal
confined to its own item."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from loyaldesk.kernel.actors import system_for
from loyaldesk.kernel.db import Database
from loyaldesk.kernel.errors import Invalid, NotFound
from loyaldesk.kernel.events import EventRecord
from loyaldesk.kernel.write_queue import WriteQueue
from loyaldesk.support import actions
from loyaldesk.support.actions import contacts
from loyaldesk.support.actions.customer_messages import CustomerMessage, PostedMessage
from loyaldesk.support.models import Conversation, Message
from tests.factories import StoreHandle


def _open_chat(db: Database, store: StoreHandle, text: str) -> tuple[int, int]:
    """A visitor's contact and the conversation their first message opened."""
    contact = db.write(contacts.identify_contact, store.id, customer_id=None, visitor_token=None)
    message = db.write(actions.post_customer_message, contact.contact_id, body=text)
    return contact.contact_id, message.conversation_id


def _messages(db: Database, conversation_id: int) -> list[tuple[str, str | None]]:
    with db.read() as session:
        rows = session.execute(
            select(Message.body, Message.client_message_id)
            .where(Message.conversation_id == conversation_id)
            .order_by(Message.id)
        )
        return [(body, client_id) for body, client_id in rows]


def _posted_events(db: Database, conversation_id: int) -> list[dict]:  # type: ignore[type-arg]
    with db.read() as session:
        return [
            record.payload
            for record in session.scalars(
                select(EventRecord)
                .where(
                    EventRecord.event_type == "conversation.message_posted",
                    EventRecord.subject_id == conversation_id,
                )
                .order_by(EventRecord.id)
            )
        ]


def test_a_batch_stores_each_message_in_order_and_refuses_only_the_bad_ones(db: Database, store: StoreHandle):
    alice, alice_chat = _open_chat(db, store, "Hello, my order is late")
    bob, bob_chat = _open_chat(db, store, "Hi there")
    db.write(actions.change_status, system_for(store.id), bob_chat, "resolved")

    items = [
        CustomerMessage(alice, "Order **1042**", client_message_id="a-1", conversation_id=alice_chat),
        CustomerMessage(bob, "Still broken", client_message_id="b-1", conversation_id=bob_chat),
        CustomerMessage(alice, "   ", client_message_id="a-2", conversation_id=alice_chat),
        CustomerMessage(alice, "Any news?", client_message_id="a-3", conversation_id=alice_chat),
        CustomerMessage(alice, "Order **1042**", client_message_id="a-1", conversation_id=alice_chat),
        CustomerMessage(bob, "Not my chat", client_message_id="b-x", conversation_id=alice_chat),
        CustomerMessage(bob, "And again", client_message_id="b-2", conversation_id=bob_chat),
    ]
    results = db.write(actions.post_customer_messages, items)

    assert len(results) == len(items)
    first, reopened, blank, news, retry, intruder, again = results
    assert isinstance(first, PostedMessage) and isinstance(news, PostedMessage)
    assert isinstance(blank, Invalid)
    assert isinstance(intruder, NotFound)
    assert retry == first  # the retry is the first message, stored once
    assert isinstance(reopened, PostedMessage) and isinstance(again, PostedMessage)
    assert first.id < news.id and reopened.id < again.id

    assert _messages(db, alice_chat) == [
        ("Hello, my order is late", None),
        ("Order **1042**", "a-1"),
        ("Any news?", "a-3"),
    ]
    assert _messages(db, bob_chat) == [("Hi there", None), ("Still broken", "b-1"), ("And again", "b-2")]
    with db.read() as session:
        chat = session.get(Conversation, alice_chat)
        assert chat is not None
        assert chat.message_count == 3
        assert chat.last_message_preview == "Any news?"
        assert chat.status == "open" and chat.waiting_since is not None
        reopened_chat = session.get(Conversation, bob_chat)
        assert reopened_chat is not None
        assert reopened_chat.status == "open"  # the customer's message reopened it
        assert reopened_chat.message_count == 3

    events = _posted_events(db, alice_chat)
    assert [event["message"]["client_message_id"] for event in events] == [None, "a-1", "a-3"]
    # The fast lane's event carries the same view of the message as the one-by-one path's.
    assert set(events[1]["message"]) == set(events[0]["message"])
    assert events[1]["message"]["body_html"] == "<p>Order <strong>1042</strong></p>"
    assert events[1]["message"]["author_kind"] == "customer"


def test_messages_sent_together_through_the_write_queue_share_one_commit(db: Database, store: StoreHandle):
    chats = [_open_chat(db, store, f"Question {n}") for n in range(6)]
    queue = WriteQueue(db)

    async def send_all() -> list[object]:
        return await asyncio.gather(
            *(
                db.write_coalesced_async(
                    actions.CUSTOMER_MESSAGES,
                    actions.post_customer_messages,
                    item=CustomerMessage(
                        contact, f"More on {n}", client_message_id=f"c-{n}", conversation_id=chat
                    ),
                )
                for n, (contact, chat) in enumerate(chats)
            )
        )

    queue.start()
    try:
        commits_before = queue.commits
        results = asyncio.run(send_all())
        commits = queue.commits - commits_before
    finally:
        queue.stop()
    assert all(isinstance(result, PostedMessage) for result in results)
    assert commits < len(chats)  # grouped (the first may commit alone while the others queue)
    for n, (_, chat) in enumerate(chats):
        assert _messages(db, chat)[-1] == (f"More on {n}", f"c-{n}")
