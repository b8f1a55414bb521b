"""One segment's customers as the segments page lists them and exports them, a page at a time.

For the view the last refresh scored (``scores``: the segments' default "as of" date), the pages come
from the per-customer scores table by keyset pagination on its segment index: opening a segment, or the
first page of its export, reads only that page's rows whatever the store's size. For any other "as of"
date they come from that view's cached per-customer part (``segments_customers``, computed on first use),
which is decoded whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from loyaldesk.analytics import scores
from loyaldesk.analytics.dashboards import Filters, open_dashboard
from loyaldesk.analytics.reports.segments import SegmentReport
from loyaldesk.analytics.scores import Rfm, SegmentMember
from loyaldesk.analytics.segments import CSV_HEADER, SEGMENT_ORDER, Segment, segment_rows
from loyaldesk.kernel.db import Database

EXPORT_PAGE = 1000  # rows read per query while exporting (the first is sent before the next is read)


def segment_members(
    database: Database,
    store_id: int,
    filters: Filters,
    segment: Segment,
    now: datetime,
    *,
    after: int | None = None,
    limit: int = EXPORT_PAGE,
) -> list[SegmentMember]:
    """Up to ``limit`` customers of ``segment`` in the segments' view for ``filters`` (an "as of" date), in
    customer id order from just above ``after`` (None: from the first)."""
    with database.read() as session:
        if scores.segments_as_of(session, store_id) == filters.end:
            return scores.segment_page(session, store_id, filters.end, segment, after, limit)
    report = open_dashboard(database, store_id, "segments", filters, now, part="segments_customers").report
    return _from_report(report, segment, after, limit)


def segment_csv_rows(
    database: Database, store_id: int, filters: Filters, segment: Segment | None, now: datetime
) -> Iterator[tuple[str, ...]]:
    """The export of ``segment`` (None: every segment, in :data:`SEGMENT_ORDER`): :data:`CSV_HEADER`, then
    one row per customer (``customer_id, segment, label, r, f, m, rfm``) by customer id. From the scores
    table, read page by page as the rows are consumed; otherwise from the view's cached part."""
    with database.read() as session:
        in_table = scores.segments_as_of(session, store_id) == filters.end
    if not in_table:
        report = open_dashboard(
            database, store_id, "segments", filters, now, part="segments_customers"
        ).report
        if report.scores is None:
            yield CSV_HEADER
        else:
            yield from segment_rows(report.customer_ids, report.scores, segment)
        return
    yield CSV_HEADER
    for group in SEGMENT_ORDER if segment is None else (segment,):
        after: int | None = None
        while True:
            with database.read() as session:
                page = scores.segment_page(session, store_id, filters.end, group, after, EXPORT_PAGE)
            for member in page:
                rfm = member.figures.rfm
                yield (str(member.customer_id), group.value, group.label, rfm[0], rfm[1], rfm[2], rfm)
            if len(page) < EXPORT_PAGE:
                break
            after = page[-1].customer_id


def _from_report(
    report: SegmentReport, segment: Segment, after: int | None, limit: int
) -> list[SegmentMember]:
    if report.scores is None:
        return []
    group = next(members for members in report.members if members.segment == segment)
    ids = [customer_id for customer_id in group.customer_ids if after is None or customer_id > after][:limit]
    if not ids:
        return []
    position = {customer_id: index for index, customer_id in enumerate(report.customer_ids)}
    chosen = report.scores
    listed = []
    for customer_id in ids:
        index = position[customer_id]
        rfm = f"{chosen.recency[index]}{chosen.frequency[index]}{chosen.monetary[index]}"
        figures = Rfm(
            int(report.recency_days[index]),
            int(report.frequency[index]),
            int(report.monetary_minor[index]),
            rfm,
        )
        listed.append(SegmentMember(int(customer_id), segment, figures))
    return listed
