"""Each customer's scores, cached by the analytics refresh and read by journeys' rules: the segment the
segments page shows, a churn risk in 0..1 and a value (CLV in currency units) per customer who bought;
nothing for a customer who never did; the provider registered by ``compose()``; and a rule on
``analytics.churn_risk`` entering exactly the customers whose cached risk is at least 0.5."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select

from loyaldesk.analytics import DASHBOARDS, customer_scores, open_dashboard, refresh_store, segment_rows
from loyaldesk.analytics import scores as scores_module
from loyaldesk.analytics.jobs import refresh_dashboards
from loyaldesk.analytics.metrics import OrderFact, Window
from loyaldesk.analytics.models import CustomerScoreRow
from loyaldesk.analytics.reports.segments import segment_report
from loyaldesk.analytics.reports.value import CustomerValue, ValueReport
from loyaldesk.commerce import Order, OrderIn, ingest_orders
from loyaldesk.composition import compose
from loyaldesk.customers import Customer, CustomerRef, resolve_customers
from loyaldesk.journeys import CustomerScores, Enrollment, JourneyRule, MessageTemplate
from loyaldesk.journeys.actions.rules import save_rule
from loyaldesk.journeys.actions.scan import scan_rules
from loyaldesk.journeys.ports import scores_for
from loyaldesk.journeys.schemas import RuleIn
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from tests.factories import StoreHandle, order_payload

REGULARS = [f"regular-{n}" for n in range(6)]  # every two weeks for a year, up to last week
GONE = [f"gone-{n}" for n in range(6)]  # every week for ten weeks, a year ago, then nothing
ONCE = [f"once-{n}" for n in range(3)]  # one order last month


def _order(number: int, customer: str, placed_at: datetime, cents: int) -> OrderIn:
    return OrderIn.model_validate(
        order_payload(
            str(number),
            placed_at=placed_at.isoformat(),
            customer={"external_id": customer, "email": f"{customer}@example.com"},
            lines=[{"external_id": "l1", "sku": "S", "title": "Thing", "quantity": 1, "unit_price": cents}],
            shipping_total=0,
        )
    )


def _shop(db: Database, store: StoreHandle) -> dict[str, int]:
    """Orders of regulars, gone customers and one-time buyers, and one customer who never ordered.
    Returns customer ids by external id."""
    orders = []
    for index, customer in enumerate(REGULARS):
        first = datetime(2025, 3, 7, 12, tzinfo=UTC) + timedelta(days=index)
        for n in range(26):
            orders.append((customer, first + timedelta(days=14 * n), 2000 + 300 * index))
    for index, customer in enumerate(GONE):
        first = datetime(2025, 3, 3, 12, tzinfo=UTC) + timedelta(days=index)
        for n in range(10):
            orders.append((customer, first + timedelta(days=7 * n), 3000 + 200 * index))
    for index, customer in enumerate(ONCE):
        orders.append((customer, datetime(2026, 2, 10 + index, 12, tzinfo=UTC), 1500))
    db.write(
        ingest_orders,
        store.actor,
        store.id,
        [_order(number, *order) for number, order in enumerate(orders, start=1)],
    )
    db.write(
        lambda uow: resolve_customers(
            uow, store.id, [CustomerRef(external_id="never", email="never@example.com")], source="api"
        )
    )
    with db.read() as session:
        return {
            str(external_id): int(customer_id)
            for external_id, customer_id in session.execute(
                select(Customer.external_id, Customer.id).where(Customer.store_id == store.id)
            )
        }


def _shown_segments(db: Database, store: StoreHandle, today: date, now: datetime) -> dict[int, str]:
    """Customer id -> segment key, as the segments page shows and exports them (its cached figures)."""
    filters = DASHBOARDS["segments"].default_filters(today)
    report = open_dashboard(db, store.id, "segments", filters, now, part="segments_customers").report
    rows = segment_rows(report.customer_ids, report.scores)[1:]
    return {int(row[0]): row[1] for row in rows}


def test_the_refresh_caches_each_buyers_scores(db: Database, store: StoreHandle, clock: FakeClock) -> None:
    ids = _shop(db, store)
    now = clock.now()
    with db.read() as session:
        assert customer_scores(session, store.id, list(ids.values())) == {}  # nothing computed yet
    refresh_store(db, store.id, now)

    with db.read() as session:
        scores = customer_scores(session, store.id, [*ids.values(), 999_999])
    buyers = {ids[name] for name in REGULARS + GONE + ONCE}
    assert set(scores) == buyers  # no row for "never" (no order) nor for an unknown id
    shown = _shown_segments(db, store, now.date(), now)
    for customer_id in buyers:
        score = scores[customer_id]
        assert score.segment == shown[customer_id]
        assert score.churn_risk is not None and 0.0 <= score.churn_risk <= 1.0
        assert score.value is not None and score.value >= 0.0
        assert score.extra["computed_at"] == now
    # Regulars are likely to stay; the customers who went quiet a year ago are not.
    assert all(scores[ids[name]].churn_risk < 0.5 for name in REGULARS)  # type: ignore[operator]
    assert all(scores[ids[name]].churn_risk >= 0.5 for name in GONE)  # type: ignore[operator]
    assert {scores[ids[name]].segment for name in GONE} <= {
        "lost",
        "hibernating",
        "at_risk",
        "cannot_lose_them",
    }

    # The value page's at-risk list shows the same risk for the customers on it.
    at_risk = open_dashboard(
        db, store.id, "value", DASHBOARDS["value"].default_filters(now.date()), now
    ).report
    for listed in at_risk.at_risk:
        assert scores[int(listed.customer_id)].churn_risk == pytest.approx(listed.risk)


def test_a_score_row_joins_the_segment_and_the_value_in_currency_units() -> None:
    window = Window(datetime(2025, 3, 2, tzinfo=UTC), datetime(2026, 3, 2, tzinfo=UTC))
    placed = [datetime(2026, 1, day, tzinfo=UTC) for day in range(1, 6)]
    orders = [
        OrderFact(customer_id, customer_id, placed[customer_id - 1], 1000) for customer_id in (1, 2, 3, 4, 5)
    ]
    segmented = segment_report(orders, window.end)
    values = ValueReport(
        6,
        0,
        None,
        None,
        (),
        (CustomerValue(1, 0.9, 0.5, 12345.0, 0.25), CustomerValue(6, 0.1, 0.0, 0.0, 0.95)),
        (),
    )
    rows = {row.customer_id: row for row in scores_module.score_rows(segmented, values, "EUR")}
    assert sorted(rows) == [1, 2, 3, 4, 5, 6]  # in either report
    assert rows[1].segment is not None and (rows[1].churn_risk, rows[1].value) == (0.25, 123.45)
    assert rows[2].segment is not None and rows[2].churn_risk is None and rows[2].value is None
    assert rows[6].segment is None and (rows[6].churn_risk, rows[6].value) == (0.95, 0.0)
    in_yen = scores_module.score_rows(segmented, values, "JPY")
    assert in_yen[0].value == 12345.0  # no minor units


def test_scores_follow_the_refresh_and_customers_who_no_longer_buy_lose_theirs(
    db: Database, store: StoreHandle, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scores_module, "WRITE_CHUNK", 4)  # several chunks, each replacing its id range
    ids = _shop(db, store)
    assert refresh_dashboards(db) >= 4  # the job computes the default views, and the scores with them
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(CustomerScoreRow)) == 15
    # Scores missing while the dashboards are fresh (the table just created): the next run writes them.
    with db.transaction() as uow:
        uow.session.execute(delete(CustomerScoreRow))
    assert refresh_dashboards(db) == 2  # segments and value, computed together for the scores
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(CustomerScoreRow)) == 15
    assert refresh_dashboards(db) == 0  # all fresh: nothing to do

    # A one-time buyer's only order is cancelled: at the next refresh they have no score.
    with db.transaction() as uow:
        order = uow.session.scalar(select(Order).where(Order.customer_id == ids["once-1"]))
        assert order is not None
        order.cancelled_at = clock.now()
    clock.advance(timedelta(hours=7))  # the figures are stale: the job computes them again
    refresh_dashboards(db)
    with db.read() as session:
        rows = {
            int(c): at
            for c, at in session.execute(select(CustomerScoreRow.customer_id, CustomerScoreRow.computed_at))
        }
    assert ids["once-1"] not in rows
    assert len(rows) == 14 and set(rows.values()) == {clock.now()}


def test_the_scores_are_journeys_provider_once_composed(
    db: Database, store: StoreHandle, other_store: StoreHandle, clock: FakeClock
) -> None:
    compose()
    ids = _shop(db, store)
    refresh_store(db, store.id, clock.now())
    wanted = [ids["regular-0"], ids["gone-0"], ids["never"]]
    with db.read() as session:
        provided = scores_for(session, store.id, wanted)
        direct = customer_scores(session, store.id, wanted)
        elsewhere = scores_for(session, other_store.id, wanted)  # another store's customers: none
    assert provided == direct and set(provided) == {ids["regular-0"], ids["gone-0"]}
    assert all(isinstance(score, CustomerScores) for score in provided.values())
    assert elsewhere == {}


def test_a_rule_on_churn_risk_enters_exactly_the_customers_at_risk(
    db: Database, store: StoreHandle, clock: FakeClock
) -> None:
    ids = _shop(db, store)
    refresh_store(db, store.id, clock.now())
    now = clock.now()
    db.write(
        lambda uow: uow.session.add(
            MessageTemplate(
                store_id=store.id,
                key="win-back",
                channel="email",
                name="Win back",
                subject="We miss you, {{ first_name }}",
                body="Come back to {{ store_name }}.",
                created_at=now,
                updated_at=now,
            )
        )
    )
    rule = db.write(
        lambda uow: (
            save_rule(
                uow,
                store.actor,
                store.id,
                RuleIn(
                    name="Win back customers at risk",
                    trigger={
                        "kind": "segment",
                        "condition": {"all": [{"field": "analytics.churn_risk", "op": "gte", "value": 0.5}]},
                    },
                    steps=[{"kind": "send", "channel": "email", "template": "win-back"}],
                    enabled=True,
                ),
            ).id
        )
    )
    with db.read() as session:
        cached = {
            int(c): risk
            for c, risk in session.execute(select(CustomerScoreRow.customer_id, CustomerScoreRow.churn_risk))
        }
    at_risk = {customer_id for customer_id, risk in cached.items() if risk is not None and risk >= 0.5}
    assert at_risk and at_risk != set(cached)  # some customers on each side of the line

    assert db.write(scan_rules) == len(at_risk)
    with db.read() as session:
        entered = set(session.scalars(select(Enrollment.customer_id).where(Enrollment.rule_id == rule)))
        assert session.get(JourneyRule, rule) is not None
    assert entered == at_risk
    assert ids["never"] not in entered


def test_a_segment_lists_and_exports_from_the_scores_table_as_from_the_cached_view(
    db: Database, store: StoreHandle, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from loyaldesk.analytics import segment_csv_rows, segment_members
    from loyaldesk.analytics import segment_listing as listing
    from loyaldesk.analytics.segments import SEGMENT_ORDER

    _shop(db, store)
    now = clock.now()
    filters = DASHBOARDS["segments"].default_filters(now.date())
    # Before any refresh the table holds no view: the export comes from the cached per-customer part.
    from_view = list(segment_csv_rows(db, store.id, filters, None, now))
    report = open_dashboard(db, store.id, "segments", filters, now, part="segments_customers").report
    assert from_view == segment_rows(report.customer_ids, report.scores)
    listed_from_view = {s: segment_members(db, store.id, filters, s, now) for s in SEGMENT_ORDER}

    refresh_store(db, store.id, now)
    monkeypatch.setattr(listing, "EXPORT_PAGE", 2)  # several keyset pages per segment
    monkeypatch.setattr(listing, "open_dashboard", None)  # the table alone answers: no snapshot decoded
    assert list(segment_csv_rows(db, store.id, filters, None, now)) == from_view
    for segment in SEGMENT_ORDER:
        assert segment_members(db, store.id, filters, segment, now, limit=500) == listed_from_view[segment]
        first = segment_members(db, store.id, filters, segment, now, limit=1)
        rest = segment_members(
            db, store.id, filters, segment, now, after=first[0].customer_id if first else None
        )
        assert first + rest == listed_from_view[segment]
        exported = list(segment_csv_rows(db, store.id, filters, segment, now))
        assert exported == [from_view[0], *(row for row in from_view[1:] if row[1] == segment.value)]
