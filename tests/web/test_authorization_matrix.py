"""The authorization matrix: every route of the app, HTTP and WebSocket, says who may call it, and each is
called by everyone who may not.

``MATRIX`` holds one entry per (method, path) of the application. ``test_every_route_has_an_entry`` fails
when a route is added without its entry (or an entry outlives its route), so that nobody can add a URL
without saying who may reach it. Each entry is then checked, in one test per route, against the callers it
must refuse:

* anonymous callers (no key, no session, no signature);
* another store: its API key, its owner's console session, its shopper signature or webhook secret;
* an API key holding every scope but the one the route needs (and a key with only that scope gets in);
* each console role without the route's permission (and each role with it gets past the check);
* a shopper signature for someone else, a forged or foreign widget ticket, a rating link for another
  conversation.

A refused write must change nothing: the whole database is fingerprinted before and after.

The world is the demo store (seeded small) plus a second store, built once for the module on SQLite:
authorization is decided in Python, the same on every backend, and is tested per backend elsewhere.
"""

from __future__ import annotations

import hashlib
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from starlette.routing import Mount
from starlette.websockets import WebSocketDisconnect

from loyaldesk import calls
from loyaldesk.channels.push import PushSubscriptionIn, set_push_enabled, subscribe
from loyaldesk.channels.widget import WidgetNotice
from loyaldesk.demo.seed import DEMO_PASSWORD, DEMO_SLUG, DEMO_STAFF, seed_demo
from loyaldesk.kernel.actors import SYSTEM, system_for
from loyaldesk.kernel.db import Database
from loyaldesk.kernel.orm import Base
from loyaldesk.runtime import Runtime
from loyaldesk.settings import Settings
from loyaldesk.stores import actions as store_actions
from loyaldesk.stores.credentials import shopper_signature
from loyaldesk.stores.passwords import hash_password
from loyaldesk.stores.rules import API_SCOPES, Permission, Role, has_permission
from loyaldesk.support.actions import post_customer_message
from loyaldesk.support.actions.attachments import NewAttachment
from loyaldesk.support.actions.contacts import identify_contact
from loyaldesk.web.app import create_app
from tests.factories import TEST_PASSWORD, csrf_of

# --------------------------------------------------------------------------------------------------------
# Who may call what


@dataclass(frozen=True)
class Public:
    """Anyone may call it. ``why`` says why that is right; ``rate_limited`` names what bounds a stranger."""

    why: str
    rate_limited: str


@dataclass(frozen=True)
class StoreApi:
    """A store backend with an API key holding ``scope`` (None: any key of the store); the key's store is
    the only store it sees."""

    scope: str | None


@dataclass(frozen=True)
class Console:
    """A logged-in staff member of the store in the path whose role grants ``permission`` (None: any)."""

    permission: Permission | None


@dataclass(frozen=True)
class Account:
    """Any logged-in staff member, about their own account (no store in the path)."""


@dataclass(frozen=True)
class Shopper:
    """A shopper of the store in the path, identified by the store's signature of their customer id."""


@dataclass(frozen=True)
class WidgetTicket:
    """The holder of a widget ticket (issued on the widget socket) for the store in the path."""


@dataclass(frozen=True)
class RatingLink:
    """Whoever holds the rating link the store mailed for the conversation in the path."""


@dataclass(frozen=True)
class EmailedLink:
    """Whoever holds a link loyaldesk mailed for ``purpose`` (signed, stored hashed, single use)."""

    purpose: str


@dataclass(frozen=True)
class MessageLink:
    """Whoever holds a link from a journeys message (signed token: store, send, customer, kind)."""

    kind: str


@dataclass(frozen=True)
class SignedWebhook:
    """A sender holding the secret of the store or channel in the path (HMAC over the body)."""


@dataclass(frozen=True)
class WidgetSocket:
    """Visitors and signed-in shoppers on a page of an origin the store allows."""


@dataclass(frozen=True)
class ConsoleSocket:
    """Logged-in staff of the store in the path who may view its conversations."""


@dataclass(frozen=True)
class CallSocket:
    """A call's own parties: staff of the store in the path who answer conversations, from loyaldesk's own
    pages; the session's shopper by their widget ticket (or, for a booked call, the store's signature)."""


@dataclass(frozen=True)
class SurveyLink:
    """Whoever holds a survey invitation's token (in its email link, the member page, the store's site):
    the token is the credential, valid only under its own store's slug."""


Access = (
    SurveyLink
    | Public
    | StoreApi
    | Console
    | Account
    | Shopper
    | WidgetTicket
    | RatingLink
    | EmailedLink
    | MessageLink
    | SignedWebhook
    | WidgetSocket
    | ConsoleSocket
    | CallSocket
)

ANYONE_LOGGED_IN = Console(None)
P = Permission

MATRIX: dict[tuple[str, str], Access] = {
    # The server itself, its documentation and its static files.
    ("GET", "/healthz"): Public("a load balancer's health check", rate_limited="per address"),
    ("GET", "/docs"): Public("the API's documentation", rate_limited="per address"),
    ("GET", "/openapi.json"): Public("the API's schema", rate_limited="per address"),
    ("HEAD", "/openapi.json"): Public("the API's schema", rate_limited="per address"),
    ("MOUNT", "/static"): Public("stylesheets, scripts and the widget's assets", rate_limited="per address"),
    ("MOUNT", "/docs-static"): Public("the API documentation's assets", rate_limited="per address"),
    ("MOUNT", "/static/vendor/rrweb"): Public(
        "rrweb from npm: the widget's recorder and the console's replayer (co-browsing)",
        rate_limited="per address",
    ),
    ("GET", "/"): Public("sends visitors to the console or the login page", rate_limited="per address"),
    # Logging in and out.
    ("GET", "/login"): Public("the login form", rate_limited="per address"),
    ("POST", "/login"): Public("logging in", rate_limited="failed logins per account and per address"),
    ("GET", "/login/forgot"): Public("asking for a password reset link", rate_limited="per address"),
    ("POST", "/login/forgot"): Public(
        "asking for a password reset link", rate_limited="per account and per address, the same either way"
    ),
    ("GET", "/login/reset/{token}"): EmailedLink("password-reset"),
    ("POST", "/login/reset/{token}"): EmailedLink("password-reset"),
    ("GET", "/invitations/{token}"): EmailedLink("staff-invitation"),
    ("POST", "/invitations/{token}"): EmailedLink("staff-invitation"),
    ("POST", "/logout"): Account(),
    ("GET", "/console"): Account(),
    ("GET", "/console/account"): Account(),
    ("POST", "/console/account/password"): Account(),
    ("GET", "/console/switch"): Account(),
    # The store's backend: /api/v1.
    ("GET", "/api/v1/store"): StoreApi(None),
    ("GET", "/api/v1/events"): StoreApi("events:read"),
    ("POST", "/api/v1/custom-events"): StoreApi("journeys:write"),
    ("PUT", "/api/v1/customers/{customer_id}/consent"): StoreApi("journeys:write"),
    ("GET", "/api/v1/webhooks"): StoreApi("webhooks:read"),
    ("POST", "/api/v1/webhooks"): StoreApi("webhooks:write"),
    ("GET", "/api/v1/webhooks/{endpoint_id}"): StoreApi("webhooks:read"),
    ("PATCH", "/api/v1/webhooks/{endpoint_id}"): StoreApi("webhooks:write"),
    ("DELETE", "/api/v1/webhooks/{endpoint_id}"): StoreApi("webhooks:write"),
    ("GET", "/api/v1/webhooks/{endpoint_id}/deliveries"): StoreApi("webhooks:read"),
    ("POST", "/api/v1/webhooks/{endpoint_id}/deliveries/{delivery_id}/replay"): StoreApi("webhooks:write"),
    # store teaching (web/api/assistant_teaching.py)
    ("GET", "/api/v1/assistant/intents"): StoreApi("assistant:read"),
    ("GET", "/api/v1/assistant/examples"): StoreApi("assistant:read"),
    ("POST", "/api/v1/assistant/examples"): StoreApi("assistant:write"),
    ("DELETE", "/api/v1/assistant/examples/{example_id}"): StoreApi("assistant:write"),
    ("GET", "/api/v1/assistant/model"): StoreApi("assistant:read"),
    ("POST", "/api/v1/assistant/model/retrain"): StoreApi("assistant:write"),
    ("GET", "/api/v1/customers"): StoreApi("customers:read"),
    ("POST", "/api/v1/customers"): StoreApi("customers:write"),
    ("GET", "/api/v1/customers/by-external-id/{external_id}"): StoreApi("customers:read"),
    ("PUT", "/api/v1/customers/by-external-id/{external_id}"): StoreApi("customers:write"),
    ("GET", "/api/v1/customers/{customer_id}"): StoreApi("customers:read"),
    ("PATCH", "/api/v1/customers/{customer_id}"): StoreApi("customers:write"),
    ("POST", "/api/v1/customers/{customer_id}/erase"): StoreApi("customers:erase"),
    ("GET", "/api/v1/customers/{customer_id}/export"): StoreApi("customers:export"),
    # recommendations (serving): a customer's picks
    ("GET", "/api/v1/customers/{customer_id}/recommendations"): StoreApi("recommendations:read"),
    ("GET", "/api/v1/customers/{customer_id}/timeline"): StoreApi("customers:read"),
    ("GET", "/api/v1/orders"): StoreApi("orders:read"),
    ("POST", "/api/v1/orders"): StoreApi("orders:write"),
    ("POST", "/api/v1/orders/batch"): StoreApi("orders:write"),
    ("GET", "/api/v1/orders/by-external-id/{external_id}"): StoreApi("orders:read"),
    ("GET", "/api/v1/orders/{order_id}"): StoreApi("orders:read"),
    ("POST", "/api/v1/orders/{order_id}/refunds"): StoreApi("orders:write"),
    ("POST", "/api/v1/orders/{order_id}/status"): StoreApi("orders:write"),
    ("GET", "/api/v1/products"): StoreApi("products:read"),
    ("POST", "/api/v1/products"): StoreApi("products:write"),
    ("POST", "/api/v1/products/batch"): StoreApi("products:write"),
    ("GET", "/api/v1/products/{product_id}"): StoreApi("products:read"),
    ("PATCH", "/api/v1/products/by-external-id/{external_id}"): StoreApi("products:write"),
    # recommendations: what a customer told the store they prefer
    ("GET", "/api/v1/customers/{customer_id}/preferences"): StoreApi("recommendations:read"),
    ("PUT", "/api/v1/customers/{customer_id}/preferences"): StoreApi("recommendations:write"),
    ("GET", "/api/v1/loyalty/program"): StoreApi("loyalty:read"),
    ("PATCH", "/api/v1/loyalty/program"): StoreApi("loyalty:write"),
    ("GET", "/api/v1/loyalty/overview"): StoreApi("loyalty:read"),
    ("GET", "/api/v1/loyalty/rules"): StoreApi("loyalty:read"),
    ("POST", "/api/v1/loyalty/rules"): StoreApi("loyalty:write"),
    ("GET", "/api/v1/loyalty/rules/{rule_id}"): StoreApi("loyalty:read"),
    ("PUT", "/api/v1/loyalty/rules/{rule_id}"): StoreApi("loyalty:write"),
    ("GET", "/api/v1/loyalty/tiers"): StoreApi("loyalty:read"),
    ("POST", "/api/v1/loyalty/tiers"): StoreApi("loyalty:write"),
    ("PUT", "/api/v1/loyalty/tiers/{tier_id}"): StoreApi("loyalty:write"),
    ("GET", "/api/v1/loyalty/rewards"): StoreApi("loyalty:read"),
    ("POST", "/api/v1/loyalty/rewards"): StoreApi("loyalty:write"),
    ("GET", "/api/v1/loyalty/rewards/{reward_id}"): StoreApi("loyalty:read"),
    ("PUT", "/api/v1/loyalty/rewards/{reward_id}"): StoreApi("loyalty:write"),
    ("POST", "/api/v1/loyalty/members"): StoreApi("loyalty:write"),
    ("GET", "/api/v1/loyalty/members/by-customer/{customer_id}"): StoreApi("loyalty:read"),
    ("GET", "/api/v1/loyalty/members/{member_id}"): StoreApi("loyalty:read"),
    ("GET", "/api/v1/loyalty/members/{member_id}/history"): StoreApi("loyalty:read"),
    ("GET", "/api/v1/loyalty/members/{member_id}/offers"): StoreApi("loyalty:read"),
    ("GET", "/api/v1/loyalty/members/{member_id}/codes"): StoreApi("loyalty:read"),
    ("POST", "/api/v1/loyalty/members/{member_id}/adjustments"): StoreApi("loyalty:write"),
    ("POST", "/api/v1/loyalty/members/{member_id}/redemptions"): StoreApi("loyalty:write"),
    ("PUT", "/api/v1/loyalty/members/{member_id}/tier-override"): StoreApi("loyalty:write"),
    ("POST", "/api/v1/loyalty/codes/{code}/use"): StoreApi("loyalty:write"),
    ("POST", "/api/v1/loyalty/codes/{code}/cancel"): StoreApi("loyalty:write"),
    ("POST", "/api/v1/loyalty/events"): StoreApi("loyalty:write"),
    ("POST", "/api/v1/loyalty/events/dry-run"): StoreApi("loyalty:read"),
    ("POST", "/api/v1/loyalty/orders/dry-run"): StoreApi("loyalty:read"),
    ("GET", "/api/v1/loyalty/referrals"): StoreApi("loyalty:read"),
    ("POST", "/api/v1/loyalty/referrals"): StoreApi("loyalty:write"),
    ("POST", "/api/v1/loyalty/referrals/{referral_id}/approve"): StoreApi("loyalty:write"),
    ("POST", "/api/v1/loyalty/referrals/{referral_id}/reject"): StoreApi("loyalty:write"),
    ("GET", "/api/v1/return-requests"): StoreApi("orders:read"),
    # feedback: the inbox and the dashboards (web/api/feedback_responses.py)
    ("GET", "/api/v1/feedback/responses"): StoreApi("feedback:read"),
    ("GET", "/api/v1/feedback/summary"): StoreApi("feedback:read"),
    ("GET", "/api/v1/surveys"): StoreApi("feedback:read"),
    ("POST", "/api/v1/surveys"): StoreApi("feedback:write"),
    ("POST", "/api/v1/surveys/defaults"): StoreApi("feedback:write"),
    ("GET", "/api/v1/surveys/{survey_id}"): StoreApi("feedback:read"),
    ("PUT", "/api/v1/surveys/{survey_id}"): StoreApi("feedback:write"),
    ("POST", "/api/v1/surveys/{survey_id}/status"): StoreApi("feedback:write"),
    ("POST", "/api/v1/surveys/{survey_id}/invitations"): StoreApi("feedback:write"),
    ("GET", "/api/v1/feedback/settings"): StoreApi("feedback:read"),
    ("PATCH", "/api/v1/feedback/settings"): StoreApi("feedback:write"),
    ("POST", "/api/v1/feedback/themes/{theme_id}/fixed"): StoreApi("feedback:write"),
    ("GET", "/api/v1/feedback/closures"): StoreApi("feedback:read"),
    # recommendations: personal offers and their results (web/api/offers.py)
    ("GET", "/api/v1/offers"): StoreApi("recommendations:read"),
    ("POST", "/api/v1/offers"): StoreApi("recommendations:write"),
    ("GET", "/api/v1/offers/{offer_id}"): StoreApi("recommendations:read"),
    ("PUT", "/api/v1/offers/{offer_id}"): StoreApi("recommendations:write"),
    ("POST", "/api/v1/offers/{offer_id}/launch"): StoreApi("recommendations:write"),
    ("POST", "/api/v1/offers/{offer_id}/end"): StoreApi("recommendations:write"),
    ("GET", "/api/v1/journeys"): StoreApi("journeys:read"),
    ("POST", "/api/v1/journeys"): StoreApi("journeys:write"),
    ("GET", "/api/v1/journeys/calendar"): StoreApi("journeys:read"),
    ("GET", "/api/v1/journeys/{rule_id}"): StoreApi("journeys:read"),
    ("PUT", "/api/v1/journeys/{rule_id}"): StoreApi("journeys:write"),
    ("DELETE", "/api/v1/journeys/{rule_id}"): StoreApi("journeys:write"),
    ("POST", "/api/v1/journeys/{rule_id}/enable"): StoreApi("journeys:write"),
    ("POST", "/api/v1/journeys/{rule_id}/disable"): StoreApi("journeys:write"),
    ("GET", "/api/v1/journeys/{rule_id}/results"): StoreApi("journeys:read"),
    ("GET", "/api/v1/journeys/{rule_id}/dry-run"): StoreApi("journeys:read"),
    ("GET", "/api/v1/journeys/{rule_id}/explain"): StoreApi("journeys:read"),
    # Signed inbound webhooks.
    ("POST", "/webhooks/shopify/{store_slug}"): SignedWebhook(),
    ("POST", "/webhooks/sms/{store_slug}/status"): SignedWebhook(),
    ("POST", "/webhooks/sms/{store_slug}/inbound"): SignedWebhook(),
    ("POST", "/channels/api/{channel_id}/messages"): SignedWebhook(),
    # Shoppers: the member page and API, the widget, rating links.
    ("GET", "/m/{store_slug}"): Shopper(),
    ("POST", "/m/{store_slug}/join"): Shopper(),
    ("POST", "/m/{store_slug}/redeem"): Shopper(),
    ("GET", "/m/{store_slug}/theme.css"): Public("the store's colours for its member page", "per address"),
    ("GET", "/r/{store_slug}/{code}"): Public("a referral invitation a shopper shares", "per address"),
    ("GET", "/member-api/v1/{store_slug}/me"): Shopper(),
    ("GET", "/member-api/v1/{store_slug}/me/codes"): Shopper(),
    ("GET", "/member-api/v1/{store_slug}/me/history"): Shopper(),
    ("GET", "/member-api/v1/{store_slug}/me/rewards"): Shopper(),
    ("POST", "/member-api/v1/{store_slug}/me/join"): Shopper(),
    ("POST", "/member-api/v1/{store_slug}/me/redemptions"): Shopper(),
    ("WS", "/ws/widget/{store_slug}"): WidgetSocket(),
    ("POST", "/widget-api/v1/{store_slug}/messages"): WidgetTicket(),
    ("GET", "/widget-api/v1/{store_slug}/attachments/{attachment_id}"): WidgetTicket(),
    ("POST", "/widget-api/v1/{store_slug}/offline-messages"): Public(
        "a visitor leaves a message when nobody is online", "offline messages per address"
    ),
    ("GET", "/widget-api/v1/{store_slug}/texts"): Public(
        "the chat widget's texts in a language (a profile's only with the store's signature)", "per address"
    ),
    ("GET", "/widget/{store_slug}/demo-shop"): Public("a sample shop page with the widget", "per address"),
    ("GET", "/widget-api/v1/{store_slug}/push/key"): Public(
        "the store's public VAPID key, which browsers subscribe with", "per address"
    ),
    ("POST", "/widget-api/v1/{store_slug}/push/subscriptions"): WidgetTicket(),
    ("DELETE", "/widget-api/v1/{store_slug}/push/subscriptions"): WidgetTicket(),
    ("GET", "/widget-api/v1/{store_slug}/notices"): WidgetTicket(),
    ("POST", "/widget-api/v1/{store_slug}/notices/{notice_id}/dismiss"): WidgetTicket(),
    ("GET", "/widget-api/v1/{store_slug}/greeting"): WidgetTicket(),  # nothing personal when anonymous
    ("POST", "/widget-api/v1/{store_slug}/calls"): WidgetTicket(),  # the shopper rings (their conversation)
    ("GET", "/widget/push/service-worker.js"): Public(
        "the web push service worker a store copies to its own site", "per address"
    ),
    ("GET", "/u/{store_slug}/{token}"): MessageLink("u"),
    ("POST", "/u/{store_slug}/{token}"): MessageLink("u"),
    ("GET", "/preferences/{store_slug}/{token}"): MessageLink("p"),
    ("POST", "/preferences/{store_slug}/{token}"): MessageLink("p"),
    ("GET", "/t/o/{token}"): MessageLink("o"),
    ("GET", "/t/c/{token}"): MessageLink("c"),
    # The public help center and the widget's article suggestions (published articles only).
    ("GET", "/help/{store_slug}"): Public("the store's public help center", "per address"),
    ("GET", "/help/{store_slug}/search"): Public("searching the help center", "help searches per address"),
    ("GET", "/help/{store_slug}/categories/{category_slug}"): Public("a help center category", "per address"),
    ("GET", "/help/{store_slug}/{language}/articles/{article_slug}"): Public(
        "a published help article", "per address"
    ),
    ("POST", "/help/{store_slug}/{language}/articles/{article_slug}/feedback"): Public(
        "a shopper says whether an article helped", "article feedback per address"
    ),
    ("GET", "/help/{store_slug}/sitemap.xml"): Public(
        "the help center's pages for search engines", "per address"
    ),
    ("GET", "/help/{store_slug}/theme.css"): Public("the store's colours for its help center", "per address"),
    ("GET", "/widget-api/v1/{store_slug}/articles"): Public(
        "help articles suggested in the widget on pages allowed to use the chat", "help searches per address"
    ),
    ("POST", "/widget-api/v1/{store_slug}/articles/{article_id}/opened"): Public(
        "a widget visitor opened a suggested article (deflection)", "widget actions per address"
    ),
    ("GET", "/csat/{store_slug}/{conversation_id}/{token}"): RatingLink(),
    ("POST", "/csat/{store_slug}/{conversation_id}/{token}"): RatingLink(),
    # feedback: where customers answer (the survey page and its JSON API by token, member page, widget)
    ("GET", "/s/{store_slug}/{token}"): SurveyLink(),
    ("POST", "/s/{store_slug}/{token}"): SurveyLink(),
    ("GET", "/survey-api/v1/{store_slug}/{token}"): SurveyLink(),
    ("POST", "/survey-api/v1/{store_slug}/{token}/answers"): SurveyLink(),
    ("GET", "/survey-theme/{store_slug}.css"): Public(
        "the store's colours for its survey pages", "per address"
    ),
    ("GET", "/member-api/v1/{store_slug}/me/surveys"): Shopper(),
    ("GET", "/member-api/v1/{store_slug}/me/recommendations"): Shopper(),
    ("GET", "/member-api/v1/{store_slug}/me/offers"): Shopper(),  # recommendations: personal offers
    ("GET", "/member-api/v1/{store_slug}/me/preferences"): Shopper(),
    ("PUT", "/member-api/v1/{store_slug}/me/preferences"): Shopper(),
    ("GET", "/m/{store_slug}/preferences"): Shopper(),
    ("POST", "/m/{store_slug}/preferences"): Shopper(),
    # bookings: expert sessions in the member API and on the member page (web/member/bookings_*.py)
    ("GET", "/member-api/v1/{store_slug}/bookings"): Shopper(),
    ("GET", "/member-api/v1/{store_slug}/bookings/session-types"): Shopper(),
    ("GET", "/member-api/v1/{store_slug}/bookings/session-types/{session_type_id}/slots"): Shopper(),
    ("POST", "/member-api/v1/{store_slug}/bookings/holds"): Shopper(),
    ("POST", "/member-api/v1/{store_slug}/bookings/{booking_id}/confirm"): Shopper(),
    ("POST", "/member-api/v1/{store_slug}/bookings/{booking_id}/cancel"): Shopper(),
    ("POST", "/member-api/v1/{store_slug}/bookings/{booking_id}/reschedule"): Shopper(),
    ("GET", "/member-api/v1/{store_slug}/bookings/{booking_id}/invitation.ics"): Shopper(),
    ("POST", "/member-api/v1/{store_slug}/bookings/waitlist"): Shopper(),
    ("DELETE", "/member-api/v1/{store_slug}/bookings/waitlist/{entry_id}"): Shopper(),
    ("POST", "/member-api/v1/{store_slug}/bookings/waitlist/{entry_id}/accept"): Shopper(),
    ("GET", "/m/{store_slug}/sessions"): Shopper(),
    ("GET", "/m/{store_slug}/sessions/{booking_id}/invitation.ics"): Shopper(),
    # expert sessions' video calls (web/member/booking_calls.py): the shopper's own booking only
    ("GET", "/m/{store_slug}/sessions/{booking_id}/call"): Shopper(),
    ("POST", "/member-api/v1/{store_slug}/bookings/{booking_id}/call"): Shopper(),
    ("GET", "/widget-api/v1/{store_slug}/surveys/pending"): WidgetTicket(),
    ("POST", "/widget-api/v1/{store_slug}/surveys/{invitation_id}/answers"): WidgetTicket(),
    # feedback: the survey builder (console)
    ("GET", "/console/{store_slug}/feedback/surveys"): Console(P.VIEW_FEEDBACK),
    ("POST", "/console/{store_slug}/feedback/surveys"): Console(P.MANAGE_FEEDBACK),
    ("GET", "/console/{store_slug}/feedback/surveys/new"): Console(P.MANAGE_FEEDBACK),
    ("GET", "/console/{store_slug}/feedback/surveys/{survey_id}"): Console(P.VIEW_FEEDBACK),
    ("POST", "/console/{store_slug}/feedback/surveys/{survey_id}"): Console(P.MANAGE_FEEDBACK),
    ("POST", "/console/{store_slug}/feedback/surveys/{survey_id}/status"): Console(P.MANAGE_FEEDBACK),
    ("GET", "/console/{store_slug}/feedback/surveys/{survey_id}/preview"): Console(P.VIEW_FEEDBACK),
    # The console: pages and forms of one store.
    ("WS", "/ws/console/{store_slug}"): ConsoleSocket(),
    # calls: co-browsing (asking from a conversation, watching the page) and the calls gateway
    ("WS", "/ws/calls/{store_slug}/{session_id}"): CallSocket(),
    ("POST", "/console/{store_slug}/inbox/{conversation_id}/cobrowse"): Console(P.ANSWER_CONVERSATIONS),
    ("GET", "/console/{store_slug}/cobrowse/{session_id}"): Console(P.ANSWER_CONVERSATIONS),
    ("GET", "/console/{store_slug}"): ANYONE_LOGGED_IN,
    ("GET", "/console/{store_slug}/customers"): Console(P.VIEW_CUSTOMERS),
    ("GET", "/console/{store_slug}/customers/{customer_id}"): Console(P.VIEW_CUSTOMERS),
    ("POST", "/console/{store_slug}/customers/{customer_id}/profile"): Console(P.EDIT_CUSTOMERS),
    ("POST", "/console/{store_slug}/customers/{customer_id}/export"): Console(P.EXPORT_CUSTOMER_DATA),
    ("POST", "/console/{store_slug}/customers/{customer_id}/erase"): Console(P.ERASE_CUSTOMERS),
    ("GET", "/console/{store_slug}/customers/{customer_id}/sessions/new"): Console(P.ANSWER_CONVERSATIONS),
    ("POST", "/console/{store_slug}/customers/{customer_id}/sessions"): Console(P.ANSWER_CONVERSATIONS),
    ("GET", "/console/{store_slug}/orders/{order_id}"): Console(P.VIEW_ORDERS),
    ("GET", "/console/{store_slug}/returns"): Console(P.VIEW_ORDERS),
    # feedback: the inbox and the dashboards (web/console/feedback_inbox.py, feedback_dashboard.py)
    ("GET", "/console/{store_slug}/feedback"): Console(P.VIEW_FEEDBACK),
    ("GET", "/console/{store_slug}/feedback/responses/{response_id}"): Console(P.VIEW_FEEDBACK),
    ("GET", "/console/{store_slug}/feedback/dashboard"): Console(P.VIEW_FEEDBACK),
    ("GET", "/console/{store_slug}/feedback/dashboard/chart.svg"): Console(P.VIEW_FEEDBACK),
    # feedback: acting on what customers say (closing the loop)
    ("GET", "/console/{store_slug}/feedback/themes/{theme_id}/fix"): Console(P.MANAGE_FEEDBACK),
    ("POST", "/console/{store_slug}/feedback/themes/{theme_id}/fix"): Console(P.MANAGE_FEEDBACK),
    ("GET", "/console/{store_slug}/feedback/closures"): Console(P.VIEW_FEEDBACK),
    ("GET", "/console/{store_slug}/feedback/closures/{closure_id}"): Console(P.VIEW_FEEDBACK),
    # recommendations: personal offers (web/console/offers.py)
    # bookings: the day's sessions (who serves customers; marking and cancelling: who answers them) and
    # setting up schedules and session types (managers) (web/console/bookings_*.py)
    ("GET", "/console/{store_slug}/bookings"): Console(P.VIEW_CUSTOMERS),
    ("POST", "/console/{store_slug}/bookings/seats/{seat_id}/attendance"): Console(P.ANSWER_CONVERSATIONS),
    ("POST", "/console/{store_slug}/bookings/seats/{seat_id}/cancel"): Console(P.ANSWER_CONVERSATIONS),
    # video and voice calls (web/console/calls.py)
    ("POST", "/console/{store_slug}/bookings/seats/{seat_id}/call"): Console(P.ANSWER_CONVERSATIONS),
    ("POST", "/console/{store_slug}/inbox/{conversation_id}/call"): Console(P.ANSWER_CONVERSATIONS),
    ("GET", "/console/{store_slug}/calls/{call_id}"): Console(P.ANSWER_CONVERSATIONS),
    ("GET", "/console/{store_slug}/bookings/schedules"): Console(P.MANAGE_STORE_SETTINGS),
    ("GET", "/console/{store_slug}/bookings/schedules/new"): Console(P.MANAGE_STORE_SETTINGS),
    ("POST", "/console/{store_slug}/bookings/schedules"): Console(P.MANAGE_STORE_SETTINGS),
    ("GET", "/console/{store_slug}/bookings/schedules/{schedule_id}"): Console(P.MANAGE_STORE_SETTINGS),
    ("POST", "/console/{store_slug}/bookings/schedules/{schedule_id}"): Console(P.MANAGE_STORE_SETTINGS),
    ("POST", "/console/{store_slug}/bookings/schedules/{schedule_id}/overrides"): Console(
        P.MANAGE_STORE_SETTINGS
    ),
    ("POST", "/console/{store_slug}/bookings/schedules/{schedule_id}/overrides/remove"): Console(
        P.MANAGE_STORE_SETTINGS
    ),
    ("GET", "/console/{store_slug}/bookings/session-types"): Console(P.MANAGE_STORE_SETTINGS),
    ("GET", "/console/{store_slug}/bookings/session-types/new"): Console(P.MANAGE_STORE_SETTINGS),
    ("POST", "/console/{store_slug}/bookings/session-types"): Console(P.MANAGE_STORE_SETTINGS),
    ("GET", "/console/{store_slug}/bookings/session-types/{session_type_id}"): Console(
        P.MANAGE_STORE_SETTINGS
    ),
    ("POST", "/console/{store_slug}/bookings/session-types/{session_type_id}"): Console(
        P.MANAGE_STORE_SETTINGS
    ),
    ("GET", "/console/{store_slug}/recommendations/offers"): Console(P.VIEW_ANALYTICS),
    ("POST", "/console/{store_slug}/recommendations/offers"): Console(P.MANAGE_STORE_SETTINGS),
    ("GET", "/console/{store_slug}/recommendations/offers/new"): Console(P.MANAGE_STORE_SETTINGS),
    ("GET", "/console/{store_slug}/recommendations/offers/{offer_id}"): Console(P.VIEW_ANALYTICS),
    ("GET", "/console/{store_slug}/recommendations/offers/{offer_id}/chart.svg"): Console(P.VIEW_ANALYTICS),
    ("POST", "/console/{store_slug}/recommendations/offers/{offer_id}/launch"): Console(
        P.MANAGE_STORE_SETTINGS
    ),
    ("POST", "/console/{store_slug}/recommendations/offers/{offer_id}/end"): Console(P.MANAGE_STORE_SETTINGS),
    ("POST", "/console/{store_slug}/returns/{return_id}/status"): Console(P.ANSWER_CONVERSATIONS),
    # community: the member pages and API (web/member/community_*.py), the product page's Q&A block
    ("GET", "/m/{store_slug}/community"): Shopper(),
    ("GET", "/m/{store_slug}/community/questions"): Shopper(),
    ("GET", "/m/{store_slug}/community/discussions"): Shopper(),
    ("GET", "/m/{store_slug}/community/events"): Shopper(),
    ("GET", "/m/{store_slug}/community/threads/{thread_id}"): Public(
        "a community thread to read (notification emails link to it); taking part needs the signature",
        "per address",
    ),
    ("POST", "/m/{store_slug}/community/questions"): Shopper(),
    ("POST", "/m/{store_slug}/community/threads/{thread_id}/answers"): Shopper(),
    ("POST", "/m/{store_slug}/community/threads/{thread_id}/helpful"): Shopper(),
    ("POST", "/m/{store_slug}/community/threads/{thread_id}/accept"): Shopper(),
    ("POST", "/m/{store_slug}/community/threads/{thread_id}/unaccept"): Shopper(),
    ("POST", "/m/{store_slug}/community/threads/{thread_id}/reports"): Shopper(),
    ("POST", "/m/{store_slug}/community/events/{thread_id}/rsvp"): Shopper(),
    ("POST", "/m/{store_slug}/community/display-name"): Shopper(),
    ("GET", "/member-api/v1/{store_slug}/community/threads"): Shopper(),
    ("GET", "/member-api/v1/{store_slug}/community/threads/{thread_id}"): Shopper(),
    ("GET", "/member-api/v1/{store_slug}/community/events"): Shopper(),
    ("POST", "/member-api/v1/{store_slug}/community/questions"): Shopper(),
    ("POST", "/member-api/v1/{store_slug}/community/threads/{thread_id}/answers"): Shopper(),
    ("POST", "/member-api/v1/{store_slug}/community/posts/{post_id}/votes"): Shopper(),
    ("POST", "/member-api/v1/{store_slug}/community/threads/{thread_id}/accept"): Shopper(),
    ("DELETE", "/member-api/v1/{store_slug}/community/threads/{thread_id}/accept"): Shopper(),
    ("POST", "/member-api/v1/{store_slug}/community/reports"): Shopper(),
    ("POST", "/member-api/v1/{store_slug}/community/events/{thread_id}/rsvp"): Shopper(),
    ("POST", "/member-api/v1/{store_slug}/community/me/display-name"): Shopper(),
    ("GET", "/widget-api/v1/{store_slug}/community/products/{product_id}/questions"): Public(
        "a product's public questions and accepted answers, on pages allowed to use the chat",
        "help searches per address",
    ),
    # community: the console section (web/console/community*.py)
    ("GET", "/console/{store_slug}/community"): Console(P.ANSWER_CONVERSATIONS),
    ("POST", "/console/{store_slug}/community/reports/{report_id}"): Console(P.ANSWER_CONVERSATIONS),
    ("GET", "/console/{store_slug}/community/threads"): Console(P.VIEW_CONVERSATIONS),
    ("GET", "/console/{store_slug}/community/threads/{thread_id}"): Console(P.VIEW_CONVERSATIONS),
    ("POST", "/console/{store_slug}/community/threads/{thread_id}/visibility"): Console(
        P.ANSWER_CONVERSATIONS
    ),
    ("POST", "/console/{store_slug}/community/threads/{thread_id}/answers"): Console(P.ANSWER_CONVERSATIONS),
    ("POST", "/console/{store_slug}/community/threads/{thread_id}/accept"): Console(P.ANSWER_CONVERSATIONS),
    ("POST", "/console/{store_slug}/community/threads/{thread_id}/unaccept"): Console(P.ANSWER_CONVERSATIONS),
    ("POST", "/console/{store_slug}/community/threads/{thread_id}/publish"): Console(P.MANAGE_KNOWLEDGE),
    ("POST", "/console/{store_slug}/community/threads/{thread_id}/closing"): Console(P.ANSWER_CONVERSATIONS),
    ("GET", "/console/{store_slug}/community/settings"): Console(P.MANAGE_SUPPORT),
    ("POST", "/console/{store_slug}/community/settings"): Console(P.MANAGE_SUPPORT),
    ("POST", "/console/{store_slug}/community/categories"): Console(P.MANAGE_SUPPORT),
    ("POST", "/console/{store_slug}/community/categories/{category_id}"): Console(P.MANAGE_SUPPORT),
    ("GET", "/console/{store_slug}/community/events"): Console(P.VIEW_CONVERSATIONS),
    ("POST", "/console/{store_slug}/community/events"): Console(P.MANAGE_SUPPORT),
    ("GET", "/console/{store_slug}/community/participation"): Console(P.VIEW_ANALYTICS),
    ("GET", "/console/{store_slug}/community/participation.svg"): Console(P.VIEW_ANALYTICS),
    # feedback: the team that serves (web/console/team.py, team_pulse.py, team_coaching.py)
    ("GET", "/console/{store_slug}/team"): Console(P.VIEW_FEEDBACK),
    ("GET", "/console/{store_slug}/team/notices.json"): Console(P.VIEW_FEEDBACK),
    ("GET", "/console/{store_slug}/team/{staff_id}"): Console(P.VIEW_FEEDBACK),
    ("GET", "/console/{store_slug}/team/shoutouts/new"): Console(P.VIEW_FEEDBACK),
    ("POST", "/console/{store_slug}/team/shoutouts"): Console(P.VIEW_FEEDBACK),
    ("GET", "/console/{store_slug}/team/pulse"): ANYONE_LOGGED_IN,  # every staff member answers the pulse
    ("POST", "/console/{store_slug}/team/pulse"): Console(P.MANAGE_FEEDBACK),
    ("GET", "/console/{store_slug}/team/pulse/{pulse_id}"): ANYONE_LOGGED_IN,
    ("POST", "/console/{store_slug}/team/pulse/{pulse_id}"): ANYONE_LOGGED_IN,
    ("GET", "/console/{store_slug}/team/coaching"): Console(P.VIEW_FEEDBACK),  # the viewer's own list
    # An agent's list: the agent, their team lead or a manager. Here {staff_id} is the demo's agent (whose
    # own list it is) and no team has a lead, so exactly the roles that answer conversations get in; other
    # agents and leads are tested in tests/web/test_team_coaching.py.
    ("GET", "/console/{store_slug}/team/coaching/{staff_id}"): Console(P.ANSWER_CONVERSATIONS),
    # A note: a lead of the agent's team or a manager (the demo has no leads: managers only here).
    ("POST", "/console/{store_slug}/team/coaching/{staff_id}/notes"): Console(P.MANAGE_FEEDBACK),
    ("GET", "/console/{store_slug}/inbox"): Console(P.VIEW_CONVERSATIONS),
    ("GET", "/console/{store_slug}/inbox.json"): Console(P.VIEW_CONVERSATIONS),
    ("GET", "/console/{store_slug}/inbox/{conversation_id}/messages.json"): Console(P.VIEW_CONVERSATIONS),
    ("GET", "/console/{store_slug}/inbox/{conversation_id}/messages/{message_id}"): Console(
        P.VIEW_CONVERSATIONS
    ),
    ("GET", "/console/{store_slug}/inbox/{conversation_id}/attachments/{attachment_id}"): Console(
        P.VIEW_CONVERSATIONS
    ),
    ("GET", "/console/{store_slug}/inbox/{conversation_id}/canned/{reply_id}"): Console(
        P.ANSWER_CONVERSATIONS
    ),
    ("POST", "/console/{store_slug}/inbox/{conversation_id}/messages"): Console(P.ANSWER_CONVERSATIONS),
    ("POST", "/console/{store_slug}/inbox/{conversation_id}/assign"): Console(P.ANSWER_CONVERSATIONS),
    ("POST", "/console/{store_slug}/inbox/{conversation_id}/status"): Console(P.ANSWER_CONVERSATIONS),
    ("POST", "/console/{store_slug}/inbox/{conversation_id}/details"): Console(P.ANSWER_CONVERSATIONS),
    ("POST", "/console/{store_slug}/inbox/{conversation_id}/goodwill"): Console(P.ANSWER_CONVERSATIONS),
    ("POST", "/console/{store_slug}/inbox/{conversation_id}/tasks/{task_id}/done"): Console(
        P.ANSWER_CONVERSATIONS
    ),
    ("GET", "/console/{store_slug}/inbox-reports"): Console(P.VIEW_CONVERSATIONS),
    ("GET", "/console/{store_slug}/inbox-settings/canned"): Console(P.VIEW_CONVERSATIONS),
    ("POST", "/console/{store_slug}/inbox-settings/canned"): Console(P.ANSWER_CONVERSATIONS),
    ("GET", "/console/{store_slug}/help-center"): Console(P.VIEW_CONVERSATIONS),
    ("GET", "/console/{store_slug}/help-center/articles/new"): Console(P.MANAGE_KNOWLEDGE),
    ("POST", "/console/{store_slug}/help-center/articles"): Console(P.MANAGE_KNOWLEDGE),
    ("GET", "/console/{store_slug}/help-center/articles/{article_id}"): Console(P.VIEW_CONVERSATIONS),
    ("POST", "/console/{store_slug}/help-center/articles/{article_id}"): Console(P.MANAGE_KNOWLEDGE),
    ("POST", "/console/{store_slug}/help-center/articles/{article_id}/publish"): Console(P.MANAGE_KNOWLEDGE),
    ("POST", "/console/{store_slug}/help-center/articles/{article_id}/unpublish"): Console(
        P.MANAGE_KNOWLEDGE
    ),
    ("POST", "/console/{store_slug}/help-center/articles/{article_id}/delete"): Console(P.MANAGE_KNOWLEDGE),
    ("GET", "/console/{store_slug}/help-center/categories"): Console(P.VIEW_CONVERSATIONS),
    ("POST", "/console/{store_slug}/help-center/categories"): Console(P.MANAGE_KNOWLEDGE),
    ("POST", "/console/{store_slug}/help-center/categories/{category_id}/delete"): Console(
        P.MANAGE_KNOWLEDGE
    ),
    ("GET", "/console/{store_slug}/help-center/report"): Console(P.VIEW_CONVERSATIONS),
    ("POST", "/console/{store_slug}/inbox-settings/canned/{reply_id}/delete"): Console(
        P.ANSWER_CONVERSATIONS
    ),
    ("GET", "/console/{store_slug}/inbox-settings/channels"): Console(P.MANAGE_SUPPORT),
    ("POST", "/console/{store_slug}/inbox-settings/channels"): Console(P.MANAGE_SUPPORT),
    ("GET", "/console/{store_slug}/inbox-settings/desk"): Console(P.MANAGE_SUPPORT),
    ("GET", "/console/{store_slug}/inbox-settings/widget"): Console(P.MANAGE_SUPPORT),
    ("POST", "/console/{store_slug}/inbox-settings/widget/push"): Console(P.MANAGE_SUPPORT),
    ("POST", "/console/{store_slug}/inbox-settings/desk/agents/{staff_id}"): Console(P.MANAGE_SUPPORT),
    ("POST", "/console/{store_slug}/inbox-settings/desk/policies"): Console(P.MANAGE_SUPPORT),
    ("POST", "/console/{store_slug}/inbox-settings/desk/goodwill"): Console(P.MANAGE_SUPPORT),
    ("POST", "/console/{store_slug}/inbox-settings/desk/mailbox"): Console(P.MANAGE_SUPPORT),
    ("POST", "/console/{store_slug}/inbox-settings/desk/routing"): Console(P.MANAGE_SUPPORT),
    ("POST", "/console/{store_slug}/inbox-settings/desk/teams"): Console(P.MANAGE_SUPPORT),
    ("POST", "/console/{store_slug}/inbox-settings/desk/teams/{team_id}/delete"): Console(P.MANAGE_SUPPORT),
    ("POST", "/console/{store_slug}/inbox-settings/desk/teams/{team_id}/lead"): Console(P.MANAGE_SUPPORT),
    ("GET", "/console/{store_slug}/inbox-settings/sla"): Console(P.MANAGE_SUPPORT),
    ("POST", "/console/{store_slug}/inbox-settings/sla/calendars"): Console(P.MANAGE_SUPPORT),
    ("POST", "/console/{store_slug}/inbox-settings/sla/policies"): Console(P.MANAGE_SUPPORT),
    ("POST", "/console/{store_slug}/inbox-settings/sla/policies/{policy_id}/delete"): Console(
        P.MANAGE_SUPPORT
    ),
    ("GET", "/console/{store_slug}/analytics"): Console(P.VIEW_ANALYTICS),
    ("GET", "/console/{store_slug}/analytics/segments"): Console(P.VIEW_ANALYTICS),
    ("GET", "/console/{store_slug}/analytics/value"): Console(P.VIEW_ANALYTICS),
    ("GET", "/console/{store_slug}/analytics/impact"): Console(P.VIEW_ANALYTICS),
    ("POST", "/console/{store_slug}/analytics/refresh"): Console(P.VIEW_ANALYTICS),
    ("GET", "/console/{store_slug}/loyalty"): Console(P.VIEW_CUSTOMERS),
    ("GET", "/console/{store_slug}/loyalty/tier-mix.svg"): Console(P.VIEW_CUSTOMERS),
    ("GET", "/console/{store_slug}/loyalty/members"): Console(P.VIEW_CUSTOMERS),
    ("GET", "/console/{store_slug}/loyalty/members/{member_id}"): Console(P.VIEW_CUSTOMERS),
    ("GET", "/console/{store_slug}/loyalty/customers/{customer_id}"): Console(P.VIEW_CUSTOMERS),
    ("POST", "/console/{store_slug}/loyalty/members/{member_id}/adjust"): Console(P.EDIT_CUSTOMERS),
    ("POST", "/console/{store_slug}/loyalty/members/{member_id}/codes/{code_id}/cancel"): Console(
        P.EDIT_CUSTOMERS
    ),
    ("POST", "/console/{store_slug}/loyalty/members/{member_id}/tier"): Console(P.MANAGE_STORE_SETTINGS),
    ("GET", "/console/{store_slug}/loyalty/referrals"): Console(P.VIEW_CUSTOMERS),
    ("POST", "/console/{store_slug}/loyalty/referrals/{referral_id}/decision"): Console(
        P.MANAGE_STORE_SETTINGS
    ),
    ("GET", "/console/{store_slug}/loyalty/rules"): Console(P.VIEW_CUSTOMERS),
    ("GET", "/console/{store_slug}/loyalty/rules/new"): Console(P.MANAGE_STORE_SETTINGS),
    ("POST", "/console/{store_slug}/loyalty/rules"): Console(P.MANAGE_STORE_SETTINGS),
    ("GET", "/console/{store_slug}/loyalty/rules/{rule_id}"): Console(P.MANAGE_STORE_SETTINGS),
    ("POST", "/console/{store_slug}/loyalty/rules/{rule_id}"): Console(P.MANAGE_STORE_SETTINGS),
    ("POST", "/console/{store_slug}/loyalty/rules/{rule_id}/active"): Console(P.MANAGE_STORE_SETTINGS),
    ("GET", "/console/{store_slug}/loyalty/tiers"): Console(P.VIEW_CUSTOMERS),
    ("GET", "/console/{store_slug}/loyalty/tiers/new"): Console(P.MANAGE_STORE_SETTINGS),
    ("POST", "/console/{store_slug}/loyalty/tiers"): Console(P.MANAGE_STORE_SETTINGS),
    ("GET", "/console/{store_slug}/loyalty/tiers/{tier_id}"): Console(P.MANAGE_STORE_SETTINGS),
    ("POST", "/console/{store_slug}/loyalty/tiers/{tier_id}"): Console(P.MANAGE_STORE_SETTINGS),
    ("GET", "/console/{store_slug}/loyalty/rewards"): Console(P.VIEW_CUSTOMERS),
    ("GET", "/console/{store_slug}/loyalty/rewards/new"): Console(P.MANAGE_STORE_SETTINGS),
    ("POST", "/console/{store_slug}/loyalty/rewards"): Console(P.MANAGE_STORE_SETTINGS),
    ("GET", "/console/{store_slug}/loyalty/rewards/{reward_id}"): Console(P.MANAGE_STORE_SETTINGS),
    ("POST", "/console/{store_slug}/loyalty/rewards/{reward_id}"): Console(P.MANAGE_STORE_SETTINGS),
    ("GET", "/console/{store_slug}/loyalty/settings"): Console(P.VIEW_CUSTOMERS),
    ("POST", "/console/{store_slug}/loyalty/settings"): Console(P.MANAGE_STORE_SETTINGS),
    ("GET", "/console/{store_slug}/journeys"): Console(P.VIEW_JOURNEYS),
    ("POST", "/console/{store_slug}/journeys"): Console(P.MANAGE_JOURNEYS),
    ("GET", "/console/{store_slug}/journeys/new"): Console(P.MANAGE_JOURNEYS),
    ("POST", "/console/{store_slug}/journeys/builtins/{builtin_key}"): Console(P.MANAGE_JOURNEYS),
    ("GET", "/console/{store_slug}/journeys/{rule_id}"): Console(P.VIEW_JOURNEYS),
    ("GET", "/console/{store_slug}/journeys/{rule_id}/funnel.svg"): Console(P.VIEW_JOURNEYS),
    ("GET", "/console/{store_slug}/journeys/{rule_id}/explain"): Console(P.VIEW_JOURNEYS),
    ("POST", "/console/{store_slug}/journeys/{rule_id}/enabled"): Console(P.MANAGE_JOURNEYS),
    ("POST", "/console/{store_slug}/journeys/{rule_id}/alert/clear"): Console(P.MANAGE_JOURNEYS),
    ("POST", "/console/{store_slug}/journeys/{rule_id}/delete"): Console(P.MANAGE_JOURNEYS),
    ("GET", "/console/{store_slug}/journeys/{rule_id}/edit"): Console(P.MANAGE_JOURNEYS),
    ("POST", "/console/{store_slug}/journeys/{rule_id}/edit"): Console(P.MANAGE_JOURNEYS),
    ("GET", "/console/{store_slug}/journeys/campaigns/new"): Console(P.MANAGE_JOURNEYS),
    ("POST", "/console/{store_slug}/journeys/campaigns/new"): Console(P.MANAGE_JOURNEYS),
    ("GET", "/console/{store_slug}/journeys/calendar"): Console(P.VIEW_JOURNEYS),
    # Read by whoever views journeys or answers customers: every role today.
    ("GET", "/console/{store_slug}/journeys/tasks"): ANYONE_LOGGED_IN,
    # Closed by journey managers or agents (managers answer customers too): who answers customers.
    ("POST", "/console/{store_slug}/journeys/tasks/{task_id}/done"): Console(P.ANSWER_CONVERSATIONS),
    ("GET", "/console/{store_slug}/feedback/settings"): Console(P.VIEW_FEEDBACK),
    ("POST", "/console/{store_slug}/feedback/settings"): Console(P.MANAGE_FEEDBACK),
    # recommendations (serving): the settings page and "fit now", for who manages the store and its program
    ("GET", "/console/{store_slug}/recommendations"): Console(P.MANAGE_STORE_SETTINGS),
    ("POST", "/console/{store_slug}/recommendations"): Console(P.MANAGE_STORE_SETTINGS),
    ("POST", "/console/{store_slug}/recommendations/fit"): Console(P.MANAGE_STORE_SETTINGS),
    ("GET", "/console/{store_slug}/journeys/settings"): Console(P.VIEW_JOURNEYS),
    ("POST", "/console/{store_slug}/journeys/settings"): Console(P.MANAGE_JOURNEYS),
    # Leads to the first settings page the role may manage; roles with none are refused.
    ("GET", "/console/{store_slug}/settings"): Console(P.VIEW_AUDIT_LOG),
    ("GET", "/console/{store_slug}/settings/staff"): Console(P.MANAGE_STAFF),
    ("POST", "/console/{store_slug}/settings/staff"): Console(P.MANAGE_STAFF),
    ("POST", "/console/{store_slug}/settings/staff/{staff_id}/remove"): Console(P.MANAGE_STAFF),
    ("POST", "/console/{store_slug}/settings/staff/invitations/{invitation_id}/resend"): Console(
        P.MANAGE_STAFF
    ),
    ("POST", "/console/{store_slug}/settings/staff/invitations/{invitation_id}/cancel"): Console(
        P.MANAGE_STAFF
    ),
    ("POST", "/console/{store_slug}/settings/staff/{staff_id}/role"): Console(P.MANAGE_STAFF),
    ("GET", "/console/{store_slug}/journeys/templates"): Console(P.VIEW_JOURNEYS),
    ("POST", "/console/{store_slug}/journeys/templates"): Console(P.MANAGE_JOURNEYS),
    ("POST", "/console/{store_slug}/journeys/default-templates"): Console(P.MANAGE_JOURNEYS),
    ("GET", "/console/{store_slug}/journeys/templates/{key}"): Console(P.VIEW_JOURNEYS),
    ("POST", "/console/{store_slug}/journeys/templates/{key}"): Console(P.MANAGE_JOURNEYS),
    ("POST", "/console/{store_slug}/journeys/templates/{key}/preview"): Console(P.VIEW_JOURNEYS),
    ("POST", "/console/{store_slug}/journeys/templates/{key}/delete"): Console(P.MANAGE_JOURNEYS),
    ("GET", "/console/{store_slug}/settings/api-keys"): Console(P.MANAGE_API_KEYS),
    ("POST", "/console/{store_slug}/settings/api-keys"): Console(P.MANAGE_API_KEYS),
    ("POST", "/console/{store_slug}/settings/api-keys/{key_id}/revoke"): Console(P.MANAGE_API_KEYS),
    ("GET", "/console/{store_slug}/settings/audit"): Console(P.VIEW_AUDIT_LOG),
    ("GET", "/console/{store_slug}/settings/integrations"): Console(P.MANAGE_STORE_SETTINGS),
    ("POST", "/console/{store_slug}/settings/integrations/identity-secret"): Console(P.MANAGE_STORE_SETTINGS),
    ("POST", "/console/{store_slug}/settings/integrations/shopify"): Console(P.MANAGE_STORE_SETTINGS),
    ("GET", "/console/{store_slug}/settings/sms"): Console(P.MANAGE_JOURNEYS),
    ("POST", "/console/{store_slug}/settings/sms"): Console(P.MANAGE_JOURNEYS),
    ("POST", "/console/{store_slug}/settings/sms/test"): Console(P.MANAGE_JOURNEYS),
    # Outgoing webhooks: endpoints hold a signing secret and receive every event of the store.
    ("GET", "/console/{store_slug}/webhooks"): Console(P.MANAGE_INTEGRATIONS),
    ("POST", "/console/{store_slug}/webhooks"): Console(P.MANAGE_INTEGRATIONS),
    ("GET", "/console/{store_slug}/webhooks/{endpoint_id}"): Console(P.MANAGE_INTEGRATIONS),
    ("POST", "/console/{store_slug}/webhooks/{endpoint_id}"): Console(P.MANAGE_INTEGRATIONS),
    ("POST", "/console/{store_slug}/webhooks/{endpoint_id}/enabled"): Console(P.MANAGE_INTEGRATIONS),
    ("POST", "/console/{store_slug}/webhooks/{endpoint_id}/secret"): Console(P.MANAGE_INTEGRATIONS),
    ("POST", "/console/{store_slug}/webhooks/{endpoint_id}/rotate"): Console(P.MANAGE_INTEGRATIONS),
    ("POST", "/console/{store_slug}/webhooks/{endpoint_id}/test"): Console(P.MANAGE_INTEGRATIONS),
    ("POST", "/console/{store_slug}/webhooks/{endpoint_id}/delete"): Console(P.MANAGE_INTEGRATIONS),
    ("POST", "/console/{store_slug}/webhooks/{endpoint_id}/deliveries/{delivery_id}/replay"): Console(
        P.MANAGE_INTEGRATIONS
    ),
    # The assistant (issue 15, dialogue): its settings, its panel beside a conversation, the hand-back.
    ("GET", "/console/{store_slug}/inbox-settings/assistant"): Console(P.MANAGE_SUPPORT),
    ("POST", "/console/{store_slug}/inbox-settings/assistant"): Console(P.MANAGE_SUPPORT),
    ("GET", "/console/{store_slug}/inbox/{conversation_id}/assistant"): Console(P.VIEW_CONVERSATIONS),
    ("POST", "/console/{store_slug}/inbox/{conversation_id}/assistant/hand-back"): Console(
        P.ANSWER_CONVERSATIONS
    ),
    ("POST", "/api/v1/conversations/{conversation_id}/assistant/hand-back"): StoreApi("conversations:write"),
    # store teaching (web/console/assistant_intents.py, assistant_intent_page.py, intent_labels.py)
    ("GET", "/console/{store_slug}/assistant/intents"): Console(P.VIEW_CONVERSATIONS),
    ("GET", "/console/{store_slug}/assistant/intent-accuracy.svg"): Console(P.VIEW_CONVERSATIONS),
    ("POST", "/console/{store_slug}/assistant/examples"): Console(P.MANAGE_SUPPORT),
    ("POST", "/console/{store_slug}/assistant/examples/{example_id}/delete"): Console(P.MANAGE_SUPPORT),
    ("POST", "/console/{store_slug}/assistant/custom-intents"): Console(P.MANAGE_SUPPORT),
    ("POST", "/console/{store_slug}/assistant/retrain"): Console(P.MANAGE_SUPPORT),
    ("GET", "/console/{store_slug}/assistant/intents/{intent_name}"): Console(P.VIEW_CONVERSATIONS),
    ("POST", "/console/{store_slug}/assistant/intents/{intent_name}/edit"): Console(P.MANAGE_SUPPORT),
    ("POST", "/console/{store_slug}/assistant/intents/{intent_name}/delete"): Console(P.MANAGE_SUPPORT),
    ("POST", "/console/{store_slug}/assistant/intents/{intent_name}/enabled"): Console(P.MANAGE_SUPPORT),
    # feedback: themes (web/console/feedback_themes.py, web/api/feedback_themes.py)
    ("GET", "/console/{store_slug}/feedback/themes"): Console(P.VIEW_FEEDBACK),
    ("GET", "/console/{store_slug}/feedback/themes/counts.svg"): Console(P.VIEW_FEEDBACK),
    ("POST", "/console/{store_slug}/feedback/themes"): Console(P.MANAGE_FEEDBACK),
    ("POST", "/console/{store_slug}/feedback/themes/retrain"): Console(P.MANAGE_FEEDBACK),
    ("POST", "/console/{store_slug}/feedback/themes/{theme_id}/edit"): Console(P.MANAGE_FEEDBACK),
    ("POST", "/console/{store_slug}/feedback/responses/{response_id}/themes"): Console(P.VIEW_FEEDBACK),
    ("GET", "/api/v1/feedback/themes"): StoreApi("feedback:read"),
    ("POST", "/api/v1/feedback/themes"): StoreApi("feedback:write"),
    ("PATCH", "/api/v1/feedback/themes/{theme_id}"): StoreApi("feedback:write"),
    ("PUT", "/api/v1/feedback/responses/{response_id}/themes"): StoreApi("feedback:write"),
    ("POST", "/console/{store_slug}/inbox/{conversation_id}/messages/{message_id}/intent"): Console(
        P.ANSWER_CONVERSATIONS
    ),
}


# --------------------------------------------------------------------------------------------------------
# The routes the application really has


def app_routes(app: Any) -> set[tuple[str, str]]:
    """Every (method, path) the app answers, "WS" for sockets and "MOUNT" for mounted static folders."""
    found: set[tuple[str, str]] = set()
    for route in app.routes:
        contexts = getattr(route, "effective_route_contexts", None)
        if contexts is not None:  # FastAPI's included routers
            for context in contexts():
                original = context.original_route
                methods = getattr(original, "methods", None) or {"WS"}
                for method in methods:
                    found.add((method, context.path_format or original.path))
        elif isinstance(route, Mount):
            found.add(("MOUNT", route.path))
        else:
            for method in getattr(route, "methods", None) or {"WS"}:
                found.add((method, route.path))
    return found


# --------------------------------------------------------------------------------------------------------
# The world: the demo store "demo" (store A) and a second store "rival" (store B)

NOWHERE = 987_654_321  # an id no row has


@dataclass
class World:
    app: Any
    database: Database
    store_a: int
    store_b: int
    ids: dict[str, Any]
    key_b: str
    keys: dict[str, str] = field(default_factory=dict)  # cached narrow keys by name
    secrets: dict[str, str] = field(default_factory=dict)
    clients: dict[str, TestClient] = field(default_factory=dict)
    csrf: dict[str, str] = field(default_factory=dict)
    a_markers: list[str] = field(default_factory=list)

    def api_key(self, scopes: list[str]) -> str:
        name = ",".join(sorted(scopes))
        if name not in self.keys:
            created = self.database.write(
                store_actions.create_api_key,
                system_for(self.store_a),
                self.store_a,
                name=f"matrix {len(self.keys)}",
                scopes=scopes,
            )
            self.keys[name] = created.token
        return self.keys[name]


def _one(session: Any, sql: str, **params: Any) -> Any:
    value = session.execute(text(sql), params).scalar()
    assert value is not None, f"the demo has no row for: {sql}"
    return value


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("matrix")
    path = folder / "loyaldesk.db"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite:///{path}"
    database = Database(url)
    seed_demo(database, seed=3, customers=40, until=date(2026, 11, 20))

    def second_store(uow):  # type: ignore[no-untyped-def]
        store = store_actions.create_store(uow, SYSTEM, slug="rival", name="Rival", currency="EUR")
        key = store_actions.create_api_key(
            uow, system_for(store.id), store.id, name="all", scopes=list(API_SCOPES)
        )
        store_actions.add_staff_member(
            uow,
            system_for(store.id),
            store.id,
            email="owner@rival.example.com",
            name="Rival owner",
            role="owner",
            password_hash=hash_password(TEST_PASSWORD),
        )
        return store.id, key.token, store.identity_secret

    store_b, key_b, secret_b = database.write(second_store)

    def conversation_with_a_file(uow):  # type: ignore[no-untyped-def]
        """A customer's chat with a file in it, so that both sides' file downloads have a real target."""
        store_id = uow.session.execute(
            text("SELECT id FROM stores WHERE slug = :s"), {"s": DEMO_SLUG}
        ).scalar()
        customer_id = uow.session.execute(
            text("SELECT min(customer_id) FROM loyalty_members WHERE store_id = :s"), {"s": store_id}
        ).scalar()
        contact = identify_contact(uow, store_id, customer_id=customer_id, visitor_token=None)
        message = post_customer_message(
            uow,
            contact.contact_id,
            body="the photo of the parcel",
            new_thread=True,
            files=[NewAttachment("parcel.txt", "text/plain", b"a parcel, crushed")],
        )
        # A notice waiting in the customer's widget, and their browser subscribed to web push.
        uow.session.add(
            WidgetNotice(
                store_id=store_id,
                customer_id=customer_id,
                contact_id=contact.contact_id,
                title="Double points",
                text="Today only",
                created_at=uow.now(),
                expires_at=uow.now() + timedelta(days=7),
            )
        )
        set_push_enabled(uow, system_for(store_id), store_id, enabled=True, subject="mailto:a@example.com")
        subscribe(uow, store_id, contact.contact_id, PushSubscriptionIn.model_validate(PUSH_SUBSCRIPTION))
        return message.conversation_id

    conversation_id = database.write(conversation_with_a_file)

    def message_templates(uow):  # type: ignore[no-untyped-def]
        from loyaldesk.journeys import ensure_default_templates

        store_id = uow.session.execute(
            text("SELECT id FROM stores WHERE slug = :s"), {"s": DEMO_SLUG}
        ).scalar()
        ensure_default_templates(uow, store_id, "en")

    database.write(message_templates)

    def a_journey_and_a_task(uow):  # type: ignore[no-untyped-def]
        """A journey rule of store A and a task it made, so that the journeys routes have real targets."""
        from loyaldesk.journeys.actions.rules import save_rule
        from loyaldesk.journeys.models import TeamTask
        from loyaldesk.journeys.schemas import RuleIn

        store_id = uow.session.execute(
            text("SELECT id FROM stores WHERE slug = :s"), {"s": DEMO_SLUG}
        ).scalar()
        rule = save_rule(
            uow,
            SYSTEM,
            store_id,
            RuleIn(
                name="Tag new buyers",
                trigger={"kind": "event", "event": "order.paid"},
                steps=[{"kind": "tag_customer", "tag": "buyer"}],
            ),
        )
        task = TeamTask(
            store_id=store_id,
            rule_id=rule.id,
            title="Call the customer",
            status="open",
            idempotency_key="matrix-task",
            created_at=uow.now(),
        )
        uow.session.add(task)
        uow.session.flush()
        return rule.id, task.id

    journey_rule_id, journey_task_id = database.write(a_journey_and_a_task)

    def webhook_with_a_delivery(uow):  # type: ignore[no-untyped-def]
        """An endpoint of store A with a delivery in its log, so that both have real targets."""
        from loyaldesk.channels.webhooks import actions as webhook_actions
        from loyaldesk.kernel.outbound import OutboundPolicy

        store_id = uow.session.execute(
            text("SELECT id FROM stores WHERE slug = :s"), {"s": DEMO_SLUG}
        ).scalar()
        created = webhook_actions.create_endpoint(
            uow,
            system_for(store_id),
            store_id,
            url="https://hooks.example.com/in",
            event_types=["*"],
            policy=OutboundPolicy(),
        )
        delivery = webhook_actions.send_test_event(uow, system_for(store_id), store_id, created.endpoint.id)
        return created.endpoint.id, delivery.id

    endpoint_id, delivery_id = database.write(webhook_with_a_delivery)
    with database.read() as session:
        store_a = _one(session, "SELECT id FROM stores WHERE slug = :slug", slug=DEMO_SLUG)
        a = {"store": store_a}
        ids: dict[str, Any] = {
            "store_slug": DEMO_SLUG,
            "journey_rule_id": journey_rule_id,
            "journey_task_id": journey_task_id,
            "builtin_key": "birthday",
            "customer_id": _one(
                session, "SELECT customer_id FROM support_conversations WHERE id = :id", id=conversation_id
            ),
            "conversation_id": conversation_id,
            "order_id": _one(session, "SELECT min(id) FROM orders WHERE store_id = :store", **a),
            "order_external_id": _one(
                session, "SELECT min(external_id) FROM orders WHERE store_id = :store", **a
            ),
            "product_id": _one(session, "SELECT min(id) FROM products WHERE store_id = :store", **a),
            "product_external_id": _one(
                session, "SELECT min(external_id) FROM products WHERE store_id = :store", **a
            ),
            "rule_id": _one(session, "SELECT min(id) FROM loyalty_rules WHERE store_id = :store", **a),
            "tier_id": _one(session, "SELECT min(id) FROM loyalty_tiers WHERE store_id = :store", **a),
            "reward_id": _one(session, "SELECT min(id) FROM loyalty_rewards WHERE store_id = :store", **a),
            "referral_id": _one(
                session, "SELECT min(id) FROM loyalty_referrals WHERE store_id = :store", **a
            ),
            "code_id": _one(session, "SELECT min(id) FROM loyalty_reward_codes WHERE store_id = :store", **a),
            "reply_id": _one(
                session, "SELECT min(id) FROM support_canned_replies WHERE store_id = :store", **a
            ),
            "team_id": _one(session, "SELECT min(id) FROM support_teams WHERE store_id = :store", **a),
            "survey_id": _one(session, "SELECT min(id) FROM feedback_surveys WHERE store_id = :store", **a),
            "article_id": _one(
                session, "SELECT min(id) FROM knowledge_articles WHERE store_id = :store", **a
            ),
            "category_id": _one(
                session, "SELECT min(id) FROM knowledge_categories WHERE store_id = :store", **a
            ),
            "policy_id": _one(
                session, "SELECT min(id) FROM support_sla_policies WHERE store_id = :store", **a
            ),
            "key_id": _one(session, "SELECT min(id) FROM api_keys WHERE store_id = :store", **a),
            "staff_id": _one(
                session,
                "SELECT min(staff_id) FROM store_memberships WHERE store_id = :store AND role = 'agent'",
                **a,
            ),
        }
        ids["key"] = "birthday"  # a message template (journeys)
        ids["language"] = "en"  # the help center's articles
        ids["article_slug"] = _one(
            session, "SELECT slug FROM knowledge_articles WHERE id = :id", id=ids["article_id"]
        )
        ids["category_slug"] = _one(
            session, "SELECT slug FROM knowledge_categories WHERE id = :id", id=ids["category_id"]
        )
        ids["intent_name"] = "order_status"  # a built-in intent of the assistant
        ids["example_id"] = NOWHERE  # the demo store has taught no example
        ids["pulse_id"] = NOWHERE  # the demo has no staff pulse
        # feedback: themes (the demo store's built-in themes; an answer when the demo has one)
        ids["theme_id"] = _one(session, "SELECT min(id) FROM feedback_themes WHERE store_id = :store", **a)
        first_answer = text("SELECT min(id) FROM feedback_responses WHERE store_id = :store")
        ids["response_id"] = session.execute(first_answer, a).scalar() or NOWHERE
        ids["endpoint_id"] = endpoint_id
        # community: no thread, answer or report in the world (a refusal comes before the look-up)
        ids["thread_id"] = ids["post_id"] = ids["report_id"] = NOWHERE
        ids["delivery_id"] = delivery_id
        ids["member_id"] = _one(
            session, "SELECT id FROM loyalty_members WHERE customer_id = :id", id=ids["customer_id"]
        )
        ids["customer_external_id"] = _one(
            session, "SELECT external_id FROM customers WHERE id = :id", id=ids["customer_id"]
        )
        ids["code"] = _one(session, "SELECT code FROM loyalty_reward_codes WHERE id = :id", id=ids["code_id"])
        ids["other_customer_external_id"] = _one(
            session,
            "SELECT max(external_id) FROM customers WHERE store_id = :store AND external_id <> :mine",
            mine=ids["customer_external_id"],
            **a,
        )
        ids["task_id"] = (
            session.execute(text("SELECT min(id) FROM support_tasks WHERE store_id = :store"), a).scalar()
            or NOWHERE
        )
        ids["return_id"] = (
            session.execute(text("SELECT min(id) FROM return_requests WHERE store_id = :store"), a).scalar()
            or NOWHERE
        )
        ids["response_id"] = (  # feedback: the inbox (the demo's answers, when it has some)
            session.execute(
                text("SELECT min(id) FROM feedback_responses WHERE store_id = :store"), a
            ).scalar()
        ) or NOWHERE
        # feedback: closing the loop (a broadcast when the world has one)
        ids["closure_id"] = (
            session.execute(
                text("SELECT min(id) FROM feedback_loop_closures WHERE store_id = :store"), a
            ).scalar()
            or NOWHERE
        )
        ids["offer_id"] = (  # recommendations: the demo's ended personal offer
            session.execute(
                text("SELECT min(id) FROM recommendation_offers WHERE store_id = :store"), a
            ).scalar()
            or NOWHERE
        )
        ids["message_id"] = _one(
            session, "SELECT min(id) FROM support_messages WHERE conversation_id = :id", id=conversation_id
        )
        ids["notice_id"] = _one(session, "SELECT min(id) FROM widget_notices WHERE store_id = :store", **a)
        ids["attachment_id"] = _one(
            session, "SELECT min(id) FROM support_attachments WHERE conversation_id = :id", id=conversation_id
        )
        secret_a = _one(session, "SELECT identity_secret FROM stores WHERE id = :store", **a)
        markers = [
            row[0]
            for row in session.execute(
                text("SELECT email FROM customers WHERE store_id = :store AND email IS NOT NULL LIMIT 20"), a
            )
        ]

    ids.update(bookings_of_the_world(database, store_a, ids))
    ids.update(calls_of_the_world(database, store_a, ids))
    # calls (web/console/calls.py): a video call the conversation's shopper rang
    with database.read() as session:
        contact_id = _one(
            session, "SELECT contact_id FROM support_conversations WHERE id = :id", id=conversation_id
        )
    ids["call_id"] = database.write(
        calls.request_session_as_shopper,
        store_id=store_a,
        contact_id=contact_id,
        conversation_id=conversation_id,
        kind=calls.CallKind.VIDEO,
    ).id

    settings = Settings(
        database_url=url,
        data_dir=folder / "var",
        secret_key="test-secret-key-not-for-production",
        run_background_jobs=False,
        redis_url=None,
        # The matrix calls as a stranger far more often than a stranger may; the limit has its own test.
        rate_limit_anonymous_requests_per_address="100000/minute",
    )
    runtime = Runtime(settings, database=database)
    app = create_app(runtime=runtime)
    the_world = World(
        app=app,
        database=database,
        store_a=store_a,
        store_b=store_b,
        ids=ids,
        key_b=key_b,
        secrets={"a": secret_a, "b": secret_b},
        a_markers=markers,
    )
    with TestClient(app, base_url="https://testserver") as anonymous:
        the_world.clients["anonymous"] = anonymous
        logins = {role: email for email, _name, role in DEMO_STAFF}
        logins["other store"] = "owner@rival.example.com"
        opened: list[TestClient] = []
        for caller, email in logins.items():
            client = TestClient(app, base_url="https://testserver")
            client.__enter__()
            opened.append(client)
            password = TEST_PASSWORD if caller == "other store" else DEMO_PASSWORD
            _log_in(client, email, password)
            the_world.clients[caller] = client
            the_world.csrf[caller] = csrf_of(client.get("/console/account").text)
        invited = call(
            the_world.clients["owner"],
            "POST",
            f"/console/{DEMO_SLUG}/settings/staff",
            data={
                "email": "new.agent@example.com",
                "name": "New agent",
                "role": "agent",
                "csrf_token": the_world.csrf["owner"],
            },
        )
        assert invited.status_code in (201, 303), invited.text[:300]
        with database.read() as session:
            ids["invitation_id"] = _one(session, "SELECT max(id) FROM staff_invitations")
        try:
            yield the_world
        finally:
            for client in opened:
                client.__exit__(None, None, None)
    database.dispose()


def calls_of_the_world(database: Database, store_a: int, ids: dict[str, Any]) -> dict[str, Any]:
    """A co-browsing request in store A's conversation, waiting for its shopper's consent."""
    from loyaldesk import calls
    from loyaldesk.kernel.actors import Actor

    agent = Actor(kind="staff", id=ids["staff_id"], store_id=store_a, label="matrix agent", role="agent")
    view = database.write(
        lambda uow: calls.request_session(
            uow, agent, conversation_id=ids["conversation_id"], kind=calls.CallKind.COBROWSE
        )
    )
    with database.read() as session:
        contact_id = _one(
            session, "SELECT contact_id FROM support_conversations WHERE id = :id", id=ids["conversation_id"]
        )
        stranger = _one(
            session, "SELECT min(id) FROM support_contacts WHERE store_id = :store AND id <> :id",
            store=store_a, id=contact_id,
        )  # fmt: skip
    return {"session_id": view.id, "call_contact_id": contact_id, "stranger_contact_id": stranger}


def bookings_of_the_world(database: Database, store_a: int, ids: dict[str, Any]) -> dict[str, Any]:
    """Expert sessions of store A: the demo agent's schedule, a free session type they host, a confirmed
    booking and a waitlist place of the shopper ``customer_external_id`` (the matrix's "mine")."""
    from loyaldesk import bookings

    with database.read() as session:
        mine = _one(
            session,
            "SELECT id FROM customers WHERE store_id = :store AND external_id = :external",
            store=store_a,
            external=ids["customer_external_id"],
        )
        # The demo's expert may be this staff member: their one schedule is then reset to every day.
        existing = session.execute(
            text("SELECT id FROM bookings_schedules WHERE store_id = :store AND user_id = :staff"),
            {"store": store_a, "staff": ids["staff_id"]},
        ).scalar()
    every_day = {weekday: [("00:00", "23:30")] for weekday in range(7)}
    schedule_id = database.write(
        bookings.save_schedule,
        store_id=store_a,
        actor_id=ids["staff_id"],
        schedule_in=bookings.ScheduleIn(user_id=ids["staff_id"], time_zone="UTC", weekly_hours=every_day),
        schedule_id=existing,
    )
    session_type_id = database.write(
        bookings.save_session_type,
        store_id=store_a,
        actor_id=ids["staff_id"],
        session_type_in=bookings.SessionTypeIn(
            name="Matrix styling",
            slug="matrix-styling",
            length_minutes=30,
            hosts=[bookings.HostIn(schedule_id=schedule_id)],
        ),
    )
    now = datetime.now(UTC)
    with database.read() as session:
        days = bookings.slots_for_shopper(
            session,
            store_id=store_a,
            session_type_id=session_type_id,
            time_zone="UTC",
            first_day=now.date() + timedelta(days=3),
            days=2,
            now=now,
        )
    slot = next(slot for found in days.values() for slot in found)
    booking_id = database.write(
        bookings.book_slot,
        store_id=store_a,
        customer_id=mine,
        session_type_id=session_type_id,
        starts_at=slot.starts_at,
    )
    entry_id = database.write(
        bookings.join_waitlist,
        store_id=store_a,
        customer_id=mine,
        session_type_id=session_type_id,
        wanted_from=now + timedelta(days=10),
        wanted_until=now + timedelta(days=11),
    )
    return {
        "schedule_id": schedule_id,
        "session_type_id": session_type_id,
        "booking_id": booking_id,
        "seat_id": booking_id,
        "entry_id": entry_id,
        "slot_starts_at": slot.starts_at.isoformat(),
    }


def _log_in(client: TestClient, email: str, password: str) -> None:
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_of(page.text), "next": "/console"},
        follow_redirects=False,
    )
    assert response.status_code == 303, f"{email} could not log in: {response.text[:300]}"


# --------------------------------------------------------------------------------------------------------
# Calling a route


def fill(path: str, ids: dict[str, Any], **overrides: Any) -> str:
    """The path with store A's own ids (or ``overrides``) in its parameters."""
    values = dict(ids)
    if path.startswith("/api/v1/orders/by-external-id"):
        values["external_id"] = ids["order_external_id"]
    elif path.startswith("/api/v1/products/by-external-id"):
        values["external_id"] = ids["product_external_id"]
    else:
        values["external_id"] = ids["customer_external_id"]
    values["token"] = "0" * 32
    if "/journeys" in path:  # the journeys' own rules and tasks
        values["rule_id"] = ids["journey_rule_id"]
        values["task_id"] = ids["journey_task_id"]
    values["channel_id"] = NOWHERE
    values.update(overrides)
    return path.format(**values)


def call(client: TestClient, method: str, url: str, **kwargs: Any) -> Any:
    return client.request(method, url, follow_redirects=False, **kwargs)


def _route_context(app: Any, method: str, path: str) -> Any:
    for route in app.routes:
        for context in getattr(route, "effective_route_contexts", lambda: [])():
            if context.path_format == path and method in (context.original_route.methods or ()):
                return context
    raise LookupError(f"{method} {path}")


def _sample_form_value(annotation: Any, metadata: list[Any]) -> Any:
    """A value FastAPI accepts for a form field of this type (what the action then makes of it is
    another matter: a refused caller must be stopped before it gets that far)."""
    import types
    import typing
    from enum import Enum

    from fastapi import UploadFile

    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        options = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        return _sample_form_value(options[0], metadata)
    if origin is typing.Annotated:
        return _sample_form_value(typing.get_args(annotation)[0], metadata)
    if origin is typing.Literal:
        return str(typing.get_args(annotation)[0])
    if origin is list:
        return [_sample_form_value(typing.get_args(annotation)[0], metadata)]
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return str(next(iter(annotation)).value)
    if annotation is UploadFile:
        return UploadFile
    if annotation is bool:
        return "true"
    if getattr(annotation, "__name__", "").endswith("Datetime") or annotation is datetime:
        return "2026-03-01T12:00:00+00:00"
    if isinstance(annotation, type) and issubclass(annotation, date):
        return "2026-03-01"
    if annotation in (int, float):
        low = max(
            (getattr(item, "ge", None) or getattr(item, "gt", None) or 0 for item in metadata), default=0
        )
        return str(max(1, int(low) + 1))
    length = max((getattr(item, "min_length", None) or 0 for item in metadata), default=0)
    return "x" * max(8, length)


# Form values the route itself checks before the action decides who may act: give it ones that pass.
FORM_VALUES: dict[tuple[str, str], dict[str, str]] = {
    ("POST", "/console/{store_slug}/inbox-settings/desk/routing"): {"widget_accent": "#336699"},
    ("POST", "/console/{store_slug}/inbox/{conversation_id}/goodwill"): {"points": "10"},
}


def complete_form(app: Any, method: str, path: str, csrf: str) -> dict[str, Any]:
    """``data`` and ``files`` for a form that passes the route's own validation, with ``csrf``."""
    context = _route_context(app, method, path)
    data: dict[str, Any] = {}
    files: list[tuple[str, tuple[str, bytes, str]]] = []
    overrides = FORM_VALUES.get((method, path), {})
    for param in context.dependant.body_params:
        name = param.alias or param.name
        if name in overrides:
            data[name] = overrides[name]
            continue
        if not param.field_info.is_required():
            continue  # the route's default
        value = _sample_form_value(param.field_info.annotation, list(param.field_info.metadata))
        if (value is not None and value is __import__("fastapi").UploadFile) or (
            isinstance(value, list) and value and value[0] is __import__("fastapi").UploadFile
        ):
            files.append((name, ("note.txt", b"hello", "text/plain")))
        else:
            data[name] = value
    data["csrf_token"] = csrf
    return {"data": data, "files": files or None}


def _example(schema: dict[str, Any], components: dict[str, Any], depth: int = 0) -> Any:
    """The smallest instance of a JSON schema from the OpenAPI document that is likely to validate."""
    if "$ref" in schema:
        return _example(components[schema["$ref"].rsplit("/", 1)[1]], components, depth + 1)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [item for item in schema[key] if item.get("type") != "null"]
            return _example(options[0], components, depth + 1)
    if "allOf" in schema:
        return _example(schema["allOf"][0], components, depth + 1)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        return {
            name: _example(properties[name], components, depth + 1)
            for name in schema.get("required", [])
            if name in properties
        }
    if kind == "array":
        return [
            _example(schema.get("items", {}), components, depth + 1) for _ in range(schema.get("minItems", 0))
        ]
    if kind == "integer":
        return max(1, int(schema.get("minimum", 1)))
    if kind == "number":
        return max(1, schema.get("minimum", 1))
    if kind == "boolean":
        return True
    formats = {"email": "someone@example.com", "date-time": "2026-03-01T12:00:00+00:00", "date": "2026-03-01"}
    if schema.get("format") in formats:
        return formats[schema["format"]]
    return "x" * max(3, schema.get("minLength", 3))


def valid_json_body(app: Any, method: str, path: str) -> Any:
    """A body that passes the schema of the route's request body (None when it takes none)."""
    document = app.openapi()
    operation = document["paths"][path][method.lower()]
    body = operation.get("requestBody")
    if body is None:
        return None
    schema = body["content"]["application/json"]["schema"]
    return _example(schema, document.get("components", {}).get("schemas", {}))


def _request_properties(app: Any, method: str, path: str) -> set[str]:
    document = app.openapi()
    schema = document["paths"][path][method.lower()]["requestBody"]["content"]["application/json"]["schema"]
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return set(schema.get("properties", {}))


# What must not change when a request is refused: every table but the ones that note that a request came.
NOT_FINGERPRINTED = {"staff_sessions", "api_keys", "idempotency_keys", "audit_log"}


def fingerprint(database: Database) -> dict[str, str]:
    digests: dict[str, str] = {}
    with database.read() as session:
        for table in Base.metadata.sorted_tables:
            if table.name in NOT_FINGERPRINTED:
                continue
            digest = hashlib.sha256()
            for row in session.execute(select(table).order_by(*table.primary_key.columns)):
                digest.update(repr(tuple(row)).encode())
            digests[table.name] = digest.hexdigest()
    return digests


def assert_refused(world: World, method: str, expected: set[int], send: Any, who: str) -> Any:
    """``send()`` is answered with one of ``expected`` and, for a write, changed nothing."""
    before = fingerprint(world.database) if method != "GET" else None
    response = send()
    assert response.status_code in expected, (
        f"{who}: expected {sorted(expected)}, got {response.status_code}: {response.text[:300]}"
    )
    if before is not None:
        after = fingerprint(world.database)
        changed = sorted(name for name in before if before[name] != after[name])
        assert not changed, f"{who} was refused but these tables changed: {changed}"
    return response


def assert_let_in(response: Any, who: str) -> None:
    """Past the door: not asked to log in, not refused, and not a failure of ours."""
    location = response.headers.get("location", "")
    assert response.status_code not in (401, 403) and response.status_code < 500, (
        f"{who} was not let in: {response.status_code} {response.text[:300]}"
    )
    assert not location.startswith("/login"), f"{who} was sent to log in"


REDIRECT_TO_LOGIN = {303}
EXTERNAL_ID_PATHS = ("/api/v1/customers/by-external-id/",)  # namespaced by the key's store: no rows to cross


# --------------------------------------------------------------------------------------------------------
# The checks, one kind of access at a time


def _id_params(path: str) -> list[str]:
    return [part.strip("{}") for part in path.split("/") if part.startswith("{") and part != "{store_slug}"]


# Bodies whose checks go beyond their JSON schema, given so that the route itself decides.
API_BODIES: dict[tuple[str, str], Any] = {
    ("POST", "/api/v1/custom-events"): {"name": "cart_abandoned", "customer_id": "{customer_id}"},
    ("PUT", "/api/v1/customers/{customer_id}/consent"): {"channel": "sms", "granted": True},
    ("POST", "/api/v1/surveys/{survey_id}/invitations"): {"customer_id": "{customer_id}", "channel": "api"},
    ("PATCH", "/api/v1/feedback/settings"): {"throttle_days": 30},
    ("POST", "/api/v1/offers"): {
        "name": "Matrix offer",
        "kind": "bonus_points",
        "value": 10,
        "target_kind": "any",
        "ends_at": "2099-01-01T00:00:00+00:00",
    },
    ("PUT", "/api/v1/loyalty/rules/{rule_id}"): {
        "name": "Reviews",
        "action": {"action": "review", "points": 5},
    },
}


def check_store_api(world: World, method: str, path: str, access: StoreApi) -> None:
    client = world.clients["anonymous"]
    url = fill(path, world.ids)
    payload = valid_json_body(world.app, method, path) if method != "GET" else None
    if (method, path) in API_BODIES:
        payload = {  # "{customer_id}" and the like stand for store A's own ids
            key: int(world.ids[value[1:-1]]) if isinstance(value, str) and value.startswith("{") else value
            for key, value in API_BODIES[(method, path)].items()
        }
    elif method == "PUT" and ("GET", path) in MATRIX:
        # A replacement the schema and its checks accept: the row as it is.
        current = call(
            client, "GET", url, headers={"Authorization": f"Bearer {world.api_key(list(API_SCOPES))}"}
        )
        assert current.status_code == 200, current.text[:300]
        accepted = _request_properties(world.app, method, path)
        payload = {name: value for name, value in current.json().items() if name in accepted}
    body: dict[str, Any] = {"json": payload} if payload is not None else {}

    def with_key(token: str | None, target: str = url) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if method != "GET":
            headers["Idempotency-Key"] = uuid.uuid4().hex
        return lambda: call(client, method, target, headers=headers, **body)

    refused = assert_refused(world, method, {401}, with_key(None), "an anonymous caller")
    assert refused.json()["error"]["code"] == "not_authenticated"
    assert_refused(world, method, {401}, with_key("ld_notakey_000000000000"), "a made-up key")
    if access.scope is not None:
        others = [scope for scope in API_SCOPES if scope != access.scope]
        assert_refused(world, method, {403}, with_key(world.api_key(others)), f"a key without {access.scope}")

    # A key with just this scope gets in: aimed at rows that do not exist, so that nothing happens.
    has_ids = bool(_id_params(path)) and not path.startswith(EXTERNAL_ID_PATHS)
    scopes = [access.scope] if access.scope else ["events:read"]
    target = url
    if has_ids and method != "GET":
        target = fill(path, world.ids, **{name: NOWHERE for name in _id_params(path)} | {"code": "NOCODE"})
    assert_let_in(with_key(world.api_key(scopes), target)(), f"a key with {scopes}")

    # Another store's key never reaches store A's rows, and lists show it only its own store.
    if has_ids:
        assert_refused(world, method, {404}, with_key(world.key_b), "another store's key")
    elif method == "GET":
        response = with_key(world.key_b)()
        assert response.status_code in (200, 404), response.text[:300]
        leaked = [marker for marker in world.a_markers if marker in response.text]
        assert not leaked, f"another store's key saw store A's customers: {leaked[:3]}"


def check_console(world: World, method: str, path: str, access: Console) -> None:
    url = fill(path, world.ids)

    def as_(caller: str, csrf: str | None = None) -> Any:
        client = world.clients[caller]
        if method == "GET":
            return lambda: call(client, method, url)
        form = complete_form(world.app, method, path, csrf or world.csrf.get(caller, "x"))
        return lambda: call(client, method, url, **form)

    response = assert_refused(world, method, REDIRECT_TO_LOGIN, as_("anonymous", "x"), "an anonymous visitor")
    assert response.headers["location"].startswith("/login")
    assert_refused(world, method, {404}, as_("other store"), "another store's owner")
    for role in Role:
        allowed = access.permission is None or has_permission(role, access.permission)
        if not allowed:
            assert_refused(world, method, {403}, as_(role.value), f"the {role} role")
        elif method == "GET":
            assert_let_in(as_(role.value)(), f"the {role} role")
        else:
            # Let in, but stopped by a wrong form token: nothing happens and the answer says why.
            response = assert_refused(
                world, method, {403}, as_(role.value, csrf="not-the-form-token"), f"the {role} role"
            )
            assert "did not come from loyaldesk" in response.text, (
                f"the {role} role was refused for another reason than the form token: {response.text[:300]}"
            )


def check_account(world: World, method: str, path: str, access: Account) -> None:
    client = world.clients["anonymous"]
    data = {"csrf_token": "x"} if method != "GET" else None
    response = assert_refused(
        world,
        method,
        REDIRECT_TO_LOGIN,
        lambda: call(client, method, path, data=data),
        "an anonymous visitor",
    )
    assert response.headers["location"].startswith("/login")
    if method == "GET":
        for caller in ("agent", "other store"):
            assert_let_in(call(world.clients[caller], method, path), caller)


def check_shopper(world: World, method: str, path: str, access: Shopper) -> None:
    client = world.clients["anonymous"]
    url = fill(path, world.ids)
    mine = str(world.ids["customer_external_id"])
    someone_else = str(world.ids["other_customer_external_id"])
    page = path.startswith("/m/")

    def as_shopper(customer: str | None, signature: str | None) -> Any:
        identity = {"customer": customer, "signature": signature} if customer else {}
        if page and method == "GET":
            return lambda: call(client, method, url, params=identity)
        if page:
            form = {**identity, "reward_id": str(world.ids["reward_id"]), "request_key": "matrix-0001"}
            return lambda: call(client, method, url, data=form)
        headers = {"X-Customer-Id": customer, "X-Customer-Signature": signature} if customer else {}
        headers["Idempotency-Key"] = "matrix-0001"
        payload = SHOPPER_BODIES.get((method, path), {"reward_id": world.ids["reward_id"]})
        body = {"json": _filled(payload, world.ids)} if method not in ("GET", "DELETE") else {}
        return lambda: call(client, method, url, headers=headers, **body)

    assert_refused(world, method, {401}, as_shopper(None, None), "an anonymous visitor")
    their_signature = shopper_signature(world.secrets["a"], someone_else)
    assert_refused(
        world, method, {401}, as_shopper(mine, their_signature), "a shopper signed as someone else"
    )
    assert_refused(
        world,
        method,
        {401},
        as_shopper(mine, shopper_signature(world.secrets["b"], mine)),
        "a signature by another store",
    )
    if any(name in PERSONAL_IDS for name in _id_params(path)):
        # Another shopper of the store, properly signed, aimed at this shopper's own booking or place.
        assert_refused(
            world,
            method,
            {404},
            as_shopper(someone_else, shopper_signature(world.secrets["a"], someone_else)),
            "another shopper",
        )
    if method == "GET":
        assert_let_in(as_shopper(mine, shopper_signature(world.secrets["a"], mine))(), "the shopper")


# What belongs to one shopper (the matrix's "mine"): another shopper's request for it must find nothing.
PERSONAL_IDS = ("booking_id", "entry_id")
BOOKINGS_API = "/member-api/v1/{store_slug}/bookings"
# Member API bodies besides a redemption's: "{name}" stands for the world's id of that name.
SHOPPER_BODIES: dict[tuple[str, str], Any] = {
    ("POST", BOOKINGS_API + "/holds"): {
        "session_type_id": "{session_type_id}",
        "starts_at": "{slot_starts_at}",
    },
    ("POST", BOOKINGS_API + "/{booking_id}/reschedule"): {"starts_at": "{slot_starts_at}"},
    ("POST", BOOKINGS_API + "/{booking_id}/cancel"): {},
    ("POST", BOOKINGS_API + "/{booking_id}/confirm"): {},
    ("POST", BOOKINGS_API + "/waitlist/{entry_id}/accept"): {},
    ("POST", BOOKINGS_API + "/waitlist"): {
        "session_type_id": "{session_type_id}",
        "wanted_from": "2099-01-01T00:00:00+00:00",
        "wanted_until": "2099-01-02T00:00:00+00:00",
    },
}


def _filled(payload: dict[str, Any], ids: dict[str, Any]) -> dict[str, Any]:
    return {
        key: ids[value[1:-1]] if isinstance(value, str) and value.startswith("{") else value
        for key, value in payload.items()
    }


# The widget's JSON routes: the body each takes besides its ``ticket``.
PUSH_SUBSCRIPTION = {
    "endpoint": "https://push.example/subscriptions/matrix",
    "keys": {
        # A fixed P-256 point (the generator) and 16 bytes: valid in form, which is all the route checks.
        "p256dh": "BGsX0fLhLEJH-Lzm5WOkQPJ3A32BLeszoPShOUXYmMKWT-NC4v4af5uO5-tKfA-eFivOM1drMV7Oy7ZAaDe_UfU",
        "auth": "AAAAAAAAAAAAAAAAAAAAAA",
    },
}
TICKET_JSON_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/widget-api/v1/{store_slug}/push/subscriptions"): PUSH_SUBSCRIPTION,
    ("DELETE", "/widget-api/v1/{store_slug}/push/subscriptions"): {"endpoint": PUSH_SUBSCRIPTION["endpoint"]},
    ("POST", "/widget-api/v1/{store_slug}/notices/{notice_id}/dismiss"): {"clicked": True},
    ("POST", "/widget-api/v1/{store_slug}/surveys/{invitation_id}/answers"): {"answers": {"score": 1}},
    ("POST", "/widget-api/v1/{store_slug}/calls"): {"conversation_id": "{conversation_id}", "kind": "video"},
}


def check_widget_ticket(world: World, method: str, path: str, access: WidgetTicket) -> None:
    from loyaldesk.support.widget_ticket import issue_ticket

    client = world.clients["anonymous"]
    url = fill(path, world.ids)
    secret_key = world.app.state.runtime.secret_key
    with world.database.read() as session:
        owner = session.execute(
            text("SELECT contact_id FROM support_conversations WHERE id = :id"),
            {"id": world.ids["conversation_id"]},
        ).scalar()
        stranger = session.execute(
            text("SELECT min(id) FROM support_contacts WHERE store_id = :store AND id <> :owner"),
            {"store": world.store_a, "owner": owner},
        ).scalar()
        identified_stranger = session.execute(
            text(
                "SELECT min(id) FROM support_contacts WHERE store_id = :store AND id <> :owner"
                " AND customer_id IS NOT NULL"
            ),
            {"store": world.store_a, "owner": owner},
        ).scalar()
    tickets = {
        "no ticket": "",
        "a forged ticket": "forged.ticket",
        "another store's ticket": issue_ticket(secret_key, world.store_b, stranger),
    }
    json_body = TICKET_JSON_BODIES.get((method, path))
    json_body = _filled(json_body, world.ids) if json_body is not None else None

    def sender(ticket: str) -> Any:
        if method == "GET":
            return lambda: call(client, method, url, params={"ticket": ticket})
        if json_body is not None:
            return lambda: call(client, method, url, json={**json_body, "ticket": ticket})
        return lambda: call(
            client,
            method,
            url,
            data={"ticket": ticket, "client_message_id": "m-1", "body": "hello"},
            files={"files": ("a.txt", b"hello", "text/plain")},
        )

    for who, ticket in tickets.items():
        assert_refused(world, method, {401, 404, 422} if json_body is None else {401}, sender(ticket), who)
    if path.endswith("/surveys/pending"):
        # Someone else's ticket lists their own surveys (none here), never the owner's.
        for contact in (stranger, identified_stranger):
            listed = sender(issue_ticket(secret_key, world.store_a, contact))()
            assert listed.status_code == 200 and listed.json() == {"surveys": []}, listed.text[:300]
    elif path.endswith("/notices"):
        # Someone else's ticket lists their own notices, never the owner's.
        listed = sender(issue_ticket(secret_key, world.store_a, identified_stranger))()
        assert listed.status_code == 200, listed.text[:300]
        assert world.ids["notice_id"] not in [notice["id"] for notice in listed.json()["notices"]]
    elif path.endswith("/greeting"):
        # Someone else's ticket greets that someone (an anonymous visitor: nothing personal), never the
        # owner of the conversation.
        for contact in (stranger, identified_stranger):
            with world.database.read() as session:
                name = session.execute(
                    text(
                        "SELECT c.first_name FROM support_contacts k JOIN customers c ON c.id = k.customer_id"
                        " WHERE k.id = :contact"
                    ),
                    {"contact": contact},
                ).scalar()
            greeted = sender(issue_ticket(secret_key, world.store_a, contact))()
            assert greeted.status_code == 200, greeted.text[:300]
            body = greeted.json()
            assert body.get("first_name") == name if body["personal"] else body == {"personal": False}
    elif method in ("GET", "DELETE") or path.endswith(("/dismiss", "/calls")):
        # Someone else's ticket (a contact of the same store) does not reach the owner's files, notices
        # or subscriptions (an anonymous visitor may not subscribe at all).
        for contact in (stranger, identified_stranger):
            assert_refused(
                world,
                method,
                {404} if method == "GET" or contact == identified_stranger else {403, 404},
                sender(issue_ticket(secret_key, world.store_a, contact)),
                "another contact's ticket",
            )


def check_rating_link(world: World, method: str, path: str, access: RatingLink) -> None:
    from loyaldesk.support.actions.csat import csat_link_token

    client = world.clients["anonymous"]
    conversation = world.ids["conversation_id"]
    right = csat_link_token(world.secrets["a"], conversation)
    data = {"rating": "5"} if method != "GET" else None
    cases = {
        "a made-up token": fill(path, world.ids, token="0" * 32),
        "another conversation's link": fill(
            path, world.ids, token=csat_link_token(world.secrets["a"], conversation + 1)
        ),
        "another store's slug": fill(path, world.ids, store_slug="rival", token=right),
        "another store's secret": fill(
            path, world.ids, token=csat_link_token(world.secrets["b"], conversation)
        ),
    }
    for who, url in cases.items():
        assert_refused(world, method, {404}, lambda url=url: call(client, method, url, data=data), who)


def check_emailed_link(world: World, method: str, path: str, access: EmailedLink) -> None:
    from loyaldesk.stores.tokens import TokenPurpose

    client = world.clients["anonymous"]
    tokens = world.app.state.runtime.account_tokens
    other = next(purpose for purpose in TokenPurpose if purpose.value != access.purpose)
    cases = {
        "a made-up link": "not-a-token",
        "a link signed for another purpose": tokens.issue(other).token,
        "a well-signed link never issued": tokens.issue(TokenPurpose(access.purpose)).token,
    }
    page = call(client, "GET", "/login")
    data = {"csrf_token": csrf_of(page.text), "password": TEST_PASSWORD, "new_password": TEST_PASSWORD}
    for who, token in cases.items():
        url = fill(path, world.ids, token=token)
        assert_refused(world, method, {404, 410}, lambda url=url: call(client, method, url, data=data), who)


def _sms_webhook_cases(world: World, path: str) -> dict[str, dict[str, str]]:
    """Both stores with an SMS account, and store A's customer with the phone a STOP comes from (so
    that a request let in would change their consent); the signatures a refused sender may bring."""
    from loyaldesk.channels.sms.models import SmsSettings
    from loyaldesk.channels.sms.signature import SIGNATURE_HEADER, twilio_signature

    def accounts(uow):  # type: ignore[no-untyped-def]
        for store_id, token in ((world.store_a, "token-of-store-a"), (world.store_b, "token-of-store-b")):
            if uow.session.get(SmsSettings, store_id) is None:
                uow.session.add(
                    SmsSettings(
                        store_id=store_id,
                        base_url="https://api.twilio.com",
                        account_sid="AC" + "0" * 32,
                        auth_token=token,
                        sender="+4930901820",
                        enabled=True,
                        default_region="DE",
                    )
                )
        uow.session.execute(
            text("UPDATE customers SET phone = '+4915123456789' WHERE id = :id"),
            {"id": world.ids["customer_id"]},
        )

    world.database.write(accounts)
    url = world.app.state.runtime.settings.public_base_url + fill(path, world.ids)
    params = SMS_WEBHOOK_PARAMS

    def signed(token: str) -> dict[str, str]:
        return {SIGNATURE_HEADER: twilio_signature(token, url, params.items())}

    return {
        "an unsigned sender": {},
        "a sender with a made-up signature": {SIGNATURE_HEADER: "bm90IGEgc2lnbmF0dXJl"},
        "another store's signature": signed("token-of-store-b"),
    }


SMS_WEBHOOK_PARAMS = {
    "From": "+4915123456789",
    "Body": "STOP",
    "MessageSid": "SM" + "0" * 32,
    "MessageStatus": "delivered",
}


def check_message_link(world: World, method: str, path: str, access: MessageLink) -> None:
    """A forged token, a token of another kind, and a good token under another store's slug (or for
    another store's customer) are all 404, and change nothing."""
    from loyaldesk.journeys import Channel, LinkClaims, LinkKind, link_token

    client = world.clients["anonymous"]
    secret_key = world.app.state.runtime.secret_key
    customer = world.ids["customer_id"]
    kind = LinkKind(access.kind)
    other_kind = LinkKind.OPEN if kind is not LinkKind.OPEN else LinkKind.UNSUBSCRIBE
    url = "https://shop.example/" if kind is LinkKind.CLICK else None
    right = link_token(secret_key, LinkClaims(kind, world.store_a, 0, customer, Channel.EMAIL, url))
    payload, signature = right.split(".")
    cases = {
        "a made-up token": "0" * 32,
        "a forged signature": f"{payload}.{signature[:-4]}AAAA",
        "a token signed with another secret": link_token(
            "not the secret", LinkClaims(kind, world.store_a, 0, customer, Channel.EMAIL, url)
        ),
        "a token of another kind": link_token(
            secret_key, LinkClaims(other_kind, world.store_a, 0, customer, Channel.EMAIL)
        ),
        "another store's customer": link_token(
            secret_key, LinkClaims(kind, world.store_b, 0, customer, Channel.EMAIL, url)
        ),
    }
    urls = {who: fill(path, world.ids, token=token) for who, token in cases.items()}
    if "{store_slug}" in path:
        urls["another store's slug"] = fill(path, world.ids, store_slug="rival", token=right)
    data = {"List-Unsubscribe": "One-Click", "email": "yes"} if method == "POST" else None
    for who, target in urls.items():
        assert_refused(
            world, method, {404}, lambda target=target: call(client, method, target, data=data), who
        )


def check_signed_webhook(world: World, method: str, path: str, access: SignedWebhook) -> None:
    client = world.clients["anonymous"]
    body = b'{"id": 1}'
    if path.startswith("/webhooks/sms"):
        sms_url = fill(path, world.ids)
        for who, headers in _sms_webhook_cases(world, path).items():
            assert_refused(
                world,
                method,
                {403},
                lambda headers=headers: call(
                    client, method, sms_url, data=SMS_WEBHOOK_PARAMS, headers=headers
                ),
                who,
            )
        return
    if path.startswith("/webhooks/shopify"):
        import base64
        import hmac

        signature = base64.b64encode(hmac.new(b"not the secret", body, hashlib.sha256).digest()).decode()
        cases = {
            "an unsigned sender": {},
            "a sender with the wrong secret": {"X-Shopify-Hmac-Sha256": signature},
        }
        url = fill(path, world.ids)
        headers_common = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": "orders/create",
            "X-Shopify-Webhook-Id": "matrix-0001",
        }
    else:
        cases = {
            "an unsigned sender": {},
            "a sender with a wrong signature": {"X-Loyaldesk-Timestamp": "1", "X-Loyaldesk-Signature": "00"},
        }
        url = fill(path, world.ids)
        headers_common = {"Content-Type": "application/json"}
    for who, headers in cases.items():
        assert_refused(
            world,
            method,
            {401, 404},
            lambda headers=headers: call(
                client, method, url, content=body, headers={**headers_common, **headers}
            ),
            who,
        )


def check_console_socket(world: World, method: str, path: str, access: ConsoleSocket) -> None:
    url = "wss://testserver" + fill(path, world.ids)  # the session cookie is Secure
    origin = {"Origin": "https://testserver"}
    for caller in ("anonymous", "other store"):
        with pytest.raises(WebSocketDisconnect) as closed:
            with world.clients[caller].websocket_connect(url, headers=origin) as socket:
                socket.receive_json()
        assert closed.value.code in (4401, 4403, 4404), f"{caller}: closed with {closed.value.code}"
    for role in Role:
        with world.clients[role.value].websocket_connect(url, headers=origin) as socket:
            first = socket.receive_json()
            assert first["type"] == "ready", f"the {role} role: {first}"
    with pytest.raises(WebSocketDisconnect) as closed:
        with world.clients["owner"].websocket_connect(
            url, headers={"Origin": "https://evil.example"}
        ) as socket:
            socket.receive_json()
    assert closed.value.code == 4403


def check_widget_socket(world: World, method: str, path: str, access: WidgetSocket) -> None:
    url = fill(path, world.ids)
    client = world.clients["anonymous"]
    mine = str(world.ids["customer_external_id"])
    someone_else = str(world.ids["other_customer_external_id"])
    hellos = {
        "a shopper signed as someone else": {
            "customer_id": mine,
            "signature": shopper_signature(world.secrets["a"], someone_else),
        },
        "a signature by another store": {
            "customer_id": mine,
            "signature": shopper_signature(world.secrets["b"], mine),
        },
    }
    for who, identity in hellos.items():
        before = fingerprint(world.database)
        with client.websocket_connect(url) as socket:
            socket.send_json({"type": "hello", **identity})
            refused = socket.receive_json()
            assert refused["type"] == "error" and refused["code"] == 4401, f"{who}: {refused}"
            with pytest.raises(WebSocketDisconnect):
                socket.receive_json()
        assert fingerprint(world.database) == before, f"{who} was refused but something changed"


def check_call_socket(world: World, method: str, path: str, access: CallSocket) -> None:
    from loyaldesk.support import issue_ticket

    url = "wss://testserver" + fill(path, world.ids)
    origin = {"Origin": "https://testserver"}
    agent = {"type": "hello", "as": "agent"}
    secret = world.app.state.runtime.secret_key

    def refused(caller: str, hello: dict[str, Any], headers: dict[str, str] = origin) -> int:
        before = fingerprint(world.database)
        with pytest.raises(WebSocketDisconnect) as closed:
            with world.clients[caller].websocket_connect(url, headers=headers) as socket:
                socket.send_json(hello)
                assert socket.receive_json()["type"] == "error"
                socket.receive_json()
        assert fingerprint(world.database) == before, f"{caller} was refused but something changed"
        return closed.value.code

    assert refused("anonymous", agent) == 4401
    assert refused("other store", agent) == 4404
    assert refused("owner", agent, {"Origin": "https://evil.example"}) == 4403
    for role in Role:
        if not has_permission(role, Permission.ANSWER_CONVERSATIONS):
            assert refused(role.value, agent) == 4403, f"the {role} role"
            continue
        with world.clients[role.value].websocket_connect(url, headers=origin) as socket:
            socket.send_json(agent)
            assert socket.receive_json()["type"] == "joined", f"the {role} role"
    stranger = issue_ticket(secret, world.store_a, world.ids["stranger_contact_id"])
    assert refused("anonymous", {"type": "hello", "as": "shopper", "ticket": stranger}) == 4403
    other_store = issue_ticket(secret, world.store_b, world.ids["call_contact_id"])
    assert refused("anonymous", {"type": "hello", "as": "shopper", "ticket": other_store}) == 4401
    someone_else = str(world.ids["other_customer_external_id"])
    member = {
        "as": "member",
        "customer_id": someone_else,
        "signature": shopper_signature(world.secrets["a"], someone_else),
    }
    assert refused("anonymous", {"type": "hello", **member}) == 4403


def check_public(world: World, method: str, path: str, access: Public) -> None:
    assert access.why and access.rate_limited


def _survey_tokens(world: World) -> dict[str, str]:
    """An open invitation of store A's customer and one of store B's (made once), by store."""
    from loyaldesk.feedback import Survey, SurveyInvitation

    def make(uow):  # type: ignore[no-untyped-def]
        tokens = {}
        for name, store_id in (("a", world.store_a), ("b", world.store_b)):
            token = f"matrix-survey-token-{name}"
            if uow.session.execute(select(SurveyInvitation).where(SurveyInvitation.token == token)).first():
                tokens[name] = token
                continue
            now = uow.now()
            customer = (
                uow.session.execute(
                    text("SELECT min(id) FROM customers WHERE store_id = :s"), {"s": store_id}
                ).scalar()
                or world.ids["customer_id"]
            )
            survey = Survey(
                store_id=store_id,
                kind="nps",
                name="Matrix",
                status="active",
                languages=["en"],
                questions=[
                    {"id": "score", "type": "nps", "text": {"en": "?"}, "required": True, "min": 0, "max": 10}
                ],
                trigger={"kind": "api"},
                channel="email",
                created_at=now,
                updated_at=now,
            )
            uow.session.add(survey)
            uow.session.flush()
            uow.session.add(
                SurveyInvitation(
                    store_id=store_id,
                    survey_id=survey.id,
                    customer_id=customer,
                    channel="email",
                    token=token,
                    status="asked",
                    product_ids=[],
                    idempotency_key=token,
                    asked_at=now,
                    expires_at=now + timedelta(days=3650),
                )
            )
            tokens[name] = token
        return tokens

    return world.database.write(make)


def check_survey_link(world: World, method: str, path: str, access: SurveyLink) -> None:
    """A made-up token, store A's token under store B's slug and store B's token under store A's are all
    the same 404 and change nothing; the holder of the right one gets in."""
    tokens = _survey_tokens(world)
    client = world.clients["anonymous"]
    body = (
        {"json": {"answers": {"score": 1}}} if path.startswith("/survey-api") else {"data": {"q_score": "1"}}
    )
    if method == "GET":
        body = {}
    cases = {
        "a made-up token": fill(path, world.ids, token="0" * 32),
        "store A's token under another store": fill(path, world.ids, store_slug="rival", token=tokens["a"]),
        "another store's token": fill(path, world.ids, token=tokens["b"]),
    }
    for who, url in cases.items():
        assert_refused(world, method, {404}, lambda url=url: call(client, method, url, **body), who)
    if method == "GET":
        assert_let_in(call(client, method, fill(path, world.ids, token=tokens["a"])), "the token's holder")


CHECKS: dict[type, Any] = {
    SurveyLink: check_survey_link,
    StoreApi: check_store_api,
    Console: check_console,
    Account: check_account,
    Shopper: check_shopper,
    WidgetTicket: check_widget_ticket,
    RatingLink: check_rating_link,
    EmailedLink: check_emailed_link,
    MessageLink: check_message_link,
    SignedWebhook: check_signed_webhook,
    ConsoleSocket: check_console_socket,
    WidgetSocket: check_widget_socket,
    CallSocket: check_call_socket,
    Public: check_public,
}


def test_every_route_has_an_entry(world: World) -> None:
    routes = app_routes(world.app)
    missing = sorted(routes - MATRIX.keys())
    stale = sorted(MATRIX.keys() - routes)
    assert not missing, f"routes without an entry in the authorization matrix: {missing}"
    assert not stale, f"entries for routes the app does not have: {stale}"


@pytest.mark.parametrize(("method", "path"), sorted(MATRIX), ids=[f"{m} {p}" for m, p in sorted(MATRIX)])
def test_route_refuses_whoever_may_not_call_it(world: World, method: str, path: str) -> None:
    access = MATRIX[(method, path)]
    CHECKS[type(access)](world, method, path, access)


# What a stranger can reach: every route whose callers prove who they are without a login or an API key.
STRANGERS_REACH = (
    Public,
    Shopper,
    WidgetTicket,
    RatingLink,
    EmailedLink,
    MessageLink,
    SignedWebhook,
    SurveyLink,
)
MOUNTED_FILES = {
    "/static": "/static/widget/loader.js",
    "/docs-static": "/docs-static/swagger-ui.css",
    "/static/vendor/rrweb": "/static/vendor/rrweb/rrweb.js",
}


def test_what_a_stranger_can_reach_is_rate_limited(world: World) -> None:
    """Each route a stranger can reach answers 429 with Retry-After once the address has used its
    anonymous requests (3 a minute here), whatever it is asked."""
    settings = world.app.state.runtime.settings.model_copy(
        update={"rate_limit_anonymous_requests_per_address": "3/minute"}
    )
    runtime = Runtime(settings, database=world.database)
    app = create_app(runtime=runtime)
    reachable = [(m, p) for (m, p), access in sorted(MATRIX.items()) if isinstance(access, STRANGERS_REACH)]
    assert len(reachable) > 20
    with TestClient(app, base_url="https://testserver") as client:
        for method, path in reachable:
            runtime.rate_limits.reset()
            url = MOUNTED_FILES.get(path) or fill(path, world.ids)
            verb = "GET" if method == "MOUNT" else method
            answers = [call(client, verb, url).status_code for _ in range(4)]
            assert 429 not in answers[:3] and answers[3] == 429, f"{method} {path}: {answers}"
            refused = call(client, verb, url)
            assert int(refused.headers["Retry-After"]) >= 1, f"{method} {path}"
            if verb == "HEAD":
                continue
            if refused.headers["content-type"].startswith("application/json"):
                assert refused.json()["error"]["code"] == "rate_limited"
            else:  # a page's own limit (asking for reset links), answered as a page
                assert "try again" in refused.text.lower(), f"{method} {path}: {refused.text[:300]}"
