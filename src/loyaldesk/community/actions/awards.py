"""Points for answers (and for the asker whose question got one), through the loyalty ledger, exactly
once per fact.

Each fact has one key: ``community:answer:{post_id}:accepted``,
``community:answer:{post_id}:helpful:{milestone}``, or ``community:question:{thread_id}:answered`` (the
asker, once per thread, when an answer by someone else is accepted). Its decision (credited, or why
not) is stored once in ``community_awards`` (unique per store and key) under the recipient's community
row lock, and the points go through ``customers.grant_goodwill_points`` (the loyalty program's goodwill
path, credited as an earned adjustment; the ledger's own key is ``goodwill:`` + ours, unique per
store). A replay of the same call, or of a handler, finds the decision and credits nothing more.

Rules (``rules.limits``): one accepted-answer credit per thread (accepting another answer later moves the
mark, not the points: the first answerer keeps theirs, the ledger is never rewritten for a change of
mind); no points for answering your own question; no self-votes (refused by ``vote_helpful``); only
votes from members who have bought count towards milestones; at most ``daily_points_cap`` points per
member per UTC day, counted from the credited decisions (an award over the cap is not credited, not
later either). A customer who is not in the loyalty program earns nothing (``not_a_member``).
"""

from __future__ import annotations

from sqlalchemy import func, select

from loyaldesk.community.actions.common import lock_member
from loyaldesk.community.models import Award
from loyaldesk.community.rules.limits import day_start, fits_daily_cap
from loyaldesk.community.schemas import CommunitySettingsIn
from loyaldesk.community.vocab import AwardKind, AwardOutcome
from loyaldesk.customers import grant_goodwill_points
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Conflict

NOTES = {
    AwardKind.ACCEPTED: "your community answer was accepted",
    AwardKind.HELPFUL: "your community answer helped {milestone} members",
    AwardKind.QUESTION: "your community question got its answer",
}
POINTS = {
    AwardKind.ACCEPTED: "points_accepted",
    AwardKind.HELPFUL: "points_helpful",
    AwardKind.QUESTION: "points_question_answered",
}


def award_key(post_id: int, kind: AwardKind, milestone: int | None = None, thread_id: int = 0) -> str:
    """The fact's key: ``community:answer:{post}:accepted``, ``community:answer:{post}:helpful:{milestone}``
    or, for the asker, ``community:question:{thread}:answered``."""
    if kind is AwardKind.ACCEPTED:
        return f"community:answer:{post_id}:accepted"
    if kind is AwardKind.QUESTION:
        return f"community:question:{thread_id}:answered"
    return f"community:answer:{post_id}:helpful:{milestone}"


def award(
    uow: UnitOfWork,
    *,
    store_id: int,
    thread_id: int,
    post_id: int,
    customer_id: int,
    kind: AwardKind,
    settings: CommunitySettingsIn,
    milestone: int | None = None,
) -> tuple[int, AwardOutcome]:
    """Decide (once) and credit the points of one fact; returns the points credited and the outcome
    (a replay returns the first decision)."""
    key = award_key(post_id, kind, milestone, thread_id)
    lock_member(uow, store_id, customer_id)  # first: a replay racing the original waits here
    decided = uow.session.execute(
        select(Award.points, Award.outcome).where(Award.store_id == store_id, Award.award_key == key)
    ).one_or_none()
    if decided is not None:
        return int(decided.points), AwardOutcome(decided.outcome)
    points = int(getattr(settings, POINTS[kind]))
    now = uow.now()
    outcome = AwardOutcome.CREDITED
    if kind is AwardKind.ACCEPTED and _thread_credited(uow, thread_id):
        outcome = AwardOutcome.ALREADY_CREDITED
    elif points <= 0:
        outcome = AwardOutcome.NO_POINTS
    elif not fits_daily_cap(
        points, _credited_today(uow, store_id, customer_id, now), settings.daily_points_cap
    ):
        outcome = AwardOutcome.CAPPED
    else:
        try:
            with uow.session.begin_nested():
                grant_goodwill_points(
                    uow,
                    store_id,
                    customer_id,
                    points=points,
                    note=NOTES[kind].format(milestone=milestone),
                    key=key,
                    reason_code="goodwill",
                    actor_label="community",
                )
        except Conflict:
            outcome = AwardOutcome.NOT_A_MEMBER
    credited = points if outcome is AwardOutcome.CREDITED else 0
    uow.session.add(
        Award(
            store_id=store_id,
            award_key=key,
            thread_id=thread_id,
            post_id=post_id,
            customer_id=customer_id,
            kind=kind.value,
            milestone=milestone,
            points=credited,
            outcome=outcome.value,
            created_at=now,
        )
    )
    uow.session.flush()
    return credited, outcome


def _thread_credited(uow: UnitOfWork, thread_id: int) -> bool:
    return (
        uow.session.scalar(
            select(Award.id)
            .where(
                Award.thread_id == thread_id,
                Award.kind == AwardKind.ACCEPTED.value,
                Award.outcome == AwardOutcome.CREDITED.value,
            )
            .limit(1)
        )
        is not None
    )


def _credited_today(uow: UnitOfWork, store_id: int, customer_id: int, now) -> int:  # type: ignore[no-untyped-def]
    total = uow.session.scalar(
        select(func.coalesce(func.sum(Award.points), 0)).where(
            Award.store_id == store_id,
            Award.customer_id == customer_id,
            Award.outcome == AwardOutcome.CREDITED.value,
            Award.created_at >= day_start(now),
        )
    )
    return int(total or 0)
