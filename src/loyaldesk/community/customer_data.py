"""The community in a customer's GDPR export and erasure.

Export: their display name, their threads and posts (as typed), the answers they voted helpful, their
event RSVPs, their reports, and the points decisions on their answers.

Erasure: their posts and threads stay (the conversation around them would not make sense without
them) but are anonymised: no author any more, shown as "Deleted member", and no "verified buyer" badge;
their votes and RSVPs are removed (the counts they added are taken back, an event's place freed), their
display name is deleted, their reports lose the reporter. Points decisions stay as ids and numbers (they
tie to the points ledger, which keeps balancing without an identity)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from loyaldesk.community.models import Award, CommunityMember, Post, Report, Rsvp, Space, Thread, Vote
from loyaldesk.customers import erasure_step, export_section
from loyaldesk.kernel.db import UnitOfWork


def export_community(session: Session, store_id: int, customer_id: int) -> dict[str, Any]:
    member = session.scalar(
        select(CommunityMember.display_name).where(
            CommunityMember.store_id == store_id, CommunityMember.customer_id == customer_id
        )
    )
    threads = [
        {
            "id": row.id,
            "space": row.kind,
            "title": row.title,
            "body": row.body,
            "product_id": row.product_id,
            "hidden": row.hidden,
            "created_at": row.created_at.isoformat(),
        }
        for row in session.execute(
            select(
                Thread.id,
                Space.kind,
                Thread.title,
                Thread.body,
                Thread.product_id,
                Thread.hidden,
                Thread.created_at,
            )
            .join(Space, Space.id == Thread.space_id)
            .where(Thread.store_id == store_id, Thread.author_customer_id == customer_id)
            .order_by(Thread.id)
        )
    ]
    posts = [
        {
            "id": row.id,
            "thread_id": row.thread_id,
            "body": row.body,
            "verified_buyer": row.verified_buyer,
            "helpful_votes": row.helpful_votes,
            "hidden": row.hidden,
            "created_at": row.created_at.isoformat(),
        }
        for row in session.execute(
            select(
                Post.id,
                Post.thread_id,
                Post.body,
                Post.verified_buyer,
                Post.helpful_votes,
                Post.hidden,
                Post.created_at,
            )
            .where(Post.store_id == store_id, Post.author_customer_id == customer_id)
            .order_by(Post.id)
        )
    ]
    votes = [
        {"post_id": row.post_id, "voted_at": row.created_at.isoformat()}
        for row in session.execute(
            select(Vote.post_id, Vote.created_at)
            .where(Vote.store_id == store_id, Vote.customer_id == customer_id)
            .order_by(Vote.id)
        )
    ]
    rsvps = [
        {"event_id": row.thread_id, "title": row.title, "answered_at": row.created_at.isoformat()}
        for row in session.execute(
            select(Rsvp.thread_id, Thread.title, Rsvp.created_at)
            .join(Thread, Thread.id == Rsvp.thread_id)
            .where(Rsvp.store_id == store_id, Rsvp.customer_id == customer_id)
            .order_by(Rsvp.id)
        )
    ]
    reports = [
        {"thread_id": row.thread_id, "post_id": row.post_id, "reason": row.reason, "status": row.status}
        for row in session.execute(
            select(Report.thread_id, Report.post_id, Report.reason, Report.status)
            .where(Report.store_id == store_id, Report.reporter_customer_id == customer_id)
            .order_by(Report.id)
        )
    ]
    points = [
        {
            "post_id": row.post_id,
            "kind": row.kind,
            "milestone": row.milestone,
            "points": row.points,
            "outcome": row.outcome,
        }
        for row in session.execute(
            select(Award.post_id, Award.kind, Award.milestone, Award.points, Award.outcome)
            .where(Award.store_id == store_id, Award.customer_id == customer_id)
            .order_by(Award.id)
        )
    ]
    return {
        "display_name": member,
        "threads": threads,
        "posts": posts,
        "votes": votes,
        "rsvps": rsvps,
        "reports": reports,
        "points_for_answers": points,
    }


def erase_community(uow: UnitOfWork, store_id: int, customer_id: int) -> None:
    session = uow.session
    now = uow.now()
    for (post_id,) in session.execute(
        select(Vote.post_id).where(Vote.store_id == store_id, Vote.customer_id == customer_id)
    ).all():
        session.execute(
            update(Post)
            .where(Post.id == post_id, Post.helpful_votes > 0)
            .values(helpful_votes=Post.helpful_votes - 1)
            .execution_options(synchronize_session=False)
        )
    session.execute(delete(Vote).where(Vote.store_id == store_id, Vote.customer_id == customer_id))
    for (thread_id,) in session.execute(
        select(Rsvp.thread_id).where(Rsvp.store_id == store_id, Rsvp.customer_id == customer_id)
    ).all():
        session.execute(
            update(Thread)
            .where(Thread.id == thread_id, Thread.going_count > 0)
            .values(going_count=Thread.going_count - 1)
            .execution_options(synchronize_session=False)
        )
    session.execute(delete(Rsvp).where(Rsvp.store_id == store_id, Rsvp.customer_id == customer_id))
    session.execute(
        update(Post)
        .where(Post.store_id == store_id, Post.author_customer_id == customer_id)
        .values(author_customer_id=None, verified_buyer=False, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Thread)
        .where(Thread.store_id == store_id, Thread.author_customer_id == customer_id)
        .values(author_customer_id=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Report)
        .where(Report.store_id == store_id, Report.reporter_customer_id == customer_id)
        .values(reporter_customer_id=None)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        delete(CommunityMember).where(
            CommunityMember.store_id == store_id, CommunityMember.customer_id == customer_id
        )
    )


def register() -> None:
    """Plug the community's export section and erasure step into the customer record."""
    export_section("community")(export_community)
    erasure_step("community")(erase_community)
