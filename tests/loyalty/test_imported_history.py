"""Importing a store's history does not pay it out: by default imported orders placed before the program's
start earn nothing and enrol nobody; ``--award-points`` credits them as if the program had run then, and
points that would already have expired are never credited (so never spendable)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from loyaldesk.commerce.importer import import_orders
from loyaldesk.customers.models import Customer
from loyaldesk.kernel.db import Database
from loyaldesk.kernel.dispatcher import dispatch_until_idle
from loyaldesk.loyalty.actions import configure_program as program_actions
from loyaldesk.loyalty.actions.award_imported_history import HistoryAward, award_history_in_batches
from loyaldesk.loyalty.models import LedgerEntry, Member, PointLot
from loyaldesk.loyalty.queries.check_ledger import check_ledger
from loyaldesk.loyalty.schemas import ProgramSettingsPatch
from tests.conftest import START
from tests.factories import StoreHandle, make_store

DATA = Path(__file__).resolve().parent.parent / "data" / "online_retail"
FILES = [DATA / "online_retail_II_sample.parquet", DATA / "online_retail_sample.parquet"]
CUSTOMERS = 8  # the samples' customers (plus three guest invoices)
POUNDS = [{"currency": "GBP", "points": 1, "per_amount": 100}]  # the samples' prices are in pounds


def _settings(db: Database, store: StoreHandle, **changes: object) -> None:
    db.write(
        program_actions.update_program, store.actor, store.id, ProgramSettingsPatch.model_validate(changes)
    )


def _count(db: Database, model: type, store_id: int) -> int:
    with db.read() as session:
        return int(
            session.scalar(select(func.count()).select_from(model).where(model.store_id == store_id)) or 0
        )


def _balances(db: Database, store_id: int) -> dict[str, tuple[int, int, int]]:
    """Each member's (available, pending, lifetime earned), by the store's customer id."""
    with db.read() as session:
        rows = session.execute(
            select(
                Customer.external_id,
                Member.available_points,
                Member.pending_points,
                Member.lifetime_earned_points,
            )
            .join(Customer, Customer.id == Member.customer_id)
            .where(Member.store_id == store_id)
        ).all()
    return {external_id: (available, pending, earned) for external_id, available, pending, earned in rows}


def _ledger_clean(db: Database) -> None:
    with db.read() as session:
        assert check_ledger(session) == []


def test_imported_history_earns_nothing_and_enrols_nobody_by_default(
    db: Database, store: StoreHandle
) -> None:
    report = import_orders(db, store.id, FILES)
    dispatch_until_idle(db)
    assert report.orders_created > 0 and report.customers_created == CUSTOMERS
    assert _count(db, Customer, store.id) == CUSTOMERS
    assert _count(db, Member, store.id) == 0
    assert _count(db, LedgerEntry, store.id) == 0
    _ledger_clean(db)


def test_awarding_history_gives_what_the_program_would_have_given_had_it_run_then(
    db: Database, store: StoreHandle
) -> None:
    # The reference: a store whose program already ran in 2009, its orders earning as they arrive.
    ran_then = make_store(db, "ran-then")
    for handle, starts_at in ((store, None), (ran_then, datetime(2009, 1, 1, tzinfo=UTC))):
        more = {"starts_at": starts_at} if starts_at else {}
        _settings(db, handle, expiry_policy="never", earn_rates=POUNDS, **more)
    report = import_orders(db, store.id, FILES)
    award = award_history_in_batches(db, store.actor, store.id, report.order_ids, batch=20)
    import_orders(db, ran_then.id, FILES)
    dispatch_until_idle(db)
    awarded, reference = _balances(db, store.id), _balances(db, ran_then.id)
    assert awarded == reference and len(awarded) == CUSTOMERS
    assert all(pending == 0 and available > 0 for available, pending, _ in awarded.values()), awarded
    assert award.members_enrolled == CUSTOMERS and award.orders_expired == 0
    assert award.points_credited == sum(earned for _, _, earned in awarded.values()) + _taken_back(
        db, store.id
    )
    # Again, and the background's own pass over the same orders: nothing more.
    assert award_history_in_batches(db, store.actor, store.id, report.order_ids) == HistoryAward()
    dispatch_until_idle(db)
    assert _balances(db, store.id) == awarded
    _ledger_clean(db)


def _taken_back(db: Database, store_id: int) -> int:
    """Points that refunds took back (lifetime earned counts what was credited minus these)."""
    with db.read() as session:
        return -int(
            session.scalar(
                select(func.coalesce(func.sum(LedgerEntry.points), 0)).where(
                    LedgerEntry.store_id == store_id, LedgerEntry.kind.in_(("reverse", "cancel"))
                )
            )
            or 0
        )


def test_history_whose_points_would_have_expired_is_never_credited(db: Database, store: StoreHandle) -> None:
    # The default: points expire 365 days after they are earned; the samples are of 2009-2011.
    _settings(db, store, earn_rates=POUNDS)
    report = import_orders(db, store.id, FILES)
    award = award_history_in_batches(db, store.actor, store.id, report.order_ids)
    dispatch_until_idle(db)
    assert award.orders_credited == 0 and award.points_credited == 0 and award.members_enrolled == 0
    assert award.orders_expired > 0
    assert _count(db, Member, store.id) == 0 and _count(db, LedgerEntry, store.id) == 0


def _csv(path: Path, rows: list[tuple[str, str, str, int]]) -> Path:
    """Orders of one line each: (order id, customer, placed at, amount in euros)."""
    lines = ["order_id,placed_at,customer_id,currency,sku,title,quantity,unit_price,status"]
    lines += [
        f"{order},{at},{customer},EUR,TEE,Tee,1,{amount},delivered" for order, customer, at, amount in rows
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_an_order_of_2011_imported_today_with_twelve_month_expiry_gives_nothing_to_spend(
    tmp_path: Path, db: Database, store: StoreHandle
) -> None:
    recent = START - timedelta(days=30)
    csv = _csv(
        tmp_path / "orders.csv",
        [("A1", "c1", "2011-06-01T10:00:00+00:00", 120), ("A2", "c1", recent.isoformat(), 40)],
    )
    report = import_orders(db, store.id, [csv])
    award = award_history_in_batches(db, store.actor, store.id, report.order_ids)
    dispatch_until_idle(db)
    assert (award.orders_credited, award.points_credited, award.orders_expired) == (1, 40, 1)
    assert list(_balances(db, store.id).values()) == [(40, 0, 40)]  # A2's points only, A1's never existed
    with db.read() as session:
        lots = session.execute(select(PointLot.points, PointLot.earned_at)).all()
    assert lots == [(40, recent)]
    _ledger_clean(db)


def test_under_the_inactivity_policy_history_before_a_long_silence_is_not_credited(
    tmp_path: Path, db: Database, store: StoreHandle
) -> None:
    _settings(db, store, expiry_policy="inactivity", expiry_amount=12)
    csv = _csv(
        tmp_path / "orders.csv",
        [
            ("B1", "active", "2019-01-10T10:00:00+00:00", 10),
            ("B2", "active", "2019-03-10T10:00:00+00:00", 20),  # then silent until December 2025
            ("B3", "active", "2025-12-01T10:00:00+00:00", 30),
            ("B4", "quiet", "2024-06-01T10:00:00+00:00", 50),
            ("B5", "quiet", "2025-02-01T10:00:00+00:00", 60),  # nothing since: 13 months by now
        ],
    )
    report = import_orders(db, store.id, [csv])
    award = award_history_in_batches(db, store.actor, store.id, report.order_ids, batch=2)
    assert (award.orders_credited, award.points_credited, award.orders_expired) == (1, 30, 4)
    assert _balances(db, store.id) == {"active": (30, 0, 30)}
    _ledger_clean(db)


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, database_url: str):  # type: ignore[no-untyped-def]
    from loyaldesk.cli import app
    from loyaldesk.settings import get_settings

    monkeypatch.setenv("LOYALDESK_DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()

    def run(*arguments: str) -> str:
        result = CliRunner().invoke(app, list(arguments))
        assert result.exit_code == 0, result.output
        return result.output

    yield run
    get_settings.cache_clear()


def test_the_import_command_sums_up_what_it_did_and_what_is_left(
    cli, db: Database, store: StoreHandle
) -> None:  # type: ignore[no-untyped-def]
    output = cli("import", "orders", *map(str, FILES), "--store", "acme")
    assert "Importing invoices" in output
    for expected in (
        "orders created",
        f"customers created │ {CUSTOMERS}",
        "guest orders",
        "refunds recorded",
        "Rows skipped",
        "bad-debt adjustment invoices (A...)",
        "rows of invoices already read from an earlier file",
        "earn no points",
        "--award-points",
        "events wait to be handled",
        "catching up",
    ):
        assert expected in " ".join(output.split()) or expected in output, (expected, output)
    assert _count(db, Member, store.id) == 0


def test_the_import_command_awards_history_when_asked(cli, db: Database, store: StoreHandle) -> None:  # type: ignore[no-untyped-def]
    _settings(db, store, expiry_policy="never", earn_rates=POUNDS)
    cli("import", "orders", *map(str, FILES), "--store", "acme")  # first without: nothing
    assert _count(db, Member, store.id) == 0
    output = " ".join(cli("import", "orders", *map(str, FILES), "--store", "acme", "--award-points").split())
    assert "Awarding points for history" in output
    assert f"{CUSTOMERS} customers joined the program" in output and "points credited for history" in output
    assert _count(db, Member, store.id) == CUSTOMERS and _count(db, LedgerEntry, store.id) > 0
    _ledger_clean(db)
