"""Store API routes of feedback's surveys (``/api/v1/surveys``) and settings (``/api/v1/feedback/settings``):
surveys listed, created, read, replaced, switched; a customer asked from the store's own site or app
(the same throttle and consent as a survey asking on its own); the store's feedback settings.

Thin: parse, check the scope (``feedback:read`` / ``feedback:write``), call an action or a query. A survey
that cannot work is refused with 422 naming the part (``questions[1].options``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select

from loyaldesk.feedback import (
    AskIn,
    Survey,
    SurveyIn,
    SurveyInvitation,
    SurveyResponse,
    SurveyStatus,
    add_default_surveys,
    create_survey,
    feedback_settings,
    set_survey_status,
    survey_of,
    survey_url,
    update_feedback_settings,
    update_survey,
)
from loyaldesk.feedback.actions.ask import ask_from_api
from loyaldesk.kernel.actors import Actor
from loyaldesk.stores import store_by_id
from loyaldesk.web.deps import DatabaseDep, RuntimeDep, scope

router = APIRouter(tags=["feedback"])

Reader = Annotated[Actor, Depends(scope("feedback:read"))]
Writer = Annotated[Actor, Depends(scope("feedback:write"))]
SurveyId = Annotated[int, Path(ge=1, le=2**62)]


def store_of(actor: Actor) -> int:
    assert actor.store_id is not None
    return actor.store_id


class SurveyOut(BaseModel):
    """A survey as stored, with how many were asked and answered."""

    id: int
    builtin_key: str | None
    kind: str
    name: str
    status: str
    languages: list[str]
    questions: list[dict[str, Any]]
    trigger: dict[str, Any]
    channel: str
    template_key: str | None
    rule_id: int | None
    asked: int = 0
    answered: int = 0
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, survey: Survey, asked: int = 0, answered: int = 0) -> SurveyOut:
        out = cls.model_validate(survey, from_attributes=True)
        return out.model_copy(update={"asked": asked, "answered": answered})


class StatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: SurveyStatus


class InvitationOut(BaseModel):
    """An invitation: ``url`` is the survey page to show or send the customer (the token is its secret);
    the JSON form is at ``/survey-api/v1/{store}/{token}``."""

    id: int
    survey_id: int
    customer_id: int
    channel: str
    token: str
    url: str
    status: str
    asked_at: datetime
    expires_at: datetime


class FeedbackSettingsOut(BaseModel):
    throttle_days: int
    invitation_days: int
    detractor_conversations: bool
    detractor_sla_hours: int
    detractor_team_id: int | None
    recovery_survey: bool
    team_min_answers: int
    pulse_min_answers: int


@router.get("/api/v1/surveys", response_model=list[SurveyOut], summary="The store's surveys")
def list_surveys(actor: Reader, database: DatabaseDep) -> list[SurveyOut]:
    store_id = store_of(actor)
    with database.read() as session:
        surveys = list(session.scalars(select(Survey).where(Survey.store_id == store_id).order_by(Survey.id)))
        asked = dict(
            session.execute(
                select(SurveyInvitation.survey_id, func.count())
                .where(SurveyInvitation.store_id == store_id)
                .group_by(SurveyInvitation.survey_id)
            ).all()
        )
        answered = dict(
            session.execute(
                select(SurveyResponse.survey_id, func.count())
                .where(SurveyResponse.store_id == store_id)
                .group_by(SurveyResponse.survey_id)
            ).all()
        )
        return [SurveyOut.of(s, asked.get(s.id, 0), answered.get(s.id, 0)) for s in surveys]


@router.post(
    "/api/v1/surveys", status_code=201, response_model=SurveyOut, summary="Create a survey (a draft)"
)
def post_survey(body: SurveyIn, actor: Writer, database: DatabaseDep) -> SurveyOut:
    return SurveyOut.of(database.write(create_survey, actor, store_of(actor), body))


@router.post(
    "/api/v1/surveys/defaults",
    response_model=list[SurveyOut],
    summary="Add the default surveys the store does not have yet (stores made before feedback existed)",
)
def post_default_surveys(actor: Writer, runtime: RuntimeDep) -> list[SurveyOut]:
    store_id = store_of(actor)

    def add(uow: Any) -> None:
        store = store_by_id(uow.session, store_id)
        add_default_surveys(uow, actor, store_id, store.default_language or "en")

    runtime.database.write(add)
    return list_surveys(actor, runtime.database)


@router.get("/api/v1/surveys/{survey_id}", response_model=SurveyOut, summary="One survey")
def get_survey(survey_id: SurveyId, actor: Reader, database: DatabaseDep) -> SurveyOut:
    with database.read() as session:
        return SurveyOut.of(survey_of(session, store_of(actor), survey_id))


@router.put("/api/v1/surveys/{survey_id}", response_model=SurveyOut, summary="Replace a survey's definition")
def put_survey(survey_id: SurveyId, body: SurveyIn, actor: Writer, database: DatabaseDep) -> SurveyOut:
    return SurveyOut.of(database.write(update_survey, actor, store_of(actor), survey_id, body))


@router.post(
    "/api/v1/surveys/{survey_id}/status",
    response_model=SurveyOut,
    summary="Switch a survey on (active), back to draft, or close it",
)
def post_survey_status(
    survey_id: SurveyId, body: StatusIn, actor: Writer, database: DatabaseDep
) -> SurveyOut:
    return SurveyOut.of(database.write(set_survey_status, actor, store_of(actor), survey_id, body.status))


@router.post(
    "/api/v1/surveys/{survey_id}/invitations",
    status_code=201,
    response_model=InvitationOut,
    summary="Ask a customer this survey now (409 with the reason when they may not be asked)",
)
def post_invitation(survey_id: SurveyId, body: AskIn, actor: Writer, runtime: RuntimeDep) -> InvitationOut:
    store_id = store_of(actor)
    base_url = runtime.settings.public_base_url

    def ask(uow: Any) -> InvitationOut:
        invitation = ask_from_api(uow, actor, store_id, survey_id, body, base_url=base_url)
        store = store_by_id(uow.session, store_id)
        return InvitationOut(
            id=invitation.id,
            survey_id=invitation.survey_id,
            customer_id=invitation.customer_id,
            channel=invitation.channel,
            token=invitation.token,
            url=survey_url(base_url, store.slug, invitation.token),
            status=invitation.status,
            asked_at=invitation.asked_at,
            expires_at=invitation.expires_at,
        )

    return runtime.database.write(ask)


@router.get("/api/v1/feedback/settings", response_model=FeedbackSettingsOut, summary="The feedback settings")
def get_feedback_settings(actor: Reader, database: DatabaseDep) -> FeedbackSettingsOut:
    with database.read() as session:
        return FeedbackSettingsOut.model_validate(
            feedback_settings(session, store_of(actor)), from_attributes=True
        )


@router.patch(
    "/api/v1/feedback/settings", response_model=FeedbackSettingsOut, summary="Change some feedback settings"
)
def patch_feedback_settings(
    body: dict[str, Any], actor: Writer, database: DatabaseDep
) -> FeedbackSettingsOut:
    row = database.write(update_feedback_settings, actor, store_of(actor), body)
    return FeedbackSettingsOut.model_validate(row, from_attributes=True)
