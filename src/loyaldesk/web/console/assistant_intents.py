"""The assistant's intents (console, assistant section): every intent with its examples and
cross-validated accuracy (a bar chart, the numbers in the table too), a new example, an intent of the
store's own, the model's status and a retrain button; one intent's page with its examples.

Everyone who reads conversations sees the pages (agents label messages with these intents in the inbox,
``intent_labels.py``); owners and admins (``manage_support``) teach here."""

from __future__ import annotations

import re
from typing import Annotated

import pygal
from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import Field

from loyaldesk.assistant import teaching
from loyaldesk.kernel.errors import Conflict, Invalid
from loyaldesk.stores import Permission
from loyaldesk.web.console.chart_style import console_chart_style
from loyaldesk.web.console.forms import ConsoleForm, FormState, blank_form, read_form
from loyaldesk.web.console.rendering import render
from loyaldesk.web.console.session import Console, ConsoleDep
from loyaldesk.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)

IntentName = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]{1,47}$")]
ExampleId = Annotated[int, Path(ge=1, le=2**62)]
CHART_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"
CHART_WIDTH = 640
_SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL | re.IGNORECASE)
DONE = {
    "example": "Example added. The assistant retrains within a minute or two.",
    "intent": "Intent created: add a few examples of how customers say it.",
    "retrain": "Retraining asked for: it starts within seconds.",
    "removed": "Example removed.",
    "saved": "Saved.",
    "deleted": "Intent deleted with its examples.",
    "on": "Switched on.",
    "off": "Switched off: the assistant reads it as out of scope.",
}


class ExampleForm(ConsoleForm):
    """A new example: how a customer says an intent."""

    intent: str = Field(title="Intent", max_length=48, json_schema_extra={"widget": "select"})
    text: str = Field(
        title="What a customer writes",
        max_length=2000,
        description="One message, in the customer's words (spelling mistakes welcome).",
    )


class IntentForm(ConsoleForm):
    """An intent of the store's own."""

    name: str = Field(
        title="Name",
        max_length=48,
        description="For reports and the API: lower-case letters, digits and _, e.g. gift_wrapping.",
    )
    label: str = Field(title="Label", max_length=80, description="What agents read, e.g. Gift wrapping.")
    description: str = Field(
        default="", title="Description", max_length=500, json_schema_extra={"widget": "textarea"}
    )


def _base(console: Console) -> str:
    return f"/console/{console.store.slug}/assistant"


def _page(
    request: Request,
    runtime: RuntimeDep,
    console: Console,
    *,
    example: FormState | None = None,
    intent: FormState | None = None,
    done: str | None = None,
    status_code: int = 200,
) -> Response:
    with runtime.database.read() as session:
        intents = teaching.intents_overview(session, console.store.id)
        state = teaching.model_state(session, console.store.id)
    example = example or blank_form(ExampleForm)
    choices = [("", "Choose an intent")] + [(i.name, i.label) for i in intents if i.enabled]
    return render(
        request,
        "assistant/intents.html",
        {
            "console": console,
            "section": "assistant",
            "assistant_base": _base(console),
            "intents": intents,
            "model": state,
            "measured": [i for i in intents if i.accuracy is not None],
            "example_form": example,
            "example_fields": [example.field("intent", choices=choices), example.field("text")],
            "intent_form": intent or blank_form(IntentForm),
            "can_manage": console.can(Permission.MANAGE_SUPPORT),
            "flash": DONE.get(done or ""),
        },
        status_code=status_code,
    )


@router.get("/console/{store_slug}/assistant/intents", response_class=HTMLResponse)
def intents_page(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    console.require(Permission.VIEW_CONVERSATIONS)
    return _page(request, runtime, console, done=done)


def accuracy_svg(intents: list[teaching.IntentView]) -> str:
    """Cross-validated accuracy per intent as horizontal bars (SVG without pygal's scripts)."""
    measured = [i for i in intents if i.accuracy is not None]
    chart = pygal.HorizontalBar(
        style=console_chart_style(13),
        js=[],
        width=CHART_WIDTH,
        height=max(120, 26 * len(measured) + 60),
        show_legend=False,
        print_values=True,
        range=(0, 100),
        value_formatter=lambda value: f"{value:.0f}%",
        margin=10,
        show_y_guides=False,
        no_data_text="Not trained yet",
    )
    if measured:
        chart.x_labels = [i.label for i in measured]
        chart.add("Accuracy", [round((i.accuracy or 0) * 100, 1) for i in measured])
    return _SCRIPT.sub("", chart.render(is_unicode=True))


@router.get("/console/{store_slug}/assistant/intent-accuracy.svg")
def accuracy_chart(runtime: RuntimeDep, console: ConsoleDep) -> Response:
    """The accuracy per intent as an image (the page's table has the same numbers)."""
    console.require(Permission.VIEW_CONVERSATIONS)
    with runtime.database.read() as session:
        intents = teaching.intents_overview(session, console.store.id)
    return Response(
        accuracy_svg(intents),
        media_type="image/svg+xml",
        headers={"Content-Security-Policy": CHART_CSP, "Cache-Control": "private, no-cache"},
    )


@router.post("/console/{store_slug}/assistant/examples")
async def add_example(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """Teach an example; a refused one shows the page again (422, 409) with the problem beside its input.
    From an intent's page (``back`` = its name) the answer goes back there."""
    console.check_csrf(csrf_token)
    console.require(Permission.MANAGE_SUPPORT)
    posted = await request.form()
    example, state = read_form(ExampleForm, posted)
    if example is not None:
        try:
            await runtime.database.write_async(
                teaching.add_example,
                console.actor,
                console.store.id,
                intent=example.intent,
                text=example.text,
            )
        except Invalid as error:
            state.fail(error)
        except Conflict as error:
            state.fail(error, field="text")
    if state.invalid:
        state.refuse_for_scripts(request)
        return _page(request, runtime, console, example=state, status_code=state.status)
    assert example is not None
    if posted.get("back") == example.intent:
        return RedirectResponse(f"{_base(console)}/intents/{example.intent}?done=example", status_code=303)
    return RedirectResponse(f"{_base(console)}/intents?done=example", status_code=303)


@router.post("/console/{store_slug}/assistant/custom-intents")
async def create_intent(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    console.check_csrf(csrf_token)
    console.require(Permission.MANAGE_SUPPORT)
    intent, state = read_form(IntentForm, await request.form())
    if intent is not None:
        try:
            await runtime.database.write_async(
                teaching.save_intent,
                console.actor,
                console.store.id,
                name=intent.name,
                label=intent.label,
                description=intent.description,
            )
        except Invalid as error:
            state.fail(error)
        except Conflict as error:
            state.fail(error, field="name")
    if state.invalid:
        state.refuse_for_scripts(request)
        return _page(request, runtime, console, intent=state, status_code=state.status)
    assert intent is not None
    return RedirectResponse(f"{_base(console)}/intents/{intent.name}?done=intent", status_code=303)


@router.post("/console/{store_slug}/assistant/retrain")
async def retrain(
    runtime: RuntimeDep, console: ConsoleDep, csrf_token: Annotated[str | None, Form()] = None
) -> Response:
    console.check_csrf(csrf_token)
    await runtime.database.write_async(teaching.retrain_now, console.actor, console.store.id)
    return RedirectResponse(f"{_base(console)}/intents?done=retrain", status_code=303)


@router.post("/console/{store_slug}/assistant/examples/{example_id}/delete")
async def delete_example(
    runtime: RuntimeDep,
    console: ConsoleDep,
    example_id: ExampleId,
    csrf_token: Annotated[str | None, Form()] = None,
    back: Annotated[str | None, Form(max_length=48)] = None,
) -> Response:
    console.check_csrf(csrf_token)
    await runtime.database.write_async(teaching.remove_example, console.actor, console.store.id, example_id)
    where = f"intents/{back}" if back and re.fullmatch(r"[a-z][a-z0-9_]{1,47}", back) else "intents"
    return RedirectResponse(f"{_base(console)}/{where}?done=removed", status_code=303)
