"""The member page's "Tell us how we did" card and the member API's ``/me/surveys``: the signed-in
shopper's open surveys with their links, nobody else's."""

from __future__ import annotations

from fastapi.testclient import TestClient

from loyaldesk.kernel.db import Database
from loyaldesk.stores import Store
from loyaldesk.stores.credentials import shopper_signature
from tests.factories import StoreHandle
from tests.web.survey_fixtures import invite, make_customer, make_survey


def signed(db: Database, store: StoreHandle, external_id: str) -> dict[str, str]:
    with db.read() as session:
        secret = session.get(Store, store.id).identity_secret  # type: ignore[union-attr]
    return {"X-Customer-Id": external_id, "X-Customer-Signature": shopper_signature(secret, external_id)}


def test_the_shopper_finds_their_open_surveys(client: TestClient, db: Database, store: StoreHandle) -> None:
    customer = make_customer(db, store, "c-1", locale="de")
    make_customer(db, store, "c-2")
    _invitation, token = invite(db, store, make_survey(db, store), customer, channel="member")
    mine = client.get("/member-api/v1/acme/me/surveys", headers=signed(db, store, "c-1"))
    assert mine.status_code == 200
    [item] = mine.json()["surveys"]
    assert item["url"].endswith(f"/s/acme/{token}?lang=de") and item["status"] == "asked"
    assert item["question"] == "Wie wahrscheinlich empfehlen Sie uns?"
    assert client.get("/member-api/v1/acme/me/surveys", headers=signed(db, store, "c-2")).json() == {
        "surveys": []
    }
    assert client.get("/member-api/v1/acme/me/surveys").status_code == 401
    identity = signed(db, store, "c-1")
    page = client.get("/m/acme", params={"customer": "c-1", "signature": identity["X-Customer-Signature"]})
    assert page.status_code == 200
    assert "Wie waren wir?" in page.text and f"/s/acme/{token}?lang=de" in page.text
    # Answered, it leaves the card.
    client.post(f"/survey-api/v1/acme/{token}/answers", json={"answers": {"score": 10, "liked": ["price"]}})
    assert client.get("/member-api/v1/acme/me/surveys", headers=identity).json() == {"surveys": []}
    again = client.get("/m/acme", params={"customer": "c-1", "signature": identity["X-Customer-Signature"]})
    assert f"/s/acme/{token}" not in again.text
