"""Every vocabulary of the stores domain, spelled once: each StrEnum with its labels beside it.

Rules, actions, schemas and the console use these enums; ``tests/stores/test_vocab.py`` proves that the
columns storing them are wide enough and that every scope the code asks for is one of :class:`ApiScope`.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """A staff member's role in one store."""

    OWNER = "owner"
    ADMIN = "admin"
    AGENT = "agent"
    ANALYST = "analyst"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]

    @property
    def description(self) -> str:
        return ROLE_DESCRIPTIONS[self]


ROLE_LABELS: dict[Role, str] = {
    Role.OWNER: "Owner",
    Role.ADMIN: "Admin",
    Role.AGENT: "Agent",
    Role.ANALYST: "Analyst",
}

ROLE_DESCRIPTIONS: dict[Role, str] = {
    Role.OWNER: "Everything, including making other owners.",
    Role.ADMIN: "Everything except managing owners.",
    Role.AGENT: "Answers customers; sees and edits customer profiles and orders.",
    Role.ANALYST: "Reads customers, orders and analytics; changes nothing.",
}


class Permission(StrEnum):
    """What a role may do in the console; ``stores.rules.ROLE_PERMISSIONS`` says which role may what."""

    VIEW_CUSTOMERS = "view_customers"
    EDIT_CUSTOMERS = "edit_customers"
    EXPORT_CUSTOMER_DATA = "export_customer_data"
    ERASE_CUSTOMERS = "erase_customers"
    VIEW_ORDERS = "view_orders"
    MANAGE_STAFF = "manage_staff"
    MANAGE_API_KEYS = "manage_api_keys"
    MANAGE_STORE_SETTINGS = "manage_store_settings"
    VIEW_AUDIT_LOG = "view_audit_log"
    VIEW_ANALYTICS = "view_analytics"
    VIEW_CONVERSATIONS = "view_conversations"
    ANSWER_CONVERSATIONS = "answer_conversations"
    MANAGE_SUPPORT = "manage_support"
    VIEW_JOURNEYS = "view_journeys"
    MANAGE_JOURNEYS = "manage_journeys"
    MANAGE_INTEGRATIONS = "manage_integrations"
    MANAGE_KNOWLEDGE = "manage_knowledge"
    VIEW_FEEDBACK = "view_feedback"  # the feedback inbox, dashboards, themes; correct an answer's themes
    MANAGE_FEEDBACK = "manage_feedback"  # build surveys, own themes, mark them fixed, run the staff pulse

    @property
    def label(self) -> str:
        """In words, as a denial says it: "view customers"."""
        return self.value.replace("_", " ")


class ApiScope(StrEnum):
    """What a store backend's API key may be allowed to do. Later capabilities add their scopes here."""

    CUSTOMERS_READ = "customers:read"
    CUSTOMERS_WRITE = "customers:write"
    CUSTOMERS_EXPORT = "customers:export"
    CUSTOMERS_ERASE = "customers:erase"
    ORDERS_READ = "orders:read"
    ORDERS_WRITE = "orders:write"
    PRODUCTS_READ = "products:read"
    PRODUCTS_WRITE = "products:write"
    EVENTS_READ = "events:read"
    LOYALTY_READ = "loyalty:read"
    LOYALTY_WRITE = "loyalty:write"
    CONVERSATIONS_READ = "conversations:read"
    CONVERSATIONS_WRITE = "conversations:write"
    JOURNEYS_READ = "journeys:read"
    JOURNEYS_WRITE = "journeys:write"
    WEBHOOKS_READ = "webhooks:read"
    WEBHOOKS_WRITE = "webhooks:write"
    KNOWLEDGE_READ = "knowledge:read"
    KNOWLEDGE_WRITE = "knowledge:write"
    ASSISTANT_READ = "assistant:read"
    ASSISTANT_WRITE = "assistant:write"
    FEEDBACK_READ = "feedback:read"
    FEEDBACK_WRITE = "feedback:write"
    RECOMMENDATIONS_READ = "recommendations:read"
    RECOMMENDATIONS_WRITE = "recommendations:write"

    @property
    def description(self) -> str:
        return API_SCOPE_DESCRIPTIONS[self]


API_SCOPE_DESCRIPTIONS: dict[ApiScope, str] = {
    ApiScope.CUSTOMERS_READ: "Read customer profiles and timelines.",
    ApiScope.CUSTOMERS_WRITE: "Create, update and upsert customers.",
    ApiScope.CUSTOMERS_EXPORT: "Export everything about a customer (GDPR access request).",
    ApiScope.CUSTOMERS_ERASE: "Erase a customer's personal data (GDPR erasure request).",
    ApiScope.ORDERS_READ: "Read orders, lines and refunds.",
    ApiScope.ORDERS_WRITE: "Create orders, change their status, record refunds and returns.",
    ApiScope.PRODUCTS_READ: "Read the product catalogue.",
    ApiScope.PRODUCTS_WRITE: "Create and update products.",
    ApiScope.EVENTS_READ: "Read the store's event stream.",
    ApiScope.LOYALTY_READ: "Read the loyalty program, members' points, tiers, rewards and referrals.",
    ApiScope.LOYALTY_WRITE: (
        "Change the program; adjust points; redeem rewards; record actions and referrals."
    ),
    ApiScope.CONVERSATIONS_READ: "Read support conversations and their messages.",
    ApiScope.CONVERSATIONS_WRITE: "Start conversations and post messages on behalf of customers.",
    ApiScope.JOURNEYS_READ: "Read journeys, campaigns, their sends and results.",
    ApiScope.JOURNEYS_WRITE: (
        "Create, change, switch and delete journeys and campaigns; post custom events; change consent."
    ),
    ApiScope.WEBHOOKS_READ: "Read the store's outgoing webhook endpoints and their delivery logs.",
    ApiScope.WEBHOOKS_WRITE: "Add, change and delete outgoing webhook endpoints; replay deliveries.",
    ApiScope.KNOWLEDGE_READ: "Read help center articles and categories, drafts included.",
    ApiScope.KNOWLEDGE_WRITE: "Write, publish and withdraw help center articles and categories.",
    ApiScope.ASSISTANT_READ: "Read the assistant's intents, the examples it was taught, its model's status.",
    ApiScope.ASSISTANT_WRITE: "Teach the assistant: add and remove examples, label messages, retrain.",
    ApiScope.FEEDBACK_READ: "Read surveys, their answers with context, themes and feedback dashboards.",
    ApiScope.FEEDBACK_WRITE: (
        "Build and switch surveys, ask customers, submit answers for them, tag themes, mark themes fixed."
    ),
    ApiScope.RECOMMENDATIONS_READ: "Read customers' picks, preferences, recommendation settings and offers.",
    ApiScope.RECOMMENDATIONS_WRITE: (
        "Change customers' preferences, recommendation settings and offers; refit the models."
    ),
}

# The scopes a new key gets when none are chosen: everything but GDPR requests, conversations and
# webhooks (an endpoint receives every event of the store: chosen on purpose, never by default).
DEFAULT_API_SCOPES: tuple[ApiScope, ...] = (
    ApiScope.CUSTOMERS_READ,
    ApiScope.CUSTOMERS_WRITE,
    ApiScope.ORDERS_READ,
    ApiScope.ORDERS_WRITE,
    ApiScope.PRODUCTS_READ,
    ApiScope.PRODUCTS_WRITE,
    ApiScope.EVENTS_READ,
    ApiScope.LOYALTY_READ,
    ApiScope.LOYALTY_WRITE,
)
