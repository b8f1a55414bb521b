"""Inbox → Install the chat: a store's admin finds the script tag with this desk's public address, the
Content-Security-Policy sources and the signing recipes (which really compute the store's signature);
nobody else gets the page."""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from loyaldesk.kernel.actors import system_for
from loyaldesk.kernel.db import Database
from loyaldesk.settings import Settings
from loyaldesk.stores import store_by_id
from loyaldesk.stores.credentials import shopper_signature
from loyaldesk.support.actions import desk_settings
from tests.factories import StoreHandle, login, make_staff

PUBLIC = "https://desk.example.com"
PAGE = "/console/{slug}/inbox-settings/widget"


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """The conftest's settings, with a public address of a real install."""
    return Settings(
        database_url=database_url,
        data_dir=tmp_path / "var",
        secret_key="test-secret-key-not-for-production",
        run_background_jobs=False,
        redis_url=None,
        public_base_url=PUBLIC + "/",
    )


def code_block(page: str, element_id: str) -> str:
    found = re.search(rf'<code id="{element_id}"[^>]*>(.*?)</code>', page, re.DOTALL)
    assert found, f"no #{element_id} on the page"
    return html.unescape(found.group(1))


def secret_of(db: Database, store: StoreHandle) -> str:
    with db.read() as session:
        return store_by_id(session, store.id).identity_secret


def test_an_admin_finds_the_snippet_with_the_public_address(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
):
    login(client, make_staff(db, store, "admin", password_hash))
    response = client.get(PAGE.format(slug=store.slug))
    assert response.status_code == 200
    page = response.text
    assert code_block(page, "snippet-anonymous") == (
        f'<script type="module" src="{PUBLIC}/static/widget/loader.js" data-loyaldesk-widget '
        f'data-store="{store.slug}"></script>'
    )
    signed_in = code_block(page, "snippet-signed-in")
    assert 'data-customer-id="CUSTOMER_ID" data-customer-signature="SIGNATURE"' in signed_in
    assert code_block(page, "snippet-csp") == (
        f"script-src {PUBLIC}; style-src {PUBLIC}; img-src {PUBLIC}; connect-src {PUBLIC} wss://desk.example.com"
    )
    for target in ("#snippet-anonymous", "#snippet-signed-in", "#snippet-csp", "#recipe-python"):
        assert f'data-copy="{target}"' in page
    assert "any https page" in page  # no list yet: the default, said in words
    assert secret_of(db, store) not in page  # the recipes read it from the server's environment
    # The page is one click from the inbox.
    assert (
        f'href="/console/{store.slug}/inbox-settings/widget"'
        in client.get(f"/console/{store.slug}/inbox").text
    )


def test_the_page_lists_the_pages_allowed_to_show_the_chat(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
):
    db.write(
        desk_settings.update_settings,
        system_for(store.id),
        store.id,
        {"widget_allowed_origins": ["https://Shop.Example.com/", "https://*.shop.example.com"]},
    )
    login(client, make_staff(db, store, "owner", password_hash))
    page = client.get(PAGE.format(slug=store.slug)).text
    assert "<code>https://shop.example.com</code>" in page
    assert "<code>https://*.shop.example.com</code>" in page
    assert "any https page" not in page


def test_the_python_recipe_computes_the_stores_signature(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str, monkeypatch: pytest.MonkeyPatch
):
    login(client, make_staff(db, store, "admin", password_hash))
    recipe = code_block(client.get(PAGE.format(slug=store.slug)).text, "recipe-python")
    monkeypatch.setenv("LOYALDESK_IDENTITY_SECRET", secret_of(db, store))
    namespace: dict[str, object] = {}
    exec(recipe, namespace)  # the code as a store's developer would paste it
    signature = namespace["loyaldesk_signature"]("C100001")  # type: ignore[operator]
    assert signature == shopper_signature(secret_of(db, store), "C100001")


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_the_node_recipe_computes_the_stores_signature(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
):
    login(client, make_staff(db, store, "admin", password_hash))
    recipe = code_block(client.get(PAGE.format(slug=store.slug)).text, "recipe-node")
    secret = secret_of(db, store)
    result = subprocess.run(
        ["node", "-e", recipe + '\nprocess.stdout.write(loyaldeskSignature("C100001"));'],
        env={**os.environ, "LOYALDESK_IDENTITY_SECRET": secret},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout == shopper_signature(secret, "C100001")


def test_an_agent_and_other_stores_staff_do_not_get_the_page(
    client: TestClient, db: Database, store: StoreHandle, other_store: StoreHandle, password_hash: str
):
    assert client.get(PAGE.format(slug=store.slug), follow_redirects=False).status_code == 303  # log in first
    # An admin of another store: this store is not theirs (404, as for a store that does not exist).
    login(client, make_staff(db, other_store, "admin", password_hash))
    foreign = client.get(PAGE.format(slug=store.slug))
    assert foreign.status_code == 404
    assert "loader.js" not in foreign.text
    assert client.get(PAGE.format(slug=other_store.slug)).status_code == 200  # their own store's page

    client.cookies.clear()  # log out, as the other store's admin
    login(client, make_staff(db, store, "agent", password_hash))
    denied = client.get(PAGE.format(slug=store.slug))
    assert denied.status_code == 403 and "loader.js" not in denied.text
    assert (
        f"/console/{store.slug}/inbox-settings/widget" not in client.get(f"/console/{store.slug}/inbox").text
    )
