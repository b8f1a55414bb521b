"""What every command shares: the Typer app and its command groups, the consoles, the settings, the
database a command opens and closes, and how a command fails."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

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


def current_settings() -> Settings:
    """The settings from the environment (LOYALDESK_*), read once per process."""
    return get_settings()


@contextmanager
def open_database() -> Iterator[Database]:
    """The configured database, disposed of (connections closed) however the command ends."""
    from loyaldesk.composition import compose
    from loyaldesk.kernel.db import Database

    compose()
    database = Database(current_settings().database_url)
    try:
        yield database
    finally:
        database.dispose()


def fail(message: str) -> typer.Exit:
    """Print ``message`` as an error; the command raises what this returns to exit with 1."""
    err.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code=1)


def store_id_of(database: Database, slug: str) -> int:
    """The id of the store with this slug; the command fails naming the slug when there is none."""
    from loyaldesk.kernel.errors import NotFound
    from loyaldesk.stores import store_by_slug

    with database.read() as session:
        try:
            return store_by_slug(session, slug).id
        except NotFound as error:
            raise fail(error.message) from None


def progress_bar() -> Progress:
    """A progress display for long commands, printed on the command's console."""
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=out
    )
