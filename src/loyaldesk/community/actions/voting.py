"""Helpful votes and accepted answers, with the points they credit through the loyalty ledger
(``actions.awards``: once per fact, capped per member and day)."""

from __future__ import annotations

from sqlalchemy import Table, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from loyaldesk.community.actions.awards import award
from loyaldesk.community.actions.common import has_ordered, one_author, shopper, staff
from loyaldesk.community.events import AnswerAccepted, AnswerVoted
from loyaldesk.community.models import Post, Thread, Vote
from loyaldesk.community.queries.settings import load_settings
from loyaldesk.community.rules.limits import milestones_reached
from loyaldesk.community.vocab import AwardKind, ThreadStatus
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Conflict, NotFound, PermissionDenied
from loyaldesk.stores import Permission, record_audit

_votes: Table = Vote.__table__  # type: ignore[assignment]
_posts: Table = Post.__table__  # type: ignore[assignment]


def vote_helpful(uow: UnitOfWork, *, store_id: int, post_id: int, customer_id: int) -> int:
    """The member votes the post helpful; returns its number of votes. One vote per member and post: a
    second vote changes nothing and returns the count. A vote counts towards the author's points only if
    the voter has an order in the store (``counts_for_points``; accounts made to farm votes have none);
    when the counting votes reach a milestone of the settings, the author (a shopper) is credited
    ``points_helpful`` once (``actions.awards``).

    Refused: ``NotFound`` for a post not of the store or hidden (or in a hidden thread), ``Conflict`` for
    a vote on one's own post."""
    shopper(uow, store_id, customer_id)
    post = uow.session.execute(
        select(
            Post.id,
            Post.thread_id,
            Post.author_customer_id,
            Post.hidden,
            Thread.hidden.label("thread_hidden"),
        )
        .join(Thread, Thread.id == Post.thread_id)
        .where(Post.id == post_id, Post.store_id == store_id)
    ).one_or_none()
    if post is None or post.hidden or post.thread_hidden:
        raise NotFound("no such answer")
    if post.author_customer_id == customer_id:
        raise Conflict("you cannot vote for your own answer")
    counts = has_ordered(uow.session, store_id, customer_id)
    insert = (pg_insert if uow.is_postgresql else sqlite_insert)(_votes)
    added = uow.session.execute(
        insert.values(
            store_id=store_id,
            post_id=post_id,
            customer_id=customer_id,
            counts_for_points=counts,
            created_at=uow.now(),
        )
        .on_conflict_do_nothing(index_elements=["post_id", "customer_id"])
        .returning(_votes.c.id)
    ).scalar_one_or_none()
    if added is None:  # voted before: nothing changes
        return int(uow.session.scalar(select(_posts.c.helpful_votes).where(_posts.c.id == post_id)) or 0)
    # The row lock of this update orders concurrent votes on one post: each sees the ones before it.
    votes = uow.session.execute(
        update(_posts)
        .where(_posts.c.id == post_id)
        .values(helpful_votes=_posts.c.helpful_votes + 1, updated_at=uow.now())
        .returning(_posts.c.helpful_votes)
    ).scalar_one()
    milestone_hit: int | None = None
    credited = 0
    if counts and post.author_customer_id is not None:
        settings = load_settings(uow.session, store_id)
        counting = int(
            uow.session.scalar(
                select(func.count()).where(_votes.c.post_id == post_id, _votes.c.counts_for_points)
            )
            or 0
        )
        for milestone in milestones_reached(counting - 1, counting, settings.helpful_milestones):
            milestone_hit = milestone
            points, _ = award(
                uow,
                store_id=store_id,
                thread_id=post.thread_id,
                post_id=post_id,
                customer_id=post.author_customer_id,
                kind=AwardKind.HELPFUL,
                settings=settings,
                milestone=milestone,
            )
            credited += points
    uow.emit(
        AnswerVoted(
            store_id=store_id,
            customer_id=customer_id,
            post_id=post_id,
            helpful_votes=int(votes),
            milestone=milestone_hit,
            points=credited,
        )
    )
    return int(votes)


def accept_answer(
    uow: UnitOfWork,
    *,
    store_id: int,
    thread_id: int,
    post_id: int,
    customer_id: int | None = None,
    actor: Actor | None = None,
) -> None:
    """Mark ``post_id`` the thread's accepted answer (the thread becomes answered). Only the asker
    (``customer_id``) or staff (``actor``, ``Permission.ANSWER_CONVERSATIONS``) may. The answer's author
    (a shopper other than the asker) is credited ``points_accepted`` once per thread: accepting another
    answer later moves the mark, and the points stay where they went; the asker (a shopper) is credited
    ``points_question_answered`` once per thread when the answer is someone else's
    (``actions.awards``). Accepting the
    accepted answer again changes nothing.

    Refused: ``NotFound`` for a thread or post not of the store (a post of another thread, hidden content
    for a shopper), ``PermissionDenied`` for anyone else, ``Conflict`` for a closed thread or a hidden
    answer."""
    one_author(customer_id, actor)
    if actor is not None:
        staff(actor, store_id, Permission.ANSWER_CONVERSATIONS)
    thread = uow.session.scalar(select(Thread).where(Thread.id == thread_id, Thread.store_id == store_id))
    if thread is None or (thread.hidden and actor is None):
        raise NotFound("no such thread")
    if customer_id is not None:
        shopper(uow, store_id, customer_id)
        if thread.author_customer_id != customer_id:
            raise PermissionDenied("only the person who asked, or staff, may accept an answer")
    post = uow.session.scalar(
        select(Post).where(Post.id == post_id, Post.thread_id == thread.id, Post.store_id == store_id)
    )
    if post is None or (post.hidden and actor is None):
        raise NotFound("no such answer in this thread")
    if post.hidden:
        raise Conflict("this answer is hidden")
    if thread.status == ThreadStatus.CLOSED.value:
        raise Conflict("this thread is closed")
    if thread.accepted_post_id == post.id:
        return
    now = uow.now()
    # Takes the thread's row lock first: concurrent accepts in one thread decide its points in turn.
    uow.session.execute(
        update(Thread)
        .where(Thread.id == thread.id)
        .values(
            accepted_post_id=post.id, status=ThreadStatus.ANSWERED.value, updated_at=now, last_activity_at=now
        )
        .execution_options(synchronize_session=False)
    )
    points, outcome = 0, None
    if post.author_customer_id is not None and post.author_customer_id != thread.author_customer_id:
        points, outcome = award(
            uow,
            store_id=store_id,
            thread_id=thread.id,
            post_id=post.id,
            customer_id=post.author_customer_id,
            kind=AwardKind.ACCEPTED,
            settings=load_settings(uow.session, store_id),
        )
    if thread.author_customer_id is not None and post.author_customer_id != thread.author_customer_id:
        award(
            uow,
            store_id=store_id,
            thread_id=thread.id,
            post_id=post.id,
            customer_id=thread.author_customer_id,
            kind=AwardKind.QUESTION,
            settings=load_settings(uow.session, store_id),
        )
    if actor is not None:
        record_audit(
            uow,
            actor,
            "community.answer_accepted",
            store_id=store_id,
            target_type="community_post",
            target_id=post.id,
            details={"thread_id": thread.id},
        )
    uow.emit(
        AnswerAccepted(
            store_id=store_id,
            customer_id=post.author_customer_id,
            thread_id=thread.id,
            post_id=post.id,
            points=points,
            outcome=outcome.value if outcome else "",
        )
    )


def unaccept_answer(
    uow: UnitOfWork,
    *,
    store_id: int,
    thread_id: int,
    customer_id: int | None = None,
    actor: Actor | None = None,
) -> None:
    """Take the accepted mark off the thread's answer (the asker or staff); the thread is open again.
    Points already credited stay (the ledger is not rewritten for a change of mind) and a later accept in
    this thread credits no second answerer (one accepted credit per thread). Nothing accepted: nothing
    changes. Refused as ``accept_answer``."""
    one_author(customer_id, actor)
    if actor is not None:
        staff(actor, store_id, Permission.ANSWER_CONVERSATIONS)
    thread = uow.session.scalar(select(Thread).where(Thread.id == thread_id, Thread.store_id == store_id))
    if thread is None or (thread.hidden and actor is None):
        raise NotFound("no such thread")
    if customer_id is not None:
        shopper(uow, store_id, customer_id)
        if thread.author_customer_id != customer_id:
            raise PermissionDenied("only the person who asked, or staff, may change the accepted answer")
    if thread.status == ThreadStatus.CLOSED.value:
        raise Conflict("this thread is closed")
    if thread.accepted_post_id is None:
        return
    previous = thread.accepted_post_id
    thread.accepted_post_id = None
    thread.status = ThreadStatus.OPEN.value
    thread.updated_at = uow.now()
    uow.session.flush()
    if actor is not None:
        record_audit(
            uow,
            actor,
            "community.answer_unaccepted",
            store_id=store_id,
            target_type="community_post",
            target_id=previous,
            details={"thread_id": thread.id},
        )
