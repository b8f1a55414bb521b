"""A real server on a loopback port and a real browser (Debian's /usr/bin/chromium) driving it."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from loyaldesk.runtime import Runtime
from tests.servers import serve_in_thread

CHROMIUM = os.environ.get("LOYALDESK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = (
    Path(os.environ.get("LOYALDESK_SCREENSHOTS", "")) if os.environ.get("LOYALDESK_SCREENSHOTS") else None
)


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: Path) -> Iterator[str]:
    """Browser tests run on SQLite only: what they prove (pages, widget, keyboard, accessibility) is the
    same on either database, and every action they drive is tested on PostgreSQL too, through HTTP, in the
    rest of the suite. Running them twice cost CI about a quarter of its time (decision 0022)."""
    path = tmp_path / "loyaldesk.db"
    shutil.copyfile(sqlite_template, path)
    yield f"sqlite:///{path}"


@pytest.fixture
def live_server(runtime: Runtime) -> Iterator[str]:
    with serve_in_thread(runtime) as base:
        yield base


# Package scope: Playwright's sync API keeps an event loop running in the main thread while it is open,
# which must not leak into tests that start their own loops.
@pytest.fixture(scope="package")
def browser():  # type: ignore[no-untyped-def]
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        if os.environ.get("LOYALDESK_REQUIRE_BROWSER"):
            pytest.fail(f"{CHROMIUM} is missing; `make test` installs Debian's chromium package")
        pytest.skip(f"{CHROMIUM} is not installed (make test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1360, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


@pytest.fixture
def shopper(browser) -> Iterator:  # type: ignore[no-untyped-def]
    """A second browser context: the shopper's, separate from the agent's (``page``)."""
    context = browser.new_context(viewport={"width": 1360, "height": 900})
    shopper_page = context.new_page()
    shopper_page.set_default_timeout(10_000)
    errors: list[str] = []
    shopper_page.on("pageerror", lambda error: errors.append(str(error)))
    yield shopper_page
    context.close()
    assert errors == [], f"JavaScript errors on the shop page: {errors}"


def screenshot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """Save a screenshot for the README tour when LOYALDESK_SCREENSHOTS names a folder."""
    if SCREENSHOTS is not None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
