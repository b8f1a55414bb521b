"""The support report's counts of calls."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from loyaldesk.calls.ports import CallsSummary


def calls_summary(session: Session, store_id: int, start: datetime, end: datetime) -> CallsSummary:
    """The store's sessions requested in ``[start, end)`` per kind: how many were requested, how many were
    answered (became active), the total and the median duration in seconds of the answered ones that
    ended. Sessions whose customer was erased still count."""
    raise NotImplementedError
