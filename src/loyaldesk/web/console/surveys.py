"""The survey builder: ``/console/{store}/feedback/surveys``. Anyone who may view feedback sees the list
(name, kind, status, channel, when it asks, answers), a survey's editor and its preview in the store's
colours; managing feedback is needed to create, change, switch on and close.

The editor is a plain form (``web.console.survey_builder``): questions are added, removed and moved by
the form's own buttons (the page is drawn again, nothing saved until "Save"); a refusal by
``feedback.create_survey`` / ``update_survey`` is shown next to the field it names, nothing saved.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import func, select

from loyaldesk.feedback import Survey, SurveyInvitation, SurveyResponse, SurveyStatus
from loyaldesk.feedback.actions.surveys import create_survey, set_survey_status, survey_of, update_survey
from loyaldesk.feedback.default_surveys import default_questions
from loyaldesk.feedback.schemas import SurveyIn
from loyaldesk.feedback.vocab import SurveyChannel, SurveyKind, label
from loyaldesk.kernel.errors import FieldProblem, Invalid
from loyaldesk.stores import Permission
from loyaldesk.web.console import survey_builder as builder
from loyaldesk.web.console.rendering import render
from loyaldesk.web.console.session import Console, ConsoleDep
from loyaldesk.web.deps import RuntimeDep
from loyaldesk.web.member import survey_view
from loyaldesk.web.member.surveys import render_survey

router = APIRouter(include_in_schema=False)
BASE = "/console/{store_slug}/feedback/surveys"
SurveyId = Annotated[int, Path(ge=1, le=2**62)]
STATUS_STEPS = {"active": "Switch on", "closed": "Close", "draft": "Back to draft"}


@router.get(BASE, response_class=HTMLResponse)
def surveys_list(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    notice: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    console.require(Permission.VIEW_FEEDBACK)
    with runtime.database.read() as session:
        surveys = session.scalars(
            select(Survey).where(Survey.store_id == console.store.id).order_by(Survey.created_at, Survey.id)
        ).all()
        answers = dict(
            session.execute(  # type: ignore[arg-type]
                select(SurveyResponse.survey_id, func.count())
                .where(SurveyResponse.store_id == console.store.id)
                .group_by(SurveyResponse.survey_id)
            ).all()
        )
        asked = dict(
            session.execute(  # type: ignore[arg-type]
                select(SurveyInvitation.survey_id, func.count())
                .where(SurveyInvitation.store_id == console.store.id)
                .group_by(SurveyInvitation.survey_id)
            ).all()
        )
    rows = [
        {
            "survey": survey,
            "kind": builder.kind_label(survey.kind),
            "status": label(SurveyStatus(survey.status)),
            "channel": label(SurveyChannel(survey.channel)),
            "when": builder.when_it_asks(survey.trigger or {}),
            "answers": answers.get(survey.id, 0),
            "asked": asked.get(survey.id, 0),
        }
        for survey in surveys
    ]
    return render(
        request,
        "surveys/list.html",
        {
            "console": console,
            "section": "feedback",
            "rows": rows,
            "kinds": builder.kind_choices(),
            "notice": notice or "",
            "may_manage": console.can(Permission.MANAGE_FEEDBACK),
        },
    )


def _editor(
    request: Request,
    console: Console,
    values: dict[str, Any],
    *,
    kind: str,
    survey: Survey | None,
    errors: dict[str, str] | None = None,
    problems: list[FieldProblem] | None = None,
    focus: str = "",
    notice: str = "",
    status_code: int = 200,
) -> Response:
    languages = builder.languages_of(str(values.get("languages", ""))) or ["en"]
    count = int(values.get("question_count", 0))
    questions = [
        {
            "index": index,
            "id": str(values.get(f"q{index}_id", "")),
            "type": str(values.get(f"q{index}_type", "")),
        }
        for index in range(count)
    ]
    return render(
        request,
        "surveys/edit.html",
        {
            "console": console,
            "section": "feedback",
            "survey": survey,
            "kind": kind,
            "kind_label": builder.kind_label(kind),
            "form": values,
            "errors": errors or {},
            "problems": problems or [],
            "labels": {},
            "languages": languages,
            "questions": questions,
            "types": builder.type_choices(),
            "operators": builder.SHOW_OPERATORS,
            "trigger_kinds": builder.TRIGGER_KINDS,
            "events": builder.event_choices(),
            "recurrences": builder.recurrence_choices(),
            "channels": [(channel.value, label(channel)) for channel in SurveyChannel],
            "status_steps": STATUS_STEPS,
            "focus": focus,
            "notice": notice,
            "may_manage": console.can(Permission.MANAGE_FEEDBACK),
        },
        status_code=status_code,
    )


@router.get(BASE + "/new", response_class=HTMLResponse)
def new_survey(
    request: Request,
    console: ConsoleDep,
    kind: Annotated[SurveyKind, Query()] = SurveyKind.NPS,
) -> Response:
    """A new survey of ``kind``, prefilled with the kind's default questions."""
    console.require(Permission.MANAGE_FEEDBACK)
    languages = [console.store.default_language or "en"]
    if "en" not in languages:
        languages.append("en")
    defaults = {
        "name": builder.kind_label(kind),
        "kind": kind.value,
        "languages": languages,
        "questions": default_questions(kind, languages),
        "trigger": {"kind": "api"},
        "channel": "email",
    }
    return _editor(request, console, builder.survey_form(defaults), kind=kind.value, survey=None)


async def _save(request: Request, runtime: Any, console: Console, survey_id: int | None) -> Response:
    form = await request.form()
    console.check_csrf(str(form.get("csrf_token") or ""))
    console.require(Permission.MANAGE_FEEDBACK)
    survey = None
    if survey_id is not None:
        with runtime.database.read() as session:
            survey = survey_of(session, console.store.id, survey_id)
            session.expunge(survey)
    kind = survey.kind if survey is not None else str(form.get("kind") or "custom")
    if kind not in set(SurveyKind):
        raise Invalid.field("kind", f"one of {', '.join(SurveyKind)}")
    values = builder.form_values(dict(form.multi_items()))
    step = str(form.get("editor") or "save")
    if step != "save":
        values, focus = builder.edit(values, step)
        return _editor(request, console, values, kind=kind, survey=survey, focus=focus)
    data = builder.survey_data(values, kind)
    languages = data["languages"]
    try:
        survey_in = SurveyIn.model_validate(data)
        if survey is None:
            saved = await runtime.database.write_async(
                create_survey, console.actor, console.store.id, survey_in
            )
        else:
            saved = await runtime.database.write_async(
                update_survey, console.actor, console.store.id, survey.id, survey_in
            )
    except ValidationError as error:
        problems = [
            FieldProblem(builder.field_of(".".join(str(p) for p in item["loc"]), languages), item["msg"])
            for item in error.errors()
        ]
        return _refused(request, console, values, kind, survey, problems)
    except Invalid as error:
        problems = [FieldProblem(builder.field_of(p.field, languages), p.reason) for p in error.problems]
        return _refused(request, console, values, kind, survey, problems)
    notice = quote(f"Saved {saved.name}.")
    return RedirectResponse(f"/console/{console.store.slug}/feedback/surveys/{saved.id}?notice={notice}", 303)


def _refused(
    request: Request,
    console: Console,
    values: dict[str, Any],
    kind: str,
    survey: Survey | None,
    problems: list[FieldProblem],
) -> Response:
    errors = {problem.field: problem.reason for problem in problems}
    return _editor(
        request, console, values, kind=kind, survey=survey, errors=errors, problems=problems, status_code=422
    )


@router.post(BASE, response_class=HTMLResponse)
async def create(request: Request, runtime: RuntimeDep, console: ConsoleDep) -> Response:
    """Save a new survey (a draft), or take an editor step (add, remove, move a question)."""
    return await _save(request, runtime, console, None)


@router.get(BASE + "/{survey_id}", response_class=HTMLResponse)
def edit_survey(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    survey_id: SurveyId,
    notice: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    console.require(Permission.VIEW_FEEDBACK)
    with runtime.database.read() as session:
        survey = survey_of(session, console.store.id, survey_id)
        session.expunge(survey)
    values = builder.survey_form(
        {
            "name": survey.name,
            "kind": survey.kind,
            "languages": survey.languages,
            "questions": survey.questions,
            "trigger": survey.trigger,
            "channel": survey.channel,
        }
    )
    return _editor(request, console, values, kind=survey.kind, survey=survey, notice=notice or "")


@router.post(BASE + "/{survey_id}", response_class=HTMLResponse)
async def save_survey(
    request: Request, runtime: RuntimeDep, console: ConsoleDep, survey_id: SurveyId
) -> Response:
    """Save the survey's definition, or take an editor step."""
    return await _save(request, runtime, console, survey_id)


@router.post(BASE + "/{survey_id}/status")
async def switch_survey(
    request: Request, runtime: RuntimeDep, console: ConsoleDep, survey_id: SurveyId
) -> Response:
    """Switch on (it asks and takes answers), close (no more answers), or back to draft."""
    form = await request.form()
    console.check_csrf(str(form.get("csrf_token") or ""))
    console.require(Permission.MANAGE_FEEDBACK)
    try:
        status = SurveyStatus(str(form.get("status") or ""))
    except ValueError:
        raise Invalid.field("status", "choose active, closed or draft") from None
    survey = await runtime.database.write_async(
        set_survey_status, console.actor, console.store.id, survey_id, status
    )
    notice = quote(f"{survey.name} is now {label(status).lower()}.")
    return RedirectResponse(f"/console/{console.store.slug}/feedback/surveys?notice={notice}", 303)


@router.get(BASE + "/{survey_id}/preview", response_class=HTMLResponse)
def preview_survey(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    survey_id: SurveyId,
    lang: Annotated[str | None, Query(max_length=35)] = None,
) -> Response:
    """The survey page as customers see it, in the store's colours; its form sends nothing."""
    console.require(Permission.VIEW_FEEDBACK)
    with runtime.database.read() as session:
        survey = survey_of(session, console.store.id, survey_id)
        session.expunge(survey)
    placeholder = SurveyInvitation(
        token="preview", survey_id=survey.id, store_id=survey.store_id, status="asked"
    )
    opened = survey_view.Opened(console.store, survey, placeholder, None, {})
    language = survey_view.survey_language(survey, lang, None)
    response = render_survey(request, runtime, opened, language, answers={}, preview=True)
    response.headers["Content-Security-Policy"] = response.headers["Content-Security-Policy"].replace(
        "form-action 'self'", "form-action 'none'"
    )
    return response
