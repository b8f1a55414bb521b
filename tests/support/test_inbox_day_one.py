"""The inbox's day-one details over HTTP: what the live inbox fetches (rows as the page renders them, the
counts that must not be missed, one message's fragment) and who may fetch it; goodwill confirmed after the
form's redirect; favicons on the pages shoppers see."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from loyaldesk.kernel.db import Database
from loyaldesk.stores import store_by_id
from loyaldesk.stores.credentials import shopper_signature
from loyaldesk.support.actions import csat, desk_settings
from tests.factories import StoreHandle, csrf_of, login, make_member, make_staff
from tests.support.desk import agent_reply, console_csrf, hello
from tests.support.test_attachments import PNG, upload
from tests.support.test_goodwill import member_conversation
from tests.support.test_routing import visitor_writes


def _agent(client: TestClient, db: Database, store: StoreHandle, password_hash: str) -> str:
    email = make_staff(db, store, "agent", password_hash)
    login(client, email)
    return email


def test_the_live_list_gets_the_rows_as_the_page_renders_them_and_what_waits(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
):
    db.write(desk_settings.update_settings, store.actor, store.id, {"auto_assign": False})
    _agent(client, db, store, password_hash)
    empty = client.get(f"/console/{store.slug}/inbox.json").json()
    assert empty["attention"] == {"unassigned": 0, "waiting": []}
    assert "No conversations here" in empty["html"]

    first = visitor_writes(db, store, "Where is my parcel?")
    second = visitor_writes(db, store, "Do you ship to Norway?")
    listed = client.get(f"/console/{store.slug}/inbox.json", params={"c": first}).json()
    assert listed["attention"]["unassigned"] == 2
    assert [item["id"] for item in listed["attention"]["waiting"]] == [second, first]
    assert listed["attention"]["waiting"][0]["preview"] == "Do you ship to Norway?"
    page = client.get(f"/console/{store.slug}/inbox", params={"c": first}).text
    # The same rows, character for character, as the page's own list.
    rendered = re.search(r"<ol class=\"conversation-list\" data-conversation-list>(.*?)</ol>", page, re.S)
    assert rendered is not None
    assert listed["html"].strip() == rendered.group(1).strip()
    assert "<title>(2) Inbox · loyaldesk</title>" in page
    assert "data-unassigned-count>2</span>" in page

    # Answered: it waits for nobody any more.
    agent_reply(client, store.slug, first, "On its way.", csrf=console_csrf(client, store.slug))
    after = client.get(f"/console/{store.slug}/inbox.json").json()["attention"]
    assert [item["id"] for item in after["waiting"]] == [second]


def test_a_message_fragment_is_the_stores_own_and_renders_like_the_page(
    client: TestClient, db: Database, store: StoreHandle, other_store: StoreHandle, password_hash: str
):
    _agent(client, db, store, password_hash)
    conversation_id = visitor_writes(db, store, "Hello <b>there</b>")
    csrf = console_csrf(client, store.slug)
    sent = agent_reply(client, store.slug, conversation_id, "Hi!", csrf=csrf).json()
    assert sent["html"].strip().startswith('<li class="message message-agent"')  # the composer inserts this
    fragment = client.get(f"/console/{store.slug}/inbox/{conversation_id}/messages/{sent['id']}")
    assert fragment.status_code == 200
    assert fragment.text.strip() == sent["html"].strip()
    page = client.get(f"/console/{store.slug}/inbox", params={"c": conversation_id}).text
    assert sent["html"].strip() in page  # the page renders the thread with the same template

    other_conversation = visitor_writes(db, other_store, "Not yours")
    assert client.get(f"/console/{store.slug}/inbox/{other_conversation}/messages/1").status_code == 404
    # A message id of another conversation under this conversation: not found either.
    second = visitor_writes(db, store, "Another chat")
    assert client.get(f"/console/{store.slug}/inbox/{second}/messages/{sent['id']}").status_code == 404
    assert client.get(f"/console/{other_store.slug}/inbox.json").status_code == 404


def test_goodwill_by_the_form_is_confirmed_on_the_page_it_returns_to(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
):
    _agent(client, db, store, password_hash)
    conversation_id = member_conversation(db, store)
    page = client.get(f"/console/{store.slug}/inbox", params={"c": conversation_id}).text
    given = client.post(
        f"/console/{store.slug}/inbox/{conversation_id}/goodwill",
        data={"points": "25", "reason": "Sorry about the wait", "csrf_token": csrf_of(page)},
        follow_redirects=False,
    )
    assert given.status_code == 303
    location = given.headers["location"]
    assert re.fullmatch(rf"/console/{store.slug}/inbox\?c={conversation_id}&given=\d+", location)
    confirmed = client.get(location).text
    assert (
        "You gave Visitor #1 25 points: “Sorry about the wait”. Their balance is now 25 points." in confirmed
    )
    # The confirmation belongs to its conversation: another one does not show it.
    other = visitor_writes(db, store, "Hello")
    grant_id = location.rsplit("=", 1)[1]
    elsewhere = client.get(f"/console/{store.slug}/inbox", params={"c": other, "given": grant_id}).text
    assert "You gave" not in elsewhere

    as_json = client.post(
        f"/console/{store.slug}/inbox/{conversation_id}/goodwill",
        data={"points": "5", "reason": "And a little more", "csrf_token": csrf_of(page)},
        headers={"accept": "application/json"},
    ).json()
    assert as_json["message"] == (
        "You gave Visitor #1 5 points: “And a little more”. Their balance is now 30 points."
    )
    assert (as_json["balance"], as_json["budget_left"], as_json["budget_limit"]) == (30, 470, 500)


def test_shop_pages_have_a_favicon(client: TestClient, db: Database, store: StoreHandle):
    with db.read() as session:
        secret = store_by_id(session, store.id).identity_secret
    conversation_id = visitor_writes(db, store, "Hi")
    token = csat.csat_link_token(secret, conversation_id)
    pages = {
        "demo shop": f"/widget/{store.slug}/demo-shop",
        "rating": f"/csat/{store.slug}/{conversation_id}/{token}",
    }
    for name, path in pages.items():
        response = client.get(path)
        assert response.status_code == 200, (name, response.text[:300])
        assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in response.text, name
    assert client.get("/static/favicon.svg").headers["content-type"].startswith("image/svg+xml")


def test_member_pages_have_a_favicon(client: TestClient, db: Database, store: StoreHandle):
    make_member(db, store, "m-1")
    with db.read() as session:
        secret = store_by_id(session, store.id).identity_secret
    page = client.get(
        f"/m/{store.slug}", params={"customer": "m-1", "signature": shopper_signature(secret, "m-1")}
    )
    assert page.status_code == 200, page.text[:300]
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page.text


def test_a_file_alone_is_previewed_in_words(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
):
    """No emoji in the list: a system without emoji fonts would show a box."""
    _agent(client, db, store, password_hash)
    with client.websocket_connect(f"/ws/widget/{store.slug}") as widget:
        ticket = hello(widget)["ticket"]
    sent = upload(
        client,
        store.slug,
        ticket,
        [("broken mug.png", PNG, "image/png"), ("receipt.txt", b"Order 1001, paid", "text/plain")],
    )
    assert sent.status_code == 201, sent.text
    [row] = client.get(f"/console/{store.slug}/inbox.json").json()["conversations"]
    assert row["last_message_preview"] == "File: broken mug.png, receipt.txt"
