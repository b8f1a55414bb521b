"""Files in conversations, over HTTP the way the widget and the console send and fetch them: who may
download what, the limits, and the headers that keep a browser from running a file."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from loyaldesk.kernel.db import Database
from loyaldesk.support.message_format import MAX_ATTACHMENT_BYTES
from loyaldesk.support.models import Attachment, Message
from tests.factories import StoreHandle, login, make_staff, make_store
from tests.support.desk import console_csrf, event_named, hello, receive_until, send_message

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64  # binary, with NUL bytes, as real images have


@pytest.fixture
def agent(client: TestClient, db: Database, store: StoreHandle, password_hash: str) -> str:
    email = make_staff(db, store, "agent", password_hash)
    login(client, email)
    return email


def upload(client: TestClient, slug: str, ticket: str, files: list[tuple[str, bytes, str]], **form: str):
    return client.post(
        f"/widget-api/v1/{slug}/messages",
        data={"ticket": ticket, "client_message_id": form.pop("client_message_id", "f-1"), **form},
        files=[("files", file) for file in files],
    )


def test_a_shopper_sends_a_photo_and_the_agent_downloads_it_safely(
    client: TestClient, db: Database, store: StoreHandle, agent: str
):
    with client.websocket_connect(f"/ws/widget/{store.slug}") as widget:
        welcome = hello(widget)
        ticket = welcome["ticket"]
        # The first message of a conversation can be a file alone.
        sent = upload(client, store.slug, ticket, [("broken mug.png", PNG, "image/png")])
        assert sent.status_code == 201, sent.text
        conversation_id = sent.json()["conversation_id"]
        widget.send_text(json.dumps({"type": "watch", "conversation_id": conversation_id}))
        posted = receive_until(widget, event_named("conversation.message_posted"))
        [file] = posted["data"]["message"]["attachments"]
        assert file["filename"] == "broken mug.png" and file["size"] == len(PNG)

        # A retry of the same upload (same client message id) stores nothing twice.
        again = upload(client, store.slug, ticket, [("broken mug.png", PNG, "image/png")])
        assert again.json()["message_id"] == sent.json()["message_id"]
        with db.read() as session:
            assert session.scalar(select(func.count()).select_from(Attachment)) == 1

        # The shopper gets their own file back with the ticket.
        mine = client.get(f"/widget-api/v1/{store.slug}/attachments/{file['id']}", params={"ticket": ticket})
        assert mine.status_code == 200 and mine.content == PNG

    # The agent sees it in the conversation and downloads it as an attachment, never run as a page.
    page = client.get(f"/console/{store.slug}/inbox", params={"c": conversation_id}).text
    assert f"/inbox/{conversation_id}/attachments/{file['id']}" in page
    download = client.get(f"/console/{store.slug}/inbox/{conversation_id}/attachments/{file['id']}")
    assert download.status_code == 200 and download.content == PNG
    assert download.headers["content-type"] == "image/png"
    assert download.headers["content-disposition"].startswith("attachment;")
    assert "sandbox" in download.headers["content-security-policy"]
    assert download.headers["x-content-type-options"] == "nosniff"
    # The wrong conversation in the path finds nothing.
    assert (
        client.get(f"/console/{store.slug}/inbox/{conversation_id + 99}/attachments/{file['id']}").status_code
        == 404
    )


def test_an_agent_sends_a_file_and_an_internal_file_stays_internal(
    client: TestClient, db: Database, store: StoreHandle, agent: str
):
    csrf = console_csrf(client, store.slug)
    with client.websocket_connect(f"/ws/widget/{store.slug}") as widget:
        ticket = hello(widget)["ticket"]
        conversation_id = send_message(widget, "Can I have the invoice?", "c-1")["conversation_id"]
        reply = client.post(
            f"/console/{store.slug}/inbox/{conversation_id}/messages",
            data={"body": "Here it is.", "csrf_token": csrf},
            files=[("files", ("invoice 1001.pdf", b"%PDF-1.4 test", "application/pdf"))],
            headers={"accept": "application/json"},
        )
        assert reply.status_code == 201, reply.text
        [invoice] = reply.json()["attachments"]
        note = client.post(
            f"/console/{store.slug}/inbox/{conversation_id}/messages",
            data={"body": "", "internal": "true", "csrf_token": csrf},
            files=[("files", ("fraud-check.txt", b"internal notes", "text/plain"))],
            headers={"accept": "application/json"},
        )
        assert note.status_code == 201, note.text
        [internal] = note.json()["attachments"]

        got = receive_until(
            widget,
            lambda f: (
                event_named("conversation.message_posted")(f)
                and f["data"]["message"]["author_kind"] == "agent"
            ),
        )
        assert got["data"]["message"]["attachments"][0]["filename"] == "invoice 1001.pdf"
        url = f"/widget-api/v1/{store.slug}/attachments/"
        assert client.get(url + str(invoice["id"]), params={"ticket": ticket}).content == b"%PDF-1.4 test"
        # The file on the internal note is not the customer's to see.
        assert client.get(url + str(internal["id"]), params={"ticket": ticket}).status_code == 404


def test_files_that_are_dangerous_or_too_big_are_refused_with_the_reason(
    client: TestClient, db: Database, store: StoreHandle
):
    with client.websocket_connect(f"/ws/widget/{store.slug}") as widget:
        ticket = hello(widget)["ticket"]
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'
    refused = upload(client, store.slug, ticket, [("cat.svg", svg, "image/svg+xml")], body="look")
    assert refused.status_code == 422
    assert "image/svg+xml files are not allowed" in refused.json()["error"]["fields"][0]["reason"]
    html = upload(client, store.slug, ticket, [("page.html", b"<script>alert(1)</script>", "text/html")])
    assert html.status_code == 422
    huge = upload(client, store.slug, ticket, [("big.png", b"x" * (MAX_ATTACHMENT_BYTES + 1), "image/png")])
    assert huge.status_code == 422 and "10 MB" in huge.text
    too_many = upload(client, store.slug, ticket, [(f"{n}.txt", b"hi", "text/plain") for n in range(4)])
    assert too_many.status_code == 422 and "at most 3 files" in too_many.text
    empty = upload(client, store.slug, ticket, [("empty.txt", b"", "text/plain")])
    assert empty.status_code == 422
    # A text file named like a page is stored under a name no browser opens as a page.
    renamed = upload(client, store.slug, ticket, [("page.html", b"plain words", "text/plain")])
    assert renamed.status_code == 201
    with db.read() as session:
        assert session.scalars(select(Attachment.filename)).all() == ["page.html.txt"]
        # Nothing of the refused uploads was kept.
        assert session.scalar(select(func.count()).select_from(Message)) == 1


def test_tickets_open_only_their_own_contacts_files(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
):
    with client.websocket_connect(f"/ws/widget/{store.slug}") as alice_widget:
        alice = hello(alice_widget)["ticket"]
    with client.websocket_connect(f"/ws/widget/{store.slug}") as mallory_widget:
        mallory = hello(mallory_widget)["ticket"]
    sent = upload(client, store.slug, alice, [("receipt.pdf", b"%PDF-1.7 alice", "application/pdf")])
    conversation_id = sent.json()["conversation_id"]
    with db.read() as session:
        file_id = session.scalar(select(Attachment.id))
    url = f"/widget-api/v1/{store.slug}/attachments/{file_id}"
    assert client.get(url, params={"ticket": mallory}).status_code == 404
    assert client.get(url, params={"ticket": alice + "x"}).status_code == 401
    assert client.get(url).status_code == 422  # no ticket at all
    # Another visitor cannot post a file into Alice's conversation, nor watch it.
    intrude = upload(
        client, store.slug, mallory, [("x.txt", b"x", "text/plain")], conversation_id=str(conversation_id)
    )
    assert intrude.status_code == 404
    with client.websocket_connect(f"/ws/widget/{store.slug}") as widget:
        hello(widget)
        widget.send_text(json.dumps({"type": "watch", "conversation_id": conversation_id}))
        assert receive_until(widget, lambda f: f.get("type") == "error")["message"] == "no such conversation"

    # A ticket of one store is worth nothing at another.
    other = make_store(db, "other-shop")
    assert (
        client.get(f"/widget-api/v1/{other.slug}/attachments/{file_id}", params={"ticket": alice}).status_code
        == 401
    )

    # Staff of another store cannot download it, nor can someone logged out.
    outsider = make_staff(db, other, "admin", password_hash)
    login(client, outsider)
    staff_url = f"/console/{store.slug}/inbox/{conversation_id}/attachments/{file_id}"
    assert client.get(staff_url).status_code in (403, 404)
    client.cookies.clear()
    assert client.get(staff_url, follow_redirects=False).status_code in (303, 401)


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"


def test_every_upload_path_decides_the_type_by_the_content(
    client: TestClient, db: Database, store: StoreHandle, agent: str
):
    with client.websocket_connect(f"/ws/widget/{store.slug}") as widget:
        ticket = hello(widget)["ticket"]
    # The shopper's phone says image/jpg; another browser says application/octet-stream.
    sent = upload(
        client,
        store.slug,
        ticket,
        [("IMG_2231.JPG", JPEG, "image/jpg"), ("label", b"%PDF-1.4 label", "application/octet-stream")],
    )
    assert sent.status_code == 201, sent.text
    conversation_id = sent.json()["conversation_id"]
    # A file whose label says PDF but whose bytes are an archive is refused, naming what is wrong.
    disguised = upload(
        client, store.slug, ticket, [("invoice.pdf", b"PK\x03\x04\x14\x00\x00\x00", "application/pdf")],
        client_message_id="f-2",
    )  # fmt: skip
    assert disguised.status_code == 422
    [problem] = disguised.json()["error"]["fields"]
    assert problem["field"] == "files.0" and "its content is not application/pdf" in problem["reason"]

    # The agent's composer goes through the same judgement.
    csrf = console_csrf(client, store.slug)
    reply = client.post(
        f"/console/{store.slug}/inbox/{conversation_id}/messages",
        data={"body": "Here is your label.", "csrf_token": csrf},
        files=[("files", ("label.png", b"%PDF-1.4 return label", "image/png"))],
        headers={"accept": "application/json"},
    )
    assert reply.status_code == 201, reply.text
    page = client.post(
        f"/console/{store.slug}/inbox/{conversation_id}/messages",
        data={"body": "", "csrf_token": csrf},
        files=[("files", ("notes.txt", b"<!DOCTYPE html><script>alert(1)</script>", "text/plain"))],
        headers={"accept": "application/json"},
    )
    assert page.status_code == 422 and "text/html files are not allowed" in page.text
    with db.read() as session:
        stored = session.execute(select(Attachment.filename, Attachment.content_type).order_by(Attachment.id))
        assert [tuple(row) for row in stored] == [
            ("IMG_2231.jpg", "image/jpeg"),
            ("label.pdf", "application/pdf"),
            ("label.png.pdf", "application/pdf"),
        ]
        # Nothing of the refused uploads was kept: two messages, the shopper's and the agent's.
        assert session.scalar(select(func.count()).select_from(Message)) == 2
