"""The feedback inbox: ``/console/{store}/feedback`` (every answer with its context, filtered, newest
first, a page at a time) and ``/console/{store}/feedback/responses/{id}`` (one answer: everything about
it, the customer's other answers, and the form to correct its themes, which posts to
``.../responses/{id}/themes``, served by the themes part). ``Permission.VIEW_FEEDBACK``."""

from __future__ import annotations

import logging
import time
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from loyaldesk.feedback.queries import answer as answer_queries
from loyaldesk.feedback.queries import inbox as inbox_queries
from loyaldesk.feedback.vocab import Bucket, SurveyChannel, SurveyKind, label
from loyaldesk.kernel.errors import Invalid
from loyaldesk.kernel.pagination import decode_position
from loyaldesk.stores import Permission
from loyaldesk.web.console.feedback_dashboard import KIND_NAMES
from loyaldesk.web.console.feedback_filters import parse_filters, query_of
from loyaldesk.web.console.rendering import render
from loyaldesk.web.console.session import ConsoleDep
from loyaldesk.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)
log = logging.getLogger(__name__)

BUCKET_PILL = {
    Bucket.PROMOTER: "pill-success",
    Bucket.PASSIVE: "pill-warning",
    Bucket.DETRACTOR: "pill-danger",
}
# What a bucket is called for each kind (CSAT and CES say "satisfied"/"easy", decision 0034 #5).
BUCKET_WORDS = {
    SurveyKind.NPS: {Bucket.PROMOTER: "Promoter", Bucket.PASSIVE: "Passive", Bucket.DETRACTOR: "Detractor"},
    SurveyKind.CSAT: {Bucket.PROMOTER: "Satisfied", Bucket.PASSIVE: "Neutral", Bucket.DETRACTOR: "Detractor"},
    SurveyKind.CES: {Bucket.PROMOTER: "Easy", Bucket.PASSIVE: "Neutral", Bucket.DETRACTOR: "Detractor"},
}


# What the page says after a form on it was saved (``?done=``, set by the route that saved it).
DONE_NOTICES = {"themes": "Themes saved. The theme classifier learns from your correction."}


def bucket_word(kind: SurveyKind, bucket: Bucket | None) -> str:
    if bucket is None:
        return "No score"
    return BUCKET_WORDS.get(kind, BUCKET_WORDS[SurveyKind.NPS])[bucket]


def _common() -> dict[str, object]:
    return {
        "section": "feedback",
        "bucket_pill": BUCKET_PILL,
        "bucket_word": bucket_word,
        "label": label,
        "kind_label": lambda value: KIND_NAMES.get(SurveyKind(value), value),
        "kind_names": KIND_NAMES,
        "channel_label": lambda value: label(SurveyChannel(value)) if value in set(SurveyChannel) else value,
    }


@router.get("/console/{store_slug}/feedback", response_class=HTMLResponse)
def inbox_page(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    cursor: Annotated[str | None, Query(max_length=300)] = None,
) -> Response:
    """Every answer of the store, newest first, filtered by the query string's filters
    (``feedback_filters``); a filter that is wrong is shown beside its field (422)."""
    console.require(Permission.VIEW_FEEDBACK)
    params = {key: value for key, value in request.query_params.items()}
    errors: dict[str, str] = {}
    rows: list[inbox_queries.InboxRow] = []
    next_cursor = None
    try:
        filters, given = parse_filters(params, console.store.timezone)
        before = decode_position(cursor)
    except Invalid as error:
        given = {key: params.get(key, "") for key in params}
        errors = {problem.field: problem.reason for problem in error.problems}
        filters, before = None, None
    with runtime.database.read() as session:
        if filters is not None:
            started = time.perf_counter()
            rows, next_cursor = inbox_queries.responses(session, console.store.id, filters, before=before)
            log.debug(
                "feedback inbox page: %d rows in %.1f ms", len(rows), (time.perf_counter() - started) * 1e3
            )
        choices = answer_queries.filter_choices(session, console.store.id)
    query = query_of(given) if not errors else []
    return render(
        request,
        "feedback_insight/inbox.html",
        {
            "console": console,
            "rows": rows,
            "form": given,
            "errors": errors,
            "choices": choices,
            "buckets": list(Bucket),
            "kinds": list(SurveyKind),
            "channels": list(SurveyChannel),
            "next_url": f"?{urlencode([*query, ('cursor', next_cursor)])}" if next_cursor else None,
            "first_url": f"?{urlencode(query)}" if cursor else None,
            "active": "inbox",
            **_common(),
        },
        status_code=422 if errors else 200,
    )


@router.get("/console/{store_slug}/feedback/responses/{response_id}", response_class=HTMLResponse)
def answer_page(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    response_id: Annotated[int, Path(ge=1, le=2**62)],
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """One answer: its questions and answers, its context, the follow-up answers, the customer's other
    answers, and the themes form (checkboxes ``theme_id`` of the store's enabled themes)."""
    console.require(Permission.VIEW_FEEDBACK)
    with runtime.database.read() as session:
        detail = answer_queries.answer_detail(session, console.store.id, response_id)
    return render(
        request,
        "feedback_insight/answer.html",
        {
            "console": console,
            "detail": detail,
            "row": detail.row,
            "notice": DONE_NOTICES.get(done or "", ""),
            "active": "inbox",
            **_common(),
        },
    )
