"""The feedback inbox's filters read from a query string, for the console page and the API alike: the
same names (``bucket``, ``score_min``, ``score_max``, ``kind``, ``survey``, ``theme``, ``tier``,
``product``, ``agent``, ``channel``, ``from``, ``to``, ``comment`` = yes/no, ``complete`` = yes), empty
values meaning "any" (what a form's "All" option sends). A value that is not one of the field's gives
``Invalid`` naming the field and what it takes; nothing is guessed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Literal, TypeVar
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from loyaldesk.feedback.queries.inbox import InboxFilters
from loyaldesk.feedback.vocab import Bucket, SurveyChannel, SurveyKind
from loyaldesk.kernel.errors import FieldProblem, Invalid

FILTER_NAMES = (
    "bucket",
    "score_min",
    "score_max",
    "kind",
    "survey",
    "theme",
    "tier",
    "product",
    "agent",
    "channel",
    "from",
    "to",
    "comment",
    "complete",
)
E = TypeVar("E", bound=StrEnum)
YES = ("yes", "true", "on", "1")
NO = ("no", "false", "off", "0")


def parse_filters(params: Mapping[str, str], timezone: str) -> tuple[InboxFilters, dict[str, str]]:
    """The filters in ``params`` and the values as given (to show them back in the form). Raises
    ``Invalid`` with one problem per wrong field."""
    problems: list[FieldProblem] = []
    given = {name: (params.get(name) or "").strip() for name in FILTER_NAMES}

    def whole(name: str, low: int = 0, high: int = 2**62) -> int | None:
        text = given[name]
        if not text:
            return None
        if not text.isdigit() or not low <= int(text) <= high:
            problems.append(FieldProblem(name, f"a whole number from {low} to {high}"))
            return None
        return int(text)

    def choice(name: str, vocabulary: type[E]) -> E | None:
        text = given[name]
        if not text:
            return None
        try:
            return vocabulary(text)
        except ValueError:
            problems.append(FieldProblem(name, f"one of {', '.join(item.value for item in vocabulary)}"))
            return None

    def day(name: str) -> date | None:
        text = given[name]
        if not text:
            return None
        try:
            return date.fromisoformat(text)
        except ValueError:
            problems.append(FieldProblem(name, "a date like 2026-03-01"))
            return None

    def yes_no(name: str) -> bool | None:
        text = given[name].lower()
        if not text:
            return None
        if text in YES:
            return True
        if text in NO:
            return False
        problems.append(FieldProblem(name, "yes or no"))
        return None

    zone = ZoneInfo(timezone)
    first, last = day("from"), day("to")
    tier = given["tier"][:100] or None
    values = {
        "bucket": choice("bucket", Bucket),
        "score_min": whole("score_min", 0, 10),
        "score_max": whole("score_max", 0, 10),
        "kind": choice("kind", SurveyKind),
        "survey_id": whole("survey", 1),
        "theme_id": whole("theme", 1),
        "product_id": whole("product", 1),
        "agent_id": whole("agent", 1),
        "channel": choice("channel", SurveyChannel),
        "has_comment": yes_no("comment"),
        "complete_only": bool(yes_no("complete")),
    }
    if problems:
        raise Invalid("some filters are not valid", problems)
    filters = InboxFilters(
        **values,  # type: ignore[arg-type]
        tier=tier,
        start=datetime.combine(first, time.min, zone) if first else None,
        end=datetime.combine(last + timedelta(days=1), time.min, zone) if last else None,
    )
    return filters, given


def query_of(given: Mapping[str, str]) -> list[tuple[str, str]]:
    """The non-empty filters as query pairs (for the next page's link)."""
    return [(name, value) for name, value in given.items() if value]


@dataclass(frozen=True)
class DashboardPeriod:
    """The dashboards' period: ``start``..``end`` (store dates, inclusive), counted per ``every``
    (week or month), and the kind of survey the breakdowns are of."""

    start: date
    end: date
    every: Literal["week", "month"]
    kind: SurveyKind

    def query(self) -> str:
        return urlencode(
            {
                "from": self.start.isoformat(),
                "to": self.end.isoformat(),
                "every": self.every,
                "kind": self.kind.value,
            }
        )


DEFAULT_DAYS = 180
LONGEST_DAYS = 3 * 366


def dashboard_period(params: Mapping[str, str], today: date) -> DashboardPeriod:
    """The period in ``params`` (``from``, ``to``, ``every``, ``kind``; by default the 180 days up to
    ``today``, by month, NPS), or ``Invalid`` naming what is wrong."""
    problems: list[FieldProblem] = []

    def day(name: str) -> date | None:
        text = (params.get(name) or "").strip()
        if not text:
            return None
        try:
            return date.fromisoformat(text)
        except ValueError:
            problems.append(FieldProblem(name, "a date like 2026-03-01"))
            return None

    end = day("to") or today
    start = day("from") or end - timedelta(days=DEFAULT_DAYS - 1)
    every = (params.get("every") or "").strip() or ("week" if (end - start).days < 120 else "month")
    if every not in ("week", "month"):
        problems.append(FieldProblem("every", "week or month"))
    kind_text = (params.get("kind") or "").strip() or SurveyKind.NPS.value
    if kind_text not in ("nps", "csat", "ces"):
        problems.append(FieldProblem("kind", "nps, csat or ces"))
    if not problems and start > end:
        problems.append(FieldProblem("from", "must be on or before the last day"))
    if not problems and (end - start).days >= LONGEST_DAYS:
        problems.append(FieldProblem("from", "a period of at most three years"))
    if problems:
        raise Invalid("the period is not valid", problems)
    return DashboardPeriod(start, end, every, SurveyKind(kind_text))  # type: ignore[arg-type]
