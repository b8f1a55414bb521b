"""Predicted value and churn risk: the pure report on simulated purchases, and the page on a store whose
history is too short to trust (the warnings are shown and nobody is listed)."""

from __future__ import annotations

import csv
import io
import random
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from loyaldesk.analytics.churn import ChurnSignals
from loyaldesk.analytics.metrics import OrderFact
from loyaldesk.analytics.reports.value import value_report
from loyaldesk.kernel.db import Database
from tests.analytics.test_retention_page import place
from tests.factories import StoreHandle, login, make_staff

START = datetime(2025, 1, 1, tzinfo=UTC)
END = datetime(2026, 7, 1, tzinfo=UTC)


def simulated_orders(customers: int = 400, seed: int = 5) -> list[OrderFact]:
    """Customers buying at their own rate, each dropping out after a purchase with their own chance."""
    rng = random.Random(seed)
    orders: list[OrderFact] = []
    order_id = 0
    for customer in range(1, customers + 1):
        moment = START + timedelta(days=rng.uniform(0, 200))
        rate = rng.gammavariate(1.0, 1 / 20)  # purchases per day, about one in three weeks on average
        dropout = rng.betavariate(1.0, 4.0)
        while moment < END:
            order_id += 1
            orders.append(OrderFact(customer, order_id, moment, rng.randrange(2000, 9000)))
            if rng.random() < dropout:
                break
            moment += timedelta(days=rng.expovariate(rate))
    return orders


def test_the_report_fits_simulated_customers_and_ranks_who_to_call() -> None:
    orders = simulated_orders()
    signals = {3: ChurnSignals(open_problems=2, low_csat=True)}
    report = value_report(orders, END, signals)
    assert report.customers == 400 and report.repeat_buyers >= 100
    assert report.purchase_model is not None and report.purchase_model.converged
    assert all(0.0 <= value.p_alive <= 1.0 for value in report.values)
    assert report.total_predicted_minor > 0
    risks = [(c.value_at_risk, c.risk) for c in report.at_risk]
    assert risks == sorted(risks, reverse=True)  # value at risk first
    assert all(c.risk >= 0.5 and c.predicted_clv >= report.value_threshold_minor for c in report.at_risk)
    # The model fitted again without the last third of the history (at most 26 weeks)
    # forecasts it within 20% on this simulation.
    calibration = report.calibration
    assert calibration is not None and 25 <= report.holdout_weeks <= 26  # a third of the history
    assert abs(calibration.predicted_total - calibration.actual_total) <= 0.2 * calibration.actual_total
    assert [group.label for group in calibration.groups][:2] == ["0", "1"]
    # Customer 3's support signals raise their risk and say so, if they are on the list at all.
    for c in report.at_risk:
        if c.customer_id == 3:
            assert any("open" in reason for reason in c.reasons)


def test_a_short_history_is_flagged_and_lists_nobody(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    place(client, store, "1", "ann", "2026-02-10T10:00:00+00:00", 1000)
    place(client, store, "2", "ann", "2026-02-20T10:00:00+00:00", 1000)
    place(client, store, "3", "bob", "2026-02-11T10:00:00+00:00", 2000)
    login(client, make_staff(db, store, "analyst", password_hash))
    page = client.get("/console/acme/analytics/value", params={"as_of": "2026-03-01"})
    assert page.status_code == 200, page.text
    assert "Read these figures with care" in page.text and "repeat buyers are needed" in page.text
    assert "Nobody is both at risk and valuable" in page.text
    assert "too short to check the model on a holdout period" in page.text
    exported = client.get("/console/acme/analytics/value", params={"as_of": "2026-03-01", "export": "true"})
    assert next(csv.reader(io.StringIO(exported.text)))[0] == "customer_id"
    check = client.get(
        "/console/acme/analytics/value", params={"as_of": "2026-03-01", "export": "calibration"}
    )
    assert list(csv.reader(io.StringIO(check.text))) == [
        ["repeat_purchases_before", "customers", "predicted_each", "actual_each"]
    ]  # too short a history for a holdout check: the header alone
    assert client.get("/console/acme/analytics/value", params={"export": "pdf"}).status_code == 422
