"""The ``loyaldesk`` command: serve, worker, migrate, demo, import, and store administration.

Commands parse their arguments and call actions; they never write tables themselves.
"""

from __future__ import annotations

import asyncio
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from loyaldesk.settings import Settings, get_settings

if TYPE_CHECKING:
    from loyaldesk.kernel.db import Database

app = typer.Typer(
    help="loyaldesk: customer support and customer loyalty as one system.", no_args_is_help=True
)
stores_app = typer.Typer(help="Stores (tenants) of this install.", no_args_is_help=True)
staff_app = typer.Typer(help="Staff accounts and their roles.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys for store backends.", no_args_is_help=True)
import_app = typer.Typer(help="Import data from files.", no_args_is_help=True)
app.add_typer(stores_app, name="stores")
app.add_typer(staff_app, name="staff")
app.add_typer(keys_app, name="api-keys")
app.add_typer(import_app, name="import")

out = Console()
err = Console(stderr=True)


def _settings() -> Settings:
    return get_settings()


@contextmanager
def _database() -> Iterator[Database]:
    """The configured database, disposed of (connections closed) however the command ends."""
    from loyaldesk.domains import load_all
    from loyaldesk.kernel.db import Database

    load_all()
    database = Database(_settings().database_url)
    try:
        yield database
    finally:
        database.dispose()


def _fail(message: str) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code=1)


def _store_id(database, slug: str) -> int:  # type: ignore[no-untyped-def]
    from loyaldesk.kernel.errors import NotFound
    from loyaldesk.stores import store_by_slug

    with database.read() as session:
        try:
            return store_by_slug(session, slug).id
        except NotFound as error:
            raise _fail(error.message) from None


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema."""
    from loyaldesk.kernel.migrations import upgrade_to_head

    settings = _settings()
    upgrade_to_head(settings.database_url)
    out.print(f"Database is up to date ([cyan]{_redact(settings.database_url)}[/]).")


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@app.command()
def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to listen on [default: LOYALDESK_HOST or 127.0.0.1].")
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(min=1, max=65535, help="Port to listen on [default: LOYALDESK_PORT or 8000]."),
    ] = None,
    workers: Annotated[
        int, typer.Option(help="Server processes (use PostgreSQL and Redis for more than 1).")
    ] = 1,
    skip_migrations: Annotated[bool, typer.Option(help="Do not apply migrations first.")] = False,
) -> None:
    """Apply migrations, then serve the API, webhooks and console. Links (console, emails, widget
    snippet) start with LOYALDESK_PUBLIC_BASE_URL, or with the address served when it is not set."""
    import uvicorn

    from loyaldesk.kernel.migrations import upgrade_to_head
    from loyaldesk.settings import WILDCARD_HOSTS

    settings = _served_settings(host, port)
    if workers > 1 and (settings.database_url.startswith("sqlite") or not settings.redis_url):
        err.print(
            "[yellow]warning:[/] several processes need PostgreSQL and Redis to share state and events."
        )
    if not skip_migrations:
        upgrade_to_head(settings.database_url)
    settings.resolved_secret_key()  # create it once, before several workers race to
    if settings.host.strip() in WILDCARD_HOSTS and "public_base_url" not in settings.model_fields_set:
        err.print(
            f"[yellow]warning:[/] links will say {settings.public_base_url}; set LOYALDESK_PUBLIC_BASE_URL "
            "to the address people use to reach this server."
        )
    out.print(
        f"loyaldesk serving on [bold]http://{settings.host}:{settings.port}[/] — console at /console, "
        f"API docs at /docs; links start with {settings.public_base_url}"
    )
    uvicorn.run(
        "loyaldesk.web.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=workers,
        proxy_headers=True,
        log_level="info",
    )


def _served_settings(host: str | None, port: int | None) -> Settings:
    """The settings with the address to serve on. The app factory builds its own ``Settings`` from the
    environment (in this process, or in each of uvicorn's worker processes), so the address chosen on
    the command line travels there as ``LOYALDESK_HOST`` / ``LOYALDESK_PORT``."""
    import os

    if host is not None:
        os.environ["LOYALDESK_HOST"] = host
    if port is not None:
        os.environ["LOYALDESK_PORT"] = str(port)
    get_settings.cache_clear()
    return _settings()


@app.command()
def worker() -> None:
    """Dispatch events and run scheduled jobs (for installs that run servers without background work)."""
    from loyaldesk.runtime import Runtime

    settings = _settings()
    runtime = Runtime(settings.model_copy(update={"run_background_jobs": False}))

    async def main() -> None:
        from loyaldesk.kernel.jobs import BackgroundRunner

        await runtime.start()
        runner = BackgroundRunner(runtime.database)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, runner.request_stop)
        out.print("loyaldesk worker running; Ctrl-C to stop.")
        await asyncio.to_thread(runner.run_forever)
        await runtime.stop()

    asyncio.run(main())


@app.command("mail-receiver")
def mail_receiver(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="SMTP port (25 behind your MX; 2525 for a relay).")] = 2525,
) -> None:
    """Receive mail for the stores' support addresses over SMTP and turn it into conversations."""
    from loyaldesk.channels.email.smtp_receiver import start_receiver
    from loyaldesk.domains import load_all
    from loyaldesk.kernel.db import Database

    load_all()
    settings = _settings()
    database = Database(settings.database_url)
    from loyaldesk.kernel.rate_limits import RateLimits

    limits = RateLimits(settings.rate_limit_rates(), redis_url=settings.redis_url)
    controller = start_receiver(database, settings.mail_domain, host=host, port=port, rate_limits=limits)
    out.print(
        f"loyaldesk receiving mail on [bold]{host}:{port}[/] for <store>@{settings.mail_domain};"
        " Ctrl-C to stop."
    )
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    controller.stop()
    database.dispose()


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
    from loyaldesk.demo.seed import (
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

    settings = _settings()
    upgrade_to_head(settings.database_url)
    with _database() as database:
        if demo_exists(database):
            if not if_missing:
                raise _fail(f"the demo store '{DEMO_SLUG}' exists already")
            out.print("The demo store exists already.")
        else:
            now = datetime.now(UTC)
            try:
                end = date.fromisoformat(until) if until else latest_until(now)
            except ValueError:
                raise _fail(f"--until: {until!r} is not a date (YYYY-MM-DD)") from None
            try:
                with _progress() as progress:
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
                raise _fail(
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


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=out
    )


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
    from loyaldesk.loyalty.history import award_history_in_batches

    with _database() as database:
        store_id = _store_id(database, store)
        try:
            with _progress() as progress:
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
            raise _fail(
                "; ".join(f"{p.field}: {p.reason}" for p in error.problems) or error.message
            ) from None
        _print_import_summary(database, store, store_id, report, award)
        if report.orders_failed:
            raise typer.Exit(code=2)


def _print_import_summary(database: Database, slug: str, store_id: int, report, award) -> None:  # type: ignore[no-untyped-def]
    """What the import did, what it left out and why, what it means for points, and what the background
    still has to do."""
    from loyaldesk.kernel.backlog import events_left
    from loyaldesk.loyalty.history import history_split

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


@stores_app.command("create")
def create_store(
    slug: Annotated[str, typer.Option(help="Short name used in URLs, e.g. 'acme'.")],
    name: Annotated[str, typer.Option(help="The store's name.")],
    owner_email: Annotated[str, typer.Option(help="Email of the first owner.")],
    owner_name: Annotated[str, typer.Option(help="Name of the first owner.")] = "",
    currency: Annotated[str, typer.Option()] = "EUR",
    timezone: Annotated[str, typer.Option()] = "Europe/Amsterdam",
    locale: Annotated[str, typer.Option()] = "en",
    default_language: Annotated[
        str | None, typer.Option(help="Language shoppers see unless their profile names one (en, de).")
    ] = None,
) -> None:
    """Create a store and its first owner (asks for the owner's password if the account is new)."""
    from loyaldesk.kernel.actors import SYSTEM, system_for
    from loyaldesk.kernel.errors import DomainError
    from loyaldesk.stores import actions
    from loyaldesk.stores import queries as store_queries
    from loyaldesk.stores.passwords import hash_password
    from loyaldesk.stores.rules import check_password

    with _database() as database:
        password_hash = None
        with database.read() as session:
            if store_queries.staff_account_by_email(session, owner_email) is None:
                password = typer.prompt("Password for the owner", hide_input=True, confirmation_prompt=True)
                password_hash = hash_password(check_password(password))

        def create(uow):  # type: ignore[no-untyped-def]
            store = actions.create_store(
                uow,
                SYSTEM,
                slug=slug,
                name=name,
                currency=currency,
                timezone=timezone,
                locale=locale,
                default_language=default_language,
            )
            actions.add_staff_member(
                uow,
                system_for(store.id),
                store.id,
                email=owner_email,
                name=owner_name or owner_email,
                role="owner",
                password_hash=password_hash,
            )
            return store.id

        try:
            store_id = database.write(create)
        except DomainError as error:
            raise _fail(error.message) from None
        out.print(f"Created store [bold]{slug}[/] (id {store_id}); {owner_email} is its owner.")


@stores_app.command("set-language")
def set_store_language(
    store: Annotated[str, typer.Option(help="The store's slug.")],
    language: Annotated[str, typer.Option(help="en, de, or 'browser' to follow each shopper's browser.")],
) -> None:
    """Set the language a store's shoppers see unless their profile names one (docs/i18n.md)."""
    from loyaldesk.kernel.actors import SYSTEM
    from loyaldesk.kernel.errors import DomainError
    from loyaldesk.stores import store_by_slug
    from loyaldesk.stores.shopper_language import set_default_language

    with _database() as database:
        with database.read() as session:
            store_id = store_by_slug(session, store).id
        chosen = None if language == "browser" else language
        try:
            database.write(set_default_language, SYSTEM, store_id, chosen)
        except DomainError as error:
            raise _fail(error.message) from None
        shown = chosen or "the language of their browser"
        out.print(f"Shoppers of [bold]{store}[/] now see {shown} unless their profile names one.")


@stores_app.command("list")
def list_stores() -> None:
    """List the stores of this install."""
    from loyaldesk.stores import queries as store_queries

    with _database() as database:
        with database.read() as session:
            stores = store_queries.all_stores(session)
        table = Table("id", "slug", "name", "currency", "timezone")
        for store in stores:
            table.add_row(str(store.id), store.slug, store.name, store.currency, store.timezone)
        out.print(table)


@staff_app.command("add")
def add_staff(
    store: Annotated[str, typer.Option(help="The store's slug.")],
    email: Annotated[str, typer.Option()],
    role: Annotated[str, typer.Option(help="owner, admin, agent or analyst.")],
    name: Annotated[str, typer.Option()] = "",
) -> None:
    """Give someone a role in a store (asks for a password if their account is new)."""
    from loyaldesk.kernel.actors import system_for
    from loyaldesk.kernel.errors import DomainError
    from loyaldesk.stores import actions
    from loyaldesk.stores import queries as store_queries
    from loyaldesk.stores.passwords import hash_password
    from loyaldesk.stores.rules import check_password

    with _database() as database:
        store_id = _store_id(database, store)
        password_hash = None
        with database.read() as session:
            if store_queries.staff_account_by_email(session, email) is None:
                password_hash = hash_password(
                    check_password(typer.prompt("Password", hide_input=True, confirmation_prompt=True))
                )
        try:
            database.write(
                actions.add_staff_member,
                system_for(store_id),
                store_id,
                email=email,
                name=name or email,
                role=role,
                password_hash=password_hash,
            )
        except DomainError as error:
            raise _fail(error.message) from None
        out.print(f"{email} is now {role} of {store}.")


@staff_app.command("invite")
def invite_staff(
    store: Annotated[str, typer.Option(help="The store's slug.")],
    email: Annotated[str, typer.Option()],
    role: Annotated[str, typer.Option(help="owner, admin, agent or analyst.")],
    name: Annotated[str, typer.Option()] = "",
) -> None:
    """Invite someone to a store, as the console does: the link is mailed, or printed without mail."""
    from datetime import timedelta

    from loyaldesk.kernel.actors import system_for
    from loyaldesk.kernel.errors import DomainError
    from loyaldesk.stores.account_mail import AccountMailSettings
    from loyaldesk.stores.invitations import invite_staff_member
    from loyaldesk.stores.tokens import AccountTokens

    settings = _settings()
    with _database() as database:
        store_id = _store_id(database, store)
        try:
            invitation = database.write(
                invite_staff_member,
                system_for(store_id),
                store_id,
                email=email,
                name=name,
                role=role,
                tokens=AccountTokens(settings.resolved_secret_key()),
                mail=AccountMailSettings.from_settings(settings),
                valid_for=timedelta(days=settings.invitation_valid_days),
            )
        except DomainError as error:
            raise _fail(error.message) from None
        if invitation.link is None:
            out.print(f"Invitation to {invitation.email} ({invitation.role} of {store}) is being mailed.")
        else:
            out.print(f"Give {invitation.email} this link ({invitation.role} of {store}; works once):")
            out.print(invitation.link, soft_wrap=True)


@staff_app.command("reset-link")
def reset_link(email: Annotated[str, typer.Option(help="The account's email address.")]) -> None:
    """Print a password reset link for an account (for an install that does not send mail)."""
    from datetime import timedelta

    from loyaldesk.kernel.errors import DomainError
    from loyaldesk.stores.account_mail import AccountMailSettings
    from loyaldesk.stores.password_resets import issue_reset_link
    from loyaldesk.stores.tokens import AccountTokens

    settings = _settings()
    with _database() as database:
        try:
            link = database.write(
                issue_reset_link,
                email,
                tokens=AccountTokens(settings.resolved_secret_key()),
                mail=AccountMailSettings.from_settings(settings),
                valid_for=timedelta(minutes=settings.password_reset_valid_minutes),
            )
        except (DomainError, ValueError) as error:
            raise _fail(str(error)) from None
        minutes = settings.password_reset_valid_minutes
        out.print(f"Give this link to the owner of {email} (works once, for {minutes} minutes):")
        out.print(link, soft_wrap=True)


@keys_app.command("create")
def create_key(
    store: Annotated[str, typer.Option(help="The store's slug.")],
    name: Annotated[str, typer.Option(help="What the key is for.")],
    scope: Annotated[
        list[str] | None, typer.Option(help="Repeat for each scope; default: the usual set.")
    ] = None,
) -> None:
    """Create an API key and print it (it is shown only this once)."""
    from loyaldesk.kernel.actors import system_for
    from loyaldesk.kernel.errors import DomainError
    from loyaldesk.stores import actions
    from loyaldesk.stores.rules import DEFAULT_API_SCOPES

    with _database() as database:
        store_id = _store_id(database, store)
        try:
            created = database.write(
                actions.create_api_key,
                system_for(store_id),
                store_id,
                name=name,
                scopes=list(scope or DEFAULT_API_SCOPES),
            )
        except DomainError as error:
            raise _fail(error.message) from None
        out.print(created.token)


@app.command("check-ledger")
def check_ledger_command(
    store: Annotated[
        str | None, typer.Option(help="Check one store (its slug); default: every store.")
    ] = None,
) -> None:
    """Verify every invariant of the points ledger; exits with 1 and lists what is wrong if any fails."""
    from loyaldesk.loyalty.check import check_ledger

    with _database() as database:
        store_id = _store_id(database, store) if store else None
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
    from loyaldesk.analytics import dashboards

    with _database() as database:
        store_ids = [_store_id(database, store)] if store else _all_store_ids(database)
        now = database.clock.now()
        table = Table(title="Analytics refreshed")
        table.add_column("Store")
        table.add_column("Dashboards")
        table.add_column("Seconds", justify="right")
        for store_id in store_ids:
            started = time.perf_counter()
            names = dashboards.refresh_store(database, store_id, now)
            table.add_row(str(store_id), ", ".join(names), f"{time.perf_counter() - started:.1f}")
    out.print(table)


def _all_store_ids(database: Database) -> list[int]:
    from sqlalchemy import select

    from loyaldesk.stores.models import Store

    with database.read() as session:
        return list(session.scalars(select(Store.id).order_by(Store.id)))


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
