"""Commands that run loyaldesk: ``migrate``, ``serve``, ``worker`` and ``mail-receiver``."""

from __future__ import annotations

import asyncio
import signal
import threading
from typing import Annotated

import typer

from loyaldesk.cli.common import app, current_settings, err, out
from loyaldesk.settings import Settings, get_settings


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema."""
    from loyaldesk.kernel.migrations import upgrade_to_head

    settings = current_settings()
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
        # No permessage-deflate: chat frames are a few hundred bytes, and compressing each one cost a third
        # of the event loop's sending time and ~30 KiB per idle socket (docs/decisions/0036).
        ws_per_message_deflate=False,
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
    return current_settings()


@app.command()
def worker() -> None:
    """Dispatch events and run scheduled jobs (for installs that run servers without background work)."""
    from loyaldesk.runtime import Runtime

    settings = current_settings()
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
    from loyaldesk.composition import compose
    from loyaldesk.kernel.db import Database

    compose()
    settings = current_settings()
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
