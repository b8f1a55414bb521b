"""In-widget messages: notices a journey leaves for a shopper, shown as a banner in the store's chat
widget (live when they are on the site, else on their next page within a week)."""

from __future__ import annotations

from loyaldesk.channels.widget.adapter import NOTICE_DAYS, WidgetAdapter, post_notice, widget_contact_of
from loyaldesk.channels.widget.events import NoticePosted
from loyaldesk.channels.widget.models import WidgetNotice
from loyaldesk.channels.widget.notices import dismiss_notice, pending_notices

__all__ = [
    "NOTICE_DAYS",
    "NoticePosted",
    "WidgetAdapter",
    "WidgetNotice",
    "dismiss_notice",
    "pending_notices",
    "post_notice",
    "register",
    "widget_contact_of",
]


def register() -> None:
    """Make ``WidgetAdapter`` journeys' widget channel; an erased customer's notices go with them."""
    from loyaldesk.channels.widget.notices import erase_notices
    from loyaldesk.customers import erasure_step
    from loyaldesk.journeys import register_adapter

    erasure_step("widget_notices")(erase_notices)

    register_adapter(WidgetAdapter())
