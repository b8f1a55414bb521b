"""The demo store has one personal offer that ran and ended, with both groups and results to show."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from loyaldesk.demo.seed import history_end, seed_demo
from loyaldesk.kernel.db import Database
from loyaldesk.recommendations import Offer
from loyaldesk.recommendations.queries.offers import results_of

UNTIL = date(2026, 11, 20)


def test_the_demo_has_an_ended_offer_with_results(db: Database) -> None:
    seed_demo(db, seed=3, customers=150, until=UNTIL, now=history_end(UNTIL))
    with db.read() as session:
        [offer] = session.scalars(select(Offer))
        assert offer.status == "ended" and offer.kind == "bonus_points" and offer.target
        assert offer.treatment_count > 0 and offer.holdout_count > 0
        results = results_of(session, offer, history_end(UNTIL))
        assert results.told == offer.treatment_count  # the offer group was told at the launch
        found = results.uplift
        assert found is not None
        assert found.treatment.customers == offer.treatment_count
        assert found.treatment.converted + found.holdout.converted > 0
        assert found.conversion_interval is not None and found.revenue_interval is not None
