"""The ``import orders`` command: order history from files, with what it means for points."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from loyaldesk.cli.common import err, fail, import_app, open_database, out, progress_bar, store_id_of

if TYPE_CHECKING:
    from loyaldesk.kernel.db import Database


@import_app.command("orders")
def import_orders_command(
    files: Annotated[list[Path], typer.Argument(help="CSV or Parquet files, imported together.")],
    store: Annotated[str, typer.Option(help="The store's slug.")],
    file_format: Annotated[str, typer.Option("--format", help="auto, uci or orders.")] = "auto",
    currency: Annotated[str, typer.Option(help="Currency of UCI prices.")] = "GBP",
    timezone: Annotated[str, typer.Option(help="Time zone of UCI invoice dates.")] = "Europe/London",
    award_points: Annotated[
        bool,
        typer.Option(
            "--award-points",
            help="Also credit loyalty points for orders placed before the program's start date, as if "
            "the program had run then (points that would have expired by now are not credited). "
            "Default: history earns nothing.",
        ),
    ] = False,
) -> None:
    """Import orders (UCI Online Retail files or one-row-per-line CSV); cancellations become refunds.

    Orders placed before the loyalty program's start date earn no points and enrol nobody, unless
    --award-points is given. Running the same import again adds nothing (and, with --award-points,
    credits the points of orders imported earlier without it)."""
    from loyaldesk.commerce.importer import import_orders
    from loyaldesk.kernel.actors import system_for
    from loyaldesk.kernel.errors import Invalid
    from loyaldesk.loyalty import award_history_in_batches

    with open_database() as database:
        store_id = store_id_of(database, store)
        try:
            with progress_bar() as progress:
                reading = progress.add_task("Reading files", total=len(files))
                task = progress.add_task("Importing invoices", total=None, visible=False)

                def read(path: Path) -> None:  # called before each file: those before it are read
                    done = next(index for index, given in enumerate(files) if Path(given) == path)
                    progress.update(reading, description=f"Reading {path.name}", completed=done)

                def imported(done: int, total: int) -> None:
                    progress.update(reading, completed=len(files), description="Reading files")
                    progress.update(task, completed=done, total=total, visible=True)

                report = import_orders(
                    database,
                    store_id,
                    files,
                    file_format=file_format,
                    currency=currency,
                    timezone=timezone,
                    progress=imported,
                    reading=read,
                )
                award = None
                if award_points:
                    awarding = progress.add_task("Awarding points for history", total=len(report.order_ids))
                    award = award_history_in_batches(
                        database,
                        system_for(store_id, "import"),
                        store_id,
                        report.order_ids,
                        progress=lambda done, total: progress.update(awarding, completed=done, total=total),
                    )
        except Invalid as error:
            raise fail("; ".join(f"{p.field}: {p.reason}" for p in error.problems) or error.message) from None
        _print_import_summary(database, store, store_id, report, award)
        if report.orders_failed:
            raise typer.Exit(code=2)


def _print_import_summary(database: Database, slug: str, store_id: int, report, award) -> None:  # type: ignore[no-untyped-def]
    """What the import did, what it left out and why, what it means for points, and what the background
    still has to do."""
    from loyaldesk.kernel.backlog import events_left
    from loyaldesk.loyalty import history_split

    table = Table(title="Import")
    table.add_column("What")
    table.add_column("Count", justify="right")
    for label, value in (
        ("rows read", report.rows),
        ("invoices", report.invoices),
        ("orders created", report.orders_created),
        ("orders already there", report.orders_unchanged),
        ("orders failed", report.orders_failed),
        ("  of the orders created: guest orders (no customer)", report.guest_orders),
        ("customers created", report.customers_created),
        ("order lines", report.lines),
        ("cancellation invoices", report.cancellation_invoices),
        ("refunds recorded", report.refunds_recorded),
        ("refunds already there", report.refunds_known),
        ("refunds failed", report.refunds_failed),
        ("adjustment invoices (skipped)", report.adjustment_invoices),
        ("invoices with no line left (skipped)", report.invoices_without_lines),
    ):
        if value or label in ("orders created", "customers created", "refunds recorded"):
            table.add_row(label, f"{value:,}")
    out.print(table)
    if report.skipped:
        skipped = Table(title=f"Rows skipped: {sum(report.skipped.values()):,}")
        skipped.add_column("Why")
        skipped.add_column("Rows", justify="right")
        for reason, rows in report.skipped.most_common():
            skipped.add_row(reason, f"{rows:,}")
        out.print(skipped)
    for line in report.errors[:20]:
        err.print(f"[yellow]{line}[/]")
    if len(report.errors) > 20:
        err.print(f"[yellow]... and {len(report.errors) - 20:,} more[/]")
    with database.read() as session:
        split = history_split(session, store_id, report.order_ids)
        left = events_left(session, store_id)
    start = f"{split.starts_at:%Y-%m-%d %H:%M} UTC"
    if award is not None:
        out.print(
            f"Loyalty: [bold]{award.points_credited:,}[/] points credited for history on "
            f"{award.orders_credited:,} orders; {award.members_enrolled:,} customers joined the program; "
            f"{award.orders_expired:,} orders earned points that would have expired by now, so they were "
            "not credited."
        )
    else:
        out.print(
            f"Loyalty: the program started {start}. {split.before_start:,} of these orders were placed "
            f"before then and earn no points; {split.since_start:,} earn as usual. To award points for "
            "the history too, run the same command again with --award-points (nothing is imported twice)."
        )
    if left:
        out.print(
            f"Background: {left:,} events wait to be handled (points, timelines, service levels). A "
            "running server or `loyaldesk worker` works through them; while many are left, the console "
            "says it is catching up."
        )
    out.print(
        "Analytics: dashboards computed before the import show the new orders once refreshed (their "
        f"Refresh now button, or `loyaldesk refresh-analytics --store {slug}`)."
    )


@import_app.command("products")
def import_products_command(
    file: Annotated[Path, typer.Argument(help="A CSV or Parquet file, one product per row.")],
    store: Annotated[str, typer.Option(help="The store's slug.")],
) -> None:
    """Import the catalogue: columns external_id, title, price (decimal), currency, and optionally sku,
    category, url, image_url, in_stock, inventory_quantity, cost, consumable, active.

    Bad rows (no price, a bad address, an unknown currency, ...) are listed by line and left out; the rest
    is imported. Running it again changes nothing. Exit code 2 when rows were left out."""
    from loyaldesk.commerce.importer import import_products
    from loyaldesk.kernel.errors import Invalid

    with open_database() as database:
        store_id = store_id_of(database, store)
        try:
            with progress_bar() as progress:
                task = progress.add_task("Importing products", total=None)
                report = import_products(
                    database,
                    store_id,
                    file,
                    progress=lambda done, total: progress.update(task, completed=done, total=total),
                )
        except Invalid as error:
            raise fail("; ".join(f"{p.field}: {p.reason}" for p in error.problems) or error.message) from None
    table = Table(title="Products import")
    table.add_column("What")
    table.add_column("Count", justify="right")
    for label, value in (
        ("rows read", report.rows),
        ("products created", report.created),
        ("products updated", report.updated),
        ("products unchanged", report.unchanged),
        ("rows left out", report.skipped),
    ):
        table.add_row(label, f"{value:,}")
    out.print(table)
    if report.unused_columns:
        out.print(f"Columns not used: {', '.join(report.unused_columns)}")
    for line, where, reason in report.problems[:50]:
        err.print(f"[yellow]{report.line_word} {line}: {where} {reason}; left out[/]")
    if report.skipped > 50:
        err.print(f"[yellow]... and {report.skipped - 50:,} more rows left out[/]")
    if report.skipped:
        raise typer.Exit(code=2)
