"""The journeys every store can switch on with one click, and edit afterwards: what a store's loyalty
manager would otherwise build by hand in the first week. Each names the message templates it sends
(``journeys.default_templates`` holds their default words, created with the journey).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from loyaldesk.journeys.vocab import MessageCategory, RulePurpose


@dataclass(frozen=True)
class BuiltIn:
    key: str
    name: str
    description: str
    purpose: RulePurpose
    category: MessageCategory
    trigger: dict[str, Any]
    steps: list[dict[str, Any]]
    conditions: dict[str, Any] = field(default_factory=lambda: {"all": []})
    reentry: str = "per_occurrence"
    holdout_percent: int = 0

    def templates(self) -> list[str]:
        keys = []
        for step in self.steps:
            if step.get("kind") == "send":
                keys.extend([step["template"], *(step.get("variants") or {}).values()])
        return [key for key in keys if key]


def _send(template: str, channel: str = "email") -> dict[str, Any]:
    return {"kind": "send", "channel": channel, "template": template}


def _test(field_name: str, op: str, value: Any = None) -> dict[str, Any]:
    return {"field": field_name, "op": op, **({"value": value} if value is not None else {})}


J, S, C = RulePurpose.JOURNEY, RulePurpose.SUPPORT, RulePurpose.CAMPAIGN
MARKETING, TRANSACTIONAL, SUPPORT = (
    MessageCategory.MARKETING,
    MessageCategory.TRANSACTIONAL,
    MessageCategory.SUPPORT,
)

BUILT_INS: tuple[BuiltIn, ...] = (
    BuiltIn(
        "post_purchase_thanks",
        "Thank you after delivery",
        "A day after an order is delivered, thank the customer.",
        J,
        TRANSACTIONAL,
        {"kind": "event", "event": "order.delivered"},
        [{"kind": "wait", "days": 1}, _send("post_purchase_thanks")],
    ),
    BuiltIn(
        "review_request",
        "Review request",
        "A week after delivery, ask for a review (the program's points for a review are named).",
        J,
        MARKETING,
        {"kind": "event", "event": "order.delivered"},
        [{"kind": "wait", "days": 7}, _send("review_request")],
        holdout_percent=10,
    ),
    BuiltIn(
        "points_earned",
        "Points earned",
        "Tell a member when an order earns them points.",
        J,
        TRANSACTIONAL,
        {"kind": "event", "event": "loyalty.points_changed"},
        [_send("points_earned")],
        conditions={"all": [_test("event.kind", "eq", "earn"), _test("event.points", "gt", 0)]},
    ),
    BuiltIn(
        "points_expiring_30",
        "Points expiring in 30 days",
        "Remind members 30 days before points expire.",
        J,
        MARKETING,
        {"kind": "date", "date": "points_expiring", "days_before": 30},
        [_send("points_expiring_30")],
        holdout_percent=10,
    ),
    BuiltIn(
        "points_expiring_7",
        "Points expiring in 7 days",
        "A last reminder a week before, by email and by SMS where the customer agreed.",
        J,
        MARKETING,
        {"kind": "date", "date": "points_expiring", "days_before": 7},
        [
            _send("points_expiring_7"),
            {"kind": "branch", "if": {"all": [_test("customer.has_phone", "eq", True)]}, "else_goto": 3},
            _send("points_expiring_7_sms", "sms"),
        ],
    ),
    BuiltIn(
        "near_next_tier",
        "Close to the next tier",
        "When a member is within 20 of the next tier's spend, tell them.",
        J,
        MARKETING,
        {"kind": "event", "event": "order.paid"},
        [_send("near_next_tier")],
        conditions={
            "all": [_test("loyalty.next_tier_gap", "gt", 0), _test("loyalty.next_tier_gap", "lte", 20)]
        },
    ),
    BuiltIn(
        "tier_up",
        "Welcome to a new tier",
        "Congratulate a member who moves up a tier.",
        J,
        TRANSACTIONAL,
        {"kind": "event", "event": "loyalty.tier_changed"},
        [_send("tier_up")],
        conditions={"all": [_test("event.direction", "eq", "upgraded")]},
    ),
    BuiltIn(
        "tier_drop_warning",
        "Tier about to drop",
        "Two weeks before a member's tier review, tell them what keeps it.",
        J,
        MARKETING,
        {"kind": "date", "date": "tier_review", "days_before": 14},
        [_send("tier_drop_warning")],
    ),
    BuiltIn(
        "birthday",
        "Birthday",
        "On the customer's birthday, at 10:00 their time, a greeting.",
        J,
        MARKETING,
        {"kind": "date", "date": "birthday", "days_before": 0},
        [{"kind": "wait_until", "time": "10:00", "timezone": "recipient"}, _send("birthday")],
    ),
    BuiltIn(
        "winback",
        "Win back valuable customers",
        "A valuable customer whose churn risk is high gets a personal note.",
        J,
        MARKETING,
        {
            "kind": "segment",
            "condition": {
                "all": [_test("analytics.churn_risk", "gte", 0.6), _test("orders.count", "gte", 2)]
            },
        },
        [_send("winback")],
        holdout_percent=10,
    ),
    BuiltIn(
        "abandoned_cart",
        "Abandoned cart",
        "An hour after your site posts cart_abandoned, unless they ordered meanwhile.",
        J,
        MARKETING,
        {"kind": "event", "event": "custom:cart_abandoned"},
        [
            {
                "kind": "wait_for_event",
                "event": "order.placed",
                "timeout_hours": 1,
                "on_event": "exit",
                "on_timeout": "continue",
            },
            _send("abandoned_cart"),
        ],
    ),
    BuiltIn(
        "referral_nudge",
        "Referral nudge",
        "After a second delivered order, invite the customer to refer a friend.",
        J,
        MARKETING,
        {"kind": "event", "event": "order.delivered"},
        [{"kind": "wait", "days": 3}, _send("referral_nudge")],
        conditions={"all": [_test("orders.count", "gte", 2)]},
        reentry="once",
    ),
    BuiltIn(
        "support_follow_up",
        "Follow up after a resolved case",
        "Three days after a conversation is resolved, check all is well.",
        J,
        SUPPORT,
        {"kind": "event", "event": "conversation.resolved"},
        [{"kind": "wait", "days": 3}, _send("support_follow_up")],
    ),
    BuiltIn(
        "vip_early_access",
        "VIP early access",
        "Announce a launch to members with a tier, at 10:00 in each one's own time zone.",
        C,
        MARKETING,
        {
            "kind": "schedule",
            "at": "2027-01-15T10:00",
            "recurrence": None,
            "timezone": "recipient",
            "audience": {"all": [_test("loyalty.tier", "exists")]},
        },
        [_send("vip_early_access")],
    ),
    BuiltIn(
        "auto_tag_returns",
        "Tag return requests",
        "A new conversation that mentions a return or refund is tagged and raised.",
        S,
        SUPPORT,
        {"kind": "event", "event": "conversation.started"},
        [{"kind": "tag_conversation", "tag": "returns"}, {"kind": "set_priority", "priority": "high"}],
        conditions={
            "all": [
                _test(
                    "conversation.text",
                    "contains_any",
                    ["return", "refund", "exchange", "retour", "rückgabe"],
                )
            ]
        },
    ),
    BuiltIn(
        "auto_reply_after_hours",
        "Reply outside business hours",
        "Tell a customer who writes outside the desk's hours when to expect an answer.",
        S,
        SUPPORT,
        {"kind": "event", "event": "conversation.started"},
        [
            {
                "kind": "reply",
                "text": "Thanks for your message! We're away now and will answer as soon as we're back.",
            }
        ],
        conditions={"all": [_test("time.business_hours", "eq", False)]},
    ),
    BuiltIn(
        "pending_follow_up",
        "Nudge a pending conversation",
        "24 hours after a conversation is left waiting on the customer, ask once more.",
        S,
        SUPPORT,
        {"kind": "event", "event": "conversation.status_changed"},
        [
            {"kind": "wait", "hours": 24},
            {
                "kind": "branch",
                "if": {"all": [_test("conversation.status", "eq", "pending")]},
                "else_goto": 2,
            },
            {"kind": "reply", "text": "Just checking in: is there anything else we can help you with?"},
        ],
        conditions={"all": [_test("event.to_status", "eq", "pending")]},
    ),
    BuiltIn(
        "tag_by_channel",
        "Tag email conversations",
        "Conversations that arrive by email are tagged 'email'.",
        S,
        SUPPORT,
        {"kind": "event", "event": "conversation.started"},
        [{"kind": "tag_conversation", "tag": "email"}],
        conditions={"all": [_test("conversation.channel", "eq", "email")]},
    ),
)

BY_KEY = {builtin.key: builtin for builtin in BUILT_INS}
