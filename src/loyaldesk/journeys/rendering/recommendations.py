"""The ``recommendations`` block: products picked for the recipient, as cards in an email. Pure.

A template asks for it with the variable ``{{ recommendations }}`` on a line of its own in the body (or
in its MJML), with options after the bar, separated by semicolons::

    {{ recommendations }}                                  three picks
    {{ recommendations | count=4; category=Coffee, Tea }}  four picks from these categories
    {{ recommendations | items=BEANS-1, MUG-2 }}           only a campaign's items (item keys)

At send time the engine asks the product picker (``ports.pick_products``, filled by recommendations)
for the recipient's picks and passes them as a block ``{"kind": "recommendations", "cards": [...]}``;
the block renders where the variable is, as product cards (image, title linking to the product, price,
why) in HTML and as one line per product in the text part. No picks: nothing at all, never an empty box.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from loyaldesk.journeys.rendering import frame
from loyaldesk.journeys.rules.variables import _PLACEHOLDER
from loyaldesk.kernel.i18n import _

RECOMMENDATIONS = "recommendations"
KIND = "recommendations"
DEFAULT_COUNT = 3
MAX_COUNT = 6
_OPTION = re.compile(r"^\s*([a-z_]+)\s*=\s*(.*?)\s*$")


@dataclass(frozen=True)
class BlockOptions:
    """What a template's ``{{ recommendations | ... }}`` asks for."""

    count: int = DEFAULT_COUNT
    categories: tuple[str, ...] = ()
    item_keys: tuple[str, ...] = ()


def parse_options(text: str) -> BlockOptions:
    """The options written after the bar; ``ValueError`` saying what is wrong (an unknown option, a
    count outside 1..6, an empty list)."""
    values: dict[str, Any] = {}
    for part in (text or "").split(";"):
        if not part.strip():
            continue
        match = _OPTION.match(part)
        if match is None or match.group(1) not in ("count", "category", "items"):
            raise ValueError(
                f"recommendations: unknown option {part.strip()!r} (write count=3; category=...; items=...)"
            )
        name, value = match.groups()
        if name == "count":
            if not value.isdigit() or not 1 <= int(value) <= MAX_COUNT:
                raise ValueError(f"recommendations: count is a whole number from 1 to {MAX_COUNT}")
            values["count"] = int(value)
        else:
            listed = tuple(item.strip() for item in value.split(",") if item.strip())
            if not listed:
                raise ValueError(f"recommendations: {name} needs at least one name")
            values["categories" if name == "category" else "item_keys"] = listed
    return BlockOptions(**values)


def block_options(*texts: str | None) -> BlockOptions | None:
    """The options of the first ``{{ recommendations }}`` in these texts (a template's body, its MJML);
    None when none of them asks for the block."""
    for text in texts:
        for match in _PLACEHOLDER.finditer(text or ""):
            if match.group(1) == RECOMMENDATIONS:
                return parse_options(match.group(2) or "")
    return None


def check_options(text: str) -> str | None:
    """What is wrong with the ``{{ recommendations }}`` options in ``text`` (None: nothing)."""
    try:
        block_options(text)
    except ValueError as error:
        return str(error)
    return None


@dataclass(frozen=True)
class Card:
    """One product as the block shows it (the picker's ``ProductCard``, as JSON in the send's blocks)."""

    title: str
    url: str | None = None
    image_url: str | None = None
    price: str = ""
    reason: str = ""

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Card:
        return cls(
            title=str(data.get("title") or ""),
            url=_web_url(str(data.get("url") or "")),
            image_url=_web_url(str(data.get("image_url") or "")),
            price=str(data.get("price") or ""),
            reason=str(data.get("reason") or ""),
        )


def block_of(cards: Sequence[Any]) -> dict[str, Any]:
    """The block for a send's content from the picker's cards (dataclasses with ``Card``'s fields)."""
    return {
        "kind": KIND,
        "cards": [
            {k: v for k, v in asdict(card).items() if k in Card.__dataclass_fields__} for card in cards
        ],
    }


def cards_of(block: Mapping[str, Any]) -> list[Card]:
    return [card for card in (Card.of(item) for item in block.get("cards") or ()) if card.title]


def block_html(block: Mapping[str, Any], brand_colour: str) -> str:
    """The cards as an email's HTML (a table of one product a row: image, title linked, price, why);
    "" without cards."""
    cards = cards_of(block)
    if not cards:
        return ""
    colour = frame.colour(brand_colour)
    rows = []
    for card in cards:
        title = html.escape(card.title)
        if card.url:
            title = (
                f'<a href="{html.escape(card.url, quote=True)}" style="color:{colour};font-weight:600;'
                f'text-decoration:none">{title}</a>'
            )
        else:
            title = f'<span style="font-weight:600">{title}</span>'
        image = (
            f'<td width="96" style="padding:8px 12px 8px 0;vertical-align:top">'
            f'<img src="{html.escape(card.image_url, quote=True)}" alt="" width="88" '
            'style="display:block;width:88px;max-width:88px;height:auto;border:0;border-radius:6px" /></td>'
            if card.image_url
            else ""
        )
        price = f'<p style="margin:4px 0 0;color:#1b1f24">{html.escape(card.price)}</p>' if card.price else ""
        why = (
            f'<p style="margin:4px 0 0;font-size:13px;color:#4b5563">{html.escape(card.reason)}</p>'
            if card.reason
            else ""
        )
        rows.append(
            f'<tr class="ld-product">{image}<td style="padding:8px 0;vertical-align:top">'
            f'<p style="margin:0">{title}</p>{price}{why}</td></tr>'
        )
    heading = html.escape(_("Picked for you"))
    return (
        '<div class="ld-recommendations" style="margin:16px 0">'
        f'<p style="font-weight:600;margin:0 0 4px">{heading}</p>'
        f'<table role="presentation" width="100%" style="border-collapse:collapse">{"".join(rows)}</table>'
        "</div>"
    )


def block_text(block: Mapping[str, Any]) -> str:
    """The cards in the plain-text part: a heading, then one line per product (title, price, why, link);
    "" without cards."""
    cards = cards_of(block)
    if not cards:
        return ""
    lines = [_("Picked for you") + ":"]
    for card in cards:
        line = "- " + card.title
        if card.price:
            line += f", {card.price}"
        if card.reason:
            line += f" ({card.reason})"
        if card.url:
            line += f": {card.url}"
        lines.append(line)
    return "\n".join(lines)


def _web_url(url: str) -> str | None:
    url = url.strip()
    return url if url.startswith(("https://", "http://")) else None
