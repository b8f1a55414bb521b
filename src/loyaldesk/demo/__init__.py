"""The demo store: a catalogue, staff logins and two years of realistic, deterministic order history.

Other packages (the CLI, scripts) import the demo through this module only. ``seed`` creates the store and
replays the history; ``generator`` and ``catalogue`` make it (pure, seeded); ``loyalty_program``,
``loyalty`` and ``support`` bring the program and the desk to life along it.
"""

from loyaldesk.demo.generator import history_end
from loyaldesk.demo.seed import (
    DEMO_PASSWORD,
    DEMO_SHOPIFY_SECRET,
    DEMO_SLUG,
    DEMO_STAFF,
    DemoSummary,
    demo_exists,
    demo_member_page,
    latest_until,
    seed_demo,
)

__all__ = [
    "DEMO_PASSWORD",
    "DEMO_SHOPIFY_SECRET",
    "DEMO_SLUG",
    "DEMO_STAFF",
    "DemoSummary",
    "demo_exists",
    "demo_member_page",
    "history_end",
    "latest_until",
    "seed_demo",
]
