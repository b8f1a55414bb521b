""" "Why did it / didn't it fire?" for one customer and one rule: every decision the engine recorded
(entered or not and which tests failed, each step, each send deferred, suppressed or sent and why), the
messages with their times, and what the rule would decide about the customer right now (conditions
evaluated live, consent, the recipient's local time and quiet hours, the caps)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from loyaldesk.customers import Customer
from loyaldesk.journeys.actions.consent import consent_allows
from loyaldesk.journeys.actions.enroll import in_holdout
from loyaldesk.journeys.actions.messaging_settings import messaging_settings
from loyaldesk.journeys.models import Decision, Enrollment, JourneyRule, Send
from loyaldesk.journeys.queries.facts import facts_for, fields_named, home_country
from loyaldesk.journeys.rules.conditions import TestResult, evaluate
from loyaldesk.journeys.rules.delivery_window import Caps, Window, allowed_moment, is_quiet, recipient_zone
from loyaldesk.journeys.vocab import Channel, MessageCategory, SendStatus
from loyaldesk.stores import Store

HISTORY_LIMIT = 200


@dataclass(frozen=True)
class Explanation:
    rule: JourneyRule
    customer: Customer
    decisions: list[Decision]
    runs: list[Enrollment]
    sends: list[Send]
    now_passes: bool
    now_tests: list[TestResult]
    held_out: bool
    consent: dict[str, bool]
    local_time: datetime
    zone: str
    quiet_now: bool
    next_allowed: datetime | None
    next_allowed_reason: str | None
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule.id,
            "customer_id": self.customer.id,
            "would_enter_now": self.now_passes and not self.held_out,
            "held_out": self.held_out,
            "tests_now": [t.as_dict() for t in self.now_tests],
            "consent": self.consent,
            "local_time": self.local_time.isoformat(),
            "time_zone": self.zone,
            "quiet_hours_now": self.quiet_now,
            "next_marketing_moment": self.next_allowed.isoformat() if self.next_allowed else None,
            "next_marketing_reason": self.next_allowed_reason,
            "decisions": [
                {
                    "at": d.at.isoformat(),
                    "outcome": d.outcome,
                    "reason": d.reason,
                    "summary": d.summary,
                    "details": d.details,
                }
                for d in self.decisions
            ],
            "sends": [
                {
                    "id": s.id,
                    "channel": s.channel,
                    "status": s.status,
                    "reason": s.reason,
                    "due_at": s.due_at.isoformat(),
                    "sent_at": s.sent_at.isoformat() if s.sent_at else None,
                    "template": s.template_key,
                }
                for s in self.sends
            ],
            "notes": self.notes,
        }


def explain(
    session: Session, store: Store, rule: JourneyRule, customer: Customer, now: datetime
) -> Explanation:
    decisions = list(
        session.scalars(
            select(Decision)
            .where(Decision.customer_id == customer.id, Decision.rule_id == rule.id)
            .order_by(Decision.at.desc(), Decision.id.desc())
            .limit(HISTORY_LIMIT)
        )
    )
    runs = list(
        session.scalars(
            select(Enrollment)
            .where(Enrollment.customer_id == customer.id, Enrollment.rule_id == rule.id)
            .order_by(Enrollment.id.desc())
            .limit(50)
        )
    )
    sends = list(
        session.scalars(
            select(Send)
            .where(Send.customer_id == customer.id, Send.rule_id == rule.id)
            .order_by(Send.id.desc())
            .limit(50)
        )
    )
    facts = facts_for(session, store, [customer], now, needs=fields_named(rule.conditions))[customer.id]
    passes, tests = evaluate(rule.conditions, facts)
    zone, country = recipient_zone(
        customer.timezone, customer.phone, home_country(session, customer), store.timezone
    )
    settings = messaging_settings(session, store.id)
    window = Window(settings.quiet_start_hour, settings.quiet_end_hour, settings.respect_holidays)
    recent = session.execute(
        select(Send.sent_at, Send.channel).where(
            Send.customer_id == customer.id,
            Send.category == MessageCategory.MARKETING,
            Send.status.in_(
                (
                    SendStatus.CLAIMED,
                    SendStatus.SENDING,
                    SendStatus.SENT,
                    SendStatus.DELIVERED,
                    SendStatus.UNKNOWN,
                )
            ),
            Send.sent_at > now - timedelta(days=7),
        )
    ).all()
    verdict = allowed_moment(
        now,
        zone=zone,
        country=country,
        channel="email",
        recent=[(a, c) for a, c in recent if a is not None],
        window=window,
        caps=Caps(
            timedelta(hours=settings.min_gap_hours),
            settings.per_week,
            dict(settings.per_channel_per_week or {}),
        ),
    )
    notes = []
    if not rule.enabled:
        notes.append("The rule is switched off: nothing starts until it is switched on.")
    if rule.alert:
        notes.append(rule.alert)
    if customer.erased_at is not None:
        notes.append("The customer was erased: no rule reaches them.")
    return Explanation(
        rule=rule,
        customer=customer,
        decisions=decisions,
        runs=runs,
        sends=sends,
        now_passes=passes,
        now_tests=tests,
        held_out=in_holdout(rule, customer.id),
        consent={channel.value: consent_allows(session, customer, channel) for channel in Channel},
        local_time=now.astimezone(zone),
        zone=zone.key,
        quiet_now=is_quiet(now.astimezone(zone), window),
        next_allowed=verdict.at if verdict.at > now else None,
        next_allowed_reason=verdict.reason.value if verdict.reason else None,
        notes=notes,
    )
