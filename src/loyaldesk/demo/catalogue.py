"""The demo store's catalogue and the names its shoppers are made of (invented, not real people)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CatalogueItem:
    sku: str
    title: str
    category: str
    price: int  # euro cents


CATALOGUE: tuple[CatalogueItem, ...] = (
    CatalogueItem("APP-MER-SWT", "Merino crew sweater", "Apparel", 8900),
    CatalogueItem("APP-ORG-TEE", "Organic cotton tee", "Apparel", 2900),
    CatalogueItem("APP-LIN-SHR", "Linen shirt", "Apparel", 5900),
    CatalogueItem("APP-RAI-JKT", "Rain shell jacket", "Apparel", 14900),
    CatalogueItem("APP-FLC-PUL", "Fleece pullover", "Apparel", 7900),
    CatalogueItem("APP-CHI-TRS", "Chino trousers", "Apparel", 6900),
    CatalogueItem("APP-WOL-BNI", "Wool beanie", "Apparel", 2500),
    CatalogueItem("FTW-TRL-RUN", "Trail runner", "Footwear", 12900),
    CatalogueItem("FTW-CHE-BOT", "Leather chelsea boot", "Footwear", 17900),
    CatalogueItem("FTW-CNV-SNK", "Canvas sneaker", "Footwear", 6500),
    CatalogueItem("FTW-WOL-SLP", "Wool slipper", "Footwear", 4900),
    CatalogueItem("ACC-CNV-TOT", "Canvas tote", "Accessories", 3500),
    CatalogueItem("ACC-LEA-WAL", "Leather wallet", "Accessories", 5500),
    CatalogueItem("ACC-WOL-SCF", "Wool scarf", "Accessories", 4500),
    CatalogueItem("ACC-SUN-GLS", "Polarised sunglasses", "Accessories", 8900),
    CatalogueItem("ACC-STL-BTL", "Steel water bottle", "Accessories", 2400),
    CatalogueItem("HOM-CER-MUG", "Ceramic mug set", "Home", 3900),
    CatalogueItem("HOM-LIN-THR", "Linen throw", "Home", 9500),
    CatalogueItem("HOM-SOY-CDL", "Soy scented candle", "Home", 2800),
    CatalogueItem("HOM-OAK-BRD", "Oak cutting board", "Home", 4900),
    CatalogueItem("OUT-DAY-PCK", "Daypack 24L", "Outdoor", 9900),
    CatalogueItem("OUT-CMP-LNT", "Camping lantern", "Outdoor", 4500),
    CatalogueItem("OUT-INS-FLS", "Insulated flask", "Outdoor", 3500),
    CatalogueItem("OUT-HAM-MCK", "Travel hammock", "Outdoor", 6900),
    CatalogueItem("BTY-NAT-SOP", "Natural soap bar", "Beauty", 800),
    CatalogueItem("BTY-HND-CRM", "Hand cream", "Beauty", 1400),
    CatalogueItem("BTY-LIP-TRI", "Lip balm trio", "Beauty", 1200),
    CatalogueItem("GFT-CRD-050", "Gift card €50", "Gift cards", 5000),
)

# The paid loyalty tier, sold at checkout: a product of the store, but not part of the generated shopping
# (it is added to some orders of repeat customers by the demo's loyalty program).
MEMBERSHIP = CatalogueItem("CLUB-12M", "Juniper Club membership (12 months)", "Memberships", 4900)

# The demo store's own (made-up) shop: product pages live under it. No images: the demo ships none.
DEMO_SHOP_URL = "https://shop.juniper.example.com"
# What the store pays, as a share of the price, by category (for the margin recommendations weigh).
COST_SHARE = {"Apparel": 45, "Footwear": 50, "Accessories": 40, "Home": 42, "Outdoor": 48, "Beauty": 30}
# Sold out right now (so that "in stock only" has something to leave out), and stock the store does not
# count (gift cards, the membership).
SOLD_OUT = frozenset({"APP-RAI-JKT", "FTW-CHE-BOT", "OUT-CMP-LNT"})
UNCOUNTED = frozenset({"GFT-CRD-050", "CLUB-12M"})
# Bought again and again: the store says so for these (the rest is learned from repurchases).
CONSUMABLE = frozenset({"BTY-NAT-SOP", "BTY-HND-CRM", "BTY-LIP-TRI", "HOM-SOY-CDL"})


def catalogue_fields(item: CatalogueItem) -> dict[str, Any]:
    """What the demo store sends about an item besides its title and price: its page, stock, cost and
    whether it is a consumable. Deterministic (no randomness: the demo is the same on every install)."""
    handle = re.sub(r"[^a-z0-9]+", "-", item.title.lower()).strip("-")
    quantity = (
        None if item.sku in UNCOUNTED else 0 if item.sku in SOLD_OUT else 4 + sum(map(ord, item.sku)) % 37
    )
    share = COST_SHARE.get(item.category)
    return {
        "url": f"{DEMO_SHOP_URL}/products/{handle}",
        "image_url": None,
        "inventory_quantity": quantity,
        "in_stock": True if quantity is None else quantity > 0,
        "cost": item.price * share // 100 if share else None,
        "consumable": True if item.sku in CONSUMABLE else None,
    }


# (country code, locale, time zone, phone prefix)
COUNTRIES: tuple[tuple[str, str, str, str], ...] = (
    ("NL", "nl-NL", "Europe/Amsterdam", "+31 6"),
    ("NL", "en-NL", "Europe/Amsterdam", "+31 6"),
    ("DE", "de-DE", "Europe/Berlin", "+49 151"),
    ("DE", "de-DE", "Europe/Berlin", "+49 160"),
    ("BE", "nl-BE", "Europe/Brussels", "+32 470"),
    ("FR", "fr-FR", "Europe/Paris", "+33 6"),
    ("ES", "es-ES", "Europe/Madrid", "+34 6"),
    ("IT", "it-IT", "Europe/Rome", "+39 3"),
    ("IE", "en-IE", "Europe/Dublin", "+353 8"),
    ("AT", "de-AT", "Europe/Vienna", "+43 66"),
)

FIRST_NAMES: tuple[str, ...] = (
    "Emma",
    "Noah",
    "Sophie",
    "Lucas",
    "Julia",
    "Liam",
    "Mila",
    "Finn",
    "Anna",
    "Daan",
    "Lena",
    "Jonas",
    "Sara",
    "Levi",
    "Eva",
    "Milan",
    "Nora",
    "Sem",
    "Lotte",
    "Luca",
    "Marie",
    "Ben",
    "Clara",
    "Paul",
    "Lea",
    "Elias",
    "Chloe",
    "Hugo",
    "Ines",
    "Louis",
    "Alice",
    "Jules",
    "Carmen",
    "Mateo",
    "Lucia",
    "Pablo",
    "Giulia",
    "Marco",
    "Aoife",
    "Sean",
    "Hannah",
    "Felix",
    "Zoe",
    "Max",
    "Amira",
    "Omar",
    "Yara",
    "Sami",
    "Mei",
    "Kenji",
)

LAST_NAMES: tuple[str, ...] = (
    "de Vries",
    "Jansen",
    "Bakker",
    "Visser",
    "Smit",
    "Meijer",
    "Mulder",
    "Bos",
    "Vos",
    "Peters",
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Wagner",
    "Becker",
    "Hoffmann",
    "Martin",
    "Bernard",
    "Dubois",
    "Laurent",
    "Moreau",
    "Garcia",
    "Fernandez",
    "Lopez",
    "Rossi",
    "Russo",
    "Bianchi",
    "Murphy",
    "Kelly",
    "Walsh",
    "Peeters",
    "Maes",
    "Claes",
    "Gruber",
    "Huber",
    "Novak",
    "Haddad",
    "Tanaka",
)
