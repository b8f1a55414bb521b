"""The chat widget on a store's own site: its assets load from any page (CORS), while the store's allowed
origins gate its socket and its HTTP API (offline form, files), which refuse other pages saying why and
store nothing."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from loyaldesk.kernel.actors import system_for
from loyaldesk.kernel.db import Database
from loyaldesk.support.actions import desk_settings
from loyaldesk.support.models import Attachment
from loyaldesk.support.widget_origins import allowed_origin_problems, normalise_origin, origin_refusal
from tests.factories import StoreHandle, table_counts
from tests.support.desk import hello, receive_until, send_message
from tests.support.test_attachments import PNG

SHOP = "https://shop.example.com"
EVIL = "https://evil.example"
STORED = ("support_conversations", "support_messages", "support_attachments", "support_contacts")


def allow(db: Database, store: StoreHandle, *origins: str) -> None:
    db.write(
        desk_settings.update_settings,
        system_for(store.id),
        store.id,
        {"widget_allowed_origins": list(origins)},
    )


def offline(client: TestClient, store: StoreHandle, origin: str | None) -> object:
    headers = {"origin": origin} if origin else {}
    return client.post(
        f"/widget-api/v1/{store.slug}/offline-messages",
        json={"name": "Ada", "email": "ada@example.com", "body": "Call me back"},
        headers=headers,
    )


# --- The rule, without I/O ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://Shop.Example.com/", "https://shop.example.com"),
        ("https://shop.example.com:443", "https://shop.example.com"),
        ("http://localhost:3000", "http://localhost:3000"),
        ("http://[::1]:8080", "http://[::1]:8080"),
        ("https://*.shop.example", "https://*.shop.example"),
        ("shop.example.com", None),
        ("https://shop.example.com/cart", None),
        ("https://user@shop.example.com", None),
        ("ftp://shop.example.com", None),
        ("null", None),
        ("https://shop.example.com:99999", None),
    ],
)
def test_origins_are_compared_as_browsers_send_them(value: str, expected: str | None):
    assert normalise_origin(value) == expected


@pytest.mark.parametrize(
    ("origin", "allowed", "refused_because"),
    [
        # No list: any https page and this machine's http pages; not plain-http sites, not "null".
        ("https://any.example", [], None),
        ("http://localhost:3000", [], None),
        ("http://127.0.0.1:8123", [], None),
        ("http://shop.example.com", [], "only opens on https pages"),
        ("null", [], "without a web origin"),
        (None, [], None),  # a program that is not a browser
        # A list: exactly its origins (a *. pattern: every subdomain), and loyaldesk's own pages.
        (SHOP, [SHOP], None),
        ("https://SHOP.example.com", [SHOP + "/"], None),
        ("https://www.shop.example.com", [SHOP], "may not open this store's chat"),
        ("https://www.shop.example.com", ["https://*.shop.example.com"], None),
        ("https://shop.example.com", ["https://*.shop.example.com"], "may not open"),
        ("http://www.shop.example.com", ["https://*.shop.example.com"], "may not open"),
        ("https://evilshop.example.com", ["https://*.shop.example.com"], "may not open"),
        ("https://desk.example", [SHOP], None),  # loyaldesk's own host (the demo shop page)
        (None, [SHOP], "send their Origin"),
        ("http://localhost:3000", [SHOP], "may not open"),
    ],
)
def test_which_pages_may_use_the_chat(origin: str | None, allowed: list[str], refused_because: str | None):
    refusal = origin_refusal(origin, allowed, "desk.example")
    if refused_because is None:
        assert refusal is None
    else:
        assert refusal is not None and refused_because in refusal


def test_a_list_of_origins_is_checked_where_it_is_typed():
    assert allowed_origin_problems([SHOP, "https://*.shop.example"]) == []
    problems = allowed_origin_problems(["https://shop.example.com/cart", "https://shop.*.example"])
    assert [p.field for p in problems] == ["widget_allowed_origins"] * 2
    assert "no path" in problems[0].reason and "may only stand first" in problems[1].reason


# --- Assets -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("asset", ["loader.js", "widget.css"])
@pytest.mark.parametrize("origin", [SHOP, None])
def test_the_widgets_assets_load_on_any_page(client: TestClient, asset: str, origin: str | None):
    response = client.get(f"/static/widget/{asset}", headers={"origin": origin} if origin else {})
    assert response.status_code == 200
    # Always, so that no cached copy lacks it: a module script is fetched in CORS mode.
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["cross-origin-resource-policy"] == "cross-origin"
    assert "access-control-allow-credentials" not in response.headers


def test_the_consoles_own_assets_stay_same_origin(client: TestClient):
    response = client.get("/static/inbox.js", headers={"origin": SHOP})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


# --- The widget's HTTP API ----------------------------------------------------------------------------------


def test_the_offline_form_is_refused_on_a_page_not_allowed_and_nothing_is_stored(
    client: TestClient, db: Database, store: StoreHandle
):
    allow(db, store, SHOP)
    before = table_counts(db, *STORED)
    for origin in (EVIL, "http://shop.example.com", None):
        refused = offline(client, store, origin)
        assert refused.status_code == 403, origin
        error = refused.json()["error"]
        assert error["code"] == "permission_denied"
        assert "Desk settings" in error["message"]
    refused = offline(client, store, EVIL)
    assert f"this page's origin ({EVIL}) may not open this store's chat" in refused.json()["error"]["message"]
    # The page's script can read why (the refusal carries CORS headers like any widget answer).
    assert refused.headers["access-control-allow-origin"] == "*"
    assert table_counts(db, *STORED) == before

    assert offline(client, store, SHOP).status_code == 201
    assert offline(client, store, "https://testserver").status_code == 201  # loyaldesk's own page


def test_without_a_list_the_offline_form_works_on_https_pages_only(
    client: TestClient, db: Database, store: StoreHandle
):
    before = table_counts(db, "support_conversations")
    refused = offline(client, store, "http://shop.example.com")
    assert refused.status_code == 403
    assert "only opens on https pages" in refused.json()["error"]["message"]
    assert offline(client, store, "null").status_code == 403
    assert table_counts(db, "support_conversations") == before
    assert offline(client, store, "https://any-shop.example").status_code == 201
    assert offline(client, store, "http://localhost:5173").status_code == 201


def _ticket_from(client: TestClient, store: StoreHandle, origin: str) -> tuple[str, int]:
    """A visitor on ``origin`` starts a conversation; their widget ticket and the conversation's id."""
    with client.websocket_connect(f"/ws/widget/{store.slug}", headers={"origin": origin}) as widget:
        welcome = hello(widget)
        ack = send_message(widget, "Hello", "c-1")
    return welcome["ticket"], ack["conversation_id"]


def test_files_go_only_from_and_to_allowed_pages(client: TestClient, db: Database, store: StoreHandle):
    allow(db, store, SHOP)
    ticket, conversation_id = _ticket_from(client, store, SHOP)
    upload = {
        "ticket": ticket,
        "client_message_id": "f-1",
        "conversation_id": str(conversation_id),
    }
    files = {"files": ("parcel.png", PNG, "image/png")}
    before = table_counts(db, *STORED)
    refused = client.post(
        f"/widget-api/v1/{store.slug}/messages", data=upload, files=files, headers={"origin": EVIL}
    )
    assert refused.status_code == 403 and EVIL in refused.json()["error"]["message"]
    assert table_counts(db, *STORED) == before

    sent = client.post(
        f"/widget-api/v1/{store.slug}/messages", data=upload, files=files, headers={"origin": SHOP}
    )
    assert sent.status_code == 201, sent.text
    with db.read() as session:
        attachment_id = session.scalars(select(Attachment.id)).one()
    path = f"/widget-api/v1/{store.slug}/attachments/{attachment_id}"
    # An <img> or a download link sends no Origin: the ticket is the proof.
    shown = client.get(path, params={"ticket": ticket})
    assert shown.status_code == 200 and shown.content == PNG
    assert shown.headers["cross-origin-resource-policy"] == "cross-origin"
    assert client.get(path, params={"ticket": ticket}, headers={"origin": SHOP}).status_code == 200
    fetched_elsewhere = client.get(path, params={"ticket": ticket}, headers={"origin": EVIL})
    assert fetched_elsewhere.status_code == 403


def test_the_socket_refuses_a_page_not_allowed_saying_why(
    client: TestClient, db: Database, store: StoreHandle
):
    allow(db, store, SHOP)
    before = table_counts(db, *STORED)
    with client.websocket_connect(f"/ws/widget/{store.slug}", headers={"origin": EVIL}) as widget:
        widget.send_text(json.dumps({"type": "hello"}))
        error = json.loads(widget.receive_text())
    assert error["type"] == "error" and error["code"] == 4403
    assert f"this page's origin ({EVIL}) may not open this store's chat" in error["message"]
    assert "Desk settings" in error["message"]
    assert table_counts(db, *STORED) == before  # not even a contact

    with client.websocket_connect(f"/ws/widget/{store.slug}", headers={"origin": SHOP}) as widget:
        assert hello(widget)["type"] == "welcome"
    with client.websocket_connect(
        f"/ws/widget/{store.slug}", headers={"origin": "https://testserver"}
    ) as widget:
        assert hello(widget)["type"] == "welcome"  # the demo shop page, on loyaldesk's own host


def test_without_a_list_the_socket_refuses_plain_http_sites(client: TestClient, store: StoreHandle):
    with client.websocket_connect(
        f"/ws/widget/{store.slug}", headers={"origin": "http://shop.example.com"}
    ) as widget:
        widget.send_text(json.dumps({"type": "hello"}))
        error = receive_until(widget, lambda frame: frame.get("type") == "error")
    assert error["code"] == 4403 and "https" in error["message"]
