"""The support report's counts of calls."""

from __future__ import annotations

from datetime import datetime
from statistics import median

from sqlalchemy import select
from sqlalchemy.orm import Session

from loyaldesk.calls.models import CallSession
from loyaldesk.calls.ports import CallsSummary, KindSummary
from loyaldesk.calls.vocab import CallKind


def calls_summary(session: Session, store_id: int, start: datetime, end: datetime) -> CallsSummary:
    """The store's sessions requested in ``[start, end)`` per kind: how many were requested, how many were
    answered (became active), the total and the median duration in seconds of the answered ones that
    ended. Sessions whose customer was erased still count."""
    rows = session.execute(
        select(
            CallSession.kind, CallSession.started_at, CallSession.duration_seconds, CallSession.ended_at
        ).where(
            CallSession.store_id == store_id,
            CallSession.requested_at >= start,
            CallSession.requested_at < end,
        )
    ).all()
    kinds = []
    for kind in CallKind:
        of_kind = [row for row in rows if row.kind == kind.value]
        answered = [row for row in of_kind if row.started_at is not None]
        durations = [
            int(row.duration_seconds)
            for row in answered
            if row.ended_at is not None and row.duration_seconds is not None
        ]
        kinds.append(
            KindSummary(
                kind=kind,
                requested=len(of_kind),
                answered=len(answered),
                total_seconds=sum(durations),
                median_seconds=float(median(durations)) if durations else None,
            )
        )
    return CallsSummary(start=start, end=end, kinds=tuple(kinds))
