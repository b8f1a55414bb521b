"""The ``demo`` command: the demo store with its staff logins and two years of history."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

import typer
from rich.table import Table

from loyaldesk.cli.common import app, current_settings, fail, open_database, out, progress_bar


@app.command()
def demo(
    seed: Annotated[int, typer.Option(help="Same seed, same data.")] = 42,
    customers: Annotated[int, typer.Option(min=1, max=1_000_000, help="How many shoppers.")] = 3000,
    until: Annotated[
        str | None,
        typer.Option(
            help="Last day of history (YYYY-MM-DD), which ends at 23:00 UTC; default the last such day "
            "that has passed (today after 23:00 UTC, else yesterday)."
        ),
    ] = None,
    if_missing: Annotated[
        bool, typer.Option("--if-missing", help="Do nothing if the demo store exists.")
    ] = False,
) -> None:
    """Create the demo store "Juniper & Oak" with staff logins and two years of orders."""
    from loyaldesk.demo import (
        DEMO_PASSWORD,
        DEMO_SHOPIFY_SECRET,
        DEMO_SLUG,
        DEMO_STAFF,
        demo_exists,
        demo_member_page,
        latest_until,
        seed_demo,
    )
    from loyaldesk.kernel.errors import Invalid
    from loyaldesk.kernel.migrations import upgrade_to_head

    settings = current_settings()
    upgrade_to_head(settings.database_url)
    with open_database() as database:
        if demo_exists(database):
            if not if_missing:
                raise fail(f"the demo store '{DEMO_SLUG}' exists already")
            out.print("The demo store exists already.")
        else:
            now = datetime.now(UTC)
            try:
                end = date.fromisoformat(until) if until else latest_until(now)
            except ValueError:
                raise fail(f"--until: {until!r} is not a date (YYYY-MM-DD)") from None
            try:
                with progress_bar() as progress:
                    task = progress.add_task("Seeding orders", total=None)
                    summary = seed_demo(
                        database,
                        seed=seed,
                        customers=customers,
                        until=end,
                        now=now,
                        progress=lambda done, total: progress.update(task, completed=done, total=total),
                    )
            except Invalid as error:
                raise fail(
                    "; ".join(f"--{p.field}: {p.reason}" for p in error.problems) or error.message
                ) from None
            out.print(
                f"Created [bold]{summary.customers:,}[/] customers, [bold]{summary.orders:,}[/] orders and "
                f"[bold]{summary.refunds:,}[/] refunds."
            )
            figures = summary.loyalty
            out.print(
                f"Loyalty: [bold]{figures.members:,}[/] members, "
                f"[bold]{figures.points_available:,}[/] points to spend, "
                f"[bold]{figures.redemptions:,}[/] rewards redeemed, "
                f"[bold]{figures.referrals:,}[/] referrals."
            )
            out.print(f"API key for the demo store (shown once): [bold]{summary.api_key}[/]")
            out.print(f"Shopify webhook secret: [bold]{DEMO_SHOPIFY_SECRET}[/]")
        link = demo_member_page(database, settings.public_base_url)
        if link:
            out.print(f"A shopper's member page: {link}", soft_wrap=True)
        table = Table(title="Demo logins (password for all: " + DEMO_PASSWORD + ")")
        table.add_column("Role")
        table.add_column("Email")
        for email, _name, role in DEMO_STAFF:
            table.add_row(role, email)
        out.print(table)
