"""The rule editor: name, purpose, category, holdout, re-entry, conversion window and switch as inputs;
the trigger, conditions and steps as JSON text areas beside a help panel (the fields with their labels,
the operators, the step kinds and their keys, the variables). Saving checks the whole rule
(``save_rule``); what is wrong is shown beside the text area it is in, naming the part
(``steps[1].template``), and what was typed is kept. Needs ``manage_journeys``."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from loyaldesk.journeys.actions.rules import rule_as_input, rule_of, save_rule
from loyaldesk.journeys.rules.conditions import FIELDS, OPERATOR_LABELS, OPERATORS
from loyaldesk.journeys.rules.definition import DATE_TRIGGERS, PRIORITIES, RECURRENCES
from loyaldesk.journeys.rules.variables import VARIABLES
from loyaldesk.journeys.schemas import RuleIn
from loyaldesk.journeys.vocab import RulePurpose, TriggerKind
from loyaldesk.kernel.errors import FieldProblem, Invalid
from loyaldesk.stores import Permission
from loyaldesk.web.console.forms import FormState, blank_form, read_form
from loyaldesk.web.console.journeys_forms import JSON_INPUTS, RuleForm
from loyaldesk.web.console.journeys_words import EVENTS, page_context
from loyaldesk.web.console.loyalty_forms import FormDep
from loyaldesk.web.console.rendering import render
from loyaldesk.web.console.session import Console, ConsoleDep
from loyaldesk.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)

RuleId = Annotated[int, Path(ge=1, le=2**62)]

# Each step kind and the keys it takes, for the help panel.
STEP_KEYS = (
    ("send", 'channel (email, sms, push, widget), template (a template key), or variants {"A": key, ...}'),
    ("wait", "days, hours and/or minutes"),
    ("wait_until", 'time ("10:00"), timezone ("recipient" or "store")'),
    ("wait_for_event", 'event, timeout_hours, on_event and on_timeout ("continue" or "exit")'),
    ("branch", "if (conditions), else_goto (the step index to go to when not met; the step count ends)"),
    ("split", 'variants {"A": 50, "B": 50} (shares adding up to 100)'),
    ("grant_points", "points"),
    ("grant_reward", "reward_id"),
    ("tag_customer", "tag"),
    ("tag_conversation", "tag"),
    ("assign", "team_id or staff_id"),
    ("set_priority", f"priority ({', '.join(PRIORITIES)})"),
    ("reply", "text (may use variables)"),
    ("create_task", "title, details, due_hours"),
    ("call_webhook", "url"),
    ("exit", "nothing: stops the run"),
)
TRIGGER_KEYS = (
    ("event", "event: " + ", ".join(sorted({*EVENTS, "conversation.resolved"})) + ", or custom:<name>"),
    ("date", f"date ({', '.join(DATE_TRIGGERS)}), days_before"),
    ("segment", "condition: who is in the segment (conditions)"),
    ("attribute", "condition: the attribute's value (conditions)"),
    ("schedule", f'at ("2026-12-24T10:00"), recurrence (none, {", ".join(RECURRENCES)}), timezone, audience'),
)
STARTERS: dict[str, dict[str, Any]] = {
    RulePurpose.SUPPORT: {
        "trigger": {"kind": TriggerKind.EVENT.value, "event": "conversation.started"},
        "conditions": {"all": [{"field": "conversation.text", "op": "contains_any", "value": ["refund"]}]},
        "steps": [{"kind": "tag_conversation", "tag": "refund"}],
        "category": "support",
    },
    RulePurpose.JOURNEY: {
        "trigger": {"kind": TriggerKind.EVENT.value, "event": "order.delivered"},
        "conditions": {"all": []},
        "steps": [{"kind": "wait", "days": 2}, {"kind": "send", "channel": "email", "template": ""}],
        "category": "marketing",
    },
}


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def _form_page(
    request: Request, console: Console, rule_id: int | None, state: FormState, status_code: int = 200
) -> Response:
    return render(
        request,
        "journeys/editor.html",
        page_context(
            console,
            "rules",
            rule_id=rule_id,
            form=state,
            json_inputs=JSON_INPUTS,
            fields=sorted(FIELDS.values(), key=lambda f: f.name),
            operators=[(op, OPERATOR_LABELS[op], sorted(OPERATORS[op])) for op in OPERATORS],
            step_keys=STEP_KEYS,
            trigger_keys=TRIGGER_KEYS,
            variables=sorted(VARIABLES.items()),
        ),
        status_code=status_code,
    )


@router.get("/console/{store_slug}/journeys/new", response_class=HTMLResponse)
def new_rule_page(
    request: Request,
    console: ConsoleDep,
    purpose: Annotated[str, Query(pattern="^(support|journey)$")] = "journey",
) -> Response:
    """The editor for a new journey or support automation, with a starting example."""
    console.require(Permission.MANAGE_JOURNEYS)
    starter = STARTERS[RulePurpose(purpose)]
    values = {
        "purpose": purpose,
        "category": starter["category"],
        **{name: _json(starter[name]) for name in JSON_INPUTS},
    }
    return _form_page(request, console, None, blank_form(RuleForm, values))


@router.get("/console/{store_slug}/journeys/{rule_id:int}/edit", response_class=HTMLResponse)
def edit_rule_page(request: Request, console: ConsoleDep, runtime: RuntimeDep, rule_id: RuleId) -> Response:
    """The editor filled in with the rule as it is."""
    console.require(Permission.MANAGE_JOURNEYS)
    with runtime.database.read() as session:
        current = rule_as_input(rule_of(session, console.store.id, rule_id))
    values = {name: _json(current[name]) if name in JSON_INPUTS else current[name] for name in current}
    return _form_page(request, console, rule_id, blank_form(RuleForm, values))


def place(problem: FieldProblem) -> FieldProblem:
    """A problem of the rule's definition on the text area it is in, the part named in the reason."""
    where = problem.field
    head = where.split("[", 1)[0].split(".", 1)[0]
    if head in JSON_INPUTS and where != head:
        hint = ""
        if head == "steps" and where[len("steps[") :].split("]", 1)[0].isdigit():
            hint = f" (step {int(where[len('steps[') :].split(']', 1)[0]) + 1})"
        return FieldProblem(head, f"{where}{hint}: {problem.reason}")
    return problem


def read_rule(form: Any) -> tuple[RuleIn | None, FormState]:
    """The posted rule as ``RuleIn``, or None and the state with each problem beside its input."""
    data, state = read_form(RuleForm, form)
    parsed: dict[str, Any] = {}
    for name in JSON_INPUTS:
        text = str(state.values.get(name) or "").strip()
        if not text and name == "conditions":
            parsed[name] = {"all": []}
            continue
        try:
            parsed[name] = json.loads(text)
        except ValueError as error:
            line, column = getattr(error, "lineno", "?"), getattr(error, "colno", "?")
            reason = f"not valid JSON: {getattr(error, 'msg', error)} (line {line}, column {column})"
            state.problems.append(FieldProblem(name, reason))
    if data is None or state.invalid:
        return None, state
    try:
        rule = RuleIn.model_validate({**data.model_dump(exclude=set(JSON_INPUTS)), **parsed})
    except ValidationError as error:
        for item in error.errors():
            location = ".".join(str(part) for part in item["loc"])
            state.problems.append(place(FieldProblem(location, item["msg"])))
        return None, state
    return rule, state


def _save(request: Request, console: Console, runtime: Any, form: Any, rule_id: int | None) -> Response:
    console.check_csrf(str(form.get("csrf_token") or ""))
    console.require(Permission.MANAGE_JOURNEYS)
    rule_in, state = read_rule(form)
    if rule_in is not None:
        try:
            rule = runtime.database.write(save_rule, console.actor, console.store.id, rule_in, rule_id)
        except Invalid as error:
            for problem in error.problems or [FieldProblem("", error.message)]:
                state.problems.append(place(problem))
        else:
            return RedirectResponse(
                f"/console/{console.store.slug}/journeys/{rule.id}?done=saved", status_code=303
            )
    state.refuse_for_scripts(request)
    return _form_page(request, console, rule_id, state, status_code=422)


@router.post("/console/{store_slug}/journeys")
def create_rule(request: Request, console: ConsoleDep, runtime: RuntimeDep, form: FormDep) -> Response:
    """Create a rule from the editor."""
    return _save(request, console, runtime, form, None)


@router.post("/console/{store_slug}/journeys/{rule_id:int}/edit")
def update_rule(
    request: Request, console: ConsoleDep, runtime: RuntimeDep, form: FormDep, rule_id: RuleId
) -> Response:
    """Replace the rule's definition (its version grows; runs under way keep theirs)."""
    return _save(request, console, runtime, form, rule_id)
