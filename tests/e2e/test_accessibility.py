"""Accessible by check: axe-core (from npm, ``browser/node_modules``; ``make browser`` installs it) runs in
a real browser over every console page and every page a shopper sees, and no serious or critical
violation is allowed. One server, one browser, every page in one session.

The pages' strict CSP forbids injected scripts, so this audit (and only this one) opens its browser
contexts with ``bypass_csp``. The console's pages are listed here by hand, and a check compares the list
with the app's routes, so that a new console page cannot go unaudited.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from sqlalchemy import select as sa_select
from sqlalchemy import text

from loyaldesk.assistant.teaching import current_trainer
from loyaldesk.demo.seed import DEMO_PASSWORD, DEMO_SLUG, seed_demo
from loyaldesk.kernel.db import Database
from loyaldesk.runtime import Runtime
from loyaldesk.stores import password_resets
from loyaldesk.stores.credentials import shopper_signature
from loyaldesk.support import csat_link_token

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

AXE = Path(__file__).resolve().parents[2] / "browser" / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")
OWNER = "owner@juniper.example.com"

# Every console page, by route (``{...}`` filled from the demo store). Keep in step with the app: the
# check below fails when a console page route is missing here.
CONSOLE_PAGES = (
    "/console/account",
    "/console/{slug}/customers",
    "/console/{slug}/customers/{customer_id}",
    "/console/{slug}/customers/{customer_id}/sessions/new",
    "/console/{slug}/orders/{order_id}",
    "/console/{slug}/returns",
    "/console/{slug}/inbox",
    "/console/{slug}/inbox?c={conversation_id}",
    "/console/{slug}/inbox-settings/canned",
    "/console/{slug}/inbox-settings/desk",
    "/console/{slug}/inbox-settings/sla",
    "/console/{slug}/inbox-settings/channels",
    "/console/{slug}/inbox-settings/widget",
    "/console/{slug}/inbox-settings/assistant",
    "/console/{slug}/inbox-reports",
    "/console/{slug}/analytics",
    "/console/{slug}/analytics/segments",
    "/console/{slug}/analytics/segments?segment=champions",
    "/console/{slug}/analytics/value",
    "/console/{slug}/analytics/impact",
    "/console/{slug}/loyalty",
    "/console/{slug}/loyalty/settings",
    "/console/{slug}/loyalty/rules",
    "/console/{slug}/loyalty/rules/new",
    "/console/{slug}/loyalty/rules/{rule_id}",
    "/console/{slug}/loyalty/tiers",
    "/console/{slug}/loyalty/tiers/new",
    "/console/{slug}/loyalty/tiers/{tier_id}",
    "/console/{slug}/loyalty/rewards",
    "/console/{slug}/loyalty/rewards/new",
    "/console/{slug}/loyalty/rewards/{reward_id}",
    "/console/{slug}/loyalty/members",
    "/console/{slug}/loyalty/members/{member_id}",
    "/console/{slug}/loyalty/customers/{customer_id}",
    "/console/{slug}/loyalty/referrals",
    "/console/{slug}/journeys/templates",
    "/console/{slug}/journeys/templates/{key}",
    "/console/{slug}/journeys/templates/points_expiring_7_sms",
    "/console/{slug}/journeys",
    "/console/{slug}/journeys/{journey_id}",
    "/console/{slug}/journeys/{journey_id}/edit",
    "/console/{slug}/journeys/{journey_id}/explain?customer={customer_id}",
    "/console/{slug}/journeys/new?purpose=journey",
    "/console/{slug}/journeys/campaigns/new",
    "/console/{slug}/journeys/calendar",
    "/console/{slug}/journeys/tasks",
    "/console/{slug}/journeys/settings",
    "/console/{slug}/feedback/settings",
    "/console/{slug}/recommendations",
    "/console/{slug}/settings",
    "/console/{slug}/settings/staff",
    "/console/{slug}/settings/api-keys",
    "/console/{slug}/settings/integrations",
    "/console/{slug}/settings/sms",
    "/console/{slug}/settings/audit",
    "/console/{slug}/webhooks",
    "/console/{slug}/webhooks/{endpoint_id}",
    "/console/{slug}/help-center",
    "/console/{slug}/help-center/articles/new",
    "/console/{slug}/help-center/articles/{article_id}",
    "/console/{slug}/help-center/categories",
    "/console/{slug}/help-center/report",
    "/console/{slug}/assistant/intents",
    "/console/{slug}/assistant/intents/{intent_name}",
    "/console/{slug}/feedback",
    "/console/{slug}/feedback?bucket=detractor&comment=yes",
    "/console/{slug}/feedback/responses/{response_id}",
    "/console/{slug}/feedback/dashboard",
    "/console/{slug}/team",
    "/console/{slug}/team/{agent_id}",
    "/console/{slug}/team/shoutouts/new?conversation_id={conversation_id}",
    "/console/{slug}/team/pulse",
    "/console/{slug}/team/pulse/{pulse_id}",
    "/console/{slug}/team/coaching",
    "/console/{slug}/team/coaching/{agent_id}",
    "/console/{slug}/feedback/themes",  # feedback: themes
    "/console/{slug}/feedback/themes/{theme_id}/fix",
    "/console/{slug}/feedback/closures",
    "/console/{slug}/feedback/closures/{closure_id}",
    # feedback: the survey builder
    "/console/{slug}/feedback/surveys",
    "/console/{slug}/feedback/surveys/new?kind=nps",
    "/console/{slug}/feedback/surveys/{survey_id}",
    "/console/{slug}/feedback/surveys/{survey_id}/preview",
    # recommendations: personal offers (the demo's ended offer)
    "/console/{slug}/recommendations/offers",
    "/console/{slug}/recommendations/offers/new",
    "/console/{slug}/recommendations/offers/{offer_id}",
    # bookings: the day's expert sessions (the day with the shopper's booking), schedules, session types
    "/console/{slug}/bookings?day={booking_day}",
    "/console/{slug}/bookings/schedules",
    "/console/{slug}/bookings/schedules/new",
    "/console/{slug}/bookings/schedules/{schedule_id}",
    "/console/{slug}/bookings/session-types",
    "/console/{slug}/bookings/session-types/new",
    "/console/{slug}/bookings/session-types/{session_type_id}",
    # calls: a video call the shopper rang (the answer buttons; nothing starts before one is pressed)
    "/console/{slug}/calls/{call_id}",
    # community: moderation, threads, a thread, settings, events, participation
    "/console/{slug}/community",
    "/console/{slug}/community/threads",
    "/console/{slug}/community/threads/{community_thread_id}",
    "/console/{slug}/community/settings",
    "/console/{slug}/community/events",
    "/console/{slug}/community/participation",
    "/console/{slug}/cobrowse/{cobrowse_session_id}",  # calls: watching a shopper's page (co-browsing)
    "/console/{slug}/customers/999999999",  # the error page
)
# Console GET routes that are not pages (data for scripts, files, redirects, fragments).
NOT_PAGES = re.compile(
    r"\.(json|svg|csv|css)$|/attachments/|/canned/\{reply_id\}$|/messages/\{message_id\}$|"
    r"^/console$|^/console/switch$|^/console/\{store_slug\}$|^/console/\{store_slug\}/\{section\}$|/export|"
    r"/inbox/\{conversation_id\}/assistant$"  # the assistant's panel: a fragment the inbox page loads
)


def _demo_ids(db: Database) -> dict[str, Any]:
    def one(session: Any, sql: str, **params: Any) -> Any:
        value = session.execute(text(sql), params).scalar()
        assert value is not None, f"the demo has no row for: {sql}"
        return value

    with db.read() as session:
        store = one(session, "SELECT id FROM stores WHERE slug = :slug", slug=DEMO_SLUG)
        ids: dict[str, Any] = {
            "slug": DEMO_SLUG,
            "store_id": store,
            "key": "points_expiring_7",
            "conversation_id": one(
                session,
                "SELECT max(id) FROM support_conversations WHERE store_id = :s AND customer_id IS NOT NULL",
                s=store,
            ),
            "order_id": one(session, "SELECT min(id) FROM orders WHERE store_id = :s", s=store),
            "rule_id": one(session, "SELECT min(id) FROM loyalty_rules WHERE store_id = :s", s=store),
            "tier_id": one(session, "SELECT min(id) FROM loyalty_tiers WHERE store_id = :s", s=store),
            "reward_id": one(session, "SELECT min(id) FROM loyalty_rewards WHERE store_id = :s", s=store),
            "secret": one(session, "SELECT identity_secret FROM stores WHERE id = :s", s=store),
            "article_id": one(session, "SELECT min(id) FROM knowledge_articles WHERE store_id = :s", s=store),
            "response_id": one(  # feedback: one of the demo's survey answers
                session, "SELECT max(id) FROM feedback_responses WHERE store_id = :s", s=store
            ),
            "offer_id": one(  # recommendations: the demo's ended personal offer
                session, "SELECT min(id) FROM recommendation_offers WHERE store_id = :s", s=store
            ),
        }
        ids["article_slug"] = one(
            session, "SELECT slug FROM knowledge_articles WHERE id = :id", id=ids["article_id"]
        )
        ids["customer_id"] = one(
            session, "SELECT customer_id FROM support_conversations WHERE id = :id", id=ids["conversation_id"]
        )
        ids["member_id"] = one(
            session, "SELECT id FROM loyalty_members WHERE customer_id = :id", id=ids["customer_id"]
        )
        ids["external_id"] = one(
            session, "SELECT external_id FROM customers WHERE id = :id", id=ids["customer_id"]
        )
    ids["journey_id"] = _a_journey(db, store)
    ids["community_thread_id"] = _a_community_question(db, store, ids["customer_id"])
    ids["survey_id"], ids["survey_token"] = _a_survey_invitation(db, store, ids["customer_id"])
    return ids


def _video_call(db: Database, ids: dict[str, Any]) -> int:
    """A video call rung by the shopper of the demo conversation (the console's call page)."""
    from loyaldesk import calls

    with db.read() as session:
        query = text("SELECT contact_id FROM support_conversations WHERE id = :id")
        contact_id = session.execute(query, {"id": ids["conversation_id"]}).scalar_one()
    view = db.write(
        calls.request_session_as_shopper,
        store_id=ids["store_id"],
        contact_id=contact_id,
        conversation_id=ids["conversation_id"],
        kind=calls.CallKind.VIDEO,
    )
    return view.id


def _expert_sessions(db: Database, ids: dict[str, Any]) -> dict[str, Any]:
    """An expert's schedule (the demo owner), a session type they host and the shopper's booking of it,
    for the Bookings pages."""
    from loyaldesk import bookings

    store, owner = ids["store_id"], _staff_id(db, OWNER)
    schedule_id = db.write(
        bookings.save_schedule,
        store_id=store,
        actor_id=owner,
        schedule_in=bookings.ScheduleIn(
            user_id=owner,
            time_zone="Europe/Paris",
            weekly_hours={day: [("09:00", "17:00")] for day in range(7)},
        ),
    )
    session_type_id = db.write(
        bookings.save_session_type,
        store_id=store,
        actor_id=owner,
        session_type_in=bookings.SessionTypeIn(
            name="Styling session",
            slug="styling",
            length_minutes=45,
            hosts=[bookings.HostIn(schedule_id=schedule_id)],
        ),
    )
    now = datetime.now(UTC)
    with db.read() as session:
        days = bookings.slots_for_shopper(
            session,
            store_id=store,
            session_type_id=session_type_id,
            time_zone="Europe/Paris",
            first_day=now.date() + timedelta(days=2),
            days=3,
            now=now,
        )
    slot = next(slot for found in days.values() for slot in found)
    db.write(
        bookings.book_slot,
        store_id=store,
        customer_id=ids["customer_id"],
        session_type_id=session_type_id,
        starts_at=slot.starts_at,
    )
    return {
        "schedule_id": schedule_id,
        "session_type_id": session_type_id,
        "booking_day": slot.local_date.isoformat(),
    }


def _a_cobrowse_request(db: Database, ids: dict[str, Any]) -> int:
    """The owner asks to see the page of the shopper of an open chat (waiting for their consent)."""
    from loyaldesk import calls
    from loyaldesk.kernel.actors import Actor

    store = ids["store_id"]
    with db.read() as session:
        conversation_id = session.execute(
            text(
                "SELECT max(id) FROM support_conversations WHERE store_id = :s AND channel = 'webchat' "
                "AND contact_id IS NOT NULL AND status NOT IN ('resolved', 'closed')"
            ),
            {"s": store},
        ).scalar_one()
    owner = Actor(kind="staff", id=_staff_id(db, OWNER), store_id=store, label=OWNER, role="owner")
    view = db.write(
        lambda uow: calls.request_session(
            uow, owner, conversation_id=conversation_id, kind=calls.CallKind.COBROWSE
        )
    )
    return int(view.id)


def _staff_id(db: Database, email: str) -> int:
    with db.read() as session:
        return int(
            session.execute(text("SELECT id FROM staff_accounts WHERE email = :e"), {"e": email}).scalar_one()
        )


def _a_survey_invitation(db: Database, store_id: int, customer_id: int) -> tuple[int, str]:
    """The demo store's NPS survey (a default one) and an invitation to it, for the survey pages."""
    from loyaldesk.feedback import Survey, SurveyInvitation

    def create(uow: Any) -> tuple[int, str]:
        survey = (
            uow.session.execute(sa_select(Survey).where(Survey.store_id == store_id, Survey.kind == "nps"))
            .scalars()
            .first()
        )
        now = uow.now()
        uow.session.add(
            SurveyInvitation(
                store_id=store_id,
                survey_id=survey.id,
                customer_id=customer_id,
                channel="email",
                token="a11y-survey-token",
                status="asked",
                product_ids=[],
                idempotency_key="a11y-survey",
                asked_at=now,
                expires_at=now + timedelta(days=30),
            )
        )
        return int(survey.id), "a11y-survey-token"

    return db.write(create)


def _a_community_question(db: Database, store_id: int, customer_id: int) -> int:
    """A product question of a demo customer about one of the demo's products (community pages)."""
    from loyaldesk import community

    with db.read() as session:
        product = session.execute(
            text("SELECT min(external_id) FROM products WHERE store_id = :s"), {"s": store_id}
        ).scalar()
    return int(
        db.write(
            community.ask_question,
            store_id=store_id,
            customer_id=customer_id,
            space_kind=community.SpaceKind.PRODUCT_QA,
            title="Does it come in blue?",
            body="I would like it in **blue**.",
            product_id=product,
        )
    )


def _a_journey(db: Database, store_id: int) -> int:
    """A journey with a condition and a task it made, for the journeys pages."""
    from loyaldesk.journeys.actions.rules import save_rule
    from loyaldesk.journeys.models import TeamTask
    from loyaldesk.journeys.schemas import RuleIn
    from loyaldesk.kernel.actors import system_for

    def create(uow: Any) -> int:
        rule = save_rule(
            uow,
            system_for(store_id),
            store_id,
            RuleIn(
                name="Thank repeat buyers",
                trigger={"kind": "event", "event": "order.delivered"},
                conditions={"all": [{"field": "orders.count", "op": "gte", "value": 2}]},
                steps=[{"kind": "wait", "days": 1}, {"kind": "create_task", "title": "Call to thank them"}],
                enabled=True,
            ),
        )
        uow.session.add(
            TeamTask(
                store_id=store_id,
                rule_id=rule.id,
                title="Call to thank them",
                status="open",
                idempotency_key="a11y-task",
                created_at=uow.now(),
            )
        )
        return int(rule.id)

    return int(db.write(create))


def _webhook_endpoint(db: Database) -> int:
    """An endpoint of the demo store with a delivery in its log (a test event), for its pages."""
    from loyaldesk.channels.webhooks import actions as webhook_actions
    from loyaldesk.kernel.actors import system_for
    from loyaldesk.kernel.outbound import OutboundPolicy

    def create(uow: Any) -> int:
        store = uow.session.execute(text("SELECT id FROM stores WHERE slug = :s"), {"s": DEMO_SLUG}).scalar()
        created = webhook_actions.create_endpoint(
            uow,
            system_for(store),
            store,
            url="https://hooks.example.com/loyaldesk",
            event_types=["order.paid", "customer.created"],
            description="Order sync",
            policy=OutboundPolicy(),
        )
        webhook_actions.send_test_event(uow, system_for(store), store, created.endpoint.id)
        return int(created.endpoint.id)

    return int(db.write(create))


def _return_request(db: Database, ids: dict[str, Any]) -> None:
    """A return a shopper started with the assistant, so that the returns page shows a row."""
    from loyaldesk.assistant.tools import ReturnRequest

    def create(uow: Any) -> None:
        now = uow.now()
        uow.session.add(
            ReturnRequest(
                store_id=ids["store_id"],
                order_id=ids["order_id"],
                conversation_id=ids["conversation_id"],
                status="requested",
                reason="Too small",
                request_key="a11y-return",
                window_ends_at=now,
                created_at=now,
                updated_at=now,
            )
        )

    db.write(create)


def _team(db: Database, ids: dict[str, Any]) -> None:
    """A staff pulse (the owner may answer it and sees where its results will be) and the demo agent's id,
    for the team pages."""
    from loyaldesk.feedback.team import PulseIn, PulseQuestionIn, create_pulse
    from loyaldesk.kernel.actors import system_for

    spec = PulseIn(
        title="Autumn pulse",
        questions=[
            PulseQuestionIn(text="I have the tools I need"),
            PulseQuestionIn(text="Ideas?", type="text"),
        ],
    )
    ids["pulse_id"] = db.write(
        lambda uow: create_pulse(uow, system_for(ids["store_id"]), ids["store_id"], spec).id
    )
    with db.read() as session:
        ids["agent_id"] = session.execute(
            text("SELECT id FROM staff_accounts WHERE email = 'agent@juniper.example.com'")
        ).scalar_one()


def _feedback_closure(db: Database, ids: dict[str, Any]) -> None:
    """A theme three demo customers raised, marked fixed once, for the closing-the-loop pages."""
    from loyaldesk.feedback.loop import mark_fixed
    from loyaldesk.feedback.models import ResponseTheme, Survey, SurveyResponse, Theme
    from loyaldesk.kernel.actors import system_for

    def create(uow: Any) -> None:
        now = uow.now()
        store_id = ids["store_id"]
        survey = Survey(
            store_id=store_id, kind="nps", name="How are we doing?", status="active", questions=[],
            languages=["en"], trigger={"kind": "api"}, channel="email", created_at=now, updated_at=now,
        )  # fmt: skip
        theme = Theme(store_id=store_id, key="a11y_delivery", name="Delivery", created_at=now)
        uow.session.add_all([survey, theme])
        uow.session.flush()
        customers = uow.session.execute(
            text("SELECT id FROM customers WHERE store_id = :s AND email IS NOT NULL ORDER BY id LIMIT 3"),
            {"s": store_id},
        ).scalars()
        for customer_id in customers:
            response = SurveyResponse(
                store_id=store_id, survey_id=survey.id, customer_id=customer_id, survey_kind="nps",
                channel="email", score=3, bucket="detractor", answers={"score": 3}, comment="Late again.",
                complete=True, created_at=now, updated_at=now,
            )  # fmt: skip
            uow.session.add(response)
            uow.session.flush()
            uow.session.add(
                ResponseTheme(
                    response_id=response.id, theme_id=theme.id, store_id=store_id, source="agent", at=now
                )
            )
        uow.session.flush()
        closure = mark_fixed(
            uow, system_for(store_id), store_id, theme_id=theme.id, note="Parcels now ship the same day."
        )
        ids["theme_id"], ids["closure_id"] = theme.id, closure.id

    db.write(create)


def _audit(page, where: str, found: list[str]) -> None:  # type: ignore[no-untyped-def]
    """Run axe on the page as it is; add each serious or critical violation to ``found``."""
    page.wait_for_load_state("load")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await window.axe.run(document, {resultTypes: ['violations']})")
    for violation in result["violations"]:
        if violation.get("impact") not in BLOCKING:
            continue
        nodes = "; ".join(
            " ".join(map(str, node["target"]))
            + f" ({node.get('failureSummary', '').splitlines()[-1].strip()})"
            for node in violation["nodes"][:5]
        )
        found.append(f"{where}: {violation['id']} [{violation['impact']}] {violation['help']}: {nodes}")


def _path_of(link: str) -> str:
    parts = urlsplit(link)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def test_the_audit_covers_every_console_page(runtime: Runtime) -> None:
    from loyaldesk.web.app import create_app

    app = create_app(runtime=runtime)
    routes = {
        context.path_format
        for route in app.routes
        for context in getattr(route, "effective_route_contexts", lambda: [])()
        if "GET" in (getattr(context.original_route, "methods", None) or ())
        and context.path_format.startswith("/console")
    }
    pages = {re.sub(r"\?.*", "", path).replace("{slug}", "{store_slug}") for path in CONSOLE_PAGES}
    audited = {
        route
        for route in routes
        if re.sub(r"\{[a-z_]+\}", "X", route)
        in {re.sub(r"\{[a-z_]+\}|999999999", "X", page) for page in pages}
    }
    missing = sorted(route for route in routes - audited if not NOT_PAGES.search(route))
    assert missing == [], f"console pages the accessibility audit does not visit: {missing}"


def test_every_page_has_no_serious_accessibility_violation(
    live_server: str,
    browser,  # type: ignore[no-untyped-def]
    db: Database,
    runtime: Runtime,
) -> None:
    if not AXE.exists():
        if os.environ.get("LOYALDESK_REQUIRE_BROWSER"):
            pytest.fail(f"{AXE} is missing: run `make browser` (npm ci in browser/)")
        pytest.skip(f"{AXE} is missing (make browser installs it with npm)")
    seed_demo(db, seed=3, customers=40, until=date(2026, 3, 1))
    ids = _demo_ids(db)
    from loyaldesk.journeys import Channel, ensure_default_templates, links_for

    db.write(ensure_default_templates, ids["store_id"], "en")
    message_links = links_for(
        live_server,
        runtime.secret_key,
        DEMO_SLUG,
        0,
        ids["customer_id"],
        Channel.EMAIL,
        store_id=ids["store_id"],
    )
    ids["endpoint_id"] = _webhook_endpoint(db)
    _return_request(db, ids)
    _team(db, ids)
    _feedback_closure(db, ids)
    ids["intent_name"] = current_trainer().builtin_intents()[0].name
    ids.update(_expert_sessions(db, ids))
    ids["call_id"] = _video_call(db, ids)
    ids["cobrowse_session_id"] = _a_cobrowse_request(db, ids)
    reset_link = db.write(
        password_resets.issue_reset_link,
        "analyst@juniper.example.com",
        tokens=runtime.account_tokens,
        mail=runtime.account_mail,
        valid_for=timedelta(hours=1),
    )
    signed = urlencode(
        {"customer": ids["external_id"], "signature": shopper_signature(ids["secret"], ids["external_id"])}
    )
    rating_token = csat_link_token(ids["secret"], ids["conversation_id"])
    found: list[str] = []
    agent_context = browser.new_context(viewport={"width": 1360, "height": 900}, bypass_csp=True)
    shopper_context = browser.new_context(viewport={"width": 1360, "height": 900}, bypass_csp=True)
    try:
        shopper = shopper_context.new_page()
        shopper.set_default_timeout(10_000)
        for path in (
            "/login",
            "/login/forgot",
            _path_of(reset_link),
            f"/m/{DEMO_SLUG}?{signed}",
            f"/m/{DEMO_SLUG}/preferences?{signed}",  # recommendations: the shopper's preferences
            f"/m/{DEMO_SLUG}/sessions?{signed}",  # bookings: expert sessions
            f"/m/{DEMO_SLUG}/community?{signed}",  # community: home, product questions, a thread, events
            f"/m/{DEMO_SLUG}/community/questions?{signed}",
            f"/m/{DEMO_SLUG}/community/threads/{ids['community_thread_id']}?{signed}",
            f"/m/{DEMO_SLUG}/community/events?{signed}",
            f"/help/{DEMO_SLUG}",
            f"/help/{DEMO_SLUG}/search?q=how+long+does+delivery+take",
            f"/help/{DEMO_SLUG}/en/articles/{ids['article_slug']}",
            f"/csat/{DEMO_SLUG}/{ids['conversation_id']}/{rating_token}",
            _path_of(message_links.unsubscribe_url),
            _path_of(message_links.preferences_url),
            f"/s/{DEMO_SLUG}/{ids['survey_token']}?a=9",  # feedback: the survey page from an email's link
        ):
            response = shopper.goto(live_server + path)
            assert response is not None and response.ok, f"{path}: {response}"
            _audit(shopper, path, found)
        # The widget on the demo shop, closed and open; nobody is online but the demo's assistant
        # answers: the chat form. With the assistant switched off: the offline form.
        shopper.goto(f"{live_server}/widget/{DEMO_SLUG}/demo-shop")
        _audit(shopper, "demo shop", found)
        shopper.get_by_role("button", name="Chat with us").click()
        shopper.get_by_role("dialog").get_by_label("Your message").wait_for()
        _audit(shopper, "the widget's chat form", found)
        db.write(
            lambda uow: uow.session.execute(
                text("UPDATE assistant_settings SET enabled = :off WHERE store_id = :s"),
                {"off": False, "s": ids["store_id"]},
            )
        )
        shopper.reload()
        shopper.get_by_role("button", name="Chat with us").click()
        shopper.get_by_role("button", name="Send message").wait_for()
        _audit(shopper, "the widget's offline form", found)

        agent = agent_context.new_page()
        agent.set_default_timeout(10_000)
        agent.goto(f"{live_server}/login")
        agent.get_by_label("Email").fill(OWNER)
        agent.get_by_label("Password").fill(DEMO_PASSWORD)
        agent.get_by_role("button", name="Log in").click()
        agent.wait_for_url(re.compile(r".*/console/.*"))
        for path in CONSOLE_PAGES:
            url = path.format(**ids)
            response = agent.goto(live_server + url)
            assert response is not None and (response.ok or "999999999" in url), f"{url}: {response}"
            _audit(agent, url, found)

        # A refused form: the errors beside their inputs.
        agent.goto(f"{live_server}/console/{DEMO_SLUG}/inbox-settings/canned")
        agent.get_by_label("Shortcut").fill("not ok!")
        agent.get_by_label("Title").fill("Order status")
        agent.get_by_label("Text").fill("Hello")
        agent.get_by_role("button", name="Save").click()
        agent.locator("#f-shortcut-error").wait_for()
        _audit(agent, "a refused canned reply", found)

        # The staff page with an invitation link, and the invitation as the invitee sees it.
        agent.goto(f"{live_server}/console/{DEMO_SLUG}/settings/staff")
        agent.get_by_label("Name", exact=True).fill("Nina Nova")
        agent.get_by_label("Email", exact=True).fill("nina@example.com")
        agent.get_by_role("button", name="Create an invitation link").click()
        link = agent.locator("#invitation-link").inner_text()
        _audit(agent, "staff page with an invitation link", found)
        shopper.goto(live_server + _path_of(link))
        _audit(shopper, "invitation", found)

        # The widget of a signed-in shopper while an agent has the inbox open: the chat itself.
        agent.goto(f"{live_server}/console/{DEMO_SLUG}/inbox")
        shopper.goto(f"{live_server}/widget/{DEMO_SLUG}/demo-shop?{signed}")
        # In the shopper's own language (a demo profile may name German): the launcher by its words in either.
        shopper.get_by_role("button", name=re.compile("^(Chat with us|Chatten Sie mit uns)$")).click()
        shopper.get_by_role("dialog").wait_for()
        shopper.wait_for_timeout(500)
        _audit(shopper, "the widget open, signed in", found)
    finally:
        agent_context.close()
        shopper_context.close()
    assert found == [], "serious or critical accessibility violations:\n" + "\n".join(found)
