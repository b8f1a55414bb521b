"""A sample customer's values, to preview a template as a shopper would see it (the console's editor)."""

from __future__ import annotations

from typing import Any

from loyaldesk.kernel.i18n import format_day, format_money, format_points


def sample_values(store_name: str, base_url: str, store_slug: str, *, currency: str = "EUR",
                  language: str = "en") -> dict[str, Any]:  # fmt: skip
    """Emma, a member with points about to expire, close to the next tier."""
    from datetime import date

    member_url = f"{base_url.rstrip('/')}/m/{store_slug}"
    return {
        "first_name": "Emma",
        "full_name": "Emma Weber",
        "store_name": store_name,
        "points": format_points(1250, language),
        "pending_points": format_points(80, language),
        "tier": "Gold",
        "next_tier": "Platinum",
        "next_tier_gap": format_money(4200, currency, language),
        "expiring_points": format_points(300, language),
        "expiring_on": format_day(date(2026, 4, 30), language=language),
        "referral_url": f"{base_url.rstrip('/')}/r/{store_slug}/EMMA-7K2",
        "member_url": member_url,
        "order_number": "#1042",
        "recommendations": "",
        "fix_note": "Fragile items now travel in double boxes.",
        "offer_details": "200 bonus points on your next order with Coffee beans, until 31 Dec 2026",
        "offer_code": "LD-7KQ2M-XW4PT",
        "question_title": "Does the burr grinder handle espresso fine?",
        "question_url": f"{member_url}/community/threads/42",
    }


SAMPLE_PRODUCTS = (
    ("Espresso beans 1 kg", 1890, "You buy this about every 30 days"),
    ("Burr grinder", 8900, "Often bought with Espresso beans"),
    ("Stoneware mug", 1400, "Popular in Kitchen"),
    ("Paper filters", 450, "A bestseller"),
    ("Milk jug", 1600, "Customers who bought Espresso beans also bought this"),
    ("Descaler", 900, "Often bought with Burr grinder"),
)


def sample_blocks(
    body: str | None, mjml: str | None, base_url: str, *, currency: str = "EUR", language: str = "en"
) -> list[dict[str, Any]]:
    """Sample products for a template with ``{{ recommendations }}`` (so the preview shows where the
    block goes and how many cards it holds); [] for other templates or options that do not read."""
    from loyaldesk.journeys.rendering.recommendations import KIND, block_options

    try:
        options = block_options(body, mjml)
    except ValueError:
        return []
    if options is None:
        return []
    cards = [
        {
            "title": title,
            "url": f"{base_url.rstrip('/')}/#product-{index}",
            "price": format_money(price, currency, language),
            "reason": reason,
        }
        for index, (title, price, reason) in enumerate(SAMPLE_PRODUCTS[: options.count], start=1)
    ]
    return [{"kind": KIND, "cards": cards}]
