"""The moderation queue."""

from __future__ import annotations

from sqlalchemy.orm import Session

from loyaldesk.community.queries.views import ReportView
from loyaldesk.community.vocab import ReportStatus


def moderation_queue(
    session: Session, *, store_id: int, status: ReportStatus | str = ReportStatus.OPEN, limit: int = 100
) -> list[ReportView]:
    raise NotImplementedError
