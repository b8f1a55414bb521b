"""Full refresh of the analytics dashboards on a synthetic store (by default 1 million customers and 10
million orders over three years), on SQLite and PostgreSQL, then the dashboards served from the cache.

1. *Database*: a new SQLite file in ``--work-dir`` (default a temporary directory), or the PostgreSQL
   database ``bench_analytics`` on the local server (created if missing, its ``public`` schema emptied;
   never the ``test`` database, which the test suite truncates). Migrated with ``loyaldesk migrate`` and
   given a store with ``loyaldesk stores create --slug synth`` (the owner's password piped), as a user
   does.
2. *Synthetic history* (numpy, ``--seed``), ending on 2025-12-31 and ``--days`` long. Customers arrive at a
   growing pace; each buys once on arrival and then repeats as in BG/NBD: purchases at a Poisson rate drawn
   from a gamma distribution, dropping out after each repeat purchase with a probability drawn from a beta
   distribution. One factor scales every customer's rate so that exactly ``--orders`` orders fall before
   the end (at most 500 repeat purchases per customer). Amounts are lognormal in
   cents around a lognormal mean per customer (+ shipping under 50 EUR), 1.5 % of orders are cancelled,
   1 % fully and 2.5 % partly refunded. About a third of the customers are loyalty members (more of the
   frequent buyers), a quarter of the members redeemed points (ledger entries of kind ``redeem``, without
   postings or lots: the ledger does not balance and no points expire); 4 % of the customers wrote to
   support (1-3 conversations with two messages each, an SLA policy of a 60-minute first response, and a
   rating for 55 % of the resolved ones). Order lines are not generated: analytics reads only
   ``orders``.
3. *Insert*, in batches of ``--batch`` rows: the customers and orders without their secondary indexes
   (built afterwards), through ``COPY ... FROM STDIN`` on PostgreSQL (psycopg's ``cursor.copy``, foreign-key
   triggers off for that session) and the driver's ``executemany`` on SQLite (the values SQLAlchemy would
   send: Core ``insert()`` spends 4/5 of its time converting datetimes, about 15,000 orders/s); the other
   tables with SQLAlchemy Core ``insert()``. The loading connection to SQLite runs without fsync and with
   a 1 GB page cache. Then ``ANALYZE`` (SQLite, after a WAL checkpoint) or ``VACUUM ANALYZE``
   (PostgreSQL), as a database that has lived a while would have statistics. Rows/s of each table.
4. *Full refresh*: ``dashboards.refresh_store`` (every dashboard's default view, as the refresh job does),
   then each dashboard alone with ``dashboards.compute_and_store`` (no order history shared between them),
   each in a fresh Python process: wall seconds and the process's peak RSS (``VmHWM``, which is
   ``getrusage().ru_maxrss`` of that program alone; ``--memory-limit-gb`` caps the address space so that a
   runaway run fails instead of starving the machine). The PostgreSQL server's memory is not counted.
5. *Cached*: ``dashboards.open_dashboard`` of each dashboard's default view (and the segments page's
   per-customer part), best / median of ``--opens`` in a fresh process, and the size of each stored
   snapshot (zlib-compressed, and its JSON).

``--profile N`` also runs the full refresh under cProfile and prints the top N functions by cumulative time.
``--skip-generate --database-url URL`` re-runs only the measurements on an existing database (``--keep``
keeps the database of a run). The analytics code is imported afresh in each measuring process, and a hash
of ``src/loyaldesk/analytics`` is printed with the commit.

    .venv/bin/python bench/analytics_refresh.py --customers 20000 --orders 200000
    nice -n 10 .venv/bin/python bench/analytics_refresh.py --backend sqlite --keep --work-dir /tmp/synth
    .venv/bin/python bench/analytics_refresh.py --skip-generate --database-url sqlite:////tmp/synth/synth.db
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import argparse
import cProfile
import hashlib
import html
import io
import json
import os
import platform
import pstats
import resource
import shutil
import sqlite3
import statistics
import subprocess
import tempfile
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import orjson
from numpy.typing import NDArray
from sqlalchemy import JSON, Engine, Table, create_engine, event, func, select, text
from sqlalchemy.engine import make_url

from loyaldesk_cli import run_commands

ROOT = Path(__file__).resolve().parents[1]
ANALYTICS_SOURCE = ROOT / "src" / "loyaldesk" / "analytics"
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_analytics"
STORE_SLUG = "synth"
CURRENCY = "EUR"
TIME_ZONE = "Europe/Amsterdam"
OWNER_EMAIL = "owner@synth.example.com"
HISTORY_END = datetime(2026, 1, 1, tzinfo=UTC)  # orders up to the end of 2025-12-31 UTC
NOW = HISTORY_END  # the refresh runs the day after the history's last day
BACKENDS = ("sqlite", "postgresql")
PARTS = (  # (dashboard, part) opened from the cache
    ("retention", None),
    ("segments", None),
    ("segments", "segments_customers"),
    ("value", None),
    ("impact", None),
)

# The customers' process (BG/NBD): purchase rates ~ Gamma(shape) scaled to hit the order count; dropout
# after each repeat purchase with p ~ Beta(a, b); repeat purchases capped per customer.
RATE_SHAPE = 0.8
DROPOUT_A, DROPOUT_B = 1.5, 8.0
MAX_REPEATS = 500
GROWTH = 1.0  # arrivals per day grow linearly, by this factor over the history
MEAN_SPEND_CENTS, CUSTOMER_SPREAD, ORDER_SPREAD = 4_500, 0.45, 0.55
FREE_SHIPPING_FROM, SHIPPING = 5_000, 495
CANCELLED_SHARE, FULL_REFUND_SHARE, PARTIAL_REFUND_SHARE = 0.015, 0.01, 0.025
MEMBER_SHARE_LOW, MEMBER_SHARE_HIGH = 0.2, 0.5  # by the customer's purchase-rate quantile
REDEEMER_SHARE = 0.25
SUPPORT_SHARE, EXTRA_CONVERSATIONS = 0.04, 0.6  # customers who wrote; Poisson mean of further ones
FIRST_RESPONSE_TARGET_MINUTES = 60
CSAT_SHARE = 0.55
COUNTRIES = (("NL", "Amsterdam"), ("NL", "Utrecht"), ("BE", "Antwerpen"), ("DE", "Köln"), ("FR", "Lille"))
FIRST_NAMES = ("Anna", "Bram", "Chloé", "Daan", "Emma", "Finn", "Julia", "Lars", "Mila", "Noah", "Sara")
LAST_NAMES = ("de Vries", "Jansen", "Bakker", "Visser", "Smit", "Meijer", "Mulder", "Bos", "Peters")
CUSTOMER_TEXTS = (
    "Where is my order? It has been a week and nobody answers. This is terrible.",
    "Hi, can I change the delivery address of my order?",
    "The shoes arrived damaged, I am really disappointed.",
    "Thanks a lot, the jacket fits perfectly! Can I order it in blue too?",
    "How do I use my loyalty points at checkout?",
    "I was charged twice for the same order, please fix this.",
    "Great service last time, can you help me with a return?",
    "The package never arrived. Awful experience, I want my money back.",
)
AGENT_TEXTS = (
    "Sorry for the trouble, we are looking into it right away.",
    "Thanks for writing! You can do that from your account page.",
    "Your refund has been issued; it shows on your statement in a few days.",
)


# -- the synthetic history ------------------------------------------------------------------------
@dataclass
class History:
    """Everything generated, as numpy columns; times are int64 UTC epoch seconds (-1: none). Customer
    ``i`` gets id ``customer_base + i`` when inserted, and so on for every table."""

    customers: int
    acquired: NDArray[np.int64]
    first_name: NDArray[np.int64]
    last_name: NDArray[np.int64]
    country: NDArray[np.int64]
    consent: NDArray[np.bool_]
    # orders, by time
    order_customer: NDArray[np.int64]
    placed: NDArray[np.int64]
    subtotal: NDArray[np.int64]
    shipping: NDArray[np.int64]
    refunded: NDArray[np.int64]
    cancelled: NDArray[np.int64]
    # loyalty
    member_customer: NDArray[np.int64]
    enrolled: NDArray[np.int64]
    redemption_member: NDArray[np.int64]
    redeemed_at: NDArray[np.int64]
    # support
    contact_customer: NDArray[np.int64]
    conversation_contact: NDArray[np.int64]
    conversation_created: NDArray[np.int64]
    first_response_minutes: NDArray[np.float64]
    conversation_status: NDArray[np.int64]  # 0 resolved, 1 open, 2 pending
    resolved: NDArray[np.int64]
    customer_text: NDArray[np.int64]
    csat_conversation: NDArray[np.int64]
    csat_rating: NDArray[np.int64]
    csat_answered: NDArray[np.int64]
    scale: float = 0.0
    seconds: float = 0.0

    @property
    def orders(self) -> int:
        return int(self.placed.size)


def generate(customers: int, orders: int, days: int, seed: int) -> History:
    """The store's history (see the module docstring); exactly ``orders`` orders."""
    if orders < customers:
        raise SystemExit("--orders must be at least --customers: every customer buys on arrival")
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    end = int(HISTORY_END.timestamp())
    span = days * 86_400
    start = end - span
    n = customers
    # Arrivals with a density growing linearly by GROWTH over the history (inverse CDF), in seconds.
    u = rng.random(n)
    g = GROWTH
    fraction = (np.sqrt(1 + g * (2 + g) * u) - 1) / g if g else u
    acquired = start + np.minimum((fraction * span).astype(np.int64), span - 1)
    age = (end - acquired).astype(np.float64)  # seconds each customer is observed
    rate = rng.gamma(RATE_SHAPE, 1.0, n)  # per second, up to the common scale found below
    dropout = rng.beta(DROPOUT_A, DROPOUT_B, n)
    repeats_before_dropout = np.minimum(rng.geometric(dropout), MAX_REPEATS)
    # Repeat k of customer i comes at S_ik / (scale * rate_i) after arrival, S_ik the sum of k unit
    # exponential gaps; it is observed when that is within the customer's age, i.e. when
    # S_ik / (rate_i * age_i) <= scale. The scale is the (orders - customers)-th smallest such ratio.
    owner = np.repeat(np.arange(n), repeats_before_dropout)
    gaps = rng.standard_exponential(owner.size)
    cumulative = np.cumsum(gaps)
    offsets = np.concatenate(([0], np.cumsum(repeats_before_dropout)[:-1]))
    before = np.concatenate(([0.0], cumulative))[offsets]
    arrival = cumulative - np.repeat(before, repeats_before_dropout)  # S_ik
    del gaps, cumulative, before
    with np.errstate(divide="ignore"):
        ratio = arrival / (rate * age)[owner]
    wanted = orders - customers
    if wanted > ratio.size:
        raise SystemExit(
            f"{orders:,} orders need {wanted:,} repeat purchases but the dropout process allows "
            f"{ratio.size:,}: give more customers"
        )
    scale = float(np.partition(ratio, wanted - 1)[wanted - 1]) if wanted else 0.0
    kept = ratio <= scale if wanted else np.zeros(ratio.size, dtype=bool)
    if int(kept.sum()) != wanted:  # ties at the threshold: keep the first ones
        kept_index = np.flatnonzero(kept)[:wanted]
        kept = np.zeros(ratio.size, dtype=bool)
        kept[kept_index] = True
    repeat_owner = owner[kept]
    if wanted:
        after = np.floor(arrival[kept] / (scale * rate[repeat_owner])).astype(np.int64)
    else:
        after = np.zeros(0, dtype=np.int64)
    repeat_at = np.minimum(acquired[repeat_owner] + after, end - 1)
    del owner, arrival, ratio, kept
    order_customer = np.concatenate((np.arange(n), repeat_owner))
    placed = np.concatenate((acquired, repeat_at))
    by_time = np.argsort(placed, kind="stable")
    order_customer, placed = order_customer[by_time], placed[by_time]
    m = placed.size

    mean_spend = np.log(MEAN_SPEND_CENTS) + CUSTOMER_SPREAD * rng.standard_normal(n)
    subtotal = np.maximum(
        np.rint(np.exp(mean_spend[order_customer] + ORDER_SPREAD * rng.standard_normal(m))), 199
    ).astype(np.int64)
    shipping = np.where(subtotal < FREE_SHIPPING_FROM, SHIPPING, 0).astype(np.int64)
    total = subtotal + shipping
    draw = rng.random(m)
    cancelled = np.where(
        draw < CANCELLED_SHARE,
        np.minimum(placed + rng.integers(1_800, 172_800, m), end - 1),
        -1,
    )
    refund_fraction = rng.uniform(0.1, 0.6, m)
    refunded = np.where(
        (draw >= CANCELLED_SHARE) & (draw < CANCELLED_SHARE + FULL_REFUND_SHARE),
        total,
        np.where(
            (draw >= CANCELLED_SHARE + FULL_REFUND_SHARE)
            & (draw < CANCELLED_SHARE + FULL_REFUND_SHARE + PARTIAL_REFUND_SHARE),
            np.rint(total * refund_fraction).astype(np.int64),
            0,
        ),
    )

    # Loyalty: members more likely among frequent buyers; enrolled at the first order or later.
    rate_quantile = np.argsort(np.argsort(rate)) / max(n - 1, 1)
    member = rng.random(n) < MEMBER_SHARE_LOW + (MEMBER_SHARE_HIGH - MEMBER_SHARE_LOW) * rate_quantile
    member_customer = np.flatnonzero(member)
    later = rng.random(member_customer.size) >= 0.6
    enrolled = acquired[member_customer] + np.where(
        later, (rng.random(member_customer.size) * age[member_customer]).astype(np.int64), 0
    )
    redeemer = np.flatnonzero(rng.random(member_customer.size) < REDEEMER_SHARE)
    redemptions = rng.integers(1, 4, redeemer.size)
    redemption_member = np.repeat(redeemer, redemptions)
    redeemed_at = enrolled[redemption_member] + (
        rng.random(redemption_member.size) * (end - enrolled[redemption_member])
    ).astype(np.int64)

    # Support: contacts, conversations after arrival, first responses (median 30 min), ratings.
    contact_customer = np.flatnonzero(rng.random(n) < SUPPORT_SHARE)
    per_contact = 1 + np.minimum(rng.poisson(EXTRA_CONVERSATIONS, contact_customer.size), 2)
    conversation_contact = np.repeat(np.arange(contact_customer.size), per_contact)
    owner_of = contact_customer[conversation_contact]
    created = acquired[owner_of] + (rng.random(owner_of.size) * age[owner_of]).astype(np.int64)
    order_within = np.lexsort((created, conversation_contact))  # each contact's conversations in time
    conversation_contact, created = conversation_contact[order_within], created[order_within]
    c = created.size
    first_response = np.exp(np.log(30) + 0.9 * rng.standard_normal(c))
    recent = created >= end - 7 * 86_400
    status_draw = rng.random(c)
    status = np.where(recent & (status_draw < 0.5), 1, np.where(recent & (status_draw < 0.7), 2, 0))
    resolved = np.where(
        status == 0,
        np.minimum(
            created + (first_response * 60).astype(np.int64) + rng.integers(3_600, 172_800, c), end - 1
        ),
        -1,
    )
    customer_text = rng.integers(0, len(CUSTOMER_TEXTS), c)
    csat_conversation = np.flatnonzero((status == 0) & (rng.random(c) < CSAT_SHARE))
    breached = first_response[csat_conversation] > FIRST_RESPONSE_TARGET_MINUTES
    good = rng.choice(5, csat_conversation.size, p=[0.04, 0.04, 0.10, 0.30, 0.52]) + 1
    poor = rng.choice(5, csat_conversation.size, p=[0.15, 0.15, 0.25, 0.25, 0.20]) + 1
    csat_rating = np.where(breached, poor, good)
    csat_answered = np.minimum(
        resolved[csat_conversation] + rng.integers(600, 86_400, csat_conversation.size), end - 1
    )

    return History(
        customers=n,
        acquired=acquired,
        first_name=rng.integers(0, len(FIRST_NAMES), n),
        last_name=rng.integers(0, len(LAST_NAMES), n),
        country=rng.integers(0, len(COUNTRIES), n),
        consent=rng.random(n) < 0.4,
        order_customer=order_customer,
        placed=placed,
        subtotal=subtotal,
        shipping=shipping,
        refunded=refunded,
        cancelled=cancelled,
        member_customer=member_customer,
        enrolled=enrolled,
        redemption_member=redemption_member,
        redeemed_at=redeemed_at,
        contact_customer=contact_customer,
        conversation_contact=conversation_contact,
        conversation_created=created,
        first_response_minutes=first_response,
        conversation_status=status,
        resolved=resolved,
        customer_text=customer_text,
        csat_conversation=csat_conversation,
        csat_rating=csat_rating,
        csat_answered=csat_answered,
        scale=scale,
        seconds=time.perf_counter() - started,
    )


def describe(history: History) -> str:
    per_customer = np.bincount(history.order_customer, minlength=history.customers)
    cancelled = int((history.cancelled >= 0).sum())
    refunded = int((history.refunded > 0).sum())
    revenue = int((history.subtotal + history.shipping - history.refunded)[history.cancelled < 0].sum())
    return (
        f"{history.customers:,} customers, {history.orders:,} orders "
        f"({datetime.fromtimestamp(int(history.placed[0]), UTC):%Y-%m-%d} .. "
        f"{datetime.fromtimestamp(int(history.placed[-1]), UTC):%Y-%m-%d %H:%M} UTC); orders per customer "
        f"median {int(np.median(per_customer))}, mean {per_customer.mean():.1f}, "
        f"max {int(per_customer.max())}, "
        f"{(per_customer > 1).mean():.0%} repeat buyers; {cancelled:,} cancelled, {refunded:,} refunded; "
        f"net revenue {revenue / 100:,.0f} {CURRENCY}; {history.member_customer.size:,} loyalty members, "
        f"{history.redemption_member.size:,} redemptions; "
        f"{history.contact_customer.size:,} support contacts, "
        f"{history.conversation_created.size:,} conversations, {2 * history.conversation_created.size:,} "
        f"messages, {history.csat_conversation.size:,} ratings. No order lines."
    )


# -- rows -----------------------------------------------------------------------------------------
def _datetimes(seconds: NDArray[np.int64]) -> list[datetime | None]:
    """Aware UTC datetimes of epoch seconds (None for negative values)."""
    values = seconds.astype("datetime64[s]").astype("datetime64[us]").tolist()
    return [
        None if s < 0 else value.replace(tzinfo=UTC)
        for s, value in zip(seconds.tolist(), values, strict=True)
    ]


@dataclass(frozen=True)
class Stamps:
    """A column of times as epoch seconds (negative: none), turned into what each way of inserting
    takes (see :func:`materialise`)."""

    seconds: NDArray[np.int64]


def materialise(values: Any, method: str, is_json: bool) -> list[Any]:
    """A column's values for ``method``: ``core`` (SQLAlchemy binds them: aware datetimes, JSON objects),
    ``sqlite`` (what SQLAlchemy would hand the driver: ``YYYY-MM-DD HH:MM:SS.ffffff`` UTC text, JSON
    text) or ``copy`` (PostgreSQL text: ISO times with ``+00:00``, JSON text)."""
    if isinstance(values, Stamps):
        if method == "core":
            return _datetimes(values.seconds)
        micro = values.seconds.astype("datetime64[s]").astype("datetime64[us]")
        textual = np.datetime_as_string(micro, unit="us")
        textual = np.char.replace(textual, "T", " ") if method == "sqlite" else np.char.add(textual, "+00:00")
        return [None if s < 0 else t for s, t in zip(values.seconds.tolist(), textual.tolist(), strict=True)]
    if is_json and method != "core":
        return [_json_text(value) for value in values]
    return list(values)


def _batches(count: int, size: int) -> Iterator[slice]:
    for start in range(0, count, size):
        yield slice(start, min(start + size, count))


@dataclass(frozen=True)
class Bases:
    """The first id of each table's new rows and the store's other ids."""

    store_id: int
    customer: int
    order: int
    member: int
    entry: int
    contact: int
    conversation: int
    message: int
    csat: int
    sla_policy: int


def customer_columns(history: History, bases: Bases, rows: slice) -> dict[str, Any]:
    index = np.arange(history.customers)[rows]
    created_seconds = history.acquired[rows] - 600
    created = Stamps(created_seconds)
    countries = [{"country": COUNTRIES[i][0]} for i in range(len(COUNTRIES))]
    return {
        "id": (index + bases.customer).tolist(),
        "store_id": [bases.store_id] * index.size,
        "external_id": [f"c{i}" for i in index.tolist()],
        "email": [f"c{i}@synth.example.com" for i in index.tolist()],
        "first_name": [FIRST_NAMES[i] for i in history.first_name[rows].tolist()],
        "last_name": [LAST_NAMES[i] for i in history.last_name[rows].tolist()],
        "locale": ["nl"] * index.size,
        "marketing_consent": history.consent[rows].tolist(),
        "marketing_consent_at": Stamps(np.where(history.consent[rows], created_seconds, -1)),
        "tags": [[]] * index.size,
        "attributes": [countries[i] for i in history.country[rows].tolist()],
        "preferences": [{}] * index.size,
        "source": ["import"] * index.size,
        "created_at": created,
        "updated_at": created,
    }


def order_columns(history: History, bases: Bases, rows: slice) -> dict[str, Any]:
    index = np.arange(history.orders)[rows]
    customer = history.order_customer[rows]
    placed = history.placed[rows]
    cancelled = history.cancelled[rows]
    subtotal, shipping, refunded = history.subtotal[rows], history.shipping[rows], history.refunded[rows]
    total = subtotal + shipping
    age = int(HISTORY_END.timestamp()) - placed
    is_cancelled = cancelled >= 0
    # 0 paid, 1 fulfilled, 2 delivered, 3 cancelled
    stage = np.where(is_cancelled, 3, np.where(age < 86_400, 0, np.where(age < 4 * 86_400, 1, 2)))
    status = ("paid", "fulfilled", "delivered", "cancelled")
    refund_status = np.where(refunded <= 0, 0, np.where(refunded >= total, 2, 1))
    addresses = [{"country": country, "city": city} for country, city in COUNTRIES]
    placed_at = Stamps(placed)
    return {
        "id": (index + bases.order).tolist(),
        "store_id": [bases.store_id] * index.size,
        "external_id": [f"o{i}" for i in index.tolist()],
        "number": [f"#{100_000 + i}" for i in index.tolist()],
        "customer_id": (customer + bases.customer).tolist(),
        "email": [f"c{i}@synth.example.com" for i in customer.tolist()],
        "currency": [CURRENCY] * index.size,
        "subtotal": subtotal.tolist(),
        "discount_total": [0] * index.size,
        "shipping_total": shipping.tolist(),
        "tax_total": np.rint(total * 21 / 121).astype(np.int64).tolist(),
        "taxes_included": [True] * index.size,
        "total": total.tolist(),
        "refunded_total": refunded.tolist(),
        "status": [status[s] for s in stage.tolist()],
        "refund_status": [("none", "partial", "full")[s] for s in refund_status.tolist()],
        "discount_codes": [[]] * index.size,
        "shipping_address": [addresses[i] for i in history.country[customer].tolist()],
        "source": ["import"] * index.size,
        "placed_at": placed_at,
        "paid_at": Stamps(placed + 30),
        "fulfilled_at": Stamps(np.where((stage == 1) | (stage == 2), placed + 86_400, -1)),
        "delivered_at": Stamps(np.where(stage == 2, placed + 3 * 86_400, -1)),
        "cancelled_at": Stamps(cancelled),
        "cancel_reason": [("customer" if c else None) for c in is_cancelled.tolist()],
        "revision": [0] * index.size,
        "created_at": placed_at,
        "updated_at": placed_at,
    }


def member_columns(history: History, bases: Bases, rows: slice) -> dict[str, list[Any]]:
    index = np.arange(history.member_customer.size)[rows]
    enrolled = _datetimes(history.enrolled[rows])
    return {
        "id": (index + bases.member).tolist(),
        "store_id": [bases.store_id] * index.size,
        "customer_id": (history.member_customer[rows] + bases.customer).tolist(),
        "enrolled_at": enrolled,
        "available_points": [0] * index.size,
        "pending_points": [0] * index.size,
        "lifetime_earned_points": [0] * index.size,
        "lifetime_redeemed_points": [0] * index.size,
        "referral_code": [f"S{i:09d}" for i in index.tolist()],
        "last_activity_at": enrolled,
    }


def entry_columns(history: History, bases: Bases, rows: slice) -> dict[str, list[Any]]:
    index = np.arange(history.redemption_member.size)[rows]
    return {
        "id": (index + bases.entry).tolist(),
        "store_id": [bases.store_id] * index.size,
        "member_id": (history.redemption_member[rows] + bases.member).tolist(),
        "kind": ["redeem"] * index.size,
        "idempotency_key": [f"synth-redeem-{i}" for i in index.tolist()],
        "request_hash": ["0" * 64] * index.size,
        "points": [-500] * index.size,
        "description": ["Redeemed 5 EUR off"] * index.size,
        "actor_label": ["bench"] * index.size,
        "details": [{}] * index.size,
        "created_at": _datetimes(history.redeemed_at[rows]),
    }


def contact_columns(history: History, bases: Bases, rows: slice) -> dict[str, list[Any]]:
    index = np.arange(history.contact_customer.size)[rows]
    customer = history.contact_customer[rows]
    first = np.full(history.contact_customer.size, np.iinfo(np.int64).max)
    np.minimum.at(first, history.conversation_contact, history.conversation_created)
    created = _datetimes(first[rows])
    return {
        "id": (index + bases.contact).tolist(),
        "store_id": [bases.store_id] * index.size,
        "customer_id": (customer + bases.customer).tolist(),
        "name": [
            f"{FIRST_NAMES[a]} {LAST_NAMES[b]}"
            for a, b in zip(
                history.first_name[customer].tolist(), history.last_name[customer].tolist(), strict=True
            )
        ],
        "email": [f"c{i}@synth.example.com" for i in customer.tolist()],
        "created_at": created,
        "last_seen_at": created,
    }


def conversation_columns(history: History, bases: Bases, rows: slice) -> dict[str, list[Any]]:
    index = np.arange(history.conversation_created.size)[rows]
    contact = history.conversation_contact[rows]
    created = history.conversation_created[rows]
    answered = created + (history.first_response_minutes[rows] * 60).astype(np.int64)
    status = history.conversation_status[rows]
    resolved = history.resolved[rows]
    breached = history.first_response_minutes[rows] > FIRST_RESPONSE_TARGET_MINUTES
    due = created + FIRST_RESPONSE_TARGET_MINUTES * 60
    created_at, answered_at = _datetimes(created), _datetimes(answered)
    text_index = history.customer_text[rows].tolist()
    return {
        "id": (index + bases.conversation).tolist(),
        "store_id": [bases.store_id] * index.size,
        "contact_id": (contact + bases.contact).tolist(),
        "customer_id": (history.contact_customer[contact] + bases.customer).tolist(),
        "channel": [("chat", "email")[i % 2] for i in index.tolist()],
        "subject": ["Question about my order"] * index.size,
        "status": [("resolved", "open", "pending")[s] for s in status.tolist()],
        "priority": ["normal"] * index.size,
        "priority_rank": [1] * index.size,
        "priority_reason": [""] * index.size,
        "labels": [[]] * index.size,
        "reply_by_email": [False] * index.size,
        "first_response_at": answered_at,
        "last_message_at": answered_at,
        "last_message_preview": [AGENT_TEXTS[i % len(AGENT_TEXTS)][:140] for i in text_index],
        "message_count": [2] * index.size,
        "resolved_at": _datetimes(resolved),
        "created_at": created_at,
        "updated_at": answered_at,
        "sla_policy_id": [bases.sla_policy] * index.size,
        "sla_pauses": [[]] * index.size,
        "sla_fired": [
            [["first_response", "breach", moment.isoformat()]] if late and moment else []
            for late, moment in zip(breached.tolist(), _datetimes(due), strict=True)
        ],
        "sla_state": [("breached" if late else "met") for late in breached.tolist()],
    }


def message_columns(history: History, bases: Bases, rows: slice) -> dict[str, list[Any]]:
    """Two messages per conversation: the customer's (even index), the agent's answer (odd)."""
    index = np.arange(2 * history.conversation_created.size)[rows]
    conversation = index // 2
    agent = index % 2 == 1
    created = history.conversation_created[conversation] + np.where(
        agent, (history.first_response_minutes[conversation] * 60).astype(np.int64), 0
    )
    texts = [
        AGENT_TEXTS[t % len(AGENT_TEXTS)] if is_agent else CUSTOMER_TEXTS[t]
        for t, is_agent in zip(history.customer_text[conversation].tolist(), agent.tolist(), strict=True)
    ]
    return {
        "id": (index + bases.message).tolist(),
        "store_id": [bases.store_id] * index.size,
        "conversation_id": (conversation + bases.conversation).tolist(),
        "author_kind": [("agent" if a else "customer") for a in agent.tolist()],
        "author_name": [("Support" if a else "Customer") for a in agent.tolist()],
        "body": texts,
        "body_html": [f"<p>{html.escape(body)}</p>" for body in texts],
        "internal": [False] * index.size,
        "created_at": _datetimes(created),
    }


def csat_columns(history: History, bases: Bases, rows: slice) -> dict[str, list[Any]]:
    index = np.arange(history.csat_conversation.size)[rows]
    conversation = history.csat_conversation[rows]
    return {
        "id": (index + bases.csat).tolist(),
        "store_id": [bases.store_id] * index.size,
        "conversation_id": (conversation + bases.conversation).tolist(),
        "customer_id": (
            history.contact_customer[history.conversation_contact[conversation]] + bases.customer
        ).tolist(),
        "rating": history.csat_rating[rows].tolist(),
        "requested_at": _datetimes(history.resolved[conversation]),
        "answered_at": _datetimes(history.csat_answered[rows]),
    }


@dataclass(frozen=True)
class TableLoad:
    name: str
    rows: Callable[[History], int]
    columns: Callable[[History, Bases, slice], dict[str, Any]]
    bulk: bool = False  # COPY on PostgreSQL, the driver's executemany on SQLite; indexes built after


LOADS = (
    TableLoad("customers", lambda h: h.customers, customer_columns, bulk=True),
    TableLoad("orders", lambda h: h.orders, order_columns, bulk=True),
    TableLoad("loyalty_members", lambda h: h.member_customer.size, member_columns),
    TableLoad("loyalty_entries", lambda h: h.redemption_member.size, entry_columns),
    TableLoad("support_contacts", lambda h: h.contact_customer.size, contact_columns),
    TableLoad("support_conversations", lambda h: h.conversation_created.size, conversation_columns),
    TableLoad("support_messages", lambda h: 2 * h.conversation_created.size, message_columns),
    TableLoad("support_csat_responses", lambda h: h.csat_conversation.size, csat_columns),
)


# -- databases ------------------------------------------------------------------------------------
def fresh_postgres(url: str) -> None:
    """The database of ``url`` (created if missing) with an empty ``public`` schema."""
    import psycopg

    parsed = make_url(url)
    if parsed.database in (None, "", "test", "postgres"):
        raise SystemExit(f"refusing to use the PostgreSQL database {parsed.database!r}: name another one")
    admin = parsed.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        if (
            connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (parsed.database,)).fetchone()
            is None
        ):
            connection.execute(f'CREATE DATABASE "{parsed.database}"')
    empty_postgres(url)


def empty_postgres(url: str) -> None:
    import psycopg

    parsed = make_url(url)
    if parsed.database in (None, "", "test", "postgres"):
        raise SystemExit(f"refusing to empty the PostgreSQL database {parsed.database!r}")
    plain = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain, autocommit=True) as connection:
        connection.execute("DROP SCHEMA public CASCADE")
        connection.execute("CREATE SCHEMA public")


def cli(url: str, work_dir: Path) -> dict[str, float]:
    """``loyaldesk migrate`` and ``loyaldesk stores create``; seconds of each."""
    password = "bench-owner-password\n"
    store = ["--slug", STORE_SLUG, "--name", "Synthetic", "--currency", CURRENCY, "--timezone", TIME_ZONE]
    seconds, _ = run_commands(
        {
            "migrate": (["migrate"], None),
            "stores create": (["stores", "create", *store, "--owner-email", OWNER_EMAIL], password * 2),
        },
        url,
        work_dir,
    )
    return seconds


def loading_engine(url: str) -> Engine:
    """An engine for the bulk load: on SQLite without fsync and with a 1 GB page cache."""
    engine = create_engine(
        url,
        json_serializer=lambda value: orjson.dumps(value).decode(),
        json_deserializer=orjson.loads,
    )
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute("PRAGMA cache_size=-1000000")
            cursor.execute("PRAGMA temp_store=MEMORY")
            cursor.close()

    return engine


def prepare_store(engine: Engine, store_id: int) -> Bases:
    """The loyalty program (``ensure_program``) and an SLA policy; the first free id of each table."""
    from loyaldesk.kernel.db import Database
    from loyaldesk.loyalty.program import ensure_program
    from loyaldesk.support.models import SlaPolicy

    database = Database(str(engine.url.render_as_string(hide_password=False)))
    try:
        with database.transaction() as uow:
            ensure_program(uow, store_id)
            policy = SlaPolicy(
                store_id=store_id,
                name="First response within an hour",
                position=0,
                active=True,
                conditions={},
                first_response_minutes=FIRST_RESPONSE_TARGET_MINUTES,
                warn_before_percent=25,
                escalation={},
                created_at=HISTORY_END - timedelta(days=2000),
            )
            uow.session.add(policy)
            uow.session.flush()
            policy_id = int(policy.id)
    finally:
        database.dispose()
    from loyaldesk.kernel.orm import Base

    def next_id(name: str) -> int:
        table = Base.metadata.tables[name]
        with engine.connect() as connection:
            return int(connection.scalar(select(func.coalesce(func.max(table.c.id), 0))) or 0) + 1

    return Bases(
        store_id=store_id,
        customer=next_id("customers"),
        order=next_id("orders"),
        member=next_id("loyalty_members"),
        entry=next_id("loyalty_entries"),
        contact=next_id("support_contacts"),
        conversation=next_id("support_conversations"),
        message=next_id("support_messages"),
        csat=next_id("support_csat_responses"),
        sla_policy=policy_id,
    )


def missing_columns(table: Table, columns: Iterable[str]) -> list[str]:
    """NOT NULL columns of ``table`` without a value or a server default (the schema may have grown)."""
    given = set(columns)
    return [
        column.name
        for column in table.columns
        if not column.nullable and column.server_default is None and column.name not in given
    ]


@dataclass
class Loaded:
    rows: int
    seconds: float
    method: str


def load(engine: Engine, history: History, bases: Bases, batch: int) -> dict[str, Loaded]:
    """Insert every table of the history; rows and seconds per table (row building included). The
    customers and orders go in without their secondary indexes (built afterwards, timed as their own row)
    by COPY on PostgreSQL (foreign-key triggers off for the session: the rows are consistent by
    construction) and by the driver's executemany on SQLite with the values SQLAlchemy would send; the
    other tables by Core ``insert()``."""
    from loyaldesk.kernel.orm import Base

    results: dict[str, Loaded] = {}
    postgres = engine.dialect.name == "postgresql"
    bulk_tables = [Base.metadata.tables[spec.name] for spec in LOADS if spec.bulk]
    with engine.begin() as connection:
        for table in bulk_tables:
            for index in table.indexes:
                index.drop(connection)
    for spec in LOADS:
        table = Base.metadata.tables[spec.name]
        count = spec.rows(history)
        started = time.perf_counter()
        if spec.bulk:
            method = "COPY" if postgres else "driver executemany"
            _bulk(engine, table, spec, history, bases, batch, "copy" if postgres else "sqlite")
        else:
            method = "Core insert()"
            statement = table.insert()
            for number, rows in enumerate(_batches(count, batch)):
                columns = spec.columns(history, bases, rows)
                if number == 0:
                    _check(table, columns)
                names = list(columns)
                values = [materialise(columns[name], "core", False) for name in names]
                parameters = [dict(zip(names, row, strict=True)) for row in zip(*values, strict=True)]
                with engine.begin() as connection:
                    connection.execute(statement, parameters)
        results[spec.name] = Loaded(count, time.perf_counter() - started, method)
    started = time.perf_counter()
    with engine.begin() as connection:
        if postgres:
            connection.exec_driver_sql("SET maintenance_work_mem = '1GB'")
        for table in bulk_tables:
            for index in table.indexes:
                index.create(connection)
    built = ", ".join(sorted(index.name or "" for table in bulk_tables for index in table.indexes))
    results[f"build indexes ({built})"] = Loaded(0, time.perf_counter() - started, "CREATE INDEX")
    if postgres:
        with engine.begin() as connection:
            for spec in LOADS:
                connection.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{spec.name}', 'id'), "
                        f"(SELECT max(id) FROM {spec.name}))"
                    )
                )
    return results


def _bulk(
    engine: Engine, table: Table, spec: TableLoad, history: History, bases: Bases, batch: int, method: str
) -> None:
    raw = engine.raw_connection()
    try:
        driver: Any = raw.driver_connection
        cursor = driver.cursor()
        if method == "copy":
            cursor.execute("SET session_replication_role = replica")
        for number, rows in enumerate(_batches(spec.rows(history), batch)):
            columns = spec.columns(history, bases, rows)
            names = list(columns)
            if number == 0:
                _check(table, columns)
            values = [materialise(columns[name], method, _is_json(table, name)) for name in names]
            if method == "copy":
                with cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
                    for row in zip(*values, strict=True):
                        copy.write_row(row)
            else:
                cursor.executemany(
                    f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                    list(zip(*values, strict=True)),
                )
            driver.commit()
        if method == "copy":
            cursor.execute("SET session_replication_role = DEFAULT")
            driver.commit()
    finally:
        raw.close()


def _check(table: Table, columns: dict[str, Any]) -> None:
    missing = missing_columns(table, [*columns, "id"])
    if missing:
        raise SystemExit(f"no value for the NOT NULL columns {missing} of {table.name}: update the bench")


def _is_json(table: Table, name: str) -> bool:
    return isinstance(table.c[name].type, JSON)


def _json_text(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


def maintenance(engine: Engine) -> float:
    """Statistics for the planner after the load (and the WAL folded into the SQLite file)."""
    started = time.perf_counter()
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            connection.exec_driver_sql("PRAGMA analysis_limit=1000")  # as PRAGMA optimize does
            connection.exec_driver_sql("ANALYZE")
            connection.commit()
    else:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
    return time.perf_counter() - started


def database_size(url: str) -> int:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "")
        return sum(p.stat().st_size for p in path.parent.glob(path.name + "*") if p.is_file())
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.scalar(text("SELECT pg_database_size(current_database())")) or 0)
    finally:
        engine.dispose()


# -- measurements in fresh processes --------------------------------------------------------------
def peak_rss_mb() -> float:
    """This process's peak resident set (MB): ``VmHWM``, the counter behind ``getrusage().ru_maxrss``
    but of this program alone (``ru_maxrss`` keeps the parent's peak across fork and exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def child(task: dict[str, Any]) -> dict[str, Any]:
    """One measurement (``task["kind"]``: refresh, compute, open) in this fresh process."""
    limit = int(task["memory_limit_gb"] * 1024**3)
    if limit > 0:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    from loyaldesk.analytics import dashboards
    from loyaldesk.composition import compose
    from loyaldesk.kernel.db import Database

    compose()
    database = Database(task["url"])
    store_id = int(task["store_id"])
    now = datetime.fromisoformat(task["now"])
    result: dict[str, Any] = {"baseline_rss_mb": peak_rss_mb()}
    try:
        with database.read() as session:
            from loyaldesk.stores import store_by_id

            today = now.astimezone(ZoneInfo(store_by_id(session, store_id).timezone)).date()
        if task["kind"] == "refresh":
            profiler = cProfile.Profile() if task.get("profile") else None
            started = time.perf_counter()
            cpu_started = time.process_time()
            if profiler is not None:
                profiler.enable()
            names = dashboards.refresh_store(database, store_id, now)
            if profiler is not None:
                profiler.disable()
            result["seconds"] = time.perf_counter() - started
            result["cpu_seconds"] = time.process_time() - cpu_started  # less disturbed by neighbours
            result["dashboards"] = names
            if profiler is not None:
                out = io.StringIO()
                stats = pstats.Stats(profiler, stream=out)
                stats.sort_stats("cumulative").print_stats(int(task["profile"]))
                result["profile"] = out.getvalue()
        elif task["kind"] == "compute":
            dashboard = dashboards.DASHBOARDS[task["name"]]
            filters = dashboard.default_filters(today)
            started = time.perf_counter()
            _, compute_seconds = dashboards.compute_and_store(database, store_id, dashboard, filters, now)
            result["seconds"] = time.perf_counter() - started
            result["compute_seconds"] = compute_seconds
        elif task["kind"] == "open":
            # A later "now": a dashboard computed here instead of read from the cache would carry it.
            later = now + timedelta(hours=1)
            opens: dict[str, list[float]] = {}
            for name, part in PARTS:
                filters = dashboards.DASHBOARDS[name].default_filters(today)
                times = []
                for _ in range(int(task["opens"])):
                    started = time.perf_counter()
                    cached = dashboards.open_dashboard(database, store_id, name, filters, later, part=part)
                    times.append(time.perf_counter() - started)
                    if cached.computed_at != now:
                        raise RuntimeError(f"{part or name} was not served from the cache")
                opens[part or name] = times
            opens.update(segment_first_pages(database, store_id, today, later, int(task["opens"])))
            result["opens"] = opens
            result["figures"] = headline_figures(database, store_id, today)
    except MemoryError:
        result["error"] = f"MemoryError (address space limit {task['memory_limit_gb']} GB)"
    finally:
        database.dispose()
    result["peak_rss_mb"] = peak_rss_mb()
    return result


def segment_first_pages(
    database: Any, store_id: int, today: date, later: datetime, repetitions: int
) -> dict[str, list[float]]:
    """Seconds to open the largest segment's first page of customers (what the segments page lists) and to
    produce the first page of its CSV export, as the console does. Before the scores table served them
    (no ``segment_members``), both decoded the per-customer part, as the page did then."""
    from itertools import islice

    from loyaldesk.analytics import dashboards

    filters = dashboards.DASHBOARDS["segments"].default_filters(today)
    summary = dashboards.open_dashboard(database, store_id, "segments", filters, later).report
    largest = max(summary.segments, key=lambda group: group.count).segment
    try:
        from loyaldesk.analytics import segment_csv_rows, segment_members
        from loyaldesk.analytics.segment_listing import EXPORT_PAGE
    except ImportError:

        def first_page() -> object:
            return dashboards.open_dashboard(
                database, store_id, "segments", filters, later, part="segments_customers"
            )

        def first_export() -> object:
            return first_page()
    else:

        def first_page() -> object:
            return segment_members(database, store_id, filters, largest, later, limit=500)

        def first_export() -> object:
            return list(islice(segment_csv_rows(database, store_id, filters, largest, later), EXPORT_PAGE))

    times: dict[str, list[float]] = {"segment first page": [], "segment export first page": []}
    for _ in range(repetitions):
        for key, call in (("segment first page", first_page), ("segment export first page", first_export)):
            started = time.perf_counter()
            call()
            times[key].append(time.perf_counter() - started)
    return times


def headline_figures(database: Any, store_id: int, today: date) -> str:
    """A few numbers the pages show, from the cache, to see that the figures are plausible."""
    from loyaldesk.analytics import dashboards

    def open_(name: str) -> Any:
        filters = dashboards.DASHBOARDS[name].default_filters(today)
        return dashboards.open_dashboard(database, store_id, name, filters, NOW).report

    retention, segments, value, impact = (
        open_(name) for name in ("retention", "segments", "value", "impact")
    )
    everyone = retention.groups[0]
    spend, purchase = value.spend_model, value.purchase_model
    bgnbd = (
        "none"
        if purchase is None
        else f"r={purchase.r:.3g} alpha={purchase.alpha:.3g} a={purchase.a:.3g} b={purchase.b:.3g}"
    )
    gamma_gamma = "none" if spend is None else f"p={spend.p:.3g} q={spend.q:.3g} gamma={spend.gamma:.3g}"
    return (
        f"retention (90 days): {everyone.customers:,} customers active, {everyone.orders:,} orders, "
        f"retention {everyone.retention}; {len(retention.cohorts.rows)} monthly cohorts. segments: "
        f"{segments.customers:,} customers in {len(segments.segments)} segments. value: "
        f"{value.customers:,} customers, {value.repeat_buyers:,} repeat buyers, BG/NBD {bgnbd}, Gamma-Gamma "
        f"{gamma_gamma}, {len(value.at_risk)} at risk. impact: {impact.customers:,} customers. "
        f"Warnings: {list(value.warnings)}"
    )


def run_child(task: dict[str, Any], timeout_minutes: float) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        result = subprocess.run(
            [sys.executable, __file__, "--child-task", json.dumps(task)],
            capture_output=True,
            text=True,
            timeout=timeout_minutes * 60 if timeout_minutes > 0 else None,
        )
    except subprocess.TimeoutExpired:
        return {
            "error": f"timed out after {timeout_minutes:g} minutes",
            "wall": time.perf_counter() - started,
        }
    lines = result.stdout.strip().splitlines()
    if result.returncode != 0 or not lines:
        tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        return {
            "error": f"exit {result.returncode}: {' / '.join(tail)}",
            "wall": time.perf_counter() - started,
        }
    parsed: dict[str, Any] = json.loads(lines[-1])
    parsed["wall"] = time.perf_counter() - started
    return parsed


def snapshot_sizes(url: str, store_id: int) -> dict[str, tuple[int, int, float]]:
    """report -> (compressed bytes, JSON bytes, stored compute seconds) of the store's snapshots."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT report, params, payload, compute_seconds FROM analytics_snapshots "
                    "WHERE store_id = :store ORDER BY report"
                ),
                {"store": store_id},
            ).all()
    finally:
        engine.dispose()
    return {
        str(report): (len(payload), len(zlib.decompress(payload)), float(seconds))
        for report, _params, payload, seconds in rows
    }


# -- report ---------------------------------------------------------------------------------------
def _git(*arguments: str) -> str:
    return subprocess.run(["git", *arguments], cwd=ROOT, capture_output=True, text=True).stdout.strip()


def analytics_hash() -> str:
    digest = hashlib.sha256()
    for path in sorted(ANALYTICS_SOURCE.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def print_machine() -> None:
    dirty = _git("status", "--porcelain", "src")
    print(
        f"# analytics full refresh, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, "
        f"{platform.platform()}, {os.cpu_count()} CPUs, "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 1024**3:.0f} GB RAM, load average "
        f"{', '.join(f'{load:.2f}' for load in os.getloadavg())}, nice {os.nice(0)}"
    )
    print(f"Python {platform.python_version()}, numpy {np.__version__}, SQLite {sqlite3.sqlite_version}")
    changed = f" (src/ has uncommitted changes: {len(dirty.splitlines())} files)" if dirty else ""
    commit = _git("rev-parse", "--short", "HEAD")
    print(f"loyaldesk commit {commit}{changed}; analytics source {analytics_hash()}\n")


def _mb(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def _ms(values: Sequence[float] | None) -> str:
    if not values:
        return "—"
    return f"{min(values) * 1000:,.1f} / {statistics.median(values) * 1000:,.1f}"


@dataclass
class BackendRun:
    backend: str
    url: str
    store_id: int = 0
    cli_seconds: dict[str, float] = field(default_factory=dict)
    loaded: dict[str, Loaded] = field(default_factory=dict)
    maintenance_seconds: float | None = None
    size_bytes: int = 0
    refresh: dict[str, Any] = field(default_factory=dict)
    computes: dict[str, dict[str, Any]] = field(default_factory=dict)
    opens: dict[str, Any] = field(default_factory=dict)
    sizes: dict[str, tuple[int, int, float]] = field(default_factory=dict)
    load_rss_mb: float | None = None
    server: str = ""


def print_backend(run: BackendRun, history: History | None, opens: int) -> None:
    print(f"\n## {run.backend}{' ' + run.server if run.server else ''}\n")
    if history is not None:
        print("| step | rows | seconds | rows/s | peak RSS (MB) |")
        print("|---|---:|---:|---:|---:|")
        print(
            f"| generate (numpy, both backends share it) | {history.orders:,} orders | "
            f"{history.seconds:,.1f} | | |"
        )
    for name, seconds in run.cli_seconds.items():
        print(f"| `loyaldesk {name}` | | {seconds:,.1f} | | |")
    total_rows, total_seconds = 0, 0.0
    for name, loaded in run.loaded.items():
        total_rows += loaded.rows
        total_seconds += loaded.seconds
        if not loaded.rows:
            print(f"| {name} | | {loaded.seconds:,.1f} | | |")
            continue
        rate = loaded.rows / loaded.seconds if loaded.seconds else 0
        print(
            f"| insert {name} ({loaded.method}) | {loaded.rows:,} | {loaded.seconds:,.1f} | {rate:,.0f} | |"
        )
    if run.loaded:
        print(
            f"| **insert, all tables** | {total_rows:,} | {total_seconds:,.1f} | "
            f"{total_rows / total_seconds:,.0f} | {_mb(run.load_rss_mb)} |"
        )
    if run.maintenance_seconds is not None:
        label = "ANALYZE" if run.backend == "sqlite" else "VACUUM ANALYZE"
        print(f"| {label} | | {run.maintenance_seconds:,.1f} | | |")
    print(f"\nDatabase size before the refresh: {run.size_bytes / 1024**2:,.0f} MB.\n")

    refresh = run.refresh
    print(
        "| dashboard | compute (s) | peak RSS (MB) | cached open best / median (ms) "
        "| snapshot zlib / JSON (bytes) |"
    )
    print("|---|---:|---:|---:|---:|")
    took = f"{refresh['seconds']:,.1f}" if "seconds" in refresh else f"failed: {refresh.get('error')}"
    print(
        f"| **full refresh** (`refresh_store`, {len(refresh.get('dashboards', []))} dashboards) "
        f"| **{took}** | {_mb(refresh.get('peak_rss_mb'))} | | |"
    )
    for name, part in PARTS:
        key = part or name
        compute = run.computes.get(name, {}) if part is None else {}
        if part is None:
            value = (
                f"{compute['seconds']:,.1f}"
                if "seconds" in compute
                else f"failed: {compute['error']}"
                if "error" in compute
                else "not run"
            )
            rss = _mb(compute.get("peak_rss_mb"))
        else:
            value, rss = "(with segments)", ""
        size = run.sizes.get(key)
        stored = f"{size[0]:,} / {size[1]:,}" if size else "—"
        print(f"| {key} | {value} | {rss} | {_ms(run.opens.get('opens', {}).get(key))} | {stored} |")
    for key in ("segment first page", "segment export first page"):
        print(f"| {key} (largest segment) | | | {_ms(run.opens.get('opens', {}).get(key))} | |")
    separate = [c["seconds"] for c in run.computes.values() if "seconds" in c]
    if len(separate) == len(run.computes) and separate:
        print(f"| sum of the dashboards computed alone | {sum(separate):,.1f} | | | |")
    baseline = refresh.get("baseline_rss_mb")
    print(
        f"\nEach row in a fresh process (its RSS after imports: {_mb(baseline)} MB); cached opens: best / "
        f"median of {opens} in one process{' (' + run.opens['error'] + ')' if 'error' in run.opens else ''}. "
        f"Open peak RSS {_mb(run.opens.get('peak_rss_mb'))} MB."
    )
    if run.refresh.get("changed"):
        print("\n**src/loyaldesk/analytics changed while this backend was measured: the rows mix versions.**")
    if run.opens.get("figures"):
        print(f"\nFigures: {run.opens['figures']}")


# -- main -----------------------------------------------------------------------------------------
def measure(run: BackendRun, args: argparse.Namespace) -> None:
    base = {
        "url": run.url,
        "store_id": run.store_id,
        "now": NOW.isoformat(),
        "memory_limit_gb": args.memory_limit_gb,
        "opens": args.opens,
    }
    source = analytics_hash()
    print(f"[{run.backend}] full refresh ...", file=sys.stderr, flush=True)
    run.refresh = run_child(base | {"kind": "refresh"}, args.timeout_minutes)
    print(f"[{run.backend}] refresh: {_brief(run.refresh)}", file=sys.stderr, flush=True)
    if not args.no_separate:
        from loyaldesk.analytics import dashboards  # only the names; each child imports afresh

        for name in dashboards.DASHBOARDS:
            run.computes[name] = run_child(base | {"kind": "compute", "name": name}, args.timeout_minutes)
            print(f"[{run.backend}] {name}: {_brief(run.computes[name])}", file=sys.stderr, flush=True)
    run.opens = run_child(base | {"kind": "open"}, args.timeout_minutes)
    run.sizes = snapshot_sizes(run.url, run.store_id)
    if args.profile:
        profiled = run_child(base | {"kind": "refresh", "profile": args.profile}, args.timeout_minutes)
        run.refresh["profile_text"] = profiled.get("profile") or profiled.get("error", "")
        run.refresh["profile_seconds"] = profiled.get("seconds")
    if analytics_hash() != source:
        print(
            f"[{run.backend}] WARNING: src/loyaldesk/analytics changed during the measurement",
            file=sys.stderr,
            flush=True,
        )
        run.refresh["changed"] = True


def _brief(result: dict[str, Any]) -> str:
    if "error" in result:
        return f"failed: {result['error']}"
    cpu = f", CPU {result['cpu_seconds']:.1f} s" if "cpu_seconds" in result else ""
    return f"{result.get('seconds', 0):.1f} s{cpu}, peak RSS {result.get('peak_rss_mb', 0):,.0f} MB"


def store_id_of(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            value = connection.scalar(text("SELECT id FROM stores WHERE slug = :slug"), {"slug": STORE_SLUG})
    finally:
        engine.dispose()
    if value is None:
        raise SystemExit(f"no store {STORE_SLUG!r} in {url}")
    return int(value)


def server_version(url: str) -> str:
    if make_url(url).get_backend_name() != "postgresql":
        return ""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            version = str(connection.scalar(text("SHOW server_version")))
            buffers = str(connection.scalar(text("SHOW shared_buffers")))
            work_mem = str(connection.scalar(text("SHOW work_mem")))
    finally:
        engine.dispose()
    return f"(server {version}, shared_buffers {buffers}, work_mem {work_mem}, same machine)"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", action="append", choices=BACKENDS, help="repeatable; default both")
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=10_000_000)
    parser.add_argument("--days", type=int, default=3 * 365, help="length of the history")
    parser.add_argument("--seed", type=int, default=20260101)
    parser.add_argument("--batch", type=int, default=50_000, help="rows per insert batch")
    parser.add_argument("--work-dir", type=Path, help="where the SQLite database goes (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the databases (SQLite file, PG content)")
    parser.add_argument("--postgres-url", default=POSTGRES_URL, help="the PostgreSQL database to fill")
    parser.add_argument("--skip-generate", action="store_true", help="measure an existing --database-url")
    parser.add_argument("--database-url", help="with --skip-generate: a database filled by an earlier run")
    parser.add_argument("--opens", type=int, default=5, help="cached opens per dashboard")
    parser.add_argument("--no-separate", action="store_true", help="skip the per-dashboard computes")
    parser.add_argument("--profile", type=int, default=0, help="also profile the refresh: top N functions")
    parser.add_argument("--memory-limit-gb", type=float, default=20.0, help="address space of each child")
    parser.add_argument("--timeout-minutes", type=float, default=60.0, help="per measuring process")
    parser.add_argument("--child-task", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child_task:
        print(json.dumps(child(json.loads(args.child_task))))
        return

    from loyaldesk.composition import compose

    compose()
    print_machine()
    runs: list[BackendRun] = []
    history: History | None = None
    if args.skip_generate:
        if not args.database_url:
            raise SystemExit("--skip-generate needs --database-url")
        backend = make_url(args.database_url).get_backend_name()
        if make_url(args.database_url).database == "test":
            raise SystemExit("refusing to use the test database")
        run = BackendRun(backend, args.database_url, server=server_version(args.database_url))
        run.store_id = store_id_of(args.database_url)
        run.size_bytes = database_size(args.database_url)
        print(f"Generation: skipped, reusing {args.database_url.split('@')[-1]} (store id {run.store_id}).")
        measure(run, args)
        print_backend(run, None, args.opens)
        runs.append(run)
        return

    backends = args.backend or list(BACKENDS)
    scratch = Path(tempfile.mkdtemp(prefix="loyaldesk-refresh-"))
    try:
        print(
            f"[generate] {args.customers:,} customers, {args.orders:,} orders ...",
            file=sys.stderr,
            flush=True,
        )
        history = generate(args.customers, args.orders, args.days, args.seed)
        print(
            f"Synthetic history (seed {args.seed}, {args.days} days to {NOW:%Y-%m-%d}): {describe(history)}"
        )
        print(f"Generated in {history.seconds:.1f} s (numpy).")
        for backend in backends:
            if backend == "sqlite":
                work_dir = (args.work_dir or scratch).resolve()
                work_dir.mkdir(parents=True, exist_ok=True)
                path = work_dir / "synth.db"
                if path.exists():
                    raise SystemExit(
                        f"{path} exists: reuse it with --skip-generate --database-url sqlite:///{path}"
                    )
                url = f"sqlite:///{path}"
                cli_dir = work_dir
            else:
                url = args.postgres_url
                fresh_postgres(url)
                cli_dir = scratch
            run = BackendRun(backend, url, server=server_version(url))
            runs.append(run)
            print(f"[{backend}] migrate and create the store ...", file=sys.stderr, flush=True)
            run.cli_seconds = cli(url, cli_dir)
            run.store_id = store_id_of(url)
            engine = loading_engine(url)
            try:
                bases = prepare_store(engine, run.store_id)
                print(f"[{backend}] insert ...", file=sys.stderr, flush=True)
                run.loaded = load(engine, history, bases, args.batch)
                run.load_rss_mb = peak_rss_mb()
                print(f"[{backend}] maintenance ...", file=sys.stderr, flush=True)
                run.maintenance_seconds = maintenance(engine)
            finally:
                engine.dispose()
            run.size_bytes = database_size(url)
            measure(run, args)
            print_backend(run, history, args.opens)
            if not args.keep:
                if backend == "sqlite":
                    for leftover in path.parent.glob(path.name + "*"):
                        leftover.unlink()
                else:
                    empty_postgres(url)
        for run in runs:
            profile = run.refresh.get("profile_text")
            if profile:
                print(
                    f"\n## Profile of the full refresh on {run.backend} (cProfile, "
                    f"{run.refresh.get('profile_seconds') or 0:,.1f} s under the profiler), "
                    f"top {args.profile} by cumulative time\n\n```\n{_trim_profile(profile)}\n```"
                )
    finally:
        if args.keep:
            print(f"\nKept: {', '.join(run.url for run in runs)}")
        if not (args.keep and args.work_dir is None and "sqlite" in backends):
            shutil.rmtree(scratch, ignore_errors=True)
    print(f"\nload average at the end: {', '.join(f'{load:.2f}' for load in os.getloadavg())}")


def _trim_profile(textual: str) -> str:
    lines = textual.strip().splitlines()
    start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
    return "\n".join(lines[max(start - 2, 0) :])


if __name__ == "__main__":
    main()
