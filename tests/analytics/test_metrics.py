"""Each retention and value metric on a small store whose every number is computed by hand below; the edge
rules (empty input, refunds, duplicate orders, window boundaries, members vs non-members, bad input)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from loyaldesk.analytics.metrics import (
    Csat,
    EsnCounts,
    Nps,
    OrderFact,
    SurveyAnswer,
    Window,
    active_customers,
    average_order_value,
    churn_rate,
    csat,
    distinct_orders,
    esn_counts,
    historical_clv,
    net_revenue,
    nps,
    purchase_frequency,
    repeat_purchase_rate,
    retention_rate_esn,
    retention_rate_sets,
    revenue_per_customer,
    split_by_membership,
    survey_scores,
)
from loyaldesk.kernel.errors import Invalid


def at(text: str) -> datetime:
    """An ISO time; UTC unless it names an offset."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def order(order_id: int, customer_id: int, placed_at: str, net_amount_minor: int) -> OrderFact:
    return OrderFact(customer_id, order_id, at(placed_at), net_amount_minor)


Q1 = Window(at("2024-01-01"), at("2024-04-01"))
Q2 = Window(at("2024-04-01"), at("2024-07-01"))  # 30 + 31 + 30 = 91 days

# Six customers; amounts are net of refunds, in cents.
STORE = (
    order(101, 1, "2023-11-10T12:00", 3000),
    order(102, 1, "2024-02-05T12:00", 5000),
    order(103, 1, "2024-05-20T12:00", 4000),
    order(200, 2, "2023-12-01T12:00", 1000),
    order(201, 2, "2024-01-15T12:00", 2000),
    order(201, 2, "2024-01-15T13:00+01:00", 2000),  # the same order again, same instant in another zone
    order(202, 2, "2024-03-03T12:00", 2000),  # paid 3000, 1000 refunded
    order(301, 3, "2024-02-10T12:00", 1500),
    order(302, 3, "2024-04-02T12:00+02:00", 2500),  # 10:00 UTC
    order(303, 3, "2024-06-30T23:59", 0),  # fully refunded: still an order
    order(401, 4, "2022-06-01T12:00", 8000),  # lapsed for two years, back in Q2
    order(402, 4, "2024-05-05T12:00", 6000),
    order(501, 5, "2024-04-15T12:00", 1000),  # acquired in Q2
    order(502, 5, "2024-07-01T00:00", 9999),  # exactly the end of Q2: belongs to Q3
    order(601, 6, "2023-09-01T12:00", 7000),
)
MEMBERS = {1, 3}

# Orders by window (distinct):
#   Q1: 102 (c1, 5000), 201 (c2, 2000), 202 (c2, 2000), 301 (c3, 1500): 4 orders, customers {1, 2, 3},
#       revenue 10500.
#   Q2: 103 (c1, 4000), 302 (c3, 2500), 303 (c3, 0), 402 (c4, 6000), 501 (c5, 1000): 5 orders,
#       customers {1, 3, 4, 5}, revenue 13500.


def test_duplicate_order_ids_count_once_and_order_by_time() -> None:
    facts = distinct_orders(STORE)

    # 14 distinct orders of 15 facts, by instant: 502 last, at 2024-07-01T00:00.
    assert [fact.order_id for fact in facts] == [
        401, 601, 101, 200, 201, 102, 301, 202, 302, 501, 402, 103, 303, 502,
    ]  # fmt: skip
    assert all(fact.placed_at.tzinfo is UTC for fact in facts)
    assert facts[8].placed_at == datetime(2024, 4, 2, 10, tzinfo=UTC)


def test_active_customers_and_net_revenue_per_window() -> None:
    assert active_customers(STORE, Q1) == {1, 2, 3}
    assert active_customers(STORE, Q2) == {1, 3, 4, 5}  # 502 at 2024-07-01T00:00 is outside Q2
    assert net_revenue(STORE, Q1) == 5000 + 2000 + 2000 + 1500 == 10500  # 201 once, 202 net of its refund
    assert net_revenue(STORE, Q2) == 4000 + 2500 + 0 + 6000 + 1000 == 13500
    assert isinstance(net_revenue(STORE, Q2), int)


def test_set_retention_and_churn() -> None:
    # Active in Q1 {1, 2, 3}, in Q2 {1, 3, 4, 5}: both {1, 3}. Retention 2/3, churn 1/3 (customer 2).
    assert retention_rate_sets(STORE, Q1, Q2) == pytest.approx(2 / 3)
    assert churn_rate(STORE, Q1, Q2) == pytest.approx(1 / 3)


def test_esn_retention_with_the_default_one_year_activity_window() -> None:
    # Q1: counted at 2024-01-01 = ordered in [2023-01-01, 2024-01-01): customers 1, 2, 6 -> S = 3.
    #     Counted at 2024-04-01 = ordered in [2023-04-02, 2024-04-01) (365 days, 2024 being a leap year):
    #     customers 1, 2, 3, 6 -> E = 4.
    #     First order in Q1: customer 3 -> N = 1. (4 - 1) / 3 = 1.0.
    assert esn_counts(STORE, Q1) == EsnCounts(customers_at_start=3, customers_at_end=4, new_customers=1)
    assert retention_rate_esn(STORE, Q1) == 1.0
    # Q2: S = 4 (as E above). Counted at 2024-07-01 = ordered in [2023-07-02, 2024-07-01): 1, 2, 3, 4, 5,
    #     6 -> E = 6. N = 1 (customer 5; customer 4 was acquired in 2022). (6 - 1) / 4 = 1.25: customer 4
    #     came back after lapsing, so E - N exceeds S.
    assert esn_counts(STORE, Q2) == EsnCounts(4, 6, 1)
    assert retention_rate_esn(STORE, Q2) == 1.25


def test_esn_retention_with_an_activity_window_as_long_as_the_period() -> None:
    # 91 days before 2024-04-01 is 2024-01-01 and before 2024-07-01 is 2024-04-01: S counts Q1's active
    # customers {1, 2, 3}, E counts Q2's {1, 3, 4, 5}; N = {5}. (4 - 1) / 3 = 1.0 where the set form says
    # 2/3: the returning customer 4 is in E - N but not in "active in both".
    assert esn_counts(STORE, Q2, activity_days=91) == EsnCounts(3, 4, 1)
    assert retention_rate_esn(STORE, Q2, activity_days=91) == 1.0
    with pytest.raises(Invalid, match="activity_days"):
        retention_rate_esn(STORE, Q2, activity_days=90)  # shorter than the 91-day period
    with pytest.raises(Invalid, match="activity_days"):
        retention_rate_esn(STORE, Q2, activity_days=0)


def test_esn_activity_window_is_half_open() -> None:
    period = Window(at("2024-03-01"), at("2024-03-11"))
    orders = [
        order(1, 1, "2024-02-20T00:00", 100),  # exactly 10 days before the start: counted at the start
        order(2, 1, "2024-03-05T00:00", 100),  # counted at the end
        order(3, 2, "2024-02-19T23:59", 100),  # a minute too early to be counted at the start
        order(4, 2, "2024-03-11T00:00", 100),  # at the end instant: not counted at the end
        order(5, 3, "2024-03-01T00:00", 100),  # at the start instant: new, counted at the end only
    ]
    # S = {1}, E = {1, 3}, N = {3}: (2 - 1) / 1 = 1.0.
    assert esn_counts(orders, period, activity_days=10) == EsnCounts(1, 2, 1)
    assert retention_rate_esn(orders, period, activity_days=10) == 1.0


def test_repeat_purchase_rate_and_purchase_frequency() -> None:
    # Q1 orders per customer: 1 -> 1, 2 -> 2 (201 counted once), 3 -> 1: one repeater of three.
    assert repeat_purchase_rate(STORE, Q1) == pytest.approx(1 / 3)
    assert purchase_frequency(STORE, Q1) == pytest.approx(4 / 3)
    # Q2: 1 -> 1, 3 -> 2 (the refunded 303 is an order), 4 -> 1, 5 -> 1: one repeater of four.
    assert repeat_purchase_rate(STORE, Q2) == 0.25
    assert purchase_frequency(STORE, Q2) == 5 / 4


def test_average_order_value_and_revenue_per_customer() -> None:
    assert average_order_value(STORE, Q1) == 10500 / 4 == 2625.0
    assert revenue_per_customer(STORE, Q1) == 10500 / 3 == 3500.0
    assert average_order_value(STORE, Q2) == 13500 / 5 == 2700.0
    assert revenue_per_customer(STORE, Q2) == 13500 / 4 == 3375.0
    aov, frequency = average_order_value(STORE, Q2), purchase_frequency(STORE, Q2)
    assert aov is not None and frequency is not None
    assert revenue_per_customer(STORE, Q2) == pytest.approx(aov * frequency)


def test_historical_clv_counts_each_active_customer_history_up_to_the_window_end() -> None:
    # Q1 active {1, 2, 3}; spend before 2024-04-01: 1 -> 3000 + 5000, 2 -> 1000 + 2000 + 2000,
    # 3 -> 1500. (8000 + 5000 + 1500) / 3.
    assert historical_clv(STORE, Q1) == pytest.approx(14500 / 3)
    # Q2 active {1, 3, 4, 5}; spend before 2024-07-01: 1 -> 12000, 3 -> 1500 + 2500 + 0, 4 -> 8000 + 6000,
    # 5 -> 1000 (502 is at the end instant). 31000 / 4.
    assert historical_clv(STORE, Q2) == 7750.0


def test_every_metric_splits_into_members_and_non_members() -> None:
    split = split_by_membership(STORE, MEMBERS)

    assert {fact.customer_id for fact in split.members} == {1, 3}
    assert {fact.customer_id for fact in split.non_members} == {2, 4, 5, 6}
    assert len(split.members) + len(split.non_members) == len(STORE)
    # Members: active in Q1 {1, 3} and in Q2 {1, 3}. Non-members: Q1 {2}, Q2 {4, 5}, none in both.
    assert retention_rate_sets(split.members, Q1, Q2) == 1.0
    assert churn_rate(split.members, Q1, Q2) == 0.0
    assert retention_rate_sets(split.non_members, Q1, Q2) == 0.0
    assert churn_rate(split.non_members, Q1, Q2) == 1.0
    # Q2 members: 103 (4000), 302 (2500), 303 (0); non-members: 402 (6000), 501 (1000).
    assert average_order_value(split.members, Q2) == pytest.approx(6500 / 3)
    assert average_order_value(split.non_members, Q2) == 3500.0
    assert repeat_purchase_rate(split.members, Q2) == 0.5
    assert repeat_purchase_rate(split.non_members, Q2) == 0.0


def test_empty_input_gives_none_for_every_ratio_and_zero_revenue() -> None:
    assert retention_rate_sets([], Q1, Q2) is None
    assert churn_rate([], Q1, Q2) is None
    assert retention_rate_esn([], Q2) is None
    assert esn_counts([], Q2) == EsnCounts(0, 0, 0)
    assert repeat_purchase_rate([], Q1) is None
    assert purchase_frequency([], Q1) is None
    assert average_order_value([], Q1) is None
    assert revenue_per_customer([], Q1) is None
    assert historical_clv([], Q1) is None
    assert net_revenue([], Q1) == 0
    assert active_customers([], Q1) == frozenset()
    assert nps([]) is None
    assert csat([]) is None


def test_a_window_nobody_ordered_in_gives_none() -> None:
    quiet = Window(at("2021-01-01"), at("2021-02-01"))
    assert average_order_value(STORE, quiet) is None
    assert historical_clv(STORE, quiet) is None
    assert retention_rate_sets(STORE, quiet, Q2) is None


def test_refunds_leave_revenue_net_and_the_order_counted() -> None:
    window = Window(at("2024-01-01"), at("2024-02-01"))
    orders = [order(1, 7, "2024-01-02T09:00", 5000 - 5000), order(2, 7, "2024-01-03T09:00", 4000 - 1500)]
    assert net_revenue(orders, window) == 2500
    assert purchase_frequency(orders, window) == 2.0
    assert average_order_value(orders, window) == 1250.0
    assert repeat_purchase_rate(orders, window) == 1.0


def test_conflicting_facts_for_one_order_are_refused() -> None:
    with pytest.raises(Invalid, match="order 201"):
        distinct_orders([*STORE, order(201, 2, "2024-01-15T12:00", 2500)])
    with pytest.raises(Invalid, match="order 201"):
        net_revenue([*STORE, order(201, 9, "2024-01-15T12:00", 2000)], Q1)


def test_windows_are_half_open_and_compare_instants() -> None:
    assert Q2.contains(at("2024-04-01T00:00"))
    assert not Q2.contains(at("2024-07-01T00:00"))
    assert Q2.contains(at("2024-07-01T01:00+02:00"))  # 2024-06-30 23:00 UTC
    assert not Q1.contains(at("2024-04-01T01:00+01:00"))  # 2024-04-01 00:00 UTC


def test_bad_input_names_the_field() -> None:
    with pytest.raises(Invalid, match="placed_at"):
        OrderFact(1, 1, datetime(2024, 1, 1), 100)  # naive
    with pytest.raises(Invalid, match="net_amount_minor"):
        OrderFact(1, 1, at("2024-01-01"), 10.5)  # type: ignore[arg-type]
    with pytest.raises(Invalid, match="order_id"):
        OrderFact(1, True, at("2024-01-01"), 100)
    with pytest.raises(Invalid, match="start"):
        Window(datetime(2024, 1, 1), at("2024-02-01"))
    with pytest.raises(Invalid, match="end"):
        Window(at("2024-02-01"), at("2024-02-01"))
    with pytest.raises(Invalid, match="second"):
        retention_rate_sets(STORE, Q2, Q1)
    with pytest.raises(Invalid, match="answered_at"):
        SurveyAnswer(1, datetime(2024, 1, 1), 9)


def test_nps_counts_promoters_minus_detractors_in_points() -> None:
    # Promoters (9-10): 10, 10, 9, 9, 9 = 5; passives (7-8): 8, 7 = 2; detractors (0-6): 6, 2, 0 = 3.
    # 100 * (5 - 3) / 10 = 20 points.
    assert nps([10, 10, 9, 9, 9, 8, 7, 6, 2, 0]) == Nps(
        responses=10, promoters=5, passives=2, detractors=3, score=20.0
    )
    result_all_promoters, result_all_detractors = nps([9]), nps([0, 6])
    assert result_all_promoters is not None and result_all_promoters.score == 100.0
    assert result_all_detractors is not None and result_all_detractors.score == -100.0
    for bad in ([11], [-1], [True], [9.5]):
        with pytest.raises(Invalid, match="scores"):
            nps(bad)  # type: ignore[arg-type]


def test_csat_share_of_satisfied_and_mean() -> None:
    # Satisfied (4-5): 5, 4, 4 = 3 of 5 = 0.6; mean (5 + 4 + 4 + 3 + 1) / 5 = 3.4.
    assert csat([5, 4, 4, 3, 1]) == Csat(responses=5, satisfied=3, satisfied_share=0.6, mean=3.4)
    for bad in ([0], [6], [False]):
        with pytest.raises(Invalid, match="ratings"):
            csat(bad)


def test_survey_scores_of_a_window_by_membership() -> None:
    march = Window(at("2024-03-01"), at("2024-04-01"))
    answers = [
        SurveyAnswer(1, at("2024-03-05T10:00"), 10),
        SurveyAnswer(2, at("2024-03-10T10:00"), 3),
        SurveyAnswer(3, at("2024-02-29T23:59"), 9),  # before March
        SurveyAnswer(3, at("2024-04-01T00:00"), 0),  # the end instant: April
        SurveyAnswer(1, at("2024-03-31T23:59"), 8),
    ]
    # March: 10 (promoter), 3 (detractor), 8 (passive): 100 * (1 - 1) / 3 = 0.
    scores = survey_scores(answers, march)
    assert scores == (10, 3, 8)
    result = nps(scores)
    assert result is not None and result.score == 0.0
    split = split_by_membership(answers, MEMBERS)
    members, others = nps(survey_scores(split.members, march)), nps(survey_scores(split.non_members, march))
    assert members is not None and members.score == 50.0  # 10 and 8: 100 * (1 - 0) / 2
    assert others is not None and others.score == -100.0  # 3


def test_distinct_orders_are_kept_once_made_and_every_metric_agrees_on_them() -> None:
    facts = distinct_orders(STORE)
    assert distinct_orders(facts) is facts  # no second pass
    split = split_by_membership(facts, {1, 3})
    assert distinct_orders(split.members) is split.members
    assert [fact.order_id for fact in split.members] == sorted(
        (fact.order_id for fact in split.members),
        key=lambda i: next(f.placed_at for f in facts if f.order_id == i),
    )
    for window in (Q1, Q2):
        assert net_revenue(facts, window) == net_revenue(list(STORE), window)
        assert active_customers(facts, window) == active_customers(list(reversed(STORE)), window)
        assert repeat_purchase_rate(split.members, window) == repeat_purchase_rate(
            [fact for fact in STORE if fact.customer_id in {1, 3}], window
        )
