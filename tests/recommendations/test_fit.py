"""Fitting a store's recommendations end to end: orders in through the store API (and the importer),
picks stored per customer, a new order rescoring its customer without a refit, a failed fit keeping the
old picks, bad input, the refit job and the commands."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from loyaldesk.commerce import Order
from loyaldesk.customers.models import Customer
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from loyaldesk.kernel.dispatcher import dispatch_until_idle
from loyaldesk.kernel.events import EventRecord
from loyaldesk.recommendations import CustomerPick, FitStatus, RecommendationFit, RecommendationSettings
from loyaldesk.recommendations.actions.fit import fit_store
from loyaldesk.recommendations.jobs import run_due_fits
from tests.factories import StoreHandle, order_payload

BASE = datetime(2026, 1, 1, 10, tzinfo=UTC)
DATA = Path(__file__).resolve().parent.parent / "data" / "online_retail"


def _line(sku: str | None, title: str, category: str = "Coffee", **extra: Any) -> dict[str, Any]:
    line = {"title": title, "category": category, "quantity": 1, "unit_price": 900, **extra}
    if sku is not None:
        line["sku"] = sku
    return line


def _order(
    client: TestClient, store: StoreHandle, number: int, customer: str, day: int, lines: list[Any]
) -> None:
    payload = order_payload(
        str(number),
        customer={"external_id": customer, "email": f"{customer}@example.com"},
        lines=[{"external_id": f"l{i}", **line} for i, line in enumerate(lines)],
        placed_at=(BASE + timedelta(days=day)).isoformat(),
    )
    response = client.post("/api/v1/orders", headers=store.auth, json=payload)
    assert response.status_code in (200, 201), response.text


def _shop(client: TestClient, store: StoreHandle) -> None:
    """A coffee drinker every 28 days; others buy coffee with a mug; a line without sku or product id."""
    number = 1000
    for day in (0, 28, 56):
        number += 1
        _order(client, store, number, "regular", day, [_line("BEANS", "Coffee beans")])
    for customer in range(6):
        number += 1
        _order(
            client,
            store,
            number,
            f"c{customer}",
            customer + 2,
            [_line("BEANS", "Coffee beans"), _line("MUG", "Stoneware mug", "Home"), _line(None, "Gift wrap")],
        )


def _customer_id(db: Database, store: StoreHandle, external_id: str) -> int:
    with db.read() as session:
        return session.scalar(
            select(Customer.id).where(Customer.store_id == store.id, Customer.external_id == external_id)
        )


def _picks(db: Database, store: StoreHandle, customer_id: int) -> list[CustomerPick]:
    with db.read() as session:
        return list(
            session.scalars(
                select(CustomerPick)
                .where(CustomerPick.store_id == store.id, CustomerPick.customer_id == customer_id)
                .order_by(CustomerPick.rank)
            )
        )


def _events(db: Database, event_type: str) -> list[EventRecord]:
    with db.read() as session:
        return list(session.scalars(select(EventRecord).where(EventRecord.event_type == event_type)))


def test_a_fit_stores_every_customers_picks_with_their_reasons(
    client: TestClient, db: Database, store: StoreHandle, clock: FakeClock
) -> None:
    _shop(client, store)
    clock.set(clock.now().replace(year=2026, month=3, day=20))
    outcome = fit_store(db, store.id)
    assert (
        outcome.succeeded and outcome.customers == 7 and outcome.items == 2
    )  # the line without a key skipped
    regular = _customer_id(db, store, "regular")
    picks = _picks(db, store, regular)
    assert picks[0].item_key == "BEANS" and picks[0].reason_kind == "repurchase"
    assert picks[0].reason_params["days"] == 28 and picks[0].reason_params["title"] == "Coffee beans"
    assert picks[0].fit_id == outcome.fit_id
    with db.read() as session:
        fit = session.get(RecommendationFit, outcome.fit_id)
        assert fit.status == FitStatus.SUCCEEDED and fit.customers_count == 7 and fit.model
        assert fit.orders_count == 9 and fit.items_count == 2 and fit.fit_seconds is not None
        assert session.scalar(select(func.count()).select_from(CustomerPick)) == 7 * 2
    [fitted] = _events(db, "recommendations.fitted")
    assert fitted.payload["succeeded"] is True and fitted.payload["customers"] == 7

    # a new customer's first paid order: picks from the stored model, no refit
    _order(client, store, 2000, "newbie", 70, [_line("MUG", "Stoneware mug", "Home")])
    dispatch_until_idle(db)
    newbie = _customer_id(db, store, "newbie")
    fresh = _picks(db, store, newbie)
    assert [pick.item_key for pick in fresh][:2] == ["BEANS", "MUG"] or {p.item_key for p in fresh} == {
        "BEANS",
        "MUG",
    }
    assert all(pick.fit_id == outcome.fit_id for pick in fresh)
    assert any(event.customer_id == newbie for event in _events(db, "recommendations.picks_updated"))
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(RecommendationFit)) == 1

    # a failed fit records why and leaves every pick in place
    failed = fit_store(db, store.id, fail_with=RuntimeError("disk full"))
    assert not failed.succeeded and "disk full" in (failed.error or "")
    with db.read() as session:
        row = session.get(RecommendationFit, failed.fit_id)
        assert row.status == FitStatus.FAILED and "disk full" in row.error and row.model is None
    assert [(p.item_key, p.fit_id) for p in _picks(db, store, regular)] == [
        (p.item_key, p.fit_id) for p in picks
    ]
    # a new order after the failure still rescoring from the last good model
    _order(client, store, 2001, "newbie", 75, [_line("BEANS", "Coffee beans")])
    dispatch_until_idle(db)
    assert all(pick.fit_id == outcome.fit_id for pick in _picks(db, store, newbie))


def test_a_store_without_orders_fits_nothing_and_a_customer_without_orders_has_no_picks(
    client: TestClient, db: Database, store: StoreHandle
) -> None:
    outcome = fit_store(db, store.id)
    assert outcome.succeeded and outcome.customers == 0 and outcome.items == 0
    response = client.post(
        "/api/v1/customers",
        headers=store.auth,
        json={"external_id": "window-shopper", "email": "w@example.com"},
    )
    assert response.status_code in (200, 201), response.text
    dispatch_until_idle(db)
    assert _picks(db, store, _customer_id(db, store, "window-shopper")) == []
    # orders before any fit: nothing rescored (the job fits the store), nothing breaks
    _order(client, store, 3000, "early", 1, [_line("BEANS", "Coffee beans")])
    dispatch_until_idle(db)
    assert _picks(db, store, _customer_id(db, store, "early")) == []


def test_the_refit_job_fits_due_stores_once_per_interval(
    client: TestClient, db: Database, store: StoreHandle, clock: FakeClock
) -> None:
    assert run_due_fits(db) == 0  # no orders, no fit
    _shop(client, store)
    assert run_due_fits(db) == 1
    assert run_due_fits(db) == 0  # fitted, nothing new
    _order(client, store, 4000, "regular", 80, [_line("BEANS", "Coffee beans")])
    assert run_due_fits(db) == 0  # new orders, but the interval has not passed
    clock.advance(timedelta(hours=25))
    _order(client, store, 4001, "regular", 81, [_line("BEANS", "Coffee beans")])
    assert run_due_fits(db) == 1
    with db.write_session() as session:
        session.merge(RecommendationSettings(store_id=store.id, enabled=False, updated_at=clock.now()))
        session.commit()
    clock.advance(timedelta(hours=25))
    _order(client, store, 4002, "regular", 82, [_line("BEANS", "Coffee beans")])
    assert run_due_fits(db) == 0  # recommendations off


def test_imported_online_retail_history_fits_through_the_command(
    monkeypatch: pytest.MonkeyPatch, database_url: str, db: Database, store: StoreHandle
) -> None:
    from loyaldesk.cli import app
    from loyaldesk.commerce.importer import import_orders
    from loyaldesk.settings import get_settings

    import_orders(db, store.id, [DATA / "recommendations_sample.parquet"])
    monkeypatch.setenv("LOYALDESK_DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["recommend", "fit", "--store", store.slug])
        missing = CliRunner().invoke(app, ["recommend", "fit", "--store", "nope"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    outcome = json.loads(result.output)
    assert outcome["status"] == "succeeded" and outcome["customers"] > 200 and outcome["items"] > 1000
    assert missing.exit_code == 1 and "nope" in missing.output
    with db.read() as session:
        customers = session.scalar(select(func.count(func.distinct(CustomerPick.customer_id))))
        orders_with_customer = session.scalar(
            select(func.count(func.distinct(Order.customer_id))).where(Order.customer_id.is_not(None))
        )
    assert customers == outcome["customers"] <= orders_with_customer


def test_the_evaluate_command_prints_every_method(tmp_path: Path) -> None:
    from loyaldesk.cli import app

    result = CliRunner().invoke(
        app, ["recommend", "evaluate", str(DATA / "recommendations_sample.parquet"), "--split", "2011-09-01"]
    )
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert figures["test_customers"] > 50
    for method in ("popularity", "repurchase", "copurchase", "item_knn", "als", "blend"):
        entry = figures["methods"][method]
        assert 0 <= entry["ndcg_at_10"] <= entry["hit_rate_at_10"] <= 1
        assert {"recall_at_10", "coverage", "fit_seconds", "p95_ms", "new_items"} <= set(entry)
    assert (
        figures["methods"]["repurchase"]["hit_rate_at_10"]
        > figures["methods"]["popularity"]["hit_rate_at_10"]
    )
    bad = CliRunner().invoke(app, ["recommend", "evaluate", str(tmp_path / "missing.csv")])
    assert bad.exit_code == 1 and "no such file" in " ".join(bad.output.split())
    wrong = CliRunner().invoke(
        app, ["recommend", "evaluate", str(DATA / "recommendations_sample.parquet"), "--split", "soon"]
    )
    assert wrong.exit_code == 1 and "--split" in " ".join(wrong.output.split())
