"""``/api/v1/feedback``: the store's themes (``feedback:read`` to list, ``feedback:write`` to create and
change them) and setting an answer's themes (``feedback:write``; a correction the model learns from)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, ConfigDict, Field

from loyaldesk.feedback import themes
from loyaldesk.kernel.actors import Actor
from loyaldesk.web.deps import RuntimeDep, scope

router = APIRouter(prefix="/api/v1/feedback", tags=["feedback"])

Reader = Annotated[Actor, Depends(scope("feedback:read"))]
Writer = Annotated[Actor, Depends(scope("feedback:write"))]
ThemeId = Annotated[int, Path(ge=1, le=2**62)]
ResponseId = Annotated[int, Path(ge=1, le=2**62)]


class ThemeOut(BaseModel):
    id: int
    key: str = Field(description="Stable name for reports (built-in: delivery, damaged_item...).")
    name: str
    description: str
    builtin: bool
    enabled: bool
    owner_team_id: int | None = Field(description="The team a detractor's conversation about it goes to.")
    owner_team_name: str | None
    answers_30_days: int = Field(description="Answers of the last 30 days that carry it.")
    answers_90_days: int
    labelled_answers: int = Field(description="Answers a person marked with it.")
    f1: float | None = Field(description="Cross-validated F1, 0..1, in the model tagging now.")
    predicted: bool = Field(description="The model tagging now suggests it on new comments.")
    labels_needed: int = Field(
        description="More labelled answers before a theme of the store's own is learnt."
    )
    fixed_at: datetime | None


class ThemeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, examples=["Gift wrap"])
    description: str = Field(default="", max_length=500)
    owner_team_id: int | None = Field(default=None, ge=1, le=2**62)


class ThemeChange(BaseModel):
    """Only the fields given change; ``owner_team_id: null`` removes the owning team."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=100)
    description: str | None = Field(default=None, max_length=500)
    owner_team_id: int | None = Field(default=None, ge=1, le=2**62)
    enabled: bool | None = None


class ResponseThemesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    theme_ids: list[Annotated[int, Field(ge=1, le=2**62)]] = Field(max_length=60, examples=[[3, 7]])


class ResponseThemesOut(BaseModel):
    response_id: int
    theme_ids: list[int]


def _store(actor: Actor) -> int:
    assert actor.store_id is not None
    return actor.store_id


def _view(runtime: RuntimeDep, store_id: int, theme_id: int) -> dict[str, Any]:
    with runtime.database.read() as session:
        views = themes.themes_overview(session, store_id, runtime.clock.now())
    return next(view.as_json() for view in views if view.id == theme_id)


@router.get("/themes", response_model=list[ThemeOut], summary="The store's themes, with counts")
def list_themes(actor: Reader, runtime: RuntimeDep) -> list[dict[str, Any]]:
    """Built-in themes first; creates the built-in ones on first use for a store made before them."""
    store_id = _store(actor)
    with runtime.database.read() as session:
        has_themes = themes.store_has_themes(session, store_id)
    if not has_themes:
        runtime.database.write(themes.ensure_default_themes, store_id)
    with runtime.database.read() as session:
        return [view.as_json() for view in themes.themes_overview(session, store_id, runtime.clock.now())]


@router.post("/themes", status_code=201, response_model=ThemeOut, summary="Create a theme")
def create_theme(body: ThemeIn, actor: Writer, runtime: RuntimeDep) -> dict[str, Any]:
    """A theme of the store's own; suggested on new comments once 5 answers are labelled with it."""
    theme = runtime.database.write(
        themes.create_theme,
        actor,
        _store(actor),
        name=body.name,
        description=body.description,
        owner_team_id=body.owner_team_id,
    )
    return _view(runtime, _store(actor), theme.id)


@router.patch("/themes/{theme_id}", response_model=ThemeOut, summary="Change a theme")
def change_theme(theme_id: ThemeId, body: ThemeChange, actor: Writer, runtime: RuntimeDep) -> dict[str, Any]:
    runtime.database.write(
        themes.update_theme, actor, _store(actor), theme_id, body.model_dump(exclude_unset=True)
    )
    return _view(runtime, _store(actor), theme_id)


@router.put(
    "/responses/{response_id}/themes", response_model=ResponseThemesOut, summary="Set an answer's themes"
)
def set_response_themes(
    response_id: ResponseId, body: ResponseThemesIn, actor: Writer, runtime: RuntimeDep
) -> dict[str, Any]:
    """The answer carries exactly these themes afterwards; the model learns from the correction."""
    chosen = runtime.database.write(themes.correct_themes, actor, _store(actor), response_id, body.theme_ids)
    return {"response_id": response_id, "theme_ids": chosen}
