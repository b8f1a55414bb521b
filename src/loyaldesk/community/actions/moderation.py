"""Moderation: anyone signed in may report a thread or a post (one open report per reporter and item);
staff (``Permission.ANSWER_CONVERSATIONS``) work the queue: hide or restore content, each with an audit
row, and resolve reports (dismiss, or hide the content). Hidden content disappears for shoppers and stays
visible to staff, marked, with its reason."""

from __future__ import annotations

from sqlalchemy import Table, exc, select, update

from loyaldesk.community.actions.common import check_reason, one_author, shopper, staff
from loyaldesk.community.events import ContentModerated, ContentReported
from loyaldesk.community.models import Post, Report, Thread
from loyaldesk.community.vocab import ReportResolution, ReportStatus, ThreadStatus
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Conflict, Invalid, NotFound
from loyaldesk.stores import Permission, record_audit

_reports: Table = Report.__table__  # type: ignore[assignment]


def report_content(
    uow: UnitOfWork,
    *,
    store_id: int,
    reason: str,
    thread_id: int | None = None,
    post_id: int | None = None,
    reporter_customer_id: int | None = None,
    actor: Actor | None = None,
) -> int:
    """Report a thread (``thread_id``) or a post (``post_id``; its thread is found) with a ``reason``;
    returns the report's id. A shopper reports with ``reporter_customer_id``, staff with ``actor``.

    Refused: ``Invalid`` on ``reason`` (empty, over 500 characters) or when neither or both items are
    named, ``NotFound`` for content not of the store or hidden from the reporter, ``Conflict`` when the
    reporter already has an open report on it."""
    one_author(reporter_customer_id, actor)
    reason = check_reason(reason)
    if actor is not None:
        staff(actor, store_id, Permission.ANSWER_CONVERSATIONS)
    else:
        assert reporter_customer_id is not None
        shopper(uow, store_id, reporter_customer_id)
    thread_id, post_id = _item(uow, store_id, thread_id, post_id, staff_view=actor is not None)
    reporter_key = f"c:{reporter_customer_id}" if actor is None else f"s:{actor.id or 0}"
    item_key = f"p:{post_id}" if post_id is not None else f"t:{thread_id}"
    if _open_report(uow, store_id, reporter_key, item_key) is not None:
        raise Conflict("you have already reported this; staff will look at it")
    try:
        with uow.session.begin_nested():
            report_id = uow.session.execute(
                _reports.insert()
                .values(
                    store_id=store_id,
                    thread_id=thread_id,
                    post_id=post_id,
                    reporter_customer_id=reporter_customer_id,
                    reporter_staff_id=actor.id if actor is not None else None,
                    reporter_key=reporter_key,
                    item_key=item_key,
                    reason=reason,
                    status=ReportStatus.OPEN.value,
                    created_at=uow.now(),
                )
                .returning(_reports.c.id)
            ).scalar_one()
    except exc.IntegrityError as error:  # the same reporter's concurrent report won
        raise Conflict("you have already reported this; staff will look at it") from error
    uow.emit(
        ContentReported(
            store_id=store_id,
            customer_id=reporter_customer_id,
            report_id=report_id,
            thread_id=thread_id,
            post_id=post_id,
        )
    )
    return int(report_id)


def hide_content(
    uow: UnitOfWork,
    *,
    store_id: int,
    actor: Actor,
    reason: str,
    thread_id: int | None = None,
    post_id: int | None = None,
) -> None:
    """Hide a thread or a post from shoppers, with the ``reason`` staff give (kept with it and in the
    audit row ``community.content_hidden``). Hiding hidden content again changes nothing."""
    staff(actor, store_id, Permission.ANSWER_CONVERSATIONS)
    reason = check_reason(reason)
    _set_hidden(uow, store_id, actor, thread_id, post_id, hidden=True, reason=reason)


def restore_content(
    uow: UnitOfWork,
    *,
    store_id: int,
    actor: Actor,
    thread_id: int | None = None,
    post_id: int | None = None,
    reason: str = "",
) -> None:
    """Show hidden content again (audit row ``community.content_restored``, with the optional
    ``reason``). Restoring visible content changes nothing."""
    staff(actor, store_id, Permission.ANSWER_CONVERSATIONS)
    reason = check_reason(reason, required=False)
    _set_hidden(uow, store_id, actor, thread_id, post_id, hidden=False, reason=reason)


def resolve_report(
    uow: UnitOfWork, *, store_id: int, actor: Actor, report_id: int, action: ReportResolution | str
) -> None:
    """Close an open report: ``dismiss`` leaves the content up; ``hide`` hides it (as ``hide_content``,
    the report's reason given) and closes every open report on the same item. Audit row
    ``community.report_resolved``. Refused: ``Invalid`` on ``action``, ``NotFound``, ``Conflict`` for a
    report already resolved."""
    staff(actor, store_id, Permission.ANSWER_CONVERSATIONS)
    try:
        resolution = ReportResolution(action)
    except ValueError:
        raise Invalid.field("action", f"must be one of {', '.join(ReportResolution)}") from None
    report = uow.session.scalar(select(Report).where(Report.id == report_id, Report.store_id == store_id))
    if report is None:
        raise NotFound("no such report")
    if report.status != ReportStatus.OPEN.value:
        raise Conflict("this report is already resolved")
    now = uow.now()
    status = ReportStatus.HIDDEN if resolution is ReportResolution.HIDE else ReportStatus.DISMISSED
    closing = [Report.id == report.id]
    if resolution is ReportResolution.HIDE:
        _set_hidden(
            uow,
            store_id,
            actor,
            report.thread_id if report.post_id is None else None,
            report.post_id,
            hidden=True,
            reason=f"reported: {report.reason}"[:500],
        )
        closing = [
            Report.store_id == store_id,
            Report.item_key == report.item_key,
            Report.status == ReportStatus.OPEN.value,
        ]
    uow.session.execute(
        update(Report)
        .where(*closing)
        .values(status=status.value, resolved_by_staff_id=actor.id, resolved_at=now)
        .execution_options(synchronize_session=False)
    )
    record_audit(
        uow,
        actor,
        "community.report_resolved",
        store_id=store_id,
        target_type="community_report",
        target_id=report.id,
        details={"action": resolution.value, "item": report.item_key},
    )


def _item(
    uow: UnitOfWork, store_id: int, thread_id: int | None, post_id: int | None, *, staff_view: bool
) -> tuple[int, int | None]:
    if (thread_id is None) == (post_id is None):
        raise Invalid.field("post_id", "name either a thread or a post")
    if post_id is not None:
        row = uow.session.execute(
            select(Post.thread_id, Post.hidden, Thread.hidden.label("thread_hidden"))
            .join(Thread, Thread.id == Post.thread_id)
            .where(Post.id == post_id, Post.store_id == store_id)
        ).one_or_none()
        if row is None or ((row.hidden or row.thread_hidden) and not staff_view):
            raise NotFound("no such post")
        return int(row.thread_id), post_id
    hidden = uow.session.scalar(
        select(Thread.hidden).where(Thread.id == thread_id, Thread.store_id == store_id)
    )
    if hidden is None or (hidden and not staff_view):
        raise NotFound("no such thread")
    assert thread_id is not None
    return thread_id, None


def _open_report(uow: UnitOfWork, store_id: int, reporter_key: str, item_key: str) -> int | None:
    return uow.session.scalar(
        select(Report.id).where(
            Report.store_id == store_id,
            Report.reporter_key == reporter_key,
            Report.item_key == item_key,
            Report.status == ReportStatus.OPEN.value,
        )
    )


def _set_hidden(
    uow: UnitOfWork,
    store_id: int,
    actor: Actor,
    thread_id: int | None,
    post_id: int | None,
    *,
    hidden: bool,
    reason: str,
) -> None:
    thread_id, post_id = _item(uow, store_id, thread_id, post_id, staff_view=True)
    now = uow.now()
    values = {
        "hidden": hidden,
        "hidden_reason": reason if hidden else None,
        "hidden_at": now if hidden else None,
    }
    if post_id is not None:
        changed = uow.session.execute(
            update(Post)
            .where(Post.id == post_id, Post.hidden == (not hidden))
            .values(**values, updated_at=now)
            .returning(Post.id)
            .execution_options(synchronize_session=False)
        ).scalar_one_or_none()
        if changed is not None:
            # Hidden answers are not counted in the thread's list.
            step = -1 if hidden else 1
            uow.session.execute(
                update(Thread)
                .where(Thread.id == thread_id)
                .values(answers_count=Thread.answers_count + step)
                .execution_options(synchronize_session=False)
            )
    else:
        changed = uow.session.execute(
            update(Thread)
            .where(Thread.id == thread_id, Thread.hidden == (not hidden))
            .values(**values, updated_at=now)
            .returning(Thread.id)
            .execution_options(synchronize_session=False)
        ).scalar_one_or_none()
    if changed is None:  # already so: nothing to record
        return
    target_type, target_id = (
        ("community_post", post_id) if post_id is not None else ("community_thread", thread_id)
    )
    record_audit(
        uow,
        actor,
        "community.content_hidden" if hidden else "community.content_restored",
        store_id=store_id,
        target_type=target_type,
        target_id=target_id,
        details={"reason": reason, "thread_id": thread_id},
    )
    uow.emit(ContentModerated(store_id=store_id, thread_id=thread_id, post_id=post_id, hidden=hidden))


def close_thread(
    uow: UnitOfWork, *, store_id: int, actor: Actor, thread_id: int, closed: bool = True
) -> None:
    """Close a thread to new answers (``closed``) or open it again (back to answered when it has an
    accepted answer, else open); audit row ``community.thread_closed`` / ``community.thread_reopened``.
    Saying the same twice changes nothing. ``NotFound`` for a thread not of the store."""
    staff(actor, store_id, Permission.ANSWER_CONVERSATIONS)
    thread = uow.session.scalar(select(Thread).where(Thread.id == thread_id, Thread.store_id == store_id))
    if thread is None:
        raise NotFound("no such thread")
    if (thread.status == ThreadStatus.CLOSED.value) == closed:
        return
    if closed:
        thread.status = ThreadStatus.CLOSED.value
    else:
        thread.status = (ThreadStatus.ANSWERED if thread.accepted_post_id else ThreadStatus.OPEN).value
    thread.updated_at = uow.now()
    uow.session.flush()
    record_audit(
        uow,
        actor,
        "community.thread_closed" if closed else "community.thread_reopened",
        store_id=store_id,
        target_type="community_thread",
        target_id=thread.id,
    )
