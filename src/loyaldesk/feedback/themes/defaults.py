"""The themes every store starts with (retail), their training data, and the store setup step.

Contracts:
- ``DEFAULT_THEMES``: one ``ThemeInfo(key, name, description)`` per built-in theme, in console order. The
  keys are the labels of ``data/themes.csv`` and of the default model; never rename one.
- ``ensure_default_themes(uow, store)``: a store setup step (``composition.store_setup_steps``) that adds
  the built-in themes the store lacks; idempotent, so it also runs on first use for stores made before.
- ``default_examples()``: ``(text, theme keys)`` pairs from ``data/themes.csv`` (written for loyaldesk,
  CC0; ``data/README.md``). ``held_out_examples()``: ``data/held_out.csv``, never trained or tuned on.
- ``read_labelled_csv(text, source)``: rows of a CSV ``text,themes`` (themes separated by ``|``, an empty
  cell meaning no theme); ``ValueError`` naming the source, line and column when something is wrong.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from importlib import resources
from typing import Any

from sqlalchemy import select

from loyaldesk.feedback.models import Theme
from loyaldesk.kernel.db import UnitOfWork

THEME_SEPARATOR = "|"


@dataclass(frozen=True)
class ThemeInfo:
    key: str
    name: str
    description: str


DEFAULT_THEMES: tuple[ThemeInfo, ...] = (
    ThemeInfo(
        "delivery", "Delivery", "Late, lost or misdelivered parcels, tracking, couriers, shipping time."
    ),
    ThemeInfo("damaged_item", "Damaged item", "An item that arrived broken, scratched, dented or leaking."),
    ThemeInfo(
        "returns_refunds", "Returns and refunds", "Sending items back, exchanges, refunds and their delays."
    ),
    ThemeInfo(
        "product_quality", "Product quality", "How well a product is made, lasts, works, matches its photos."
    ),
    ThemeInfo(
        "sizing_fit", "Sizing and fit", "Sizes that run small or large, the size guide, how things fit."
    ),
    ThemeInfo("price_value", "Price and value", "Prices, discounts, offers, fees and value for money."),
    ThemeInfo("stock_availability", "Stock and availability", "Sold out, back orders, the range on offer."),
    ThemeInfo(
        "website_checkout", "Website and checkout", "The site and app: search, account, basket, checkout."
    ),
    ThemeInfo("payment", "Payment", "Payment methods, declined or double charges, invoices."),
    ThemeInfo(
        "staff_service", "Staff and service", "The people who helped (or did not): agents, phone, chat."
    ),
    ThemeInfo("loyalty_program", "Loyalty program", "Points, rewards, tiers, referrals and member perks."),
    ThemeInfo(
        "packaging", "Packaging", "How orders are packed: too much, too little, plastic, presentation."
    ),
    ThemeInfo(
        "communication", "Communication", "Emails, texts and updates from the store, replies to messages."
    ),
)
DEFAULT_THEME_KEYS = tuple(info.key for info in DEFAULT_THEMES)


def ensure_default_themes(uow: UnitOfWork, store: Any) -> list[Theme]:
    """Add the built-in themes ``store`` does not have yet (all of them for a new store); returns the
    rows added. A theme the store switched off or renamed is left as it is."""
    store_id = int(store.id if hasattr(store, "id") else store)
    have = set(uow.session.scalars(select(Theme.key).where(Theme.store_id == store_id)))
    added = [
        Theme(
            store_id=store_id,
            key=info.key,
            name=info.name,
            description=info.description,
            builtin=True,
            enabled=True,
            created_at=uow.now(),
        )
        for info in DEFAULT_THEMES
        if info.key not in have
    ]
    if added:
        uow.session.add_all(added)
        uow.session.flush()
    return added


def read_labelled_csv(text: str, source: str) -> list[tuple[str, tuple[str, ...]]]:
    """``(comment, theme names)`` rows of a ``text,themes`` CSV (see the module's contract)."""
    reader = csv.DictReader(io.StringIO(text))
    missing = {"text", "themes"} - set(reader.fieldnames or ())
    if missing:
        raise ValueError(f"{source}: missing column(s) {', '.join(sorted(missing))} (expected text,themes)")
    rows: list[tuple[str, tuple[str, ...]]] = []
    try:
        for row in reader:
            comment = (row.get("text") or "").strip()
            if not comment:
                raise ValueError(f"{source}, line {reader.line_num}: column text is empty")
            names = tuple(
                dict.fromkeys(
                    name.strip() for name in (row.get("themes") or "").split(THEME_SEPARATOR) if name.strip()
                )
            )
            rows.append((comment, names))
    except csv.Error as error:
        raise ValueError(f"{source}, line {reader.line_num}: {error}") from error
    if not rows:
        raise ValueError(f"{source}: no comments (the file has no rows under its header)")
    return rows


def _data(name: str) -> str:
    return resources.files("loyaldesk.feedback.themes").joinpath(f"data/{name}").read_text("utf-8")


def default_data_bytes() -> bytes:
    return _data("themes.csv").encode()


def default_examples() -> list[tuple[str, tuple[str, ...]]]:
    """The built-in themes' training comments."""
    return read_labelled_csv(_data("themes.csv"), "themes.csv")


def held_out_examples() -> list[tuple[str, tuple[str, ...]]]:
    """Comments kept apart for the held-out figure (never trained or tuned on)."""
    return read_labelled_csv(_data("held_out.csv"), "held_out.csv")
