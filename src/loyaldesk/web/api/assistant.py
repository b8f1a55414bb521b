"""API routes of the assistant: a store backend hands a conversation back to the assistant."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel

from loyaldesk.assistant.dialog.handoff import hand_back
from loyaldesk.kernel.actors import Actor
from loyaldesk.web.deps import DatabaseDep, scope

router = APIRouter(prefix="/api/v1", tags=["assistant"])


class AssistantStateOut(BaseModel):
    conversation_id: int
    assistant_active: bool
    status: str


@router.post(
    "/conversations/{conversation_id}/assistant/hand-back",
    response_model=AssistantStateOut,
    summary="Hand a conversation back to the assistant",
    description="After a hand-off the assistant is silent in the conversation; this lets it answer the "
    "customer's next message again. 422 (field `assistant`) when the store's assistant is off, the channel "
    "is not chat or API, or it already answers there.",
)
async def hand_back_conversation(
    conversation_id: Annotated[int, Path(ge=1, le=2**62)],
    actor: Annotated[Actor, Depends(scope("conversations:write"))],
    database: DatabaseDep,
) -> AssistantStateOut:
    state = await database.write_async(hand_back, actor, conversation_id)
    return AssistantStateOut(conversation_id=conversation_id, assistant_active=True, status=state.status)
