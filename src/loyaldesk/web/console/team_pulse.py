"""``/console/{store}/team/pulse``: the staff pulse. Every staff member sees the pulses and answers an
open one once; managers (who may manage feedback) create pulses and read the results, which stay hidden
below the pulse's minimum number of answers. No page shows who answered what, an answer's id or time,
or a single comment: only counts, distributions, eNPS and recurring keyphrases."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import Field, ValidationError
from pydantic.json_schema import JsonDict

from loyaldesk.feedback.team import (
    ENPS_QUESTION,
    MAX_QUESTIONS,
    PulseIn,
    PulseQuestionIn,
    answer_pulse,
    create_pulse,
    has_answered,
    is_open,
    pulse_of,
    pulse_results,
    pulses_of,
)
from loyaldesk.kernel.errors import Conflict, FieldProblem, Invalid, NotFound
from loyaldesk.stores import Permission
from loyaldesk.web.console.forms import ConsoleForm, FormState, blank_form, read_form
from loyaldesk.web.console.rendering import render
from loyaldesk.web.console.session import Console, ConsoleDep
from loyaldesk.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)

PulseId = Annotated[int, Path(ge=1, le=2**62)]
_types: JsonDict = {"x-labels": {"scale": "Scale 1 to 5", "text": "Text"}}
_own: JsonDict = {"widget": "text", "attrs": {"placeholder": "Leave empty for no question"}}


class PulseForm(ConsoleForm):
    """A new pulse; the eNPS question always comes first, then up to five of the manager's own."""

    title: str = Field(title="Title", min_length=1, max_length=200, description="Staff see it in the list.")
    open_days: int = Field(default=7, title="Open for (days)", ge=1, le=60)
    recurrence: Literal["once", "monthly", "quarterly"] = Field(
        default="once",
        title="Repeat",
        json_schema_extra={
            "x-labels": {"once": "Once", "monthly": "Every month", "quarterly": "Every quarter"}
        },
    )
    question_1: str = Field(default="", title="Question 1", max_length=300, json_schema_extra=_own)
    type_1: Literal["scale", "text"] = Field(default="scale", title="Answer 1", json_schema_extra=_types)
    question_2: str = Field(default="", title="Question 2", max_length=300, json_schema_extra=_own)
    type_2: Literal["scale", "text"] = Field(default="scale", title="Answer 2", json_schema_extra=_types)
    question_3: str = Field(default="", title="Question 3", max_length=300, json_schema_extra=_own)
    type_3: Literal["scale", "text"] = Field(default="text", title="Answer 3", json_schema_extra=_types)
    question_4: str = Field(default="", title="Question 4", max_length=300, json_schema_extra=_own)
    type_4: Literal["scale", "text"] = Field(default="scale", title="Answer 4", json_schema_extra=_types)
    question_5: str = Field(default="", title="Question 5", max_length=300, json_schema_extra=_own)
    type_5: Literal["scale", "text"] = Field(default="scale", title="Answer 5", json_schema_extra=_types)

    def spec(self) -> PulseIn:
        questions = []
        for number in range(1, MAX_QUESTIONS + 1):
            text = str(getattr(self, f"question_{number}") or "").strip()
            if text:
                questions.append(PulseQuestionIn(text=text, type=getattr(self, f"type_{number}")))
        return PulseIn(
            title=self.title, questions=questions, open_days=self.open_days, recurrence=self.recurrence
        )


def _list_page(
    request: Request, runtime: RuntimeDep, console: Console, state: FormState, status_code: int = 200
) -> Response:
    now = runtime.clock.now()
    with runtime.database.read() as session:
        rows = pulses_of(session, console.store.id, console.actor.id or 0, now)
    return render(
        request,
        "team/pulses.html",
        {
            "console": console,
            "section": "team",
            "rows": rows,
            "form": state,
            "manager": console.can(Permission.MANAGE_FEEDBACK),
            "enps_question": ENPS_QUESTION,
            "question_rows": [(f"question_{n}", f"type_{n}") for n in range(1, MAX_QUESTIONS + 1)],
        },
        status_code=status_code,
    )


@router.get("/console/{store_slug}/team/pulse", response_class=HTMLResponse)
def pulses_page(request: Request, runtime: RuntimeDep, console: ConsoleDep) -> Response:
    return _list_page(request, runtime, console, blank_form(PulseForm))


@router.post("/console/{store_slug}/team/pulse")
async def post_pulse(request: Request, runtime: RuntimeDep, console: ConsoleDep) -> Response:
    """Creates the pulse and opens it; a refused one shows the form again (422), nothing stored."""
    form = await request.form()
    console.check_csrf(str(form.get("csrf_token") or "") or None)
    console.require(Permission.MANAGE_FEEDBACK)
    values, state = read_form(PulseForm, form)
    pulse_id = None
    if values is not None:
        try:
            spec = values.spec()
            pulse = await runtime.database.write_async(create_pulse, console.actor, console.store.id, spec)
            pulse_id = pulse.id
        except (Invalid, ValidationError) as error:
            state.fail(error)
    if pulse_id is None:
        state.refuse_for_scripts(request)
        return _list_page(request, runtime, console, state, status_code=state.status)
    return RedirectResponse(f"/console/{console.store.slug}/team/pulse/{pulse_id}?created=1", status_code=303)


def _pulse_page(
    request: Request,
    runtime: RuntimeDep,
    console: Console,
    pulse_id: int,
    *,
    typed: dict[str, Any] | None = None,
    problems: list[FieldProblem] | None = None,
    notice: str = "",
    notice_kind: str = "success",
    status_code: int = 200,
) -> Response:
    staff_id = console.actor.id or 0
    with runtime.database.read() as session:
        pulse = pulse_of(session, console.store.id, pulse_id)
        if pulse is None:
            raise NotFound("no such pulse")
        answered = has_answered(session, pulse.id, staff_id)
        manager = console.can(Permission.MANAGE_FEEDBACK)
        results = pulse_results(session, pulse) if manager else None
    labels = {str(q["id"]): str(q["text"]) for q in pulse.questions}
    return render(
        request,
        "team/pulse.html",
        {
            "console": console,
            "section": "team",
            "pulse": pulse,
            "open": is_open(pulse, runtime.clock.now()),
            "answered": answered,
            "manager": manager,
            "results": results,
            "typed": typed or {},
            "problems": problems or [],
            "errors": {p.field: p.reason for p in problems or []},
            "labels": labels,
            "notice": notice,
            "notice_kind": notice_kind,
        },
        status_code=status_code,
    )


@router.get("/console/{store_slug}/team/pulse/{pulse_id:int}", response_class=HTMLResponse)
def pulse_page(request: Request, runtime: RuntimeDep, console: ConsoleDep, pulse_id: PulseId) -> Response:
    """The pulse: its questions to answer (once, while open), and for managers its results."""
    notice = ""
    if request.query_params.get("created"):
        notice = "The pulse is open: every staff member of the store can answer it now."
    elif request.query_params.get("thanks"):
        notice = "Thank you. Your answer was kept without your name."
    return _pulse_page(request, runtime, console, pulse_id, notice=notice)


@router.post("/console/{store_slug}/team/pulse/{pulse_id:int}")
async def post_answer(
    request: Request, runtime: RuntimeDep, console: ConsoleDep, pulse_id: PulseId
) -> Response:
    """Answers the pulse as the signed-in staff member (once); refused answers show the page again with
    the reasons (422, or 409 for a second answer or a closed pulse) and store nothing."""
    form = await request.form()
    console.check_csrf(str(form.get("csrf_token") or "") or None)
    answers = {key: str(value) for key, value in form.items() if key != "csrf_token"}
    try:
        await runtime.database.write_async(answer_pulse, console.actor, console.store.id, pulse_id, answers)
    except Invalid as error:
        return _pulse_page(
            request, runtime, console, pulse_id, typed=answers, problems=list(error.problems), status_code=422
        )
    except Conflict as error:
        return _pulse_page(
            request,
            runtime,
            console,
            pulse_id,
            notice=str(error).capitalize() + ".",
            notice_kind="warning",
            status_code=409,
        )
    return RedirectResponse(f"/console/{console.store.slug}/team/pulse/{pulse_id}?thanks=1", status_code=303)
