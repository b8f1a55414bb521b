"""Screenshots of the real console pages for the README tour.

Seeds the demo store into a temporary SQLite database, serves it, and drives Debian's chromium through
the pages with Playwright. Usage: ``python scripts/screenshots.py docs/screenshots``.
"""

from __future__ import annotations

import socket
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import uvicorn
from playwright.sync_api import sync_playwright

from loyaldesk.demo import DEMO_PASSWORD, demo_member_page, latest_until, seed_demo
from loyaldesk.kernel.migrations import upgrade_to_head
from loyaldesk.runtime import Runtime
from loyaldesk.settings import Settings
from loyaldesk.web.app import create_app

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _loyal_customer(runtime: Runtime) -> int:
    from sqlalchemy import func, select

    from loyaldesk.commerce import Order

    with runtime.database.read() as session:
        return int(
            session.execute(
                select(Order.customer_id)
                .where(Order.customer_id.is_not(None), Order.refunded_total > 0)
                .group_by(Order.customer_id)
                .order_by(func.count().desc(), Order.customer_id)
                .limit(1)
            ).scalar_one()
        )


def main(target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/demo.db"
        upgrade_to_head(url)
        settings = Settings(
            database_url=url, data_dir=Path(tmp), secret_key="screenshots", cookie_secure=False
        )
        runtime = Runtime(settings)
        # The demo `make run` seeds: its history ends at the last 23:00 UTC that has passed.
        seed_demo(runtime.database, seed=42, customers=3000, until=latest_until(datetime.now(UTC)))
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        server = uvicorn.Server(
            uvicorn.Config(create_app(runtime=runtime), host="127.0.0.1", port=port, log_level="warning")
        )
        threading.Thread(target=server.run, daemon=True).start()
        while not server.started:
            time.sleep(0.05)
        base = f"http://127.0.0.1:{port}"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 1320, "height": 860})
            page.goto(f"{base}/login")
            page.screenshot(path=str(target / "login.png"))
            page.get_by_label("Email").fill("owner@juniper.example.com")
            page.get_by_label("Password").fill(DEMO_PASSWORD)
            page.get_by_role("button", name="Log in").click()
            page.wait_for_url("**/customers")
            page.screenshot(path=str(target / "customers.png"))
            # A loyal repeat customer with a return makes the most telling customer page.
            page.goto(f"{base}/console/demo/customers/{_loyal_customer(runtime)}")
            page.screenshot(path=str(target / "customer.png"), full_page=True)
            page.locator("table a.row-link").first.click()
            page.wait_for_load_state()
            page.screenshot(path=str(target / "order.png"), full_page=True)
            page.goto(f"{base}/console/demo/settings/api-keys")
            page.screenshot(path=str(target / "api-keys.png"), full_page=True)
            page.goto(f"{base}/console/demo/settings/audit")
            page.screenshot(path=str(target / "audit-log.png"))
            page.goto(f"{base}/console/demo/loyalty")
            page.wait_for_function(
                "document.querySelector('img.chart') === null || document.querySelector('img.chart').complete"
            )
            page.screenshot(path=str(target / "loyalty-overview.png"), full_page=True)
            page.goto(f"{base}/console/demo/loyalty/customers/{_loyal_customer(runtime)}")
            page.screenshot(path=str(target / "loyalty-member.png"), full_page=True)
            page.goto(f"{base}/console/demo/loyalty/referrals")
            page.screenshot(path=str(target / "loyalty-referrals.png"), full_page=True)
            shopper = demo_member_page(runtime.database, base)
            assert shopper is not None
            page.goto(shopper)
            page.screenshot(path=str(target / "member-page.png"), full_page=True)
            page.goto(f"{base}/console/demo/inbox-settings/desk")
            page.screenshot(path=str(target / "desk-settings.png"), full_page=True)
            page.goto(f"{base}/console/demo/inbox-settings/widget")
            page.screenshot(path=str(target / "widget-install.png"), full_page=True)
            page.goto(f"{base}/console/demo/inbox-settings/sla")
            page.screenshot(path=str(target / "sla-policies.png"), full_page=True)
            page.goto(f"{base}/console/demo/inbox-reports")
            page.screenshot(path=str(target / "support-report.png"), full_page=True)
            page.goto(f"{base}/console/demo/analytics")
            page.screenshot(path=str(target / "analytics-retention.png"), full_page=True)
            page.goto(f"{base}/console/demo/analytics/segments?segment=champions")
            page.screenshot(path=str(target / "analytics-segments.png"))
            page.goto(f"{base}/console/demo/analytics/value")
            page.screenshot(  # the top of the page: the at-risk list goes on for 100 customers
                path=str(target / "analytics-value.png"),
                full_page=True,
                clip={"x": 0, "y": 0, "width": 1320, "height": 1500},
            )
            page.goto(f"{base}/console/demo/analytics/impact")
            page.screenshot(path=str(target / "analytics-impact.png"), full_page=True)
            # The assistant and the help center (issue 15).
            page.goto(f"{base}/console/demo/help-center")
            page.screenshot(path=str(target / "help-center-console.png"), full_page=True)
            page.goto(f"{base}/console/demo/assistant/intents")
            page.screenshot(path=str(target / "assistant-intents.png"), full_page=True)
            page.goto(f"{base}/console/demo/inbox-settings/assistant")
            page.screenshot(path=str(target / "assistant-settings.png"), full_page=True)
            page.goto(f"{base}/help/demo")
            page.screenshot(path=str(target / "help-center.png"), full_page=True)
            # The feedback inbox and dashboards (issue 16).
            page.goto(f"{base}/console/demo/feedback")
            page.screenshot(path=str(target / "feedback-inbox.png"))
            page.goto(f"{base}/console/demo/feedback/dashboard")
            page.wait_for_function("[...document.querySelectorAll('img.chart')].every((image) => image.complete)")
            page.screenshot(path=str(target / "feedback-dashboard.png"), full_page=True)
            page.goto(f"{base}/docs")
            page.wait_for_selector(".swagger-ui .opblock")
            page.screenshot(path=str(target / "api-docs.png"))
            browser.close()
        server.should_exit = True
    print(f"screenshots written to {target}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots"))
