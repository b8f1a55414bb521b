"""The member page's "Your preferences" (``/m/{store}/preferences``) over HTTP: the form with its labels in
the shopper's language, the store's categories as choices, saving, errors shown with the form kept, and
nobody but the signed-in shopper reaching it."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from loyaldesk.kernel.db import Database
from loyaldesk.stores import Store
from loyaldesk.stores.credentials import shopper_signature
from tests.factories import StoreHandle, table_counts

PAGE = "/m/acme/preferences"


def identity(db: Database, store: StoreHandle, external_id: str) -> dict[str, str]:
    with db.read() as session:
        secret = session.get(Store, store.id).identity_secret  # type: ignore[union-attr]
    return {"customer": external_id, "signature": shopper_signature(secret, external_id)}


def setup_store(client: TestClient, store: StoreHandle, locale: str | None = None) -> None:
    body: dict[str, Any] = {"external_id": "c-1"}
    if locale:
        body["locale"] = locale
    assert client.post("/api/v1/customers", headers=store.auth, json=body).status_code == 201
    for external_id, category in (("beans", "Coffee"), ("tea", "Tea"), ("card", "Gift cards")):
        product = {"external_id": external_id, "title": external_id, "price": 500, "currency": "EUR"}
        response = client.post("/api/v1/products", headers=store.auth, json={**product, "category": category})
        assert response.status_code == 201


def encoded(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Form fields that repeat (sizes, ticked boxes), as a browser sends them."""
    fields: dict[str, list[str]] = {}
    for name, value in pairs:
        fields.setdefault(name, []).append(value)
    return fields


def labelled(html: str, label: str) -> str:
    """The id of the form control the visible ``label`` names (every control has its label)."""
    match = re.search(r'<label for="([^"]+)">' + re.escape(label) + "</label>", html)
    assert match, f"no label {label!r}"
    assert f'id="{match.group(1)}"' in html
    return match.group(1)


def test_the_shopper_sees_and_changes_their_preferences(
    client: TestClient, store: StoreHandle, db: Database
) -> None:
    setup_store(client, store)
    me = identity(db, store, "c-1")
    member_page = client.get("/m/acme", params=me)
    assert member_page.status_code == 200
    assert "/m/acme/preferences?customer=c-1" in member_page.text
    page = client.get(PAGE, params=me)
    assert page.status_code == 200
    assert "<h1>Your preferences</h1>" in page.text
    for label in (
        "Shoes",
        "Tops (shirts, sweaters)",
        "Coffee",
        "Tea",
        "Gift cards",
        "Email",
        "Chat on the store&#39;s website",
    ):
        labelled(page.text, label)
    assert (
        "<legend>What you like</legend>" in page.text and "<legend>What not to show you</legend>" in page.text
    )
    form = [
        *me.items(),
        ("size_kind", "tops"),
        ("size_value", "M"),
        ("size_kind", "bottoms"),
        ("size_value", ""),
        ("size_kind", "shoes"),
        ("size_value", "42"),
        ("interest", "Coffee"),
        ("exclude", "Gift cards"),
        ("channel", "email"),
    ]
    saved = client.post(PAGE, data=encoded(form), follow_redirects=False)
    assert saved.status_code == 303, saved.text
    shown = client.get(saved.headers["location"])
    assert "Your preferences are saved." in shown.text
    assert re.search(r'name="size_value" value="42"', shown.text)
    coffee = labelled(shown.text, "Coffee")
    assert re.search(rf'id="{coffee}" name="interest" value="Coffee" checked', shown.text)
    api = client.get(
        "/member-api/v1/acme/me/preferences",
        headers={"X-Customer-Id": "c-1", "X-Customer-Signature": me["signature"]},
    ).json()
    assert api["sizes"] == {"tops": "M", "shoes": "42"}
    assert (api["interests"], api["excluded_categories"], api["channels"]) == (
        ["Coffee"],
        ["Gift cards"],
        ["email"],
    )


def test_a_contradiction_shows_the_form_again_with_the_reason(
    client: TestClient, store: StoreHandle, db: Database
) -> None:
    setup_store(client, store)
    me = identity(db, store, "c-1")
    form = [
        *me.items(),
        ("interest", "Tea"),
        ("exclude", "Tea"),
        ("size_kind", "shoes"),
        ("size_value", "43"),
    ]
    refused = client.post(PAGE, data=encoded(form))
    assert refused.status_code == 422
    assert "Please check “What not to show you”" in refused.text and 'role="alert"' in refused.text
    assert 'name="size_value" value="43"' in refused.text  # what was typed is kept
    too_long = client.post(
        PAGE, data=encoded([*me.items(), ("size_kind", "shoes"), ("size_value", "x" * 30)])
    )
    assert too_long.status_code == 422 and "Please check “Sizes”" in too_long.text
    odd = client.post(PAGE, data=encoded([*me.items(), ("channel", "carrier pigeon")]))
    assert odd.status_code == 422 and "How we reach you" in odd.text
    assert table_counts(db, "recommendation_preferences")["recommendation_preferences"] == 0


def test_in_german(client: TestClient, store: StoreHandle, db: Database) -> None:
    setup_store(client, store, locale="de-DE")
    page = client.get(PAGE, params=identity(db, store, "c-1"))
    assert '<html lang="de">' in page.text
    assert "<h1>Ihre Vorlieben</h1>" in page.text
    labelled(page.text, "Schuhe")
    assert "Meine Vorlieben speichern" in page.text and "Was Ihnen gefällt" in page.text


def test_nobody_else_reaches_the_page(client: TestClient, store: StoreHandle, db: Database) -> None:
    setup_store(client, store)
    assert (
        client.post("/api/v1/customers", headers=store.auth, json={"external_id": "c-2"}).status_code == 201
    )
    theirs = identity(db, store, "c-2")
    forged = {"customer": "c-1", "signature": theirs["signature"]}
    assert client.get(PAGE, params=forged).status_code == 401
    assert client.get(PAGE).status_code == 401
    refused = client.post(PAGE, data={**forged, "interest": "Tea"})
    assert refused.status_code == 401
    assert table_counts(db, "recommendation_preferences")["recommendation_preferences"] == 0
    # A shopper the store has not told loyaldesk about sees why there is no form.
    unknown = client.get(PAGE, params=identity(db, store, "c-9"))
    assert unknown.status_code == 200 and "has not told us about you yet" in unknown.text
    assert "<form" not in unknown.text
    assert client.post(PAGE, data={**identity(db, store, "c-9"), "interest": "Tea"}).status_code == 409
