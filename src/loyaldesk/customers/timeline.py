"""How the customers domain's own events read on the timeline."""

from __future__ import annotations

from loyaldesk.customers.extensions import TimelineEntry, timeline_entry
from loyaldesk.kernel.events import StoredEvent

SOURCES = {
    "api": "through the API",
    "shopify": "from Shopify",
    "import": "by an import",
    "demo": "by the demo seeder",
    "console": "by a staff member",
    "widget": "through the chat widget",
    "order": "with their first order",
}


@timeline_entry("customer.created")
def _created(event: StoredEvent) -> TimelineEntry:
    source = SOURCES.get(str(event.payload.get("source")), "")
    return TimelineEntry(title="Became a customer", detail=f"Profile created {source}".strip())


@timeline_entry("customer.updated")
def _updated(event: StoredEvent) -> TimelineEntry:
    fields = ", ".join(name.replace("_", " ") for name in event.payload.get("changed_fields", []))
    return TimelineEntry(title="Profile updated", detail=f"Changed: {fields}" if fields else None)


@timeline_entry("customer.consent_changed")
def _consent(event: StoredEvent) -> TimelineEntry:
    given = event.payload.get("marketing_consent")
    return TimelineEntry(title="Gave marketing consent" if given else "Withdrew marketing consent")


@timeline_entry("customer.exported")
def _exported(event: StoredEvent) -> TimelineEntry:
    return TimelineEntry(title="Personal data exported", detail="A copy of everything we hold was produced")


@timeline_entry("customer.erased")
def _erased(event: StoredEvent) -> TimelineEntry:
    return TimelineEntry(title="Personal data erased", detail="Identity removed; accounting history kept")
