"""Repurchase timing: what a customer buys again, scored by how due it is. No I/O.

Each item has this customer's typical interval (the median gap between their purchases of it) or, bought
once, the population's; the time-decayed personal frequency (TIFU-KNN's strong baseline) is scaled by how
due the item is at the scoring time, and an item bought once by how often the population re-buys it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from loyaldesk.recommendations.rules.history import History
from loyaldesk.recommendations.rules.interactions import Encoded

DEFAULT_INTERVAL_DAYS = 30.0


@dataclass
class RepurchaseStats:
    interval_days: np.ndarray  # per item: the population's median interval (the default when unknown)
    rebuy_rate: np.ndarray  # per item: share of its buyers who bought it again


def _intervals(
    customer: np.ndarray, item: np.ndarray, day: np.ndarray, n_items: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gaps between consecutive purchases of the same item by the same customer: (item, customer, gap)."""
    order = np.lexsort((day, item, customer))
    c, i, d = customer[order], item[order], day[order]
    same = (c[1:] == c[:-1]) & (i[1:] == i[:-1])
    gap = d[1:] - d[:-1]
    same &= gap >= 0.5  # same-day baskets are one purchase occasion
    return i[1:][same], c[1:][same], gap[same]


def fit_repurchase(encoded: Encoded) -> RepurchaseStats:
    n = encoded.n_items
    items, customers, gaps = _intervals(encoded.customer, encoded.item, encoded.day, n)
    interval = np.full(n, np.nan)
    if len(gaps):
        default = float(np.median(gaps))
        order = np.argsort(items, kind="stable")
        items_sorted, gaps_sorted = items[order], gaps[order]
        starts = np.flatnonzero(np.r_[True, items_sorted[1:] != items_sorted[:-1]])
        for start, end in zip(starts, np.r_[starts[1:], len(items_sorted)], strict=True):
            interval[items_sorted[start]] = np.median(gaps_sorted[start:end])
    else:
        default = DEFAULT_INTERVAL_DAYS
    interval = np.where(np.isnan(interval), default, interval)
    pairs = np.unique(encoded.customer.astype(np.int64) * n + encoded.item)
    buyers = np.bincount(pairs % n, minlength=n) if n else np.zeros(0)
    rebuyers = (
        np.bincount(np.unique(customers.astype(np.int64) * n + items) % n, minlength=n) if n else buyers
    )
    rate = np.where(buyers > 0, rebuyers / np.maximum(buyers, 1), 0.0)
    return RepurchaseStats(interval.astype(np.float32), rate.astype(np.float32))


@dataclass
class RepurchaseScores:
    scores: np.ndarray
    interval_days: np.ndarray  # per item: the interval that applies to this customer
    last_day: np.ndarray  # per item: when they last bought it (nan: never)
    own_interval: np.ndarray  # per item: bool, the interval is the customer's own


def score_repurchase(
    history: History,
    stats: RepurchaseStats,
    now: float,
    half_life_days: float,
    horizon_days: float,
    once_weight: float,
) -> RepurchaseScores:
    """Scores for one customer: decayed frequency x dueness (items bought again), or x the population's
    re-buy rate (items bought once)."""
    n = len(stats.interval_days)
    frequency = history.decayed_frequency(n, now, half_life_days)
    interval = stats.interval_days.astype(np.float64, copy=True)
    last_day = np.full(n, np.nan)
    own = np.zeros(n, dtype=bool)
    scores = np.zeros(n)
    if not len(history.item):
        return RepurchaseScores(scores, interval, last_day, own)
    order = np.lexsort((history.day, history.item))
    items, days = history.item[order], history.day[order]
    starts = np.flatnonzero(np.r_[True, items[1:] != items[:-1]])
    ends = np.r_[starts[1:], len(items)]
    for start, end in zip(starts, ends, strict=True):
        item = items[start]
        occasions = days[start:end]
        last_day[item] = occasions[-1]
        gaps = np.diff(occasions)
        gaps = gaps[gaps >= 0.5]
        if len(gaps):
            interval[item] = float(np.median(gaps))
            own[item] = True
    bought = ~np.isnan(last_day)
    elapsed = np.where(bought, now - np.nan_to_num(last_day), 0.0)
    due = np.minimum(1.0, (elapsed + horizon_days) / np.maximum(interval, 1.0))
    factor = np.where(own, 0.5 + 0.5 * due, once_weight * (stats.rebuy_rate + 0.05) * (0.5 + 0.5 * due))
    scores = np.where(bought, frequency * factor, 0.0)
    return RepurchaseScores(scores, interval, last_day, own)
