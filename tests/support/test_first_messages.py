"""First messages through ``support.actions.first_messages`` (Core inserts) leave exactly what the general
ORM path (``post_one``) leaves: the same conversation and message rows, the same assignments (routing with
capacity, a full desk, a VIP first), the same SLA due times and the same events, in the same order. The
same batch is posted in two stores, once through the lane and once with the lane turned off."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from loyaldesk.kernel.db import Database
from loyaldesk.kernel.events import EventRecord
from loyaldesk.support import actions
from loyaldesk.support.actions import contacts, customer_messages, routing
from loyaldesk.support.actions.customer_messages import CustomerMessage, PostedMessage
from loyaldesk.support.events import MessagePosted
from loyaldesk.support.models import Conversation, Message, SlaPolicy
from tests.factories import StoreHandle, make_member, make_staff
from tests.support.test_routing import settings, staff_id

_IDS = {"id", "store_id", "contact_id", "customer_id", "assignee_id", "conversation_id", "sla_policy_id"}


def _desk(db: Database, store: StoreHandle, password_hash: str, *, with_policy: bool) -> dict[str, Any]:
    """One agent online with room for two conversations, a member, two visitors, maybe an SLA policy."""
    settings(db, store, default_capacity=2)
    agent = staff_id(db, make_staff(db, store, "agent", password_hash, f"ada@{store.slug}.example.com"))
    db.write(routing.agent_connected, store.id, agent, delta=1)
    make_member(db, store, f"m-{store.slug}")
    if with_policy:

        def add_policy(uow):  # type: ignore[no-untyped-def]
            uow.session.add(
                SlaPolicy(
                    store_id=store.id,
                    name="Standard",
                    first_response_minutes=30,
                    next_response_minutes=60,
                    resolution_minutes=240,
                    created_at=uow.now(),
                )
            )

        db.write(add_policy)
    from loyaldesk.customers import Customer

    with db.read() as session:
        customer = session.scalar(select(Customer.id).where(Customer.store_id == store.id))
    member = db.write(contacts.identify_contact, store.id, customer_id=customer, visitor_token=None)
    visitors = [
        db.write(contacts.identify_contact, store.id, customer_id=None, visitor_token=None).contact_id
        for _ in range(3)
    ]
    return {"agent": agent, "member": member.contact_id, "visitors": visitors}


def _batch(people: dict[str, Any]) -> list[CustomerMessage]:
    first, second, third = people["visitors"]
    return [
        CustomerMessage(first, "Where is **my order**?", client_message_id="v1-1"),
        CustomerMessage(
            people["member"],
            "Points missing",
            client_message_id="m-1",
            channel="email",
            subject="Points",
            plain_text=True,
            new_thread=True,
        ),
        CustomerMessage(second, "Hello", client_message_id="v2-1"),
        CustomerMessage(first, "And a second thought", client_message_id="v1-2"),  # continues its chat
        CustomerMessage(third, "   ", client_message_id="v3-1"),  # refused: no text
        CustomerMessage(third, "Third in line", client_message_id="v3-2", channel="fax"),  # refused
        CustomerMessage(third, "Third in line", client_message_id="v3-3"),  # the desk is full now
        CustomerMessage(second, "Hello", client_message_id="v2-1"),  # a retry
    ]


def _normalised(db: Database, store: StoreHandle, people: dict[str, Any]) -> dict[str, Any]:
    """What the store holds, with ids replaced by their role (whose contact, which agent)."""
    role = {people["member"]: "member"}
    role.update({contact: f"visitor{n}" for n, contact in enumerate(people["visitors"])})
    staff = {people["agent"]: "agent"}
    with db.read() as session:
        conversations = list(
            session.scalars(
                select(Conversation).where(Conversation.store_id == store.id).order_by(Conversation.id)
            )
        )
        number = {conversation.id: n for n, conversation in enumerate(conversations)}
        rows = [
            {
                **{k: v for k, v in vars(c).items() if not k.startswith("_") and k not in _IDS},
                "contact": role[c.contact_id],
                "assignee": staff.get(c.assignee_id) if c.assignee_id is not None else None,
                "has_policy": c.sla_policy_id is not None,
            }
            for c in conversations
        ]
        messages = [
            {
                **{
                    k: v
                    for k, v in vars(m).items()
                    if not k.startswith("_") and k not in _IDS | {"dedupe_key"}
                },
                "dedupe_key": m.dedupe_key.split(":")[-1] if m.dedupe_key else None,
                "conversation": number[m.conversation_id],
            }
            for m in session.scalars(select(Message).where(Message.store_id == store.id).order_by(Message.id))
        ]
        events = []
        for record in session.scalars(
            select(EventRecord).where(EventRecord.store_id == store.id).order_by(EventRecord.id)
        ):
            if record.subject_type != "conversation":
                continue
            payload = dict(record.payload)
            if "conversation_id" in payload:
                payload["conversation_id"] = number[payload["conversation_id"]]
            if "contact_id" in payload:
                payload["contact_id"] = role[payload["contact_id"]]
            if payload.get("assignee_id") is not None:
                payload["assignee_id"] = staff[payload["assignee_id"]]
            if "message" in payload:
                payload["message"] = {k: v for k, v in payload["message"].items() if k not in _IDS}
            events.append((record.event_type, number[record.subject_id], payload, record.customer_id is None))
    return {"conversations": rows, "messages": messages, "events": events}


@pytest.mark.parametrize("with_policy", [False, True], ids=["no-policy", "sla-policy"])
def test_first_messages_leave_what_the_general_path_leaves(
    db: Database,
    store: StoreHandle,
    other_store: StoreHandle,
    password_hash: str,
    monkeypatch: pytest.MonkeyPatch,
    with_policy: bool,
) -> None:
    lane_people = _desk(db, store, password_hash, with_policy=with_policy)
    general_people = _desk(db, other_store, password_hash, with_policy=with_policy)

    through_lane = db.write(actions.post_customer_messages, _batch(lane_people))
    with monkeypatch.context() as patched:
        patched.setattr(customer_messages, "_starts_conversation", lambda *_args: False)
        through_general = db.write(actions.post_customer_messages, _batch(general_people))

    assert [type(r) for r in through_lane] == [type(r) for r in through_general]
    assert isinstance(through_lane[0], PostedMessage) and through_lane[-1] == through_lane[2]
    lane = _normalised(db, store, lane_people)
    general = _normalised(db, other_store, general_people)
    assert lane["conversations"] == general["conversations"]
    assert lane["messages"] == general["messages"]
    assert lane["events"] == general["events"]
    # The desk had room for two: the first two chats went to the agent, the rest wait.
    assert [c["assignee"] for c in lane["conversations"]] == ["agent", "agent", None, None]
    assert all(c["has_policy"] == with_policy for c in lane["conversations"])
    if with_policy:
        assert all(c["sla_due_at"] is not None for c in lane["conversations"])


def test_the_message_posted_payload_is_what_pydantic_would_serialise(
    db: Database, store: StoreHandle
) -> None:
    event = MessagePosted(
        store_id=store.id,
        customer_id=None,
        conversation_id=7,
        internal=False,
        message={
            "id": 3,
            "conversation_id": 7,
            "author_kind": "customer",
            "author_name": "Visitor",
            "body_html": "<p>hi</p>",
            "internal": False,
            "client_message_id": None,
            "created_at": "2026-03-02T09:00:00+00:00",
            "attachments": [{"id": 1, "filename": "a.png", "content_type": "image/png", "size": 10}],
        },
    )
    assert event.payload() == event.model_dump(
        mode="json", exclude={"store_id", "customer_id", "occurred_at"}
    )
    assert list(event.payload()) == ["conversation_id", "internal", "message"]
