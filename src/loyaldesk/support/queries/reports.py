"""The support manager's morning report: volume by channel, response and resolution times, SLA
compliance, CSAT, the busiest hours, and each agent's figures. Pure figures over rows the query reads.

Definitions (for conversations opened in the period):
- first response time: from opening to the first public agent reply (elapsed time, not business time);
- resolution time: from opening to the latest resolution, for conversations resolved or closed;
- median and 90th percentile use the nearest-rank method over the conversations that have the time;
- SLA compliance: among conversations with an SLA policy, the share with no breach fired;
- CSAT: ratings given in the period's conversations; "satisfied" is 4 or 5;
- busiest hours: customers' messages by weekday and hour in the store's time zone;
- per agent: conversations assigned to them, resolved, their median first response, their CSAT, and
  kudos (ratings of 5 with a comment).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from loyaldesk.stores import StaffAccount
from loyaldesk.support.models import Conversation, CsatResponse, Message

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class ConversationRow:
    id: int
    channel: str
    assignee_id: int | None
    created_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    had_sla: bool
    breached: bool
    rating: int | None = None
    comment: str | None = None


@dataclass(frozen=True)
class AgentFigures:
    name: str
    handled: int
    resolved: int
    median_first_response: timedelta | None
    csat_average: float | None
    ratings: int
    kudos: int


@dataclass
class SupportReport:
    conversations: int = 0
    by_channel: dict[str, int] = field(default_factory=dict)
    first_response_median: timedelta | None = None
    first_response_p90: timedelta | None = None
    resolution_median: timedelta | None = None
    resolution_p90: timedelta | None = None
    sla_conversations: int = 0
    sla_met: int = 0
    ratings: int = 0
    satisfied: int = 0
    csat_average: float | None = None
    heatmap: list[list[int]] = field(default_factory=lambda: [[0] * 24 for _ in range(7)])
    agents: list[AgentFigures] = field(default_factory=list)

    @property
    def sla_compliance(self) -> float | None:
        return self.sla_met / self.sla_conversations if self.sla_conversations else None

    @property
    def satisfied_share(self) -> float | None:
        return self.satisfied / self.ratings if self.ratings else None

    @property
    def heatmap_max(self) -> int:
        return max((max(row) for row in self.heatmap), default=0)


def percentile(values: Sequence[timedelta], fraction: float) -> timedelta | None:
    """Nearest-rank percentile (``fraction`` 0.5: median); None without values. Pure."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def build_report(
    rows: Sequence[ConversationRow],
    customer_message_times: Iterable[datetime],
    time_zone: str,
    agent_names: dict[int, str],
) -> SupportReport:
    """The report of ``rows`` (conversations opened in the period). Pure."""
    report = SupportReport(conversations=len(rows))
    report.by_channel = dict(Counter(row.channel for row in rows).most_common())
    first = [row.first_response_at - row.created_at for row in rows if row.first_response_at]
    resolution = [row.resolved_at - row.created_at for row in rows if row.resolved_at]
    report.first_response_median, report.first_response_p90 = percentile(first, 0.5), percentile(first, 0.9)
    report.resolution_median, report.resolution_p90 = percentile(resolution, 0.5), percentile(resolution, 0.9)
    with_sla = [row for row in rows if row.had_sla]
    report.sla_conversations = len(with_sla)
    report.sla_met = sum(1 for row in with_sla if not row.breached)
    rated = [row.rating for row in rows if row.rating is not None]
    report.ratings = len(rated)
    report.satisfied = sum(1 for rating in rated if rating >= 4)
    report.csat_average = sum(rated) / len(rated) if rated else None
    zone = ZoneInfo(time_zone)
    for moment in customer_message_times:
        local = moment.astimezone(zone)
        report.heatmap[local.weekday()][local.hour] += 1
    by_agent: dict[int, list[ConversationRow]] = defaultdict(list)
    for row in rows:
        if row.assignee_id is not None:
            by_agent[row.assignee_id].append(row)
    for agent_id, handled in by_agent.items():
        ratings = [row.rating for row in handled if row.rating is not None]
        report.agents.append(
            AgentFigures(
                name=agent_names.get(agent_id, f"#{agent_id}"),
                handled=len(handled),
                resolved=sum(1 for row in handled if row.resolved_at),
                median_first_response=percentile(
                    [row.first_response_at - row.created_at for row in handled if row.first_response_at], 0.5
                ),
                csat_average=sum(ratings) / len(ratings) if ratings else None,
                ratings=len(ratings),
                kudos=sum(1 for row in handled if row.rating == 5 and (row.comment or "").strip()),
            )
        )
    report.agents.sort(key=lambda agent: (-agent.handled, agent.name))
    return report


def support_report(
    session: Session, store_id: int, start: datetime, end: datetime, time_zone: str
) -> SupportReport:
    """The report for conversations opened in ``[start, end)``."""
    conversations = session.execute(
        select(Conversation, CsatResponse.rating, CsatResponse.comment)
        .outerjoin(CsatResponse, CsatResponse.conversation_id == Conversation.id)
        .where(
            Conversation.store_id == store_id, Conversation.created_at >= start, Conversation.created_at < end
        )
    ).all()
    rows = [
        ConversationRow(
            id=conversation.id,
            channel=conversation.channel,
            assignee_id=conversation.assignee_id,
            created_at=conversation.created_at,
            first_response_at=conversation.first_response_at,
            resolved_at=conversation.resolved_at if conversation.status in ("resolved", "closed") else None,
            had_sla=conversation.sla_policy_id is not None or bool(conversation.sla_fired),
            breached=any(step[1] == "breach" for step in conversation.sla_fired or []),
            rating=rating,
            comment=comment,
        )
        for conversation, rating, comment in conversations
    ]
    times = session.scalars(
        select(Message.created_at).where(
            Message.store_id == store_id,
            Message.author_kind == "customer",
            Message.created_at >= start,
            Message.created_at < end,
        )
    )
    names = {
        staff_id: name or f"#{staff_id}"
        for staff_id, name in session.execute(select(StaffAccount.id, StaffAccount.name))
    }
    return build_report(rows, times, time_zone, names)
