"""The assistant in the console: its settings (``/inbox-settings/assistant``, managers of the desk), and
beside an inbox conversation its panel (suggested articles, a suggested reply, the hand-off state) with
the "hand back to the assistant" action. The LLM's key is write-only: the page shows its last four
characters."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import Field

from loyaldesk.assistant.dialog.handoff import hand_back
from loyaldesk.assistant.dialog.settings import MAX_LOW_CONFIDENCE, assistant_config, save_assistant_settings
from loyaldesk.assistant.dialog.suggestions import suggestions_for
from loyaldesk.kernel.errors import Invalid
from loyaldesk.kernel.outbound import OutboundPolicy
from loyaldesk.stores import Permission
from loyaldesk.support import queries
from loyaldesk.web.console.forms import ConsoleForm, FormState, blank_form, read_form
from loyaldesk.web.console.rendering import render, render_fragment
from loyaldesk.web.console.session import Console, ConsoleDep
from loyaldesk.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)
ConversationId = Annotated[int, Path(ge=1, le=2**62)]


class AssistantSettingsForm(ConsoleForm):
    """The store's assistant."""

    enabled: bool = Field(
        default=False,
        title="Answer chats first",
        description="The assistant answers new chat and API conversations.",
    )
    display_name: str = Field(
        default="Assistant",
        title="Name",
        min_length=1,
        max_length=80,
        description="Shoppers see its messages under this name.",
    )
    people_first_tiers: str = Field(
        default="",
        title="Tiers that go to people first",
        max_length=2000,
        description="Tier names, separated by commas (for example: Gold, VIP). "
        "Their customers never talk to the assistant.",
    )
    low_confidence_limit: int = Field(
        default=2,
        ge=1,
        le=MAX_LOW_CONFIDENCE,
        title="Hand off after this many answers it could not give",
        description="Not understanding the shopper (or having no answer) this many times "
        "hands the conversation to a person.",
    )
    llm_base_url: str = Field(
        default="",
        title="LLM address (optional)",
        max_length=500,
        description="An OpenAI-compatible API, like https://api.openai.com/v1. It only rewrites answers "
        "from your articles and the shopper's data, citing them.",
        json_schema_extra={"widget": "url"},
    )
    llm_model: str = Field(default="", title="LLM model", max_length=200)
    llm_api_key: str = Field(
        default="",
        title="LLM API key",
        max_length=500,
        description="Leave empty to keep the saved one.",
        json_schema_extra={"widget": "password", "attrs": {"autocomplete": "new-password"}},
    )
    forget_llm_api_key: bool = Field(default=False, title="Remove the saved key")


def _values(config: Any) -> dict[str, Any]:
    return {
        "enabled": config.enabled,
        "display_name": config.display_name,
        "people_first_tiers": ", ".join(config.people_first_tiers),
        "low_confidence_limit": config.low_confidence_limit,
        "llm_base_url": config.llm.base_url if config.llm else "",
        "llm_model": config.llm.model if config.llm else "",
    }


def _page(
    request: Request,
    console: Console,
    runtime: Any,
    *,
    form: FormState | None = None,
    flash: str | None = None,
    status_code: int = 200,
) -> Response:
    console.require(Permission.MANAGE_SUPPORT)
    with runtime.database.read() as session:
        config = assistant_config(session, console.store.id)
    if form is not None:
        form.refuse_for_scripts(request)
    return render(
        request,
        "assistant/settings.html",
        {
            "console": console,
            "section": "inbox",
            "config": config,
            "form": form or blank_form(AssistantSettingsForm, _values(config)),
            "flash": flash,
        },
        status_code=status_code,
    )


@router.get("/console/{store_slug}/inbox-settings/assistant", response_class=HTMLResponse)
def assistant_settings_page(
    request: Request,
    console: ConsoleDep,
    runtime: RuntimeDep,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    return _page(request, console, runtime, flash="Assistant settings saved." if done == "saved" else None)


@router.post("/console/{store_slug}/inbox-settings/assistant")
async def save_assistant(
    request: Request,
    console: ConsoleDep,
    runtime: RuntimeDep,
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Save; a refused form comes back (422) with each problem beside its input (the key never typed back)."""
    console.check_csrf(csrf_token)
    console.require(Permission.MANAGE_SUPPORT)
    form, state = read_form(AssistantSettingsForm, await request.form())
    state.values.pop("llm_api_key", None)
    if form is not None:
        try:
            await runtime.database.write_async(
                save_assistant_settings,
                console.actor,
                console.store.id,
                enabled=form.enabled,
                display_name=form.display_name,
                people_first_tiers=form.people_first_tiers.split(","),
                low_confidence_limit=form.low_confidence_limit,
                llm_base_url=form.llm_base_url,
                llm_model=form.llm_model,
                llm_api_key=form.llm_api_key or None,
                forget_llm_api_key=form.forget_llm_api_key,
                policy=OutboundPolicy(allow_private_network=runtime.settings.allow_private_network),
            )
        except Invalid as error:
            state.fail(error)
        else:
            return RedirectResponse(
                f"/console/{console.store.slug}/inbox-settings/assistant?done=saved", status_code=303
            )
    return _page(request, console, runtime, form=state, status_code=state.status)


@router.get("/console/{store_slug}/inbox/{conversation_id}/assistant", response_class=HTMLResponse)
def assistant_panel(
    request: Request, console: ConsoleDep, runtime: RuntimeDep, conversation_id: ConversationId
) -> Response:
    """The assistant's panel beside a conversation (an HTML fragment the inbox loads after the page)."""
    console.require(Permission.VIEW_CONVERSATIONS)
    with runtime.database.read() as session:
        conversation = queries.conversation_of(session, console.store.id, conversation_id)
        suggestions = suggestions_for(session, conversation)
    return HTMLResponse(
        render_fragment(
            "assistant/_panel.html",
            {
                "console": console,
                "conversation": conversation,
                "suggestions": suggestions,
                "can_answer": console.can(Permission.ANSWER_CONVERSATIONS),
                "inbox_base": f"/console/{console.store.slug}/inbox",
            },
        )
    )


@router.post("/console/{store_slug}/inbox/{conversation_id}/assistant/hand-back")
async def hand_back_to_assistant(
    request: Request,
    console: ConsoleDep,
    runtime: RuntimeDep,
    conversation_id: ConversationId,
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """The agent gives the conversation back to the assistant: it answers the shopper's next message."""
    console.check_csrf(csrf_token)
    console.require(Permission.ANSWER_CONVERSATIONS)
    await runtime.database.write_async(hand_back, console.actor, conversation_id)
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"ok": True, "assistant_active": True})
    return RedirectResponse(f"/console/{console.store.slug}/inbox?c={conversation_id}", status_code=303)
