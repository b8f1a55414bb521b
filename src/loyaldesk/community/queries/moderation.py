"""The moderation queue: reports with the content they are about, hidden content included (staff see
everything), oldest open report first (resolved ones: latest first)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from loyaldesk.community.models import Post, Report, Thread
from loyaldesk.community.queries.authors import Authors
from loyaldesk.community.queries.views import ReportView
from loyaldesk.community.rules.markdown import render_body
from loyaldesk.community.vocab import ReportStatus
from loyaldesk.kernel.errors import Invalid


def moderation_queue(
    session: Session, *, store_id: int, status: ReportStatus | str = ReportStatus.OPEN, limit: int = 100
) -> list[ReportView]:
    """Reports of ``status`` (``Invalid`` on ``status`` otherwise) with their content rendered and its
    author; at most ``limit`` (1 to 500)."""
    try:
        wanted = ReportStatus(status)
    except ValueError:
        raise Invalid.field("status", f"must be one of {', '.join(ReportStatus)}") from None
    limit = max(1, min(limit, 500))
    order = (
        (Report.created_at, Report.id)
        if wanted is ReportStatus.OPEN
        else (Report.resolved_at.desc(), Report.id.desc())
    )
    rows = session.execute(
        select(Report, Thread, Post)
        .join(Thread, Thread.id == Report.thread_id)
        .outerjoin(Post, Post.id == Report.post_id)
        .where(Report.store_id == store_id, Report.status == wanted.value)
        .order_by(*order)
        .limit(limit)
    ).all()
    authors = Authors()
    for report, thread, post in rows:
        authors.want(report.reporter_customer_id, report.reporter_staff_id)
        if post is not None:
            authors.want(post.author_customer_id, post.author_staff_id)
        else:
            authors.want(thread.author_customer_id, thread.author_staff_id)
    authors.load(session, store_id)
    views = []
    for report, thread, post in rows:
        if post is not None:
            body, author = post.body, authors.of(post.author_customer_id, post.author_staff_id, post.is_staff)
            hidden = post.hidden
        else:
            body = thread.body
            author = authors.of(thread.author_customer_id, thread.author_staff_id, thread.author_is_staff)
            hidden = thread.hidden
        reporter = authors.of(
            report.reporter_customer_id, report.reporter_staff_id, report.reporter_staff_id is not None
        )
        views.append(
            ReportView(
                id=report.id,
                status=report.status,
                reason=report.reason,
                reporter=reporter.display_name,
                thread_id=thread.id,
                post_id=report.post_id,
                thread_title=thread.title,
                content_html=render_body(body) if body else "",
                content_author=author,
                content_hidden=hidden,
                created_at=report.created_at,
                resolved_at=report.resolved_at,
            )
        )
    return views
