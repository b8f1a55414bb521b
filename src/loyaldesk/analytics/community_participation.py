"""The community panel of the analytics: members who take part in the community against those who do
not, in a period, with what a chart needs. The groups' figures come from the community
(``community.participation``: counts, repeat-purchase rate, spend per customer and average order value
from commerce's orders); this adds the comparison (how much more the participants spend and come back)
and the bars of the chart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from loyaldesk.community import Participation, participation


@dataclass(frozen=True)
class ParticipationBar:
    """One measure of the chart, for both groups (rates as fractions, money in minor units)."""

    measure: str
    label: str
    participants: float
    others: float


@dataclass(frozen=True)
class CommunityParticipationReport:
    """``spend_ratio``: participants' spend per customer over the others' (None when the others spent
    nothing); ``repeat_rate_difference``: participants' repeat-purchase rate minus the others'."""

    figures: Participation
    spend_ratio: float | None
    repeat_rate_difference: float
    bars: tuple[ParticipationBar, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            **self.figures.as_json(),
            "spend_ratio": self.spend_ratio,
            "repeat_rate_difference": self.repeat_rate_difference,
            "bars": [bar.__dict__ for bar in self.bars],
        }


def community_participation(
    session: Session, store_id: int, *, period_start: datetime, period_end: datetime
) -> CommunityParticipationReport:
    """The panel's figures for ``[period_start, period_end)`` (``Invalid`` on ``period_end`` when it
    is not after the start)."""
    figures = participation(session, store_id=store_id, period_start=period_start, period_end=period_end)
    took_part, others = figures.participants, figures.others
    bars = (
        ParticipationBar(
            "repeat_purchase_rate",
            "Repeat-purchase rate",
            took_part.repeat_purchase_rate,
            others.repeat_purchase_rate,
        ),
        ParticipationBar(
            "spend_per_customer",
            "Spend per customer",
            took_part.spend_per_customer,
            others.spend_per_customer,
        ),
        ParticipationBar(
            "average_order_value",
            "Average order value",
            took_part.average_order_value,
            others.average_order_value,
        ),
    )
    return CommunityParticipationReport(
        figures=figures,
        spend_ratio=took_part.spend_per_customer / others.spend_per_customer
        if others.spend_per_customer
        else None,
        repeat_rate_difference=took_part.repeat_purchase_rate - others.repeat_purchase_rate,
        bars=bars,
    )
