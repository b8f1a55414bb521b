"""The webhooks pages as an admin uses them: add an endpoint (its secret shown once), see its delivery
log, replay a delivery, send a test event, reveal and rotate the secret, disable, enable and delete;
agents are refused."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from loyaldesk.channels.webhooks.models import WebhookEndpoint
from loyaldesk.kernel.db import Database
from tests.channels.webhooks.conftest import Receiver, deliver
from tests.factories import StoreHandle, csrf_of, login, make_staff

PAGE = "/console/acme/webhooks"


@pytest.fixture
def admin(client: TestClient, db: Database, store: StoreHandle, password_hash: str) -> str:
    email = make_staff(db, store, "admin", password_hash)
    login(client, email)
    return email


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def add(client: TestClient, url: str, **fields: object) -> object:
    data = {
        "url": url,
        "description": "ERP",
        "all_events": "true",
        "csrf_token": csrf_of(client.get(PAGE).text),
    }
    data.update({key: value for key, value in fields.items()})  # type: ignore[misc]
    return client.post(PAGE, data=data, follow_redirects=False)


def test_an_admin_adds_an_endpoint_and_sees_its_secret_once(
    client: TestClient, db: Database, admin: str, receiver: Receiver
) -> None:
    empty = client.get(PAGE)
    assert empty.status_code == 200
    assert "No endpoints yet." in text_of(empty.text)
    assert 'aria-current="page">Webhooks' in empty.text  # its tab among the settings

    added = add(client, receiver.url)
    assert added.status_code == 201  # type: ignore[attr-defined]
    with db.read() as session:
        endpoint = session.scalars(select(WebhookEndpoint)).one()
    page = text_of(added.text)  # type: ignore[attr-defined]
    assert endpoint.secret in page
    assert f"Endpoint added: {receiver.url}" in page
    assert "All events" in page

    again = client.get(PAGE)
    assert endpoint.secret not in again.text
    assert receiver.url in again.text and "Enabled" in again.text


def test_refused_forms_say_why_beside_the_input(client: TestClient, admin: str) -> None:
    response = add(client, "ftp://example.com/in")
    assert response.status_code == 422  # type: ignore[attr-defined]
    html = response.text  # type: ignore[attr-defined]
    assert 'id="f-url-error"' in html and "must be an https:// URL" in html
    assert 'value="ftp://example.com/in"' in html  # what was typed is kept

    none_chosen = add(client, "https://example.com/in", all_events="")
    assert none_chosen.status_code == 422  # type: ignore[attr-defined]
    assert "choose at least one event type" in none_chosen.text  # type: ignore[attr-defined]

    bad_type = add(client, "https://example.com/in", all_events="", event_types="order.teleported")
    assert bad_type.status_code == 422  # type: ignore[attr-defined]
    assert "&#39;order.teleported&#39; is not an event type" in bad_type.text  # type: ignore[attr-defined]
    assert "No endpoints yet." in text_of(client.get(PAGE).text)


def test_the_delivery_log_replay_test_event_secret_and_lifecycle(
    client: TestClient, db: Database, store: StoreHandle, admin: str, receiver: Receiver
) -> None:
    add(client, receiver.url, all_events="", event_types="customer.created")
    with db.read() as session:
        endpoint = session.scalars(select(WebhookEndpoint)).one()
    receiver.secret = endpoint.secret
    detail = f"{PAGE}/{endpoint.id}"
    client.post("/api/v1/customers", headers=store.auth, json={"external_id": "c-1"})
    deliver(db)

    page = client.get(detail)
    assert page.status_code == 200
    seen = text_of(page.text)
    assert "customer.created" in seen and "Delivered" in seen and "200" in seen
    token = csrf_of(page.text)
    delivery_id = re.search(r"/deliveries/(\d+)/replay", page.text).group(1)  # type: ignore[union-attr]

    replayed = client.post(f"{detail}/deliveries/{delivery_id}/replay", data={"csrf_token": token})
    assert "The delivery is sent again" in text_of(replayed.text)
    tested = client.post(f"{detail}/test", data={"csrf_token": token})
    assert "A test event is on its way" in text_of(tested.text)
    deliver(db)
    # The replay and the test event go out together, in parallel: in either order.
    assert sorted(got.verified["type"] for got in receiver.received) == [  # type: ignore[index]
        "customer.created",
        "customer.created",
        "webhook.test",
    ]
    seen = text_of(client.get(detail).text)
    assert f"replay of #{delivery_id}" in seen and "webhook.test" in seen

    revealed = client.post(f"{detail}/secret", data={"csrf_token": token})
    assert endpoint.secret in revealed.text
    rotated = client.post(f"{detail}/rotate", data={"csrf_token": token})
    with db.read() as session:
        new_secret = session.get(WebhookEndpoint, endpoint.id).secret  # type: ignore[union-attr]
    assert new_secret != endpoint.secret and new_secret in rotated.text

    disabled = client.post(f"{detail}/enabled", data={"csrf_token": token, "enabled": "false"})
    assert "Endpoint disabled" in text_of(disabled.text) and "Disabled by" in text_of(disabled.text)
    refused = client.post(f"{detail}/test", data={"csrf_token": token})
    assert "enable it first" in text_of(refused.text)
    enabled = client.post(f"{detail}/enabled", data={"csrf_token": token, "enabled": "true"})
    assert "Endpoint enabled" in text_of(enabled.text)

    changed = client.post(
        detail,
        data={"csrf_token": token, "url": receiver.url, "description": "Changed", "all_events": "true"},
    )
    assert "Endpoint saved." in text_of(changed.text) and "All events" in text_of(changed.text)

    deleted = client.post(f"{detail}/delete", data={"csrf_token": token})
    assert "Endpoint deleted." in text_of(deleted.text) and "No endpoints yet." in text_of(deleted.text)


def test_agents_are_refused(client: TestClient, db: Database, store: StoreHandle, password_hash: str) -> None:
    login(client, make_staff(db, store, "agent", password_hash))
    assert client.get(PAGE).status_code == 403
    assert "Webhooks" not in client.get("/console/acme/customers").text
