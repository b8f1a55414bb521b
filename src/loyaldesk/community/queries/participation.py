"""Members who take part in the community against those who do not: retention and spend."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from loyaldesk.community.queries.views import Participation


def participation(
    session: Session, *, store_id: int, period_start: datetime, period_end: datetime
) -> Participation:
    raise NotImplementedError
