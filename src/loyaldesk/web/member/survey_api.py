"""A survey invitation as JSON, by its token, for the store's own site or app (and the survey page's
script): ``GET /survey-api/v1/{store}/{token}`` and ``POST /survey-api/v1/{store}/{token}/answers``.

The token is the credential: no cookie, no key, so any origin may call (CORS open, ``web.app``); an
unknown token, one of another store and an unknown store are the same 404. Strangers are limited per
address (``ApiRateLimitMiddleware``). Errors have the API's shape (``{"error": {"code", "message",
"fields"}}``); a refusal (409) also says ``reason``: ``closed``, ``expired`` or ``answered``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse

from loyaldesk.feedback import SurveyInvitation, submit_answers
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Conflict, Invalid, NotFound
from loyaldesk.runtime import Runtime
from loyaldesk.web.deps import RuntimeDep
from loyaldesk.web.errors import json_error
from loyaldesk.web.member import survey_view as view

router = APIRouter(tags=["surveys"])

# Checked here, not by FastAPI: its refusal of a path or query would not have this API's JSON shape
# (``/survey-api/`` is not one of ``web.errors.wants_json``'s paths). Too long reads like unknown: 404.
StoreSlug = Annotated[str, Path(description="The store's slug.")]
Token = Annotated[str, Path(description="The invitation's token (from its link).")]
NO_STORE = {"Cache-Control": "no-store"}
REASONS = {
    view.CLOSED: "this survey is closed and takes no more answers",
    view.EXPIRED: "this survey invitation has expired",
    view.ANSWERED: "this survey was already answered, thank you",
}


def survey_json(opened: view.Opened, language: str, brand: str, logo: str, now: Any) -> dict[str, Any]:
    """The invitation as its answerer sees it: the survey in ``language``, the answers so far, which
    questions apply now, and whether (and why not) it takes answers."""
    reason = view.refusal(opened, now)
    return {
        "kind": opened.survey.kind,
        "language": language,
        "languages": list(opened.survey.languages or []),
        "questions": view.questions_view(opened.survey, language),
        "visible": view.visible_ids(opened.survey, opened.answers),
        "answers": opened.answers,
        "status": opened.invitation.status if reason != view.EXPIRED else "expired",
        "takes_answers": reason is None,
        "reason": reason,
        "expires_at": opened.invitation.expires_at.isoformat(),
        "brand_color": brand,
        "logo_url": logo or None,
    }


def refusal_response(reason: str) -> JSONResponse:
    body = {"error": {"code": "conflict", "message": REASONS[reason], "reason": reason}}
    return JSONResponse(body, status_code=409, headers=NO_STORE)


def invalid_response(invalid: Invalid) -> JSONResponse:
    fields = [{"field": p.field, "reason": p.reason} for p in invalid.problems]
    return json_error(422, "invalid", invalid.message, fields)


def not_found_response() -> JSONResponse:
    return json_error(404, "not_found", "no such survey invitation")


def _read(runtime: Runtime, store_slug: str, token: str) -> tuple[view.Opened, str, str]:
    with runtime.database.read() as session:
        opened = view.open_by_token(session, store_slug, token)
        brand, logo = view.brand_of(session, opened.store.id)
        session.expunge_all()
    return opened, brand, logo


@router.get("/survey-api/v1/{store_slug}/{token}", summary="A survey invitation, by its token")
def survey_by_token(
    runtime: RuntimeDep,
    store_slug: StoreSlug,
    token: Token,
    lang: Annotated[str | None, Query(description="One of the survey's languages.")] = None,
) -> JSONResponse:
    """The survey in ``lang`` (else the customer's language, else the survey's first): its kind, its
    questions with their texts, the answers so far, its status and the store's brand colour."""
    try:
        opened, brand, logo = _read(runtime, store_slug, token)
    except NotFound:
        return not_found_response()
    language = view.survey_language(opened.survey, (lang or "")[:35] or None, opened.customer)
    body = survey_json(opened, language, brand, logo, runtime.clock.now())
    return JSONResponse(body, headers=NO_STORE)


async def answer(
    runtime: Runtime, opened: view.Opened, body: Any, *, default_language: str | None = None
) -> JSONResponse:
    """Record ``body`` (``{"answers": {question id: answer}, "language": "de"}``) for ``opened``: 200
    with the status (``partial`` or ``answered``), 409 with the reason, 422 with one problem per
    question. Shared by the token API and the widget."""
    if not isinstance(body, dict) or not isinstance(body.get("answers"), dict):
        return json_error(
            422,
            "invalid",
            "the request is not valid",
            [{"field": "answers", "reason": "an object: id → answer"}],
        )
    shapeless = [
        {
            "field": f"answers.{qid}",
            "reason": "must be a number, an option's id, a list of options' ids, or text",
        }
        for qid, value in body["answers"].items()
        if not _plain_answer(value)
    ]
    if shapeless:  # refused here: feedback's checks expect answers of these shapes
        return json_error(422, "invalid", "some answers do not fit their questions", shapeless)
    reason = view.refusal(opened, runtime.clock.now())
    if reason is not None:
        return refusal_response(reason)
    wanted = body.get("language") if isinstance(body.get("language"), str) else default_language
    wanted = wanted[:35] if wanted else None
    # Kept with the answer only when the caller says it (a later part must not undo an earlier "de").
    language = view.survey_language(opened.survey, wanted, opened.customer) if wanted else None

    def save(uow: UnitOfWork) -> dict[str, Any]:
        invitation = uow.session.get(SurveyInvitation, opened.invitation.id)
        if invitation is None:
            raise NotFound("no such survey invitation")
        response = submit_answers(uow, invitation, body["answers"], language=language)
        return {
            "status": invitation.status,
            "complete": response.complete,
            "answers": dict(response.answers or {}),
            "visible": view.visible_ids(opened.survey, response.answers or {}),
        }

    try:
        result = await runtime.database.write_async(save)
    except Invalid as invalid:
        return invalid_response(invalid)
    except Conflict:
        with runtime.database.read() as session:
            again = view.open_by_token(session, opened.store.slug, opened.invitation.token)
            reason = view.refusal(again, runtime.clock.now())
        return refusal_response(reason or view.ANSWERED)
    return JSONResponse(result, headers=NO_STORE)


def _plain_answer(value: Any) -> bool:
    if value is None or isinstance(value, str | int):
        return True
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


@router.post(
    "/survey-api/v1/{store_slug}/{token}/answers", summary="Answer a survey invitation, all or in part"
)
async def answer_by_token(
    request: Request, runtime: RuntimeDep, store_slug: StoreSlug, token: Token
) -> JSONResponse:
    """``{"answers": {"q1": 9, "q2": "Fast delivery"}, "language": "de"}``: kept with what was answered
    before. 200 ``{"status": "partial" | "answered", "complete", "answers", "visible"}``; 409 with
    ``reason`` (``closed``, ``expired``, ``answered``: answering twice); 422 with one problem per
    question (``answers.<id>``); 404 for a token this store did not give."""
    try:
        opened, _brand, _logo = _read(runtime, store_slug, token)
    except NotFound:
        return not_found_response()
    try:
        body = await request.json()
    except ValueError:
        return json_error(
            422, "invalid", "the request is not valid", [{"field": "body", "reason": "is not JSON"}]
        )
    return await answer(runtime, opened, body)
