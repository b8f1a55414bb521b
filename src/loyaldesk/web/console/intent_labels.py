"""Labelling a customer's message with an intent, in the inbox: a small form under each customer message
(a select and a button; a plain form POST, no script needed) that teaches the assistant the message as an
example of the intent. ``context`` is what the message partial (``inbox/_message.html``) needs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from loyaldesk.assistant import teaching
from loyaldesk.assistant.teaching.models import IntentExample
from loyaldesk.kernel.errors import NotFound
from loyaldesk.stores import Permission
from loyaldesk.support import Message
from loyaldesk.web.console.session import Console, ConsoleDep
from loyaldesk.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)

RowId = Annotated[int, Path(ge=1, le=2**62)]


@dataclass(frozen=True)
class LabelControl:
    choices: list[tuple[str, str]]  # (intent, label) of the intents switched on
    labelled: dict[int, str]  # message id -> the intent it teaches
    csrf_token: str


def context(session: Session, console: Console, conversation_id: int) -> dict[str, Any]:
    """``{"intent_labels": LabelControl}`` for someone who may label messages; ``{}`` otherwise."""
    if not console.can(Permission.ANSWER_CONVERSATIONS):
        return {}
    labelled = {
        message_id: intent
        for message_id, intent in session.execute(
            select(IntentExample.message_id, IntentExample.intent)
            .join(Message, Message.id == IntentExample.message_id)
            .where(IntentExample.store_id == console.store.id, Message.conversation_id == conversation_id)
        ).all()
        if message_id is not None
    }
    choices = teaching.label_choices(session, console.store.id)
    return {"intent_labels": LabelControl(choices, labelled, console.csrf_token)}


@router.post("/console/{store_slug}/inbox/{conversation_id}/messages/{message_id}/intent")
async def label_message(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    conversation_id: RowId,
    message_id: RowId,
    intent: Annotated[str, Form(max_length=48)] = "",
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """Teach the customer's message as an example of ``intent`` and go back to the conversation (JSON
    ``{"intent": ...}`` for a script). A message of another conversation or store is not found."""
    console.check_csrf(csrf_token)
    console.require(Permission.ANSWER_CONVERSATIONS)
    with runtime.database.read() as session:
        found = session.get(Message, message_id)
        if found is None or found.store_id != console.store.id or found.conversation_id != conversation_id:
            raise NotFound("no such message")
    example = await runtime.database.write_async(
        teaching.label_message, console.actor, console.store.id, message_id=message_id, intent=intent
    )
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"message_id": message_id, "intent": example.intent}, status_code=201)
    return RedirectResponse(
        f"/console/{console.store.slug}/inbox?c={conversation_id}#message-{message_id}", status_code=303
    )
