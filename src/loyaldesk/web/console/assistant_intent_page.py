"""One intent of the assistant (console, assistant section): its examples with where each came from and
a delete button, a new example, and for the store's own intents their label and description (change,
delete); a built-in intent is switched on or off here."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from loyaldesk.assistant import teaching
from loyaldesk.kernel.errors import Invalid
from loyaldesk.stores import Permission
from loyaldesk.web.console.assistant_intents import DONE, ExampleForm, IntentForm, IntentName
from loyaldesk.web.console.forms import FormState, blank_form, read_form
from loyaldesk.web.console.rendering import render
from loyaldesk.web.console.session import Console, ConsoleDep
from loyaldesk.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)


def _intent_url(console: Console, name: str, done: str) -> str:
    return f"/console/{console.store.slug}/assistant/intents/{name}?done={done}"


def _page(
    request: Request,
    runtime: RuntimeDep,
    console: Console,
    name: str,
    *,
    edit: FormState | None = None,
    done: str | None = None,
    status_code: int = 200,
) -> Response:
    with runtime.database.read() as session:
        intent = teaching.intent_of(session, console.store.id, name)
        examples = teaching.examples_of(session, console.store.id, name)
    example = blank_form(ExampleForm, {"intent": name})
    return render(
        request,
        "assistant/intent.html",
        {
            "console": console,
            "section": "assistant",
            "assistant_base": f"/console/{console.store.slug}/assistant",
            "intent": intent,
            "examples": examples,
            "example_fields": [example.field("intent", widget="hidden"), example.field("text")],
            "edit_form": edit
            or blank_form(
                IntentForm, {"name": name, "label": intent.label, "description": intent.description}
            ),
            "can_manage": console.can(Permission.MANAGE_SUPPORT),
            "flash": DONE.get(done or ""),
        },
        status_code=status_code,
    )


@router.get("/console/{store_slug}/assistant/intents/{intent_name}", response_class=HTMLResponse)
def intent_page(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    intent_name: IntentName,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    console.require(Permission.VIEW_CONVERSATIONS)
    return _page(request, runtime, console, intent_name, done=done)


@router.post("/console/{store_slug}/assistant/intents/{intent_name}/edit")
async def edit_intent(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    intent_name: IntentName,
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """Change the label and description of one of the store's own intents."""
    console.check_csrf(csrf_token)
    console.require(Permission.MANAGE_SUPPORT)
    posted = {**(await request.form()), "name": intent_name}
    form, state = read_form(IntentForm, posted)  # type: ignore[arg-type]
    if form is not None:
        try:
            await runtime.database.write_async(
                teaching.save_intent,
                console.actor,
                console.store.id,
                name=intent_name,
                label=form.label,
                description=form.description,
                existing=True,
            )
        except Invalid as error:
            state.fail(error)
    if state.invalid:
        state.refuse_for_scripts(request)
        return _page(request, runtime, console, intent_name, edit=state, status_code=state.status)
    return RedirectResponse(_intent_url(console, intent_name, "saved"), status_code=303)


@router.post("/console/{store_slug}/assistant/intents/{intent_name}/delete")
async def delete_intent(
    runtime: RuntimeDep,
    console: ConsoleDep,
    intent_name: IntentName,
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    console.check_csrf(csrf_token)
    await runtime.database.write_async(teaching.delete_intent, console.actor, console.store.id, intent_name)
    return RedirectResponse(f"/console/{console.store.slug}/assistant/intents?done=deleted", status_code=303)


@router.post("/console/{store_slug}/assistant/intents/{intent_name}/enabled")
async def switch_intent(
    runtime: RuntimeDep,
    console: ConsoleDep,
    intent_name: IntentName,
    csrf_token: Annotated[str | None, Form()] = None,
    enabled: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Switch a built-in intent on (``enabled=true``) or off."""
    console.check_csrf(csrf_token)
    on = enabled.lower() in ("true", "on", "yes", "1")
    await runtime.database.write_async(
        teaching.switch_builtin_intent, console.actor, console.store.id, intent_name, enabled=on
    )
    return RedirectResponse(_intent_url(console, intent_name, "on" if on else "off"), status_code=303)
