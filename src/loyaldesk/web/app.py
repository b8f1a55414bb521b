"""The app factory: one FastAPI application serving the API, webhooks, the console and static files."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from loyaldesk import __version__
from loyaldesk.realtime import calls_socket, console_socket, widget_socket
from loyaldesk.runtime import Runtime
from loyaldesk.settings import Settings, get_settings
from loyaldesk.web.api import api_channel as api_channel_routes
from loyaldesk.web.api import assistant as api_assistant
from loyaldesk.web.api import assistant_teaching as api_assistant_teaching
from loyaldesk.web.api import commerce as api_commerce
from loyaldesk.web.api import customers as api_customers
from loyaldesk.web.api import events as api_events
from loyaldesk.web.api import feedback_loop as api_feedback_loop
from loyaldesk.web.api import feedback_responses as api_feedback_responses
from loyaldesk.web.api import feedback_themes as api_feedback_themes
from loyaldesk.web.api import journey_events as api_journey_events
from loyaldesk.web.api import journeys as api_journeys
from loyaldesk.web.api import loyalty as api_loyalty
from loyaldesk.web.api import loyalty_activity as api_loyalty_activity
from loyaldesk.web.api import offers as api_offers
from loyaldesk.web.api import preferences as api_preferences
from loyaldesk.web.api import recommendations as api_recommendations
from loyaldesk.web.api import return_requests as api_return_requests
from loyaldesk.web.api import shopify_webhooks, sms_webhooks
from loyaldesk.web.api import store as api_store
from loyaldesk.web.api import surveys as api_surveys
from loyaldesk.web.api import webhooks as api_webhooks
from loyaldesk.web.api_rate_limit import ApiRateLimitMiddleware
from loyaldesk.web.console import analytics as console_analytics
from loyaldesk.web.console import api_channels as console_api_channels
from loyaldesk.web.console import assistant as console_assistant
from loyaldesk.web.console import assistant_intent_page as console_assistant_intent_page
from loyaldesk.web.console import assistant_intents as console_assistant_intents
from loyaldesk.web.console import auth as console_auth
from loyaldesk.web.console import bookings_day as console_bookings_day
from loyaldesk.web.console import bookings_for_customer as console_bookings_for_customer
from loyaldesk.web.console import bookings_setup as console_bookings_setup
from loyaldesk.web.console import bookings_types as console_bookings_types
from loyaldesk.web.console import calls as console_calls
from loyaldesk.web.console import cobrowse as console_cobrowse
from loyaldesk.web.console import community as console_community
from loyaldesk.web.console import community_participation as console_community_participation
from loyaldesk.web.console import community_settings as console_community_settings
from loyaldesk.web.console import customers as console_customers
from loyaldesk.web.console import desk_settings as console_desk_settings
from loyaldesk.web.console import feedback_dashboard as console_feedback_dashboard
from loyaldesk.web.console import feedback_fix as console_feedback_fix
from loyaldesk.web.console import feedback_inbox as console_feedback_inbox
from loyaldesk.web.console import feedback_settings as console_feedback_settings
from loyaldesk.web.console import feedback_themes as console_feedback_themes
from loyaldesk.web.console import help_center as console_help_center
from loyaldesk.web.console import help_center_report as console_help_center_report
from loyaldesk.web.console import inbox as console_inbox
from loyaldesk.web.console import intent_labels as console_intent_labels
from loyaldesk.web.console import invitations as console_invitations
from loyaldesk.web.console import journey_templates as console_journey_templates
from loyaldesk.web.console import journeys as console_journeys
from loyaldesk.web.console import journeys_calendar as console_journeys_calendar
from loyaldesk.web.console import journeys_campaigns as console_journeys_campaigns
from loyaldesk.web.console import journeys_editor as console_journeys_editor
from loyaldesk.web.console import journeys_explain as console_journeys_explain
from loyaldesk.web.console import journeys_rule as console_journeys_rule
from loyaldesk.web.console import journeys_settings as console_journeys_settings
from loyaldesk.web.console import loyalty as console_loyalty
from loyaldesk.web.console import loyalty_catalog as console_loyalty_catalog
from loyaldesk.web.console import loyalty_members as console_loyalty_members
from loyaldesk.web.console import loyalty_rules as console_loyalty_rules
from loyaldesk.web.console import loyalty_settings as console_loyalty_settings
from loyaldesk.web.console import offers as console_offers
from loyaldesk.web.console import recommendation_settings as console_recommendation_settings
from loyaldesk.web.console import return_requests as console_return_requests
from loyaldesk.web.console import settings as console_settings
from loyaldesk.web.console import shell as console_shell
from loyaldesk.web.console import sla_settings as console_sla_settings
from loyaldesk.web.console import sms_settings as console_sms_settings
from loyaldesk.web.console import support_reports as console_support_reports
from loyaldesk.web.console import surveys as console_surveys
from loyaldesk.web.console import team as console_team
from loyaldesk.web.console import team_coaching as console_team_coaching
from loyaldesk.web.console import team_pulse as console_team_pulse
from loyaldesk.web.console import webhooks as console_webhooks
from loyaldesk.web.console import widget_install as console_widget_install
from loyaldesk.web.content_policy import CONSOLE_CSP, MEMBER_PAGE_CSP
from loyaldesk.web.errors import install_error_handlers
from loyaldesk.web.idempotency import IdempotencyMiddleware
from loyaldesk.web.member import booking_calls as member_booking_calls
from loyaldesk.web.member import bookings_api as member_bookings_api
from loyaldesk.web.member import bookings_page as member_bookings_page
from loyaldesk.web.member import community_api as member_community_api
from loyaldesk.web.member import community_forms as member_community_forms
from loyaldesk.web.member import community_pages as member_community_pages
from loyaldesk.web.member import help_center as member_help_center
from loyaldesk.web.member import loyalty as member_loyalty
from loyaldesk.web.member import messages as member_messages
from loyaldesk.web.member import offers as member_offers
from loyaldesk.web.member import preferences as member_preferences
from loyaldesk.web.member import recommendations as member_recommendations
from loyaldesk.web.member import survey_api as member_survey_api
from loyaldesk.web.member import survey_member as member_survey_member
from loyaldesk.web.member import surveys as member_surveys
from loyaldesk.web.openapi import install_openapi
from loyaldesk.web.request_guard import RequestGuardMiddleware
from loyaldesk.web.route_groups import include_grouped
from loyaldesk.web.vendor import RRWEB_URL, missing_package, rrweb_dist_dir
from loyaldesk.web.widget import articles as widget_articles
from loyaldesk.web.widget import calls as widget_calls
from loyaldesk.web.widget import community_qa as widget_community_qa
from loyaldesk.web.widget import greeting as widget_greeting
from loyaldesk.web.widget import notices as widget_notices
from loyaldesk.web.widget import push as widget_push
from loyaldesk.web.widget import routes as widget_routes
from loyaldesk.web.widget import surveys as widget_surveys

STATIC_DIR = Path(__file__).resolve().parent / "static"
DOCS_STATIC_DIR = Path(fastapi_offline.__file__).resolve().parent / "static"

API_DESCRIPTION = """
The loyaldesk REST API for a store's backend.

* Authenticate with a store API key: `Authorization: Bearer ld_...` (create one in Settings → API keys).
* Money is integer minor units (cents) plus an ISO 4217 currency code; times are ISO 8601 with a zone.
* Lists paginate with `?cursor=` (from `next_cursor`) and `?limit=`.
* Every write accepts an `Idempotency-Key` header (Stripe's semantics): a retry with the same key and body
  returns the first response; the same key with another body is refused with 422; a retry while the first
  is still running gets 409.
* Errors are JSON: `{"error": {"code", "message", "fields": [{"field", "reason"}]}}`.
"""

EMBEDDABLE_PREFIXES = ("/m/", "/r/")
# The chat widget's script and stylesheet, loaded by stores' own pages on other origins.
WIDGET_ASSETS_PREFIX = "/static/widget/"
# npm packages the widget and the console load (rrweb: co-browsing), public like the widget's files.
VENDOR_ASSETS_PREFIX = "/static/vendor/"
MEMBER_API_PREFIX = "/member-api/"
WIDGET_API_PREFIX = "/widget-api/"
SURVEY_API_PREFIX = "/survey-api/"  # a survey invitation by its token: the token is the credential


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-content-type-options", b"nosniff"))
                headers.append((b"referrer-policy", b"same-origin"))
                has_policy = any(name.lower() == b"content-security-policy" for name, _ in headers)
                if path.startswith((WIDGET_ASSETS_PREFIX, VENDOR_ASSETS_PREFIX)):
                    # Public files that any page may load: a module script is fetched in CORS mode, so
                    # without this header the store's page refuses it. Sent on every response, with or
                    # without an Origin in the request, so that no cached copy lacks it (decision record
                    # "widget-cross-origin"); the chat itself is gated by the store's allowed origins.
                    headers.append((b"access-control-allow-origin", b"*"))
                    headers.append((b"cross-origin-resource-policy", b"cross-origin"))
                elif has_policy or path.startswith(
                    (
                        "/docs",
                        "/api/",
                        "/webhooks/",
                        "/channels/",
                        MEMBER_API_PREFIX,
                        WIDGET_API_PREFIX,
                        SURVEY_API_PREFIX,
                    )
                ):
                    pass  # a response that set its own policy keeps it; JSON needs none
                elif path.startswith(EMBEDDABLE_PREFIXES):
                    headers.append((b"content-security-policy", MEMBER_PAGE_CSP.encode()))
                else:
                    headers.append((b"content-security-policy", CONSOLE_CSP.encode()))
                    headers.append((b"x-frame-options", b"DENY"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


class MemberApiCorsMiddleware:
    """CORS for the member and widget APIs only: a store's own pages call them from their origin with the
    shopper's signature or visitor token (no cookies), so any origin may; the rest stays same-origin."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.cors = CORSMiddleware(
            app,
            allow_origins=["*"],
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=[
                "Content-Type",
                "Idempotency-Key",
                "X-Customer-Id",
                "X-Customer-Signature",
                "X-Signature-Expires",
            ],
            max_age=600,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        cors_prefixes = (MEMBER_API_PREFIX, WIDGET_API_PREFIX, SURVEY_API_PREFIX)
        if scope["type"] == "http" and scope["path"].startswith(cors_prefixes):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def create_app(settings: Settings | None = None, *, runtime: Runtime | None = None) -> FastAPI:
    """Build the application. Pass a ``runtime`` to share services (tests, a fake clock)."""
    settings = settings or (runtime.settings if runtime else get_settings())
    runtime = runtime or Runtime(settings)

    # The app reads its runtime from ``app.state`` (as every route does), never from a closure: the
    # tests serve one app with a fresh runtime each (FastAPI builds an app's route table on its first
    # requests, which costs more than most tests).
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        started: Runtime = app.state.runtime
        await started.start()
        try:
            yield
        finally:
            await started.stop()

    app = FastAPI(
        title="loyaldesk",
        version=__version__,
        description=API_DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.runtime = runtime
    install_error_handlers(app)
    install_openapi(app)

    # In any order: no route shadows another's URLs (tests/web/test_route_order.py proves it). Grouped by
    # how their URLs begin, so that a request is matched only against the routes that can answer it.
    routers = (
        # /api/v1 and the signed webhooks, for store backends and connected apps (web/api/)
        api_commerce.router,  # first: orders are the API's busiest route
        api_store.router,
        api_customers.router,
        api_commerce.products_router,
        api_loyalty.router,
        api_loyalty_activity.router,
        api_events.router,
        api_journey_events.router,
        api_journeys.router,
        api_webhooks.router,
        api_return_requests.router,
        api_feedback_responses.router,
        api_surveys.router,
        api_assistant_teaching.router,
        api_feedback_themes.router,
        shopify_webhooks.router,
        sms_webhooks.router,
        api_channel_routes.router,
        api_assistant.router,
        api_feedback_loop.router,
        api_recommendations.router,
        api_offers.router,  # recommendations: personal offers and their results
        # shoppers: the member API and pages (web/member/), the widget's HTTP side (web/widget/)
        member_loyalty.router,
        member_messages.router,
        widget_routes.router,
        widget_push.router,
        widget_notices.router,
        widget_greeting.router,
        widget_calls.router,  # the shopper rings the desk (video or voice)
        member_help_center.router,
        widget_articles.router,
        # feedback: where customers answer (the survey page, its JSON API, the member page's, the widget's)
        member_surveys.router,
        member_survey_api.router,
        member_survey_member.router,
        # recommendations: "picked for you" on the member page and in the member API
        member_recommendations.router,
        member_offers.router,  # recommendations: the shopper's personal offers
        widget_surveys.router,
        # recommendations: what customers told the store they prefer (member page and API, store API)
        member_preferences.router,
        api_preferences.router,
        # bookings: expert sessions (the member API and the member page's "Expert sessions")
        member_bookings_api.router,
        member_bookings_page.router,
        member_booking_calls.router,  # the video call of a booked expert session
        # community: the member pages and API, the product page's Q&A block (web/member/, web/widget/)
        member_community_pages.router,
        member_community_forms.router,
        member_community_api.router,
        widget_community_qa.router,
        # sockets (realtime/)
        widget_socket.router,
        console_socket.router,
        calls_socket.router,  # calls: co-browsing and the signalling of video and voice calls
        # staff (web/console/)
        console_shell.router,
        console_auth.router,
        console_invitations.router,
        console_customers.router,
        console_inbox.router,
        console_cobrowse.router,  # calls: asking to see a shopper's page, and watching it
        console_calls.router,  # calls: video and voice with a shopper, expert sessions' video calls
        console_desk_settings.router,
        console_support_reports.router,
        console_analytics.router,
        console_api_channels.router,
        console_sla_settings.router,
        console_widget_install.router,
        console_loyalty.router,
        console_loyalty_settings.router,
        console_loyalty_rules.router,
        console_loyalty_catalog.router,
        console_loyalty_members.router,
        console_journey_templates.router,
        console_settings.router,
        console_sms_settings.router,
        console_journeys.router,
        console_journeys_rule.router,
        console_journeys_explain.router,
        console_journeys_editor.router,
        console_journeys_campaigns.router,
        console_journeys_calendar.router,
        console_journeys_settings.router,
        console_webhooks.router,
        console_help_center.router,
        console_help_center_report.router,
        console_return_requests.router,
        console_assistant.router,
        console_assistant_intents.router,
        console_assistant_intent_page.router,
        console_intent_labels.router,
        console_feedback_inbox.router,
        console_feedback_dashboard.router,
        console_team.router,
        console_team_pulse.router,
        console_team_coaching.router,
        console_surveys.router,  # feedback: the survey builder
        console_feedback_settings.router,
        console_recommendation_settings.router,
        console_feedback_themes.router,
        console_feedback_fix.router,
        console_offers.router,  # recommendations: personal offers
        # bookings: the day's expert sessions, schedules and session types
        console_bookings_day.router,
        console_bookings_for_customer.router,
        console_bookings_setup.router,
        console_bookings_types.router,
        console_community.router,  # community: moderation, threads, staff answers, publishing
        console_community_settings.router,  # community: settings, categories, events
        console_community_participation.router,  # community: members who take part vs not
    )
    include_grouped(app.router, routers)

    @app.get("/healthz", tags=["health"], summary="Is the server up and can it reach its database?")
    def healthz(request: Request) -> JSONResponse:
        from sqlalchemy import text

        database = request.app.state.runtime.database
        with database.read() as session:
            session.execute(text("SELECT 1"))
        return JSONResponse({"status": "ok", "version": __version__, "database": database.backend})

    @app.get("/docs", include_in_schema=False)
    def docs(request: Request) -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="loyaldesk API",
            swagger_js_url="/docs-static/swagger-ui-bundle.js",
            swagger_css_url="/docs-static/swagger-ui.css",
            swagger_favicon_url="/static/favicon.svg",
        )

    # Before /static, which would answer its URLs otherwise; without the package, 404 saying what to do.
    rrweb_dist = rrweb_dist_dir(settings)
    vendor = StaticFiles(directory=rrweb_dist) if rrweb_dist is not None else missing_package
    app.mount(RRWEB_URL, vendor, name="vendor-rrweb")
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.mount("/docs-static", StaticFiles(directory=DOCS_STATIC_DIR), name="docs-static")

    app.add_middleware(IdempotencyMiddleware)
    app.add_middleware(ApiRateLimitMiddleware)  # outside idempotency: over the limit costs no database work
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.resolved_secret_key(),
        session_cookie="loyaldesk_session",
        max_age=settings.session_max_age_seconds,
        same_site="lax",
        https_only=settings.cookie_secure,
    )
    app.add_middleware(RequestGuardMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(MemberApiCorsMiddleware)
    return app
