"""Feedback's hot paths on one process: asking (the throttle read under the customer's lock, the
invitation, the email queued through journeys with the first question as links) and answering (the
answer checked and kept, then every reaction loyaldesk runs on it: themes tagged, kudos, loyalty's survey
action, journeys' triggers), each customer in a transaction of its own as the live paths do; and the
detractor job over a backlog.

    .venv/bin/python bench/feedback.py --customers 2000

Prints JSON: asks/s, answers/s end to end (answer + its reactions dispatched), and the share of
answers that were detractors, with the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from loyaldesk.composition import compose
from loyaldesk.customers import Customer
from loyaldesk.feedback import (
    SurveyChannel,
    SurveyIn,
    SurveyInvitation,
    SurveyKind,
    SurveyStatus,
    ask_customer,
    create_survey,
    set_survey_status,
    submit_answers,
)
from loyaldesk.kernel.actors import SYSTEM, system_for
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from loyaldesk.kernel.dispatcher import dispatch_until_idle
from loyaldesk.kernel.migrations import upgrade_to_head
from loyaldesk.settings import Settings
from loyaldesk.stores import actions as store_actions

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
COMMENTS = (
    "The parcel arrived three days late and the box was crushed.",
    "Great quality, fits perfectly, will order again!",
    "Checkout kept failing with my card, very frustrating.",
    "Lovely staff on the chat, sorted my return in minutes.",
    "Too expensive for what it is.",
    "",
)


def build(database: Database, customers: int) -> tuple[int, int, list[int]]:
    def store_and_survey(uow: Any) -> tuple[int, int]:
        store = store_actions.create_store(uow, SYSTEM, slug="bench", name="Bench", currency="EUR")
        actor = system_for(store.id)
        survey = create_survey(uow, actor, store.id, SurveyIn(name="NPS", kind=SurveyKind.NPS))
        set_survey_status(uow, actor, store.id, survey.id, SurveyStatus.ACTIVE)
        return store.id, survey.id

    store_id, survey_id = database.write(store_and_survey)

    def people(uow: Any) -> None:
        uow.session.execute(
            insert(Customer),
            [
                {
                    "store_id": store_id,
                    "external_id": f"c{n}",
                    "email": f"c{n}@example.com",
                    "first_name": "Sam",
                    "source": "api",
                    "tags": [],
                    "attributes": {},
                    "preferences": {},
                    "created_at": NOW,
                    "updated_at": NOW,
                }
                for n in range(customers)
            ],
        )

    database.write(people)
    with database.read() as session:
        ids = list(session.scalars(select(Customer.id).where(Customer.store_id == store_id)))
    return store_id, survey_id, ids


def run(customers: int) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="ld-bench-feedback-"))
    url = f"sqlite:///{folder / 'feedback.db'}"
    upgrade_to_head(url)
    settings = Settings(
        database_url=url, data_dir=folder / "var", secret_key="bench", run_background_jobs=False
    )
    compose(settings)
    database = Database(url, clock=FakeClock(NOW))
    store_id, survey_id, ids = build(database, customers)
    dispatch_until_idle(database)

    started = time.perf_counter()
    for customer_id in ids:
        database.write(
            lambda uow, c=customer_id: ask_customer(
                uow,
                store_id=store_id,
                survey_id=survey_id,
                customer_id=c,
                channel=SurveyChannel.EMAIL,
                context={},
                key=f"bench:{c}",
                base_url="https://desk.example.com",
            )
        )
    ask_seconds = time.perf_counter() - started
    dispatch_until_idle(database)
    with database.read() as session:
        invitations = list(session.scalars(select(SurveyInvitation)))
    rng = random.Random(7)
    started = time.perf_counter()
    detractors = 0
    latencies = []
    for invitation in invitations:
        score = rng.choice((0, 3, 6, 7, 8, 9, 9, 10, 10, 10))
        detractors += score <= 6
        answers = {"score": score, "reason": rng.choice(COMMENTS)}
        begin = time.perf_counter()
        database.write(
            lambda uow, i=invitation.id, a=answers: submit_answers(
                uow, uow.session.get(SurveyInvitation, i), a
            )
        )
        dispatch_until_idle(database)
        latencies.append((time.perf_counter() - begin) * 1000)
    answer_seconds = time.perf_counter() - started
    database.dispose()
    latencies.sort()
    return {
        "customers": customers,
        "asks_per_second": round(len(ids) / ask_seconds, 1),
        "answers_per_second_end_to_end": round(len(invitations) / answer_seconds, 1),
        "answer_ms_median": round(statistics.median(latencies), 2),
        "answer_ms_p95": round(latencies[int(0.95 * (len(latencies) - 1))], 2),
        "detractor_share": round(detractors / max(1, len(invitations)), 3),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {sys.version.split()[0]}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=2000)
    args = parser.parse_args()
    print(json.dumps(run(args.customers), indent=2))


if __name__ == "__main__":
    main()
