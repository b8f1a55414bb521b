"""The feedback dashboards' figures: NPS, CSAT and CES over a period and week by week or month by month,
each with its 95% interval (``rules.statistics``), response rates, and breakdowns by tier, product,
agent, channel and theme. Loop closure, recovery and what customers bought after are in ``outcomes``.

What is counted: every answer of the store created in the period that has a score (a partial answer
counts once its score question is answered: the first question, answered in the email itself), by the
kind of its survey. Custom and review surveys have no NPS/CSAT/CES and are not in these figures.
Periods are the store's calendar: weeks start on Monday, in the store's timezone.

Reads only; the caller has checked the reader may see the store's feedback.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from loyaldesk.commerce import Product
from loyaldesk.feedback.models import ResponseTheme, Survey, SurveyInvitation, SurveyResponse, Theme
from loyaldesk.feedback.rules import statistics
from loyaldesk.feedback.rules.statistics import Estimate
from loyaldesk.feedback.vocab import SurveyChannel, SurveyKind, label
from loyaldesk.stores import StaffAccount

Granularity = Literal["week", "month"]
SCORED_KINDS = (SurveyKind.NPS, SurveyKind.CSAT, SurveyKind.CES)
DIMENSIONS = ("tier", "product", "agent", "channel", "theme")
DIMENSION_TITLES = {
    "tier": "Loyalty tier",
    "product": "Product",
    "agent": "Agent",
    "channel": "Channel",
    "theme": "Theme",
}
MOST_GROUPS = 15  # per breakdown, the largest groups


@dataclass(frozen=True)
class Answer:
    """What the dashboards read of one scored answer."""

    id: int
    kind: SurveyKind
    score: int
    created_on: date
    tier: str | None
    agent_id: int | None
    channel: str
    product_ids: tuple[int, ...]


@dataclass(frozen=True)
class KindScores:
    """One kind's figures over a set of answers: ``main`` is NPS (points), CSAT (% satisfied) or CES
    (mean 1-7); ``easy`` is CES's % 5-7 (None for the others)."""

    kind: SurveyKind
    main: Estimate
    easy: Estimate | None = None

    @property
    def n(self) -> int:
        return self.main.n


@dataclass(frozen=True)
class PeriodScores:
    start: date
    label: str
    scores: dict[SurveyKind, KindScores]


@dataclass(frozen=True)
class ResponseRate:
    """Invitations of a kind asked in the period, and how many of them have an answer (any, partial
    included), as a proportion with its Wilson interval."""

    kind: SurveyKind
    asked: int
    answered: int
    rate: Estimate


@dataclass(frozen=True)
class Group:
    key: str
    label: str
    scores: KindScores


@dataclass(frozen=True)
class Breakdown:
    dimension: str
    title: str
    groups: tuple[Group, ...]
    more: int  # groups not shown (smaller than the MOST_GROUPS shown)


@dataclass(frozen=True)
class ScoresSummary:
    start: date
    end: date  # inclusive
    granularity: Granularity
    kind: SurveyKind  # the kind the breakdowns are of
    overall: dict[SurveyKind, KindScores]
    series: tuple[PeriodScores, ...]
    response_rates: tuple[ResponseRate, ...]
    breakdowns: tuple[Breakdown, ...]


def kind_scores(kind: SurveyKind, scores: Iterable[int]) -> KindScores:
    """The figures of ``kind`` for these raw scores (see the module docstring of ``rules.statistics``)."""
    values = list(scores)
    if kind is SurveyKind.NPS:
        return KindScores(kind, statistics.nps_of_scores(values))
    if kind is SurveyKind.CSAT:
        return KindScores(kind, statistics.csat(sum(1 for v in values if v >= 4), len(values)))
    counts: dict[int, int] = defaultdict(int)
    for value in values:
        counts[value] += 1
    return KindScores(
        kind,
        statistics.mean_of_counts(counts),
        statistics.wilson(sum(1 for v in values if v >= 5), len(values)),
    )


def scored_answers(
    session: Session, store_id: int, start: datetime, end: datetime, zone: ZoneInfo
) -> list[Answer]:
    """The store's NPS, CSAT and CES answers with a score created in [start, end)."""
    r = SurveyResponse
    rows = session.execute(
        select(
            r.id, r.survey_kind, r.score, r.created_at, r.tier, r.agent_id, r.channel, r.product_ids
        ).where(
            r.store_id == store_id,
            r.created_at >= start,
            r.created_at < end,
            r.score.is_not(None),
            r.survey_kind.in_([kind.value for kind in SCORED_KINDS]),
        )
    )
    return [
        Answer(
            id=row.id,
            kind=SurveyKind(row.survey_kind),
            score=int(row.score),
            created_on=row.created_at.astimezone(zone).date(),
            tier=row.tier,
            agent_id=row.agent_id,
            channel=row.channel,
            product_ids=tuple(row.product_ids or ()),
        )
        for row in rows
    ]


def period_start(day: date, granularity: Granularity) -> date:
    """The first day of the week (Monday) or month holding ``day``."""
    return day - timedelta(days=day.weekday()) if granularity == "week" else day.replace(day=1)


def _periods(start: date, end: date, granularity: Granularity) -> list[date]:
    found, day = [], period_start(start, granularity)
    while day <= end:
        found.append(day)
        if granularity == "week":
            day += timedelta(days=7)
        else:
            day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return found


def _period_label(day: date, granularity: Granularity) -> str:
    return f"Week of {day.isoformat()}" if granularity == "week" else day.strftime("%b %Y")


def summary(
    session: Session,
    store_id: int,
    *,
    start: date,
    end: date,
    timezone: str,
    granularity: Granularity = "month",
    kind: SurveyKind = SurveyKind.NPS,
) -> ScoresSummary:
    """The scores of answers given from ``start`` to ``end`` (store dates, inclusive): overall, per
    week or month, the response rates of invitations asked then, and breakdowns of ``kind``."""
    zone = ZoneInfo(timezone)
    begin = datetime.combine(start, datetime.min.time(), zone)
    finish = datetime.combine(end + timedelta(days=1), datetime.min.time(), zone)
    answers = scored_answers(session, store_id, begin, finish, zone)
    overall = {k: kind_scores(k, (a.score for a in answers if a.kind is k)) for k in SCORED_KINDS}
    series = _series(answers, start, end, granularity)
    chosen = [a for a in answers if a.kind is kind]
    return ScoresSummary(
        start=start,
        end=end,
        granularity=granularity,
        kind=kind,
        overall=overall,
        series=series,
        response_rates=response_rates(session, store_id, begin, finish),
        breakdowns=breakdowns(session, store_id, kind, chosen, begin, finish),
    )


def _series(
    answers: list[Answer], start: date, end: date, granularity: Granularity
) -> tuple[PeriodScores, ...]:
    by_period: dict[date, list[Answer]] = defaultdict(list)
    for answer in answers:
        by_period[period_start(answer.created_on, granularity)].append(answer)
    return tuple(
        PeriodScores(
            day,
            _period_label(day, granularity),
            {
                k: kind_scores(k, (a.score for a in by_period.get(day, ()) if a.kind is k))
                for k in SCORED_KINDS
            },
        )
        for day in _periods(start, end, granularity)
    )


def scores_over_time(
    session: Session,
    store_id: int,
    *,
    start: date,
    end: date,
    timezone: str,
    granularity: Granularity = "month",
) -> tuple[PeriodScores, ...]:
    """Only the scores per week or month (what a chart needs), as :func:`summary` gives them."""
    zone = ZoneInfo(timezone)
    begin = datetime.combine(start, datetime.min.time(), zone)
    finish = datetime.combine(end + timedelta(days=1), datetime.min.time(), zone)
    return _series(scored_answers(session, store_id, begin, finish, zone), start, end, granularity)


def response_rates(
    session: Session, store_id: int, start: datetime, end: datetime
) -> tuple[ResponseRate, ...]:
    """Per kind: invitations asked in [start, end) and how many were answered (by now)."""
    i = SurveyInvitation
    rows = session.execute(
        select(Survey.kind, func.count(i.id), func.count(i.answered_at))
        .join(Survey, Survey.id == i.survey_id)
        .where(Survey.store_id == store_id, i.asked_at >= start, i.asked_at < end)
        .group_by(Survey.kind)
    )
    counts = {SurveyKind(kind): (int(asked), int(answered)) for kind, asked, answered in rows}
    return tuple(
        ResponseRate(k, asked, answered, statistics.wilson(answered, asked))
        for k in SurveyKind
        for asked, answered in [counts.get(k, (0, 0))]
        if asked or k in SCORED_KINDS
    )


def breakdowns(
    session: Session,
    store_id: int,
    kind: SurveyKind,
    answers: list[Answer],
    start: datetime,
    end: datetime,
) -> tuple[Breakdown, ...]:
    """``kind``'s scores by tier, product, agent, channel and theme, the largest groups first."""
    keyed: dict[str, dict[str, list[int]]] = {dimension: defaultdict(list) for dimension in DIMENSIONS}
    by_id = {answer.id: answer for answer in answers}
    for answer in answers:
        keyed["tier"][answer.tier or ""].append(answer.score)
        keyed["channel"][answer.channel].append(answer.score)
        if answer.agent_id is not None:
            keyed["agent"][str(answer.agent_id)].append(answer.score)
        for product_id in set(answer.product_ids):
            keyed["product"][str(product_id)].append(answer.score)
    if answers:
        r = SurveyResponse
        tagged = session.execute(
            select(ResponseTheme.response_id, ResponseTheme.theme_id)
            .join(r, r.id == ResponseTheme.response_id)
            .where(
                r.store_id == store_id,
                r.created_at >= start,
                r.created_at < end,
                r.survey_kind == kind.value,
                ResponseTheme.present.is_(True),
            )
        )
        for response_id, theme_id in tagged:
            if response_id in by_id:
                keyed["theme"][str(theme_id)].append(by_id[response_id].score)
    names = _names(session, store_id, keyed)
    result = []
    for dimension in DIMENSIONS:
        groups = sorted(keyed[dimension].items(), key=lambda item: (-len(item[1]), item[0]))
        result.append(
            Breakdown(
                dimension,
                DIMENSION_TITLES[dimension],
                tuple(
                    Group(key, names[dimension].get(key, key), kind_scores(kind, scores))
                    for key, scores in groups[:MOST_GROUPS]
                ),
                max(0, len(groups) - MOST_GROUPS),
            )
        )
    return tuple(result)


def _names(
    session: Session, store_id: int, keyed: dict[str, dict[str, list[int]]]
) -> dict[str, dict[str, str]]:
    def ids(dimension: str) -> list[int]:
        return [int(key) for key in keyed[dimension]]

    names: dict[str, dict[str, str]] = {dimension: {} for dimension in DIMENSIONS}
    names["tier"] = {key: key or "No tier" for key in keyed["tier"]}
    names["channel"] = {
        key: label(SurveyChannel(key)) if key in set(SurveyChannel) else key for key in keyed["channel"]
    }
    if keyed["agent"]:
        names["agent"] = {
            str(i): name
            for i, name in session.execute(
                select(StaffAccount.id, StaffAccount.name).where(StaffAccount.id.in_(ids("agent")))
            )
        }
    if keyed["product"]:
        names["product"] = {
            str(i): title
            for i, title in session.execute(
                select(Product.id, Product.title).where(
                    Product.store_id == store_id, Product.id.in_(ids("product"))
                )
            )
        }
    if keyed["theme"]:
        names["theme"] = {
            str(i): name
            for i, name in session.execute(
                select(Theme.id, Theme.name).where(Theme.store_id == store_id, Theme.id.in_(ids("theme")))
            )
        }
    return names
