"""``/api/v1/assistant``: a store backend teaches the assistant (``assistant:write``) and reads what it
was taught and how well the store's model does (``assistant:read``): intents with their example counts
and cross-validated accuracy, examples, the model's status, a retraining now."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from loyaldesk.assistant import teaching
from loyaldesk.kernel.actors import Actor
from loyaldesk.web.deps import RuntimeDep, scope

router = APIRouter(prefix="/api/v1/assistant", tags=["assistant"])

Reader = Annotated[Actor, Depends(scope("assistant:read"))]
Writer = Annotated[Actor, Depends(scope("assistant:write"))]
ExampleId = Annotated[int, Path(ge=1, le=2**62)]


class IntentOut(BaseModel):
    name: str
    label: str
    description: str
    builtin: bool = Field(description="Ships with loyaldesk (false: one of the store's own).")
    enabled: bool
    example_count: int = Field(description="Examples the store taught (the built-in ones not counted).")
    accuracy: float | None = Field(description="Cross-validated accuracy, 0..1, of the model answering now.")


class ExampleIn(BaseModel):
    """An example: ``text`` typed by the store, or ``message_id``: a customer's message to label."""

    model_config = ConfigDict(extra="forbid")

    intent: str = Field(min_length=1, max_length=48, examples=["order_status"])
    text: str | None = Field(default=None, max_length=2000, examples=["wheres my parcel"])
    message_id: int | None = Field(default=None, ge=1, le=2**62)

    @model_validator(mode="after")
    def one_of(self) -> ExampleIn:
        if (self.text is None) == (self.message_id is None):
            raise ValueError("give either text or message_id")
        return self


class ExampleOut(BaseModel):
    id: int
    intent: str
    text: str
    source: teaching.ExampleSource
    message_id: int | None
    added_by: str | None
    created_at: datetime


class ModelOut(BaseModel):
    status: teaching.ModelStatus = Field(description="training, ready, or failed (the newest training).")
    version: int | None = Field(description="The version answering now; null: the built-in model.")
    uses_builtin_model: bool
    trained_at: str | None
    accuracy: float | None
    accuracy_per_intent: dict[str, float]
    example_count: int
    training_since: str | None
    failed_at: str | None
    failure: str | None = Field(description="Why the newest training failed (the previous model answers).")
    retraining_due_at: str | None


def _store(actor: Actor) -> int:
    assert actor.store_id is not None
    return actor.store_id


@router.get("/intents", response_model=list[IntentOut], summary="The store's intents")
def list_intents(actor: Reader, runtime: RuntimeDep) -> list[dict[str, Any]]:
    with runtime.database.read() as session:
        return [view.as_json() for view in teaching.intents_overview(session, _store(actor))]


@router.get("/examples", response_model=list[ExampleOut], summary="The store's examples, newest first")
def list_examples(
    actor: Reader,
    runtime: RuntimeDep,
    intent: Annotated[str | None, Query(max_length=48)] = None,
) -> list[dict[str, Any]]:
    with runtime.database.read() as session:
        return [view.as_json() for view in teaching.examples_of(session, _store(actor), intent)]


@router.post("/examples", status_code=201, response_model=ExampleOut, summary="Teach an example")
def add_example(body: ExampleIn, actor: Writer, runtime: RuntimeDep) -> dict[str, Any]:
    """A typed example, or a customer's message labelled with the intent. Asks for a retraining."""
    store_id = _store(actor)
    if body.message_id is not None:
        row = runtime.database.write(
            teaching.label_message, actor, store_id, message_id=body.message_id, intent=body.intent
        )
    else:
        row = runtime.database.write(
            teaching.add_example, actor, store_id, intent=body.intent, text=body.text or ""
        )
    with runtime.database.read() as session:
        return next(view.as_json() for view in teaching.examples_of(session, store_id) if view.id == row.id)


@router.delete("/examples/{example_id}", status_code=204, summary="Forget an example")
def delete_example(example_id: ExampleId, actor: Writer, runtime: RuntimeDep) -> Response:
    runtime.database.write(teaching.remove_example, actor, _store(actor), example_id)
    return Response(status_code=204)


@router.get("/model", response_model=ModelOut, summary="The store's intent model: status and accuracy")
def model_status(actor: Reader, runtime: RuntimeDep) -> dict[str, Any]:
    with runtime.database.read() as session:
        return teaching.model_state(session, _store(actor)).as_json()


@router.post("/model/retrain", status_code=202, response_model=ModelOut, summary="Retrain now")
def retrain(actor: Writer, runtime: RuntimeDep) -> dict[str, Any]:
    """Asks for a retraining on the job's next pass; the answer's ``retraining_due_at`` says when."""
    runtime.database.write(teaching.retrain_now, actor, _store(actor))
    with runtime.database.read() as session:
        state = teaching.model_state(session, _store(actor))
    return state.as_json()
