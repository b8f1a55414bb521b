"""The feedback inbox and dashboards on a store with many answers: one page of the inbox (first, deep
through the cursor, and under each kind of filter) and the dashboards' figures for 180 days.

Builds a throwaway database (SQLite in a temporary directory, or ``--database-url`` of an empty migrated
PostgreSQL database), one store with ``--answers`` survey answers over a year (NPS, CSAT, CES; ~30%
tagged with a theme; product ids in their JSON list), written with bulk Core inserts, then times each
read ``--repetitions`` times and prints the median and worst (ms), beside the raw limit measured in the
same run: ``SELECT * FROM feedback_responses WHERE store_id = ? ORDER BY created_at DESC, id DESC LIMIT
51`` (what any page must read at least), as a ratio.

    .venv/bin/python bench/feedback_inbox.py --answers 100000
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, text

from loyaldesk.composition import compose
from loyaldesk.feedback.models import ResponseTheme, Survey, SurveyResponse, Theme
from loyaldesk.feedback.queries import dashboards, outcomes
from loyaldesk.feedback.queries.inbox import InboxFilters, responses
from loyaldesk.feedback.vocab import Bucket, SurveyChannel, SurveyKind
from loyaldesk.kernel.actors import SYSTEM
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from loyaldesk.kernel.migrations import upgrade_to_head
from loyaldesk.kernel.pagination import decode_position
from loyaldesk.stores import actions as store_actions

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


def _build(database: Database, answers: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)

    def setup(uow):  # type: ignore[no-untyped-def]
        store = store_actions.create_store(uow, SYSTEM, slug="bench", name="Bench", currency="EUR")
        surveys = {}
        for kind in ("nps", "csat", "ces"):
            survey = Survey(
                store_id=store.id,
                kind=kind,
                name=kind,
                status="active",
                questions=[],
                languages=["en"],
                trigger={},
                channel="email",
                created_at=uow.now(),
                updated_at=uow.now(),
            )
            uow.session.add(survey)
            uow.session.flush()
            surveys[kind] = survey.id
        themes = []
        for key in ("bench_delivery", "bench_damaged", "bench_price", "bench_website", "bench_staff"):
            theme = Theme(store_id=store.id, key=key, name=key.title(), created_at=uow.now())
            uow.session.add(theme)
            uow.session.flush()
            themes.append(theme.id)
        return store.id, surveys, themes

    store_id, surveys, themes = database.write(setup)
    rows, tags = [], []
    for _ in range(answers):
        kind = rng.choices(("nps", "csat", "ces"), weights=(55, 30, 15))[0]
        score = {"nps": rng.randint(0, 10), "csat": rng.randint(1, 5), "ces": rng.randint(1, 7)}[kind]
        low = {"nps": 6, "csat": 2, "ces": 3}[kind]
        high = {"nps": 9, "csat": 4, "ces": 5}[kind]
        bucket = Bucket.DETRACTOR if score <= low else Bucket.PROMOTER if score >= high else Bucket.PASSIVE
        created = NOW - timedelta(seconds=rng.randrange(365 * 86400))
        rows.append(
            {
                "store_id": store_id,
                "survey_id": surveys[kind],
                "customer_id": rng.randint(1, answers // 3),
                "survey_kind": kind,
                "channel": rng.choice(list(SurveyChannel)).value,
                "language": "en",
                "agent_id": rng.choice((None, 1, 2, 3)),
                "product_ids": [rng.randint(1, 500)],
                "tier": rng.choice((None, "Silver", "Gold")),
                "customer_value": rng.randint(0, 100_000),
                "score": score,
                "bucket": bucket.value,
                "answers": {"score": score},
                "comment": "It was fine" if rng.random() < 0.4 else None,
                "complete": rng.random() < 0.9,
                "created_at": created,
                "updated_at": created,
            }
        )
    for start in range(0, len(rows), 5000):
        database.write(
            lambda uow, chunk=rows[start : start + 5000]: uow.session.execute(insert(SurveyResponse), chunk)
        )
    with database.read() as session:
        ids = list(session.scalars(select(SurveyResponse.id).where(SurveyResponse.store_id == store_id)))
    for response_id in ids:
        if rng.random() < 0.3:
            tags.append(
                {
                    "response_id": response_id,
                    "theme_id": rng.choice(themes),
                    "store_id": store_id,
                    "source": "model",
                    "present": True,
                    "at": NOW,
                }
            )
    for start in range(0, len(tags), 5000):
        database.write(
            lambda uow, chunk=tags[start : start + 5000]: uow.session.execute(insert(ResponseTheme), chunk)
        )
    return {"store_id": store_id, "theme": themes[1], "survey": surveys["nps"]}


def _time(label: str, repetitions: int, work: Callable[[], object], raw: float | None) -> float:
    times = []
    for _ in range(repetitions):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    median = statistics.median(times)
    ratio = f"{median / raw:6.1f}x raw" if raw else ""
    print(f"{label:<44} median {median:8.1f} ms  worst {max(times):8.1f} ms  {ratio}")
    return median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--answers", type=int, default=100_000)
    parser.add_argument("--repetitions", type=int, default=7)
    parser.add_argument("--database-url")
    parser.add_argument("--seed", type=int, default=16)
    options = parser.parse_args()
    compose()
    with tempfile.TemporaryDirectory() as tmp:
        url = options.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade_to_head(url)
        database = Database(url, clock=FakeClock(NOW))
        started = time.perf_counter()
        world = _build(database, options.answers, options.seed)
        print(
            f"{options.answers:,} answers written in {time.perf_counter() - started:.1f} s "
            f"({url.split(':')[0]})"
        )
        store_id = world["store_id"]
        reps = options.repetitions

        def page(filters: InboxFilters, before: tuple[datetime, int] | None = None) -> Callable[[], object]:
            def run() -> object:
                with database.read() as session:
                    return responses(session, store_id, filters, before=before)

            return run

        def raw_read() -> object:
            with database.read() as session:
                return session.execute(
                    text(
                        "SELECT * FROM feedback_responses WHERE store_id = :s "
                        "ORDER BY created_at DESC, id DESC LIMIT 51"
                    ),
                    {"s": store_id},
                ).all()

        raw = _time("raw limit: 51 rows, newest first", reps, raw_read, None)
        _time("inbox, first page", reps, page(InboxFilters()), raw)
        with database.read() as session:
            cursor = None
            for _ in range(200):  # 200 pages deep: the 10,001st answer
                _, cursor = responses(session, store_id, InboxFilters(), before=decode_position(cursor))
        _time("inbox, page 201 (by the cursor)", reps, page(InboxFilters(), decode_position(cursor)), raw)
        _time(
            "inbox, detractors by SMS with a comment",
            reps,
            page(InboxFilters(bucket=Bucket.DETRACTOR, channel=SurveyChannel.SMS, has_comment=True)),
            raw,
        )
        _time("inbox, one theme", reps, page(InboxFilters(theme_id=world["theme"])), raw)
        _time("inbox, one product (JSON list)", reps, page(InboxFilters(product_id=42)), raw)
        _time(
            "inbox, one survey, last 30 days",
            reps,
            page(InboxFilters(survey_id=world["survey"], start=NOW - timedelta(days=30))),
            raw,
        )
        _time("inbox, score 0-3, Gold tier", reps, page(InboxFilters(score_max=3, tier="Gold")), raw)

        def dashboard() -> object:
            with database.read() as session:
                return (
                    dashboards.summary(
                        session,
                        store_id,
                        start=(NOW - timedelta(days=179)).date(),
                        end=NOW.date(),
                        timezone="UTC",
                        kind=SurveyKind.NPS,
                    ),
                    outcomes.outcomes(
                        session,
                        store_id,
                        start=(NOW - timedelta(days=179)).date(),
                        end=NOW.date(),
                        timezone="UTC",
                        now=NOW,
                    ),
                )

        _time("dashboards, 180 days (~half the answers)", max(3, reps // 2), dashboard, raw)
        database.dispose()


if __name__ == "__main__":
    main()
