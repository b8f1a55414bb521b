"""Events of the widget channel. Payloads carry ids only: the widget fetches the notice's text itself."""

from __future__ import annotations

from loyaldesk.kernel.events import DomainEvent


class NoticePosted(DomainEvent):
    """A notice waits for a widget contact; a widget open for that contact shows it at once."""

    event_type = "widget.notice_posted"
    subject_type = "contact"
    contact_id: int
    notice_id: int

    def subject_id(self) -> int | None:
        return self.contact_id
