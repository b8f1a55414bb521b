"""The assistant in the support report: per intent, the conversations it handled, those it handed off,
raw deflection and VERIFIED resolutions. One query over the assistant's rows (with the facts it needs as
correlated subqueries), counted here.

- handled: a conversation the assistant took part in, opened in the period;
- handed off: given to people (at any time);
- deflected (raw): never handed off and no person answered the customer (a public agent message);
- verified: deflected, and within 72 hours of the assistant's last answer the conversation was not
  reopened and the same customer (contact, or customer record) started no new conversation, and the
  rating is positive (4 or 5) or absent. A conversation whose 72 hours are not over yet is ``awaiting``,
  neither verified nor refuted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from loyaldesk.assistant.dialog.models import AssistantConversation
from loyaldesk.support import Conversation, CsatResponse, Message

WINDOW = timedelta(hours=72)
POSITIVE_RATING = 4
UNRECOGNISED = "(not recognised)"


@dataclass(frozen=True)
class IntentOutcome:
    intent: str
    handled: int = 0
    handed_off: int = 0
    deflected: int = 0
    verified: int = 0
    awaiting: int = 0

    @property
    def deflection_rate(self) -> float | None:
        return self.deflected / self.handled if self.handled else None

    @property
    def verified_rate(self) -> float | None:
        return self.verified / self.handled if self.handled else None


@dataclass(frozen=True)
class AssistantReport:
    intents: list[IntentOutcome]
    total: IntentOutcome


def assistant_report(
    session: Session, store_id: int, start: datetime, end: datetime, now: datetime
) -> AssistantReport:
    """Conversations the assistant handled among those opened in ``[start, end)``, as of ``now``."""
    later = aliased(Conversation)
    person_answered = exists().where(
        Message.conversation_id == Conversation.id,
        Message.author_kind == "agent",
        Message.internal.is_(False),
    )
    next_contact = (
        select(func.min(later.created_at))
        .where(
            later.store_id == Conversation.store_id,
            later.id != Conversation.id,
            later.created_at > Conversation.created_at,
            or_(
                later.contact_id == Conversation.contact_id,
                and_(Conversation.customer_id.is_not(None), later.customer_id == Conversation.customer_id),
            ),
        )
        .scalar_subquery()
    )
    rating = (
        select(CsatResponse.rating)
        .where(CsatResponse.conversation_id == Conversation.id)
        .order_by(CsatResponse.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    rows = session.execute(
        select(
            AssistantConversation.intent,
            AssistantConversation.handed_off_at,
            AssistantConversation.last_answer_at,
            AssistantConversation.reopened_at,
            Conversation.created_at,
            person_answered.label("person_answered"),
            next_contact.label("next_contact_at"),
            rating.label("rating"),
        )
        .join(Conversation, Conversation.id == AssistantConversation.conversation_id)
        .where(
            AssistantConversation.store_id == store_id,
            Conversation.created_at >= start,
            Conversation.created_at < end,
        )
    ).all()
    counts: dict[str, dict[str, int]] = {}
    for row in rows:
        tally = counts.setdefault(row.intent or UNRECOGNISED, dict.fromkeys(("h", "o", "d", "v", "a"), 0))
        tally["h"] += 1
        if row.handed_off_at is not None:
            tally["o"] += 1
            continue
        if row.person_answered:
            continue
        tally["d"] += 1
        settled = row.last_answer_at or row.created_at
        deadline = settled + WINDOW
        came_back = (row.reopened_at is not None and row.reopened_at <= deadline) or (
            row.next_contact_at is not None and _aware(row.next_contact_at) <= deadline
        )
        if came_back or (row.rating is not None and row.rating < POSITIVE_RATING):
            continue
        if now < deadline:
            tally["a"] += 1
        else:
            tally["v"] += 1
    intents = [
        IntentOutcome(intent, tally["h"], tally["o"], tally["d"], tally["v"], tally["a"])
        for intent, tally in sorted(counts.items(), key=lambda item: (-item[1]["h"], item[0]))
    ]
    total = IntentOutcome(
        "all",
        *(
            sum(getattr(i, name) for i in intents)
            for name in ("handled", "handed_off", "deflected", "verified", "awaiting")
        ),
    )
    return AssistantReport(intents, total)


def _aware(moment: datetime) -> datetime:
    """A subquery's time comes back without the column type on some backends: read it as UTC."""
    from datetime import UTC

    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
