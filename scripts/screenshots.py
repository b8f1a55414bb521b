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


def _team_story(runtime: Runtime) -> None:
    """What the team page shows after a few weeks: customers' ratings of the demo's agents (kudos among
    them), a colleague's shout-out. Through the real paths: answers through ``submit_answers``, kudos by
    the handler, the shout-out by its action."""
    import uuid
    from datetime import timedelta

    from sqlalchemy import select

    from loyaldesk.feedback import Survey, SurveyInvitation, submit_answers
    from loyaldesk.feedback.team import give_shoutout
    from loyaldesk.kernel.actors import Actor
    from loyaldesk.kernel.dispatcher import dispatch_until_idle
    from loyaldesk.stores import StaffAccount, Store
    from loyaldesk.support import Conversation

    words = ["Ana fixed my order in minutes, thank you!", "So patient with me", "", "", "Great help", ""]

    def story(uow):  # type: ignore[no-untyped-def]
        store = uow.session.scalar(select(Store).where(Store.slug == "demo"))
        staff = {
            name: staff_id
            for staff_id, name in uow.session.execute(select(StaffAccount.id, StaffAccount.name))
        }
        now = uow.now()
        survey = Survey(
            store_id=store.id,
            kind="csat",
            name="Chat rating",
            status="active",
            languages=["en"],
            questions=[
                {"id": "score", "type": "scale", "min": 1, "max": 5, "text": {"en": "How did we do?"}},
                {"id": "comment", "type": "text", "text": {"en": "Anything to add?"}, "required": False},
            ],
            trigger={"kind": "api"},
            channel="email",
            created_at=now,
            updated_at=now,
        )
        uow.session.add(survey)
        uow.session.flush()
        conversations = list(
            uow.session.scalars(
                select(Conversation)
                .where(Conversation.store_id == store.id, Conversation.customer_id.is_not(None))
                .order_by(Conversation.id.desc())
                .limit(40)
            )
        )
        plan = [("Ana Agent", score) for score in (5, 5, 4, 5, 3, 5, 4, 5, 2, 5)]
        plan += [("Adam Admin", score) for score in (4, 5, 3)]
        for number, ((name, score), conversation) in enumerate(zip(plan, conversations, strict=False)):
            conversation.assignee_id = staff[name]
            invitation = SurveyInvitation(
                store_id=store.id,
                survey_id=survey.id,
                customer_id=conversation.customer_id,
                channel="email",
                token=uuid.uuid4().hex,
                status="asked",
                conversation_id=conversation.id,
                agent_id=staff[name],
                product_ids=[],
                idempotency_key=uuid.uuid4().hex,
                asked_at=now,
                expires_at=now + timedelta(days=30),
            )
            uow.session.add(invitation)
            uow.session.flush()
            comment = words[number % len(words)] if score == 5 else ""
            submit_answers(uow, invitation, {"score": score, "comment": comment})
        owner = Actor(kind="staff", id=staff["Olivia Owner"], store_id=store.id, label="Olivia", role="owner")
        give_shoutout(
            uow,
            owner,
            store.id,
            to_staff_id=staff["Ana Agent"],
            conversation_id=conversations[0].id,
            message="Thank you for calming down a very upset customer and saving the order.",
        )

    runtime.database.write(story)
    dispatch_until_idle(runtime.database)


def _raised_theme(runtime: Runtime) -> int:
    """A "delivery" theme five demo customers raised in a survey answer (feedback: closing the loop)."""
    from sqlalchemy import select

    from loyaldesk.customers import Customer
    from loyaldesk.feedback.models import ResponseTheme, Survey, SurveyResponse, Theme
    from loyaldesk.stores import Store

    def create(uow):  # type: ignore[no-untyped-def]
        now = uow.now()
        store_id = uow.session.scalar(select(Store.id).where(Store.slug == "demo"))
        survey = Survey(
            store_id=store_id, kind="nps", name="How are we doing?", status="active", questions=[],
            languages=["en"], trigger={"kind": "api"}, channel="email", created_at=now, updated_at=now,
        )  # fmt: skip
        theme = Theme(store_id=store_id, key="screenshots_delivery", name="Delivery", created_at=now)
        uow.session.add_all([survey, theme])
        uow.session.flush()
        customers = uow.session.scalars(
            select(Customer.id).where(Customer.store_id == store_id, Customer.email.is_not(None)).limit(5)
        )
        for customer_id in customers:
            response = SurveyResponse(
                store_id=store_id, survey_id=survey.id, customer_id=customer_id, survey_kind="nps",
                channel="email", score=4, bucket="detractor", answers={}, comment="My parcel was late.",
                complete=True, created_at=now, updated_at=now,
            )  # fmt: skip
            uow.session.add(response)
            uow.session.flush()
            uow.session.add(
                ResponseTheme(
                    response_id=response.id, theme_id=theme.id, store_id=store_id, source="agent", at=now
                )
            )
        return int(theme.id)

    return int(runtime.database.write(create))


def recommendation_pages(page, base: str, target: Path, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    """The shopper's picks on the member page, the store's recommendation settings and its offers."""
    shopper = demo_member_page(runtime.database, base)
    assert shopper is not None
    page.goto(shopper)
    picks = page.locator("section", has_text="Picked for you").first
    picks.screenshot(path=str(target / "member-picked-for-you.png"))
    page.goto(f"{base}/console/demo/recommendations")
    page.screenshot(path=str(target / "recommendations-settings.png"), full_page=True)
    page.goto(f"{base}/console/demo/recommendations/offers")
    page.locator("table tbody a").first.click()
    page.wait_for_load_state()
    page.screenshot(path=str(target / "offer-results.png"), full_page=True)


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
            # feedback: themes (issue 16)
            page.goto(f"{base}/console/demo/feedback/themes")
            page.screenshot(path=str(target / "feedback-themes.png"), full_page=True)
            page.goto(f"{base}/help/demo")
            page.screenshot(path=str(target / "help-center.png"), full_page=True)
            # The feedback inbox and dashboards (issue 16).
            page.goto(f"{base}/console/demo/feedback")
            page.screenshot(path=str(target / "feedback-inbox.png"))
            page.goto(f"{base}/console/demo/feedback/dashboard")
            page.wait_for_function(
                "[...document.querySelectorAll('img.chart')].every((image) => image.complete)"
            )
            page.screenshot(path=str(target / "feedback-dashboard.png"), full_page=True)
            # The team that serves (issue 16): recognition, fairly.
            _team_story(runtime)
            page.goto(f"{base}/console/demo/team")
            page.screenshot(path=str(target / "team.png"), full_page=True)
            # Closing the loop (issue 16): the fix form with who will be told, then the broadcast.
            page.goto(f"{base}/console/demo/feedback/themes/{_raised_theme(runtime)}/fix")
            page.get_by_label("What was fixed").fill("Parcels now leave our warehouse the same day.")
            page.screenshot(path=str(target / "feedback-fix-theme.png"), full_page=True)
            page.get_by_role("button", name="Mark fixed", exact=False).first.click()
            page.wait_for_url("**/feedback/closures/*")
            page.screenshot(path=str(target / "feedback-closure.png"), full_page=True)
            # Feedback: the survey builder, a survey's editor and its page as customers see it (issue 16).
            page.goto(f"{base}/console/demo/feedback/surveys")
            page.screenshot(path=str(target / "feedback-surveys.png"), full_page=True)
            page.locator("table tbody th a").first.click()
            page.wait_for_load_state()
            page.screenshot(path=str(target / "feedback-survey-editor.png"), full_page=True)
            preview = page.get_by_role("link", name="Preview the survey page").get_attribute("href")
            page.goto(f"{base}{preview}")
            page.screenshot(path=str(target / "feedback-survey-page.png"), full_page=True)
            recommendation_pages(page, base, target, runtime)
            page.goto(f"{base}/docs")
            page.wait_for_selector(".swagger-ui .opblock")
            page.screenshot(path=str(target / "api-docs.png"))
            browser.close()
        server.should_exit = True
    print(f"screenshots written to {target}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots"))
