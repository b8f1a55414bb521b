"""Settings → SMS in the console: saving the provider account (the token write-only, shown as its last
four characters), refused values beside their inputs, the webhook addresses to paste, a test SMS sent
through the adapter with the provider's answer shown, and who may see the page."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from loyaldesk.channels.sms.models import SmsSettings
from loyaldesk.kernel.db import Database
from loyaldesk.runtime import Runtime
from loyaldesk.settings import Settings
from loyaldesk.web.app import create_app
from tests.channels.sms.fake_provider import INVALID_NUMBER, SID, TOKEN, FakeProvider
from tests.factories import StoreHandle, csrf_of, login, make_staff

FORM = {
    "account_sid": SID,
    "auth_token": TOKEN,
    "sender": "+49 30 901820",
    "default_region": "de",
    "enabled": "true",
}


def console_client(settings: Settings, db: Database) -> TestClient:
    allowed = settings.model_copy(update={"allow_private_network": True})
    return TestClient(create_app(runtime=Runtime(allowed, database=db)), base_url="https://testserver")


def test_a_manager_sets_up_sms_and_sends_a_test(
    settings: Settings, db: Database, store: StoreHandle, provider: FakeProvider, password_hash: str
) -> None:
    email = make_staff(db, store, "admin", password_hash)
    with console_client(settings, db) as client:
        login(client, email)
        page = client.get(f"/console/{store.slug}/settings/sms")
        assert page.status_code == 200
        assert f"/webhooks/sms/{store.slug}/inbound" in page.text
        assert f"/webhooks/sms/{store.slug}/status" in page.text
        assert 'data-copy="#sms-inbound-url"' in page.text
        csrf = csrf_of(page.text)
        saved = client.post(
            f"/console/{store.slug}/settings/sms",
            data=FORM | {"base_url": provider.base_url, "csrf_token": csrf},
            follow_redirects=False,
        )
        assert saved.status_code == 303, saved.text
        page = client.get(saved.headers["location"])
        assert "SMS settings saved." in page.text
        assert TOKEN not in page.text and f"•••• {TOKEN[-4:]}" in page.text
        with db.read() as session:
            row = session.scalar(select(SmsSettings).where(SmsSettings.store_id == store.id))
            assert row is not None and row.auth_token == TOKEN and row.sender == "+4930901820"
            assert row.default_region == "DE" and row.enabled

        # Saving again without a token keeps the one saved.
        again = client.post(
            f"/console/{store.slug}/settings/sms",
            data=FORM | {"base_url": provider.base_url, "auth_token": "", "csrf_token": csrf},
            follow_redirects=False,
        )
        assert again.status_code == 303
        with db.read() as session:
            assert session.get(SmsSettings, store.id).auth_token == TOKEN  # type: ignore[union-attr]

        sent = client.post(
            f"/console/{store.slug}/settings/sms/test", data={"number": "0151 23456789", "csrf_token": csrf}
        )
        assert sent.status_code == 200 and "Sent: the provider accepted it" in sent.text
        [request] = provider.requests
        assert request.form["To"] == "+4915123456789" and request.headers["idempotency-key"].startswith(
            "sms-test:"
        )

        refused = client.post(
            f"/console/{store.slug}/settings/sms/test", data={"number": INVALID_NUMBER, "csrf_token": csrf}
        )
        assert "Not sent: 21211" in refused.text

        not_a_number = client.post(
            f"/console/{store.slug}/settings/sms/test", data={"number": "123456", "csrf_token": csrf}
        )
        assert not_a_number.status_code == 422 and "not a valid phone number" in not_a_number.text
        assert len(provider.requests) == 2


def test_refused_values_come_back_beside_their_inputs(
    settings: Settings, db: Database, store: StoreHandle, password_hash: str
) -> None:
    email = make_staff(db, store, "owner", password_hash)
    with console_client(settings, db) as client:
        login(client, email)
        csrf = csrf_of(client.get(f"/console/{store.slug}/settings/sms").text)
        answer = client.post(
            f"/console/{store.slug}/settings/sms",
            data={
                "base_url": "ftp://example.com",
                "account_sid": "",
                "auth_token": "secret token with spaces",
                "sender": "hello",
                "default_region": "XX",
                "enabled": "true",
                "csrf_token": csrf,
            },
        )
        assert answer.status_code == 422
        for words in ("an http(s) address", "without spaces", "international form", "two-letter country"):
            assert words in answer.text, words
        assert "secret token with spaces" not in answer.text  # a token is never typed back
        with db.read() as session:
            assert session.get(SmsSettings, store.id) is None


def test_a_test_sms_needs_sms_switched_on(
    settings: Settings, db: Database, store: StoreHandle, password_hash: str
) -> None:
    email = make_staff(db, store, "owner", password_hash)
    with console_client(settings, db) as client:
        login(client, email)
        csrf = csrf_of(client.get(f"/console/{store.slug}/settings/sms").text)
        answer = client.post(
            f"/console/{store.slug}/settings/sms/test", data={"number": "+4915123456789", "csrf_token": csrf}
        )
        assert answer.status_code == 422 and "switch SMS on" in answer.text


def test_agents_may_not_see_the_page(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    login(client, make_staff(db, store, "agent", password_hash))
    assert client.get(f"/console/{store.slug}/settings/sms").status_code == 403
    assert "/settings/sms" not in client.get(f"/console/{store.slug}/settings/staff").text
