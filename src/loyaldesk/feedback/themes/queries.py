"""Reads for the themes page and the API: each theme with how many answers it tagged lately, its
owning team and its cross-validated F1; the model's state; one answer's themes.

``themes_overview(session, store_id, now)`` lists every theme of the store (built-in first, in their
order, then the store's own by name) as ``ThemeView``; ``model_state(session, store_id)`` says which
model tags (the store's newest ready version, or the default one), what is training or due, and the
last failure. Callers check who may read (``VIEW_FEEDBACK``, scope ``feedback:read``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from loyaldesk.feedback.models import ResponseTheme, SurveyResponse, Theme, ThemeModel
from loyaldesk.feedback.themes.classifier import MIN_POSITIVES
from loyaldesk.feedback.themes.default_model import prepared_default_theme_model
from loyaldesk.feedback.themes.defaults import DEFAULT_THEME_KEYS
from loyaldesk.feedback.themes.vocab import ThemeModelStatus
from loyaldesk.feedback.vocab import ThemeSource
from loyaldesk.support import Team


@dataclass(frozen=True)
class ThemeView:
    id: int
    key: str
    name: str
    description: str
    builtin: bool
    enabled: bool
    owner_team_id: int | None
    owner_team_name: str | None
    answers_30_days: int
    answers_90_days: int
    labelled_answers: int  # answers a person marked with it (what a store-made theme trains from)
    f1: float | None  # cross-validated F1 in the model tagging now
    predicted: bool  # the model tagging now predicts it
    labels_needed: int  # more labelled answers before a store-made theme is predicted (0: none)
    fixed_at: datetime | None

    def as_json(self) -> dict[str, Any]:
        found = asdict(self)
        found["fixed_at"] = self.fixed_at.isoformat() if self.fixed_at else None
        return found


@dataclass(frozen=True)
class ModelState:
    uses_default: bool
    version: int | None
    trained_at: datetime | None
    example_count: int
    macro_f1: float | None
    micro_f1: float | None
    per_theme: dict[str, Any] = field(default_factory=dict)
    training_since: datetime | None = None
    retrain_due_at: datetime | None = None
    failed_at: datetime | None = None
    failure: str | None = None

    @property
    def status(self) -> str:
        if self.training_since:
            return ThemeModelStatus.TRAINING.value
        if self.failure:
            return ThemeModelStatus.FAILED.value
        return ThemeModelStatus.READY.value

    def as_json(self) -> dict[str, Any]:
        def when(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "status": self.status,
            "uses_default_model": self.uses_default,
            "version": self.version,
            "trained_at": when(self.trained_at),
            "example_count": self.example_count,
            "macro_f1": self.macro_f1,
            "micro_f1": self.micro_f1,
            "training_since": when(self.training_since),
            "retrain_due_at": when(self.retrain_due_at),
            "failed_at": when(self.failed_at),
            "failure": self.failure,
        }


def model_state(session: Session, store_id: int) -> ModelState:
    """Which model tags the store's comments and how it was measured."""
    rows = list(
        session.execute(
            select(
                ThemeModel.version,
                ThemeModel.status,
                ThemeModel.report,
                ThemeModel.example_count,
                ThemeModel.started_at,
                ThemeModel.trained_at,
                ThemeModel.error,
            )
            .where(ThemeModel.store_id == store_id)
            .order_by(ThemeModel.version.desc())
        ).all()
    )
    ready = next((row for row in rows if row.status == ThemeModelStatus.READY), None)
    training = next((row for row in rows if row.status == ThemeModelStatus.TRAINING), None)
    due = next((row for row in rows if row.status == ThemeModelStatus.REQUESTED), None)
    newest_done = next(
        (row for row in rows if row.status in (ThemeModelStatus.READY, ThemeModelStatus.FAILED)), None
    )
    failed = (
        newest_done if newest_done is not None and newest_done.status == ThemeModelStatus.FAILED else None
    )
    if ready is not None:
        report = dict(ready.report or {})
        version, trained_at, count = ready.version, ready.trained_at, ready.example_count
    else:
        prepared = prepared_default_theme_model()  # not trained here: a page never waits for it
        report = prepared[1] if prepared else {}
        version, trained_at, count = None, None, int(report.get("examples") or 0)
    return ModelState(
        uses_default=ready is None,
        version=version,
        trained_at=trained_at,
        example_count=count,
        macro_f1=report.get("macro_f1"),
        micro_f1=report.get("micro_f1"),
        per_theme=dict(report.get("per_theme") or {}),
        training_since=training.started_at if training else None,
        retrain_due_at=due.started_at if due else None,
        failed_at=failed.trained_at if failed else None,
        failure=failed.error if failed else None,
    )


def _counts_since(session: Session, store_id: int, since: datetime) -> dict[int, int]:
    return dict(
        session.execute(
            select(ResponseTheme.theme_id, func.count())
            .join(SurveyResponse, SurveyResponse.id == ResponseTheme.response_id)
            .where(
                ResponseTheme.store_id == store_id,
                ResponseTheme.present.is_(True),
                SurveyResponse.created_at >= since,
            )
            .group_by(ResponseTheme.theme_id)
        ).all()
    )


def themes_overview(session: Session, store_id: int, now: datetime) -> list[ThemeView]:
    """Every theme of the store with its counts, team and F1 (the module's contract)."""
    themes = list(session.scalars(select(Theme).where(Theme.store_id == store_id)))
    order = {key: index for index, key in enumerate(DEFAULT_THEME_KEYS)}
    themes.sort(key=lambda t: (0, order.get(t.key, 99), "") if t.builtin else (1, 0, t.name.lower()))
    last_30 = _counts_since(session, store_id, now - timedelta(days=30))
    last_90 = _counts_since(session, store_id, now - timedelta(days=90))
    labelled = dict(
        session.execute(
            select(ResponseTheme.theme_id, func.count())
            .where(
                ResponseTheme.store_id == store_id,
                ResponseTheme.source == ThemeSource.AGENT,
                ResponseTheme.present.is_(True),
            )
            .group_by(ResponseTheme.theme_id)
        ).all()
    )
    teams = dict(session.execute(select(Team.id, Team.name).where(Team.store_id == store_id)).all())
    per_theme = model_state(session, store_id).per_theme
    views = []
    for theme in themes:
        measured = per_theme.get(theme.key) or {}
        predicted = bool(measured) and theme.enabled
        needed = 0 if theme.builtin else max(0, MIN_POSITIVES - labelled.get(theme.id, 0))
        views.append(
            ThemeView(
                id=theme.id,
                key=theme.key,
                name=theme.name,
                description=theme.description or "",
                builtin=theme.builtin,
                enabled=theme.enabled,
                owner_team_id=theme.owner_team_id,
                owner_team_name=teams.get(theme.owner_team_id) if theme.owner_team_id else None,
                answers_30_days=last_30.get(theme.id, 0),
                answers_90_days=last_90.get(theme.id, 0),
                labelled_answers=labelled.get(theme.id, 0),
                f1=measured.get("f1"),
                predicted=predicted,
                labels_needed=needed,
                fixed_at=theme.fixed_at,
            )
        )
    return views


def response_theme_ids(session: Session, response_id: int) -> list[int]:
    """The themes an answer carries now (the model's and a person's), sorted."""
    return sorted(
        session.scalars(
            select(ResponseTheme.theme_id).where(
                ResponseTheme.response_id == response_id, ResponseTheme.present.is_(True)
            )
        )
    )


def store_teams(session: Session, store_id: int) -> list[tuple[int, str]]:
    """The store's support teams as ``(id, name)``, by name (the owning team's choices)."""
    return [
        (int(team_id), name)
        for team_id, name in session.execute(
            select(Team.id, Team.name).where(Team.store_id == store_id).order_by(Team.name)
        ).all()
    ]


def theme_choices(session: Session, store_id: int) -> list[tuple[int, str]]:
    """The store's enabled themes as ``(id, name)`` (built-in first): the checkboxes of an answer's page,
    named ``theme_id``, posted to ``/console/{store}/feedback/responses/{response_id}/themes``."""
    order = {key: index for index, key in enumerate(DEFAULT_THEME_KEYS)}
    rows = session.execute(
        select(Theme.id, Theme.name, Theme.key, Theme.builtin).where(
            Theme.store_id == store_id, Theme.enabled.is_(True)
        )
    ).all()
    ranked = sorted(
        rows, key=lambda r: (0, order.get(r.key, 99), "") if r.builtin else (1, 0, r.name.lower())
    )
    return [(int(row.id), row.name) for row in ranked]


def owner_team_of_response(session: Session, response_id: int) -> int | None:
    """The team that owns what an answer is about: of its themes that have an owning team, the one a
    person set (else the most confident of the model's); None when no theme of it has a team. For the
    detractor part's routing."""
    rows = session.execute(
        select(Theme.owner_team_id, ResponseTheme.source, ResponseTheme.confidence)
        .join(Theme, Theme.id == ResponseTheme.theme_id)
        .where(
            ResponseTheme.response_id == response_id,
            ResponseTheme.present.is_(True),
            Theme.owner_team_id.is_not(None),
            Theme.enabled.is_(True),
        )
    ).all()
    if not rows:
        return None
    best = max(rows, key=lambda r: (r.source == ThemeSource.AGENT, r.confidence or 0.0))
    return int(best.owner_team_id)


def store_has_themes(session: Session, store_id: int) -> bool:
    """Whether the store has its built-in themes (a store made before themes existed has none yet)."""
    found = session.scalar(
        select(Theme.id).where(Theme.store_id == store_id, Theme.builtin.is_(True)).limit(1)
    )
    return found is not None
