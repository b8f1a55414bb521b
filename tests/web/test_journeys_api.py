"""The journeys API: rules created, read, listed, replaced, switched and deleted; a definition that cannot
run refused with 422 naming the part; results, dry run, explain and the calendar as JSON."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from loyaldesk.journeys.models import Decision, Enrollment
from loyaldesk.kernel.db import Database, UnitOfWork
from tests.factories import StoreHandle, make_api_key
from tests.web.journeys_helpers import customer, make_template

RULE: dict[str, Any] = {
    "name": "Thanks after delivery",
    "trigger": {"kind": "event", "event": "order.delivered"},
    "conditions": {"all": [{"field": "orders.count", "op": "gte", "value": 1}]},
    "steps": [{"kind": "wait", "days": 1}, {"kind": "send", "channel": "email", "template": "thanks"}],
    "holdout_percent": 10,
}


def test_crud_and_switching(client: TestClient, db: Database, store: StoreHandle) -> None:
    make_template(db, store.id, "thanks")
    created = client.post("/api/v1/journeys", headers=store.auth, json=RULE)
    assert created.status_code == 201, created.text
    rule = created.json()
    assert rule["version"] == 1 and rule["enabled"] is False and rule["holdout_percent"] == 10
    url = f"/api/v1/journeys/{rule['id']}"
    assert client.get(url, headers=store.auth).json()["name"] == "Thanks after delivery"

    replaced = client.put(url, headers=store.auth, json={**RULE, "name": "Thanks", "enabled": True})
    assert replaced.status_code == 200 and replaced.json()["version"] == 2 and replaced.json()["enabled"]
    assert client.post(f"{url}/disable", headers=store.auth).json()["enabled"] is False
    assert client.post(f"{url}/enable", headers=store.auth).json()["enabled"] is True

    second = client.post("/api/v1/journeys", headers=store.auth, json={**RULE, "name": "Second"}).json()
    first_page = client.get("/api/v1/journeys?limit=1", headers=store.auth).json()
    assert [r["id"] for r in first_page["data"]] == [second["id"]] and first_page["next_cursor"]
    rest = client.get(f"/api/v1/journeys?limit=1&cursor={first_page['next_cursor']}", headers=store.auth)
    assert [r["id"] for r in rest.json()["data"]] == [rule["id"]] and rest.json()["next_cursor"] is None
    assert client.get("/api/v1/journeys?purpose=campaign", headers=store.auth).json()["data"] == []

    assert client.delete(url, headers=store.auth).status_code == 204
    assert client.get(url, headers=store.auth).status_code == 404


def test_a_definition_that_cannot_run_is_refused_naming_the_part(
    client: TestClient, db: Database, store: StoreHandle
) -> None:
    answer = client.post("/api/v1/journeys", headers=store.auth, json=RULE)  # no template "thanks" yet
    assert answer.status_code == 422
    fields = answer.json()["error"]["fields"]
    assert fields[0]["field"] == "steps[1].template" and "thanks" in fields[0]["reason"]

    bad_field = {**RULE, "conditions": {"all": [{"field": "customer.shoe_size", "op": "eq", "value": 1}]}}
    answer = client.post("/api/v1/journeys", headers=store.auth, json=bad_field)
    assert (
        answer.status_code == 422
        and answer.json()["error"]["fields"][0]["field"] == "conditions.all[0].field"
    )

    # Values of the wrong shape anywhere in the definition are refused too, never a server error.
    make_template(db, store.id, "thanks")
    for steps in (
        [{"kind": "send", "channel": "email", "template": ["thanks"]}],
        [{"kind": "grant_reward", "reward_id": [1]}],
        [{"kind": "assign", "team_id": {"a": 1}}],
    ):
        answer = client.post("/api/v1/journeys", headers=store.auth, json={**RULE, "steps": steps})
        assert answer.status_code == 422, answer.text
    odd_op = {**RULE, "conditions": {"all": [{"field": "orders.count", "op": ["eq"], "value": 1}]}}
    assert client.post("/api/v1/journeys", headers=store.auth, json=odd_op).status_code == 422


def test_results_dry_run_explain_and_calendar(client: TestClient, db: Database, store: StoreHandle) -> None:
    make_template(db, store.id, "thanks")
    rule_id = client.post("/api/v1/journeys", headers=store.auth, json={**RULE, "enabled": True}).json()["id"]
    ada = customer(db, store, "c1", "Ada", "ada@example.com")

    def history(uow: UnitOfWork) -> None:
        now = uow.now()
        uow.session.add(
            Enrollment(
                store_id=store.id,
                rule_id=rule_id,
                rule_version=1,
                customer_id=ada,
                occurrence="order:1",
                status="done",
                created_at=now,
                updated_at=now,
            )
        )
        uow.session.add(
            Decision(
                store_id=store.id,
                rule_id=rule_id,
                customer_id=ada,
                at=now - timedelta(hours=1),
                outcome="entered",
                summary="order.delivered",
            )
        )

    db.write(history)
    results = client.get(f"/api/v1/journeys/{rule_id}/results", headers=store.auth)
    assert results.status_code == 200
    body = results.json()
    assert body["entered"] == 1 and body["treated"]["customers"] == 1 and body["uplift"] is None

    dry = client.get(f"/api/v1/journeys/{rule_id}/dry-run", headers=store.auth).json()
    assert dry["count"] == 0 and "order.delivered" in dry["basis"]

    explained = client.get(f"/api/v1/journeys/{rule_id}/explain?customer_id={ada}", headers=store.auth)
    assert explained.status_code == 200
    body = explained.json()
    assert body["would_enter_now"] is False
    assert body["tests_now"] == [
        {"field": "orders.count", "op": "gte", "expected": 1, "actual": 0, "passed": False}
    ]
    assert [d["outcome"] for d in body["decisions"]] == ["entered"]
    assert (
        client.get(f"/api/v1/journeys/{rule_id}/explain?customer_id=999999", headers=store.auth).status_code
        == 404
    )

    days = client.get("/api/v1/journeys/calendar?days=3", headers=store.auth).json()
    assert len(days) == 3 and set(days[0]) == {"day", "marketing_rules", "collision", "entries"}


def test_scopes(client: TestClient, db: Database, store: StoreHandle) -> None:
    reader = make_api_key(db, store, ["journeys:read"])
    assert client.get("/api/v1/journeys", headers=reader).status_code == 200
    assert client.post("/api/v1/journeys", headers=reader, json=RULE).status_code == 403
