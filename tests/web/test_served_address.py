"""Links follow the address served: ``loyaldesk serve --port 8300`` hands out links to port 8300 (the
console's webhook address, a member's referral link) unless ``LOYALDESK_PUBLIC_BASE_URL`` says otherwise,
and then that wins. Real server processes, started as a user would."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from loyaldesk.kernel.db import Database
from loyaldesk.settings import Settings
from tests.factories import TEST_PASSWORD, csrf_of, make_staff, make_store
from tests.servers import free_port, start_server_process

pytestmark = pytest.mark.slow


def test_the_public_base_url_is_the_served_address_unless_set() -> None:
    assert Settings(port=8300).public_base_url == "http://127.0.0.1:8300"
    assert Settings(host="shop.internal", port=9000).public_base_url == "http://shop.internal:9000"
    assert Settings(host="::1", port=8300).public_base_url == "http://[::1]:8300"
    assert (
        Settings(host="0.0.0.0", port=8300).public_base_url == "http://127.0.0.1:8300"
    )  # not an address to open
    configured = Settings(port=8300, public_base_url="https://support.example.com/")
    assert configured.public_base_url == "https://support.example.com"
    assert "public_base_url" in configured.model_fields_set
    assert "public_base_url" not in Settings(port=8300).model_fields_set
    with pytest.raises(ValueError, match="http:// or https://"):
        Settings(public_base_url="support.example.com")


@pytest.fixture
def store_database(tmp_path: Path, sqlite_template: Path, password_hash: str) -> Iterator[tuple[str, str]]:
    """A SQLite database with a store, its owner and an API key: (database URL, API key)."""
    path = tmp_path / "served.db"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite:///{path}"
    database = Database(url)
    store = make_store(database, "acme")
    make_staff(database, store, "owner", password_hash)
    database.dispose()
    yield url, store.token


def _serve(url: str, folder: Path, port: int, public_base_url: str | None) -> subprocess.Popen[bytes]:
    environment = {
        "LOYALDESK_DATABASE_URL": url,
        "LOYALDESK_DATA_DIR": str(folder / "var"),
        "LOYALDESK_COOKIE_SECURE": "false",
        "LOYALDESK_RUN_BACKGROUND_JOBS": "false",
    }
    if public_base_url:
        environment["LOYALDESK_PUBLIC_BASE_URL"] = public_base_url
    return start_server_process(
        port,
        folder,
        environment,
        without=("LOYALDESK_PUBLIC_BASE_URL", "LOYALDESK_HOST", "LOYALDESK_PORT"),
        capture_output=True,  # what it prints about its links is checked
    )


def _links(base: str, token: str, customer: str) -> tuple[str, str]:
    """The webhook address the console shows, and a new member's referral link from the API."""
    with httpx.Client(base_url=base, timeout=30) as client:
        login = client.get("/login")
        client.post(
            "/login",
            data={
                "email": "owner@acme.example.com",
                "password": TEST_PASSWORD,
                "csrf_token": csrf_of(login.text),
            },
        )
        page = client.get("/console/acme/settings/integrations")
        assert page.status_code == 200, page.text
        webhook = page.text.split('<code id="webhook-url">')[1].split("</code>")[0]
        auth = {"Authorization": f"Bearer {token}"}
        created = client.put(f"/api/v1/customers/by-external-id/{customer}", json={}, headers=auth)
        assert created.status_code == 201, created.text
        member = client.post(
            "/api/v1/loyalty/members", json={"customer_id": created.json()["customer"]["id"]}, headers=auth
        )
        assert member.status_code == 201, member.text
        return webhook, member.json()["referral"]["link"]


@pytest.mark.parametrize("configured", [None, "https://support.example.com"])
def test_links_use_the_served_port_unless_the_public_address_is_set(
    tmp_path: Path, store_database: tuple[str, str], configured: str | None
) -> None:
    url, token = store_database
    port = free_port()
    server = _serve(url, tmp_path, port, configured)
    try:
        webhook, referral = _links(f"http://127.0.0.1:{port}", token, "c1")
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0].decode()
    expected = configured or f"http://127.0.0.1:{port}"
    assert webhook == f"{expected}/webhooks/shopify/acme"
    assert referral.startswith(f"{expected}/r/acme/")
    assert f"links start with {expected}" in " ".join(output.split())
