"""A realistic, deterministic order history for the demo store. Pure: the same seed and end date give the
same customers, orders and refunds, byte for byte.

Buying follows the BG/NBD story that retention analytics later fits: each customer buys at their own
rate (gamma-distributed across customers) while active, and after each purchase drops out with their own
probability (beta-distributed), so there are one-off buyers, loyal repeat buyers and lapsed ones. Demand
is seasonal (a November/December peak), the store grows over the two years, some orders use discount
codes, a few are cancelled and some are returned or refunded.

The story is drawn in *demand time*: two years in which every day is as busy as any other, then spread
over the calendar so that busy months get more of it (see :class:`_DemandClock`). So the same seed gives
the same customers and the same number of orders whatever ``until`` is; only their dates, and which of
the last orders have arrived or been returned by then, follow the calendar. Nothing is dated after the
history's end (``until`` 23:00 UTC), the moment the seeder treats as "now".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np

from loyaldesk.demo.catalogue import CATALOGUE, COUNTRIES, FIRST_NAMES, LAST_NAMES, CatalogueItem

# Relative demand per month (January = 1).
SEASONALITY = (0.8, 0.75, 0.9, 0.95, 1.0, 0.95, 0.9, 0.9, 1.0, 1.1, 1.55, 1.75)
HISTORY_DAYS = 730


@dataclass
class DemoCustomer:
    external_id: str
    first_name: str
    last_name: str
    email: str
    phone: str | None
    birthday: date | None
    locale: str
    timezone: str
    country: str
    marketing_consent: bool
    tags: list[str]
    preferences: dict[str, Any]
    favourite_category: str
    signed_up_at: datetime | None = None  # for newsletter sign-ups who never bought


@dataclass
class DemoOrder:
    payload: dict[str, Any]  # an OrderIn as JSON-able data
    refunds: list[dict[str, Any]] = field(default_factory=list)  # RefundIn payloads


@dataclass
class DemoHistory:
    customers: list[DemoCustomer]
    orders: list[DemoOrder]  # in the order they were placed


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def history_end(until: date) -> datetime:
    """The moment the history of ``until`` ends: 23:00 UTC that day (midnight in the demo store's zone in
    winter). Everything in the history happened before it."""
    return datetime.combine(until, time(23, 0), tzinfo=UTC)


def generate(*, seed: int = 42, customers: int = 3000, until: date) -> DemoHistory:
    """Two years of history ending at :func:`history_end` of ``until`` for ``customers`` shoppers. The
    customers and the number of orders depend only on ``seed`` and ``customers``."""
    rng = np.random.default_rng(seed)
    end = history_end(until)
    start = end - timedelta(days=HISTORY_DAYS)
    clock = _DemandClock(start)
    people = [_customer(rng, index) for index in range(customers)]
    # Most customers buy; some only signed up for the newsletter.
    buyers = []
    for person in people:
        if rng.random() < 0.92:
            buyers.append(person)
        else:
            person.signed_up_at = clock.moment(float(rng.uniform(0, HISTORY_DAYS)))
    acquisition = _acquisition_days(rng, len(buyers))
    orders: list[tuple[datetime, DemoOrder]] = []
    order_number = 1000
    for person, first_day in zip(buyers, acquisition, strict=True):
        rate_per_day = rng.gamma(shape=1.1, scale=2.6) / 365.0
        dropout = rng.beta(1.4, 3.2)
        demand_day = float(first_day) + float(rng.random())
        previous: datetime | None = None
        while demand_day < HISTORY_DAYS:
            moment = clock.purchase(demand_day, _time_of_day(rng), previous, end)
            order_number += 1
            orders.append((moment, _order(rng, person, moment, end, order_number, previous is None)))
            previous = moment
            if rng.random() < dropout:
                break
            demand_day += float(rng.exponential(1.0 / rate_per_day))
    orders.sort(key=lambda item: item[0])
    _number_in_time_order([order for _, order in orders])
    return DemoHistory(customers=people, orders=[order for _, order in orders])


def _number_in_time_order(orders: list[DemoOrder]) -> None:
    """Order numbers go up with time, as a shop's do (they were drawn per customer)."""
    for number, order in enumerate(orders, start=1001):
        old = order.payload["external_id"][1:]
        order.payload["external_id"] = f"O{number}"
        order.payload["number"] = f"#{number}"
        for line in order.payload["lines"]:
            line["external_id"] = line["external_id"].replace(f"{old}-", f"{number}-", 1)
        for refund in order.refunds:
            refund["external_id"] = f"R{number}-1"
            for refund_line in refund["lines"]:
                refund_line["line_external_id"] = refund_line["line_external_id"].replace(
                    f"{old}-", f"{number}-", 1
                )


def _customer(rng: np.random.Generator, index: int) -> DemoCustomer:
    first = str(rng.choice(FIRST_NAMES))
    last = str(rng.choice(LAST_NAMES))
    country, locale, timezone, phone_prefix = COUNTRIES[int(rng.integers(len(COUNTRIES)))]
    favourite = str(
        rng.choice(sorted({item.category for item in CATALOGUE if item.category != "Gift cards"}))
    )
    birthday = None
    if rng.random() < 0.7:
        birthday = date(int(rng.integers(1955, 2005)), int(rng.integers(1, 13)), int(rng.integers(1, 29)))
    tags = []
    if rng.random() < 0.08:
        tags.append("wholesale-enquiry")
    if rng.random() < 0.15:
        tags.append("newsletter")
    preferences: dict[str, Any] = {}
    if rng.random() < 0.35:
        preferences["favourite_categories"] = [favourite]
        preferences["size"] = str(rng.choice(["XS", "S", "M", "L", "XL"]))
    if rng.random() < 0.2:
        preferences["contact_channel"] = str(rng.choice(["email", "chat", "phone"]))
    return DemoCustomer(
        external_id=f"C{100000 + index}",
        first_name=first,
        last_name=last,
        email=f"{first.lower()}.{last.lower().replace(' ', '')}.{index}@example.com",
        phone=f"{phone_prefix} {int(rng.integers(100, 999))} {int(rng.integers(1000, 9999))}"
        if rng.random() < 0.6
        else None,
        birthday=birthday,
        locale=locale,
        timezone=timezone,
        country=country,
        marketing_consent=bool(rng.random() < 0.55),
        tags=tags,
        preferences=preferences,
        favourite_category=favourite,
    )


class _DemandClock:
    """Turns days of demand time (0 to ``HISTORY_DAYS``, each as busy as any other) into moments of the
    two calendar years from ``start``, a busy month taking more of the demand than a quiet one: demand day
    ``u`` falls on the calendar day where the season's cumulative demand reaches ``u`` (of the total)."""

    def __init__(self, start: datetime) -> None:
        self.start = start
        months = np.array([(start + timedelta(days=day)).month for day in range(HISTORY_DAYS)])
        cumulative = np.concatenate(([0.0], np.cumsum(np.array(SEASONALITY)[months - 1])))
        self.demand = cumulative * HISTORY_DAYS / cumulative[-1]
        self.calendar = np.arange(HISTORY_DAYS + 1, dtype=float)

    def moment(self, demand_day: float) -> datetime:
        """The calendar moment of ``demand_day``."""
        return self.start + timedelta(days=float(np.interp(demand_day, self.demand, self.calendar)))

    def purchase(
        self, demand_day: float, time_of_day: timedelta, previous: datetime | None, end: datetime
    ) -> datetime:
        """When a purchase of ``demand_day`` is placed: on its calendar day at ``time_of_day`` (UTC), after
        the customer's ``previous`` one and before ``end``."""
        day = self.moment(demand_day).replace(hour=0, minute=0, second=0, microsecond=0)
        placed = max(day + time_of_day, self.start)
        if previous is not None and placed <= previous:
            placed = previous + timedelta(minutes=47)  # a second order the same day, a little later
        return min(placed, end - timedelta(minutes=1))


def _acquisition_days(rng: np.random.Generator, count: int) -> np.ndarray:
    """Demand days on which each buyer first buys: more of them as the store grows."""
    days = np.arange(HISTORY_DAYS)
    weights = 0.6 + 0.8 * days / HISTORY_DAYS
    return np.sort(rng.choice(days, size=count, p=weights / weights.sum()))


def _time_of_day(rng: np.random.Generator) -> timedelta:
    # Shoppers buy in the day and the evening more than at night.
    hour = float(rng.choice(np.arange(24), p=_HOURLY))
    return timedelta(hours=hour, minutes=float(rng.integers(0, 60)))


_HOURLY_WEIGHTS = np.array(
    [1, 0.6, 0.4, 0.3, 0.3, 0.5, 1, 2, 3, 4, 4.5, 5, 5.5, 5, 4.5, 4.5, 5, 5.5, 6.5, 7.5, 8, 7, 5, 2.5]
)
_HOURLY = _HOURLY_WEIGHTS / _HOURLY_WEIGHTS.sum()


def _order(
    rng: np.random.Generator, person: DemoCustomer, placed: datetime, end: datetime, number: int, first: bool
) -> DemoOrder:
    line_count = int(rng.choice([1, 2, 3, 4], p=[0.5, 0.3, 0.13, 0.07]))
    chosen: list[CatalogueItem] = []
    for _ in range(line_count):
        pool = (
            [item for item in CATALOGUE if item.category == person.favourite_category]
            if rng.random() < 0.5
            else list(CATALOGUE)
        )
        item = pool[int(rng.integers(len(pool)))]
        if item not in chosen:
            chosen.append(item)
    lines: list[dict[str, Any]] = [
        {
            "external_id": f"{number}-{position + 1}",
            "sku": item.sku,
            "product_id": item.sku,
            "title": item.title,
            "category": item.category,
            "quantity": 1 if rng.random() < 0.85 else 2,
            "unit_price": item.price,
        }
        for position, item in enumerate(chosen)
    ]
    subtotal = sum(line["quantity"] * line["unit_price"] for line in lines)
    # Every draw is made whatever the date and the status, so that the draws (and thus the customers and
    # orders) that follow are the same for any ``until``.
    welcome, black_friday = rng.random(), rng.random()
    codes: list[str] = []
    order_discount = 0
    if first and welcome < 0.3:
        codes, order_discount = ["WELCOME10"], subtotal // 10
    elif placed.month == 11 and placed.day >= 20 and black_friday < 0.5:
        codes, order_discount = ["BLACKFRIDAY20"], subtotal // 5
    shipping = 0 if subtotal - order_discount >= 5000 else 495
    status, stamps = _lifecycle(rng, placed, end)
    payload: dict[str, Any] = {
        "external_id": f"O{number}",
        "number": f"#{number}",
        "customer": {
            "external_id": person.external_id,
            "email": person.email,
            "first_name": person.first_name,
            "last_name": person.last_name,
            "phone": person.phone,
            "birthday": person.birthday.isoformat() if person.birthday else None,
            "locale": person.locale,
            "timezone": person.timezone,
            "marketing_consent": person.marketing_consent,
            "tags": person.tags,
            "attributes": {"country": person.country},
            "preferences": person.preferences,
        },
        "currency": "EUR",
        "lines": lines,
        "order_discount": order_discount,
        "shipping_total": shipping,
        "tax_total": round((subtotal - order_discount + shipping) * 21 / 121),
        "taxes_included": True,
        "discount_codes": codes,
        "status": status,
        "placed_at": _iso(placed),
        **{key: _iso(value) for key, value in stamps.items()},
        "shipping_address": {"country": person.country, "city": "—"},
    }
    cancel_reason = str(rng.choice(["customer changed their mind", "out of stock", "payment failed"]))
    if status == "cancelled":
        payload["cancel_reason"] = cancel_reason
    order = DemoOrder(payload)
    roll, days_after = rng.random(), float(rng.integers(2, 20))
    returned = lines[int(rng.integers(len(lines)))]
    return_reason = str(rng.choice(["wrong size", "not as described", "arrived damaged", "changed mind"]))
    delivered = stamps.get("delivered_at")
    if delivered is not None and status == "delivered":
        refund_at = delivered + timedelta(days=days_after)
        if roll < 0.06 and refund_at < end:
            order.refunds.append(
                {
                    "external_id": f"R{number}-1",
                    "kind": "return",
                    "lines": [{"line_external_id": returned["external_id"], "quantity": 1}],
                    "reason": return_reason,
                    "occurred_at": _iso(refund_at),
                }
            )
        elif roll < 0.075 and refund_at < end:
            order.refunds.append(
                {
                    "external_id": f"R{number}-1",
                    "kind": "refund",
                    "lines": [
                        {"line_external_id": line["external_id"], "quantity": line["quantity"]}
                        for line in lines
                    ],
                    "reason": "parcel lost in transit",
                    "occurred_at": _iso(refund_at),
                }
            )
    return order


def _lifecycle(rng: np.random.Generator, placed: datetime, now: datetime) -> tuple[str, dict[str, datetime]]:
    """The order's status at ``now`` and the moments it reached each stage (none after ``now``)."""
    if rng.random() < 0.02:
        cancelled = placed + timedelta(hours=float(rng.uniform(0.5, 20)))
        return ("cancelled", {"cancelled_at": cancelled}) if cancelled <= now else ("placed", {})
    paid = placed + timedelta(minutes=float(rng.uniform(0, 5)))
    shipped = placed + timedelta(hours=float(rng.uniform(18, 60)))
    delivered = shipped + timedelta(days=float(rng.uniform(1, 4)))
    if delivered <= now:
        return "delivered", {"paid_at": paid, "fulfilled_at": shipped, "delivered_at": delivered}
    if shipped <= now:
        return "fulfilled", {"paid_at": paid, "fulfilled_at": shipped}
    if paid <= now:
        return "paid", {"paid_at": paid}
    return "placed", {}
