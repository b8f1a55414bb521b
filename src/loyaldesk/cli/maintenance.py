"""Upkeep commands: ``check-ledger`` and ``refresh-analytics``."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from loyaldesk.cli.common import app, err, open_database, out, store_id_of

if TYPE_CHECKING:
    from loyaldesk.kernel.db import Database


@app.command("check-ledger")
def check_ledger_command(
    store: Annotated[
        str | None, typer.Option(help="Check one store (its slug); default: every store.")
    ] = None,
) -> None:
    """Verify every invariant of the points ledger; exits with 1 and lists what is wrong if any fails."""
    from loyaldesk.loyalty import check_ledger

    with open_database() as database:
        store_id = store_id_of(database, store) if store else None
        with database.read() as session:
            violations = check_ledger(session, store_id)
    if not violations:
        out.print("The ledger is consistent: every invariant holds.")
        return
    table = Table(title=f"{len(violations)} ledger violation(s)")
    table.add_column("Invariant")
    table.add_column("What is wrong")
    for violation in violations:
        table.add_row(violation.invariant, violation.detail)
    err.print(table)
    raise typer.Exit(code=1)


@app.command("refresh-analytics")
def refresh_analytics_command(
    store: Annotated[
        str | None, typer.Option(help="Refresh one store (its slug); default: every store.")
    ] = None,
) -> None:
    """Compute every analytics dashboard's default view now (after an import, or from cron when the
    server runs without background jobs) and print how long each took."""
    from loyaldesk.analytics import refresh_store

    with open_database() as database:
        store_ids = [store_id_of(database, store)] if store else all_store_ids(database)
        now = database.clock.now()
        table = Table(title="Analytics refreshed")
        table.add_column("Store")
        table.add_column("Dashboards")
        table.add_column("Seconds", justify="right")
        for store_id in store_ids:
            started = time.perf_counter()
            names = refresh_store(database, store_id, now)
            table.add_row(str(store_id), ", ".join(names), f"{time.perf_counter() - started:.1f}")
    out.print(table)


def all_store_ids(database: Database) -> list[int]:
    """The ids of every store of this install, oldest first."""
    from sqlalchemy import select

    from loyaldesk.stores import Store

    with database.read() as session:
        return list(session.scalars(select(Store.id).order_by(Store.id)))
