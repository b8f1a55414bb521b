"""Building surveys: create, change, switch on, close. A survey that asks on its own has a journeys rule
(``survey:<id>``, purpose ``survey``, category ``feedback``) kept in step with it: switched on with the
survey, rewritten when its trigger or channel changes, switched off when it is closed or back to draft."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from loyaldesk.feedback.actions.templates import ensure_survey_templates, template_key_for
from loyaldesk.feedback.default_surveys import DEFAULT_SURVEYS, default_questions, localise
from loyaldesk.feedback.models import Survey
from loyaldesk.feedback.rules.questions import InvalidQuestions, validate_languages, validate_questions
from loyaldesk.feedback.rules.triggers import InvalidTrigger, rule_for, validate_trigger
from loyaldesk.feedback.schemas import SurveyIn
from loyaldesk.feedback.vocab import SurveyChannel, SurveyKind, SurveyStatus
from loyaldesk.journeys import MessageCategory, RuleIn, RulePurpose, save_owned_rule
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Invalid, NotFound
from loyaldesk.stores import Permission, Store, authorize, record_audit


def _authorize(actor: Actor, store_id: int) -> None:
    authorize(actor, store_id, scope="feedback:write", permission=Permission.MANAGE_FEEDBACK)


def survey_of(session: Session, store_id: int, survey_id: int) -> Survey:
    """The store's survey ``survey_id``; ``NotFound`` for another store's (the same as for none)."""
    survey = session.get(Survey, survey_id)
    if survey is None or survey.store_id != store_id:
        raise NotFound(f"no survey {survey_id} in this store")
    return survey


def create_survey(uow: UnitOfWork, actor: Actor, store_id: int, data: SurveyIn) -> Survey:
    """A new survey, as a draft (it asks nobody until switched on). Raises ``Invalid`` naming the part
    that is wrong (``questions[2].options``, ``trigger.delay_days``...)."""
    _authorize(actor, store_id)
    now = uow.now()
    survey = Survey(store_id=store_id, status=SurveyStatus.DRAFT.value, created_at=now)
    _apply(uow, survey, data)
    uow.session.add(survey)
    uow.session.flush()
    record_audit(
        uow,
        actor,
        "feedback.survey_created",
        store_id=store_id,
        target_type="feedback_survey",
        target_id=survey.id,
        details={"kind": survey.kind},
    )
    return survey


def update_survey(uow: UnitOfWork, actor: Actor, store_id: int, survey_id: int, data: SurveyIn) -> Survey:
    """Replace a survey's definition. Answers already given keep the questions' ids they answered; an
    active survey's asking rule follows the new trigger at once."""
    _authorize(actor, store_id)
    survey = survey_of(uow.session, store_id, survey_id)
    if survey.builtin_key == "chat-rating" and data.questions is not None:
        raise Invalid.field("questions", "the chat rating's questions are the widget's: change its name only")
    _apply(uow, survey, data)
    _sync_rule(uow, survey)
    record_audit(
        uow,
        actor,
        "feedback.survey_changed",
        store_id=store_id,
        target_type="feedback_survey",
        target_id=survey.id,
        details={"status": survey.status},
    )
    return survey


def set_survey_status(
    uow: UnitOfWork, actor: Actor, store_id: int, survey_id: int, status: SurveyStatus
) -> Survey:
    """Switch a survey on (``active``: it asks and takes answers), back to ``draft``, or ``closed`` (no
    more answers; open invitations are refused with that reason)."""
    _authorize(actor, store_id)
    survey = survey_of(uow.session, store_id, survey_id)
    survey.status = SurveyStatus(status).value
    survey.closes_at = uow.now() if survey.status == SurveyStatus.CLOSED else None
    survey.updated_at = uow.now()
    _sync_rule(uow, survey)
    record_audit(
        uow,
        actor,
        "feedback.survey_switched",
        store_id=store_id,
        target_type="feedback_survey",
        target_id=survey.id,
        details={"status": survey.status},
    )
    return survey


def _apply(uow: UnitOfWork, survey: Survey, data: SurveyIn) -> None:
    try:
        languages = validate_languages(data.languages)
        questions = validate_questions(
            data.questions if data.questions is not None else default_questions(data.kind, languages),
            languages,
        )
        trigger = validate_trigger(data.trigger)
    except (InvalidQuestions, InvalidTrigger) as error:
        raise Invalid.field(error.where, error.message) from None
    if data.kind in (SurveyKind.NPS, SurveyKind.CSAT, SurveyKind.CES):
        first = questions[0]
        expected = {
            SurveyKind.NPS: ("nps", 0, 10),
            SurveyKind.CSAT: ("scale", 1, 5),
            SurveyKind.CES: ("scale", 1, 7),
        }
        kind, low, high = expected[data.kind]
        if (first["type"], first.get("min"), first.get("max")) != (kind, low, high):
            raise Invalid.field(
                "questions[0]",
                f"a {data.kind.value.upper()} survey starts with its score question ({low}-{high})",
            )
    channel = SurveyChannel(data.channel)
    if trigger["kind"] != "api" and channel is SurveyChannel.API:
        raise Invalid.field(
            "channel", "a survey asked through the API cannot ask on its own: choose api as its trigger"
        )
    survey.name = data.name.strip()
    survey.kind = data.kind.value
    survey.languages = languages
    survey.questions = questions
    survey.trigger = trigger
    survey.channel = channel.value
    survey.template_key = data.template_key or template_key_for(channel)
    survey.updated_at = uow.now()


def _sync_rule(uow: UnitOfWork, survey: Survey) -> None:
    """Keep the survey's journeys rule in step: on while the survey is active and asks on its own."""
    uow.session.flush()
    definition = rule_for(survey.trigger, survey.id, survey.channel, uow.now())
    if definition is None:
        if survey.rule_id is None:
            return
        trigger, conditions, steps = _placeholder(survey)
        enabled = False
    else:
        trigger, conditions, steps = definition
        enabled = survey.status == SurveyStatus.ACTIVE
    if enabled:
        ensure_survey_templates(uow, survey.store_id, (survey.languages or ["en"])[0])
        uow.session.flush()
    rule = save_owned_rule(
        uow,
        survey.store_id,
        f"survey:{survey.id}",
        RuleIn(
            name=f"Survey: {survey.name}"[:200],
            description="Asks this survey; managed from Feedback → Surveys.",
            purpose=RulePurpose.SURVEY,
            category=MessageCategory.FEEDBACK,
            trigger=trigger,
            conditions=conditions,
            steps=steps,
            enabled=enabled,
        ),
    )
    survey.rule_id = rule.id


def _placeholder(survey: Survey) -> tuple[dict, dict, list]:  # type: ignore[type-arg]
    """The definition an asking rule keeps once its survey asks only through the API (switched off)."""
    return (
        {"kind": "event", "event": "order.delivered"},
        {"all": []},
        [{"kind": "ask_survey", "survey_id": survey.id, "channel": "email"}],
    )


def create_default_surveys(uow: UnitOfWork, store: Store) -> None:
    """Store setup step: the surveys every store starts with (drafts, and the chat's rating)."""
    ensure_default_surveys(uow, store.id, store.default_language or "en")


def ensure_default_surveys(uow: UnitOfWork, store_id: int, language: str = "en") -> int:
    """Create the default surveys the store lacks (by key); how many were made. Safe to call again."""
    have = set(
        uow.session.scalars(
            select(Survey.builtin_key).where(Survey.store_id == store_id, Survey.builtin_key.is_not(None))
        )
    )
    languages = ["de", "en"] if language.startswith("de") else ["en", "de"]
    now = uow.now()
    made = 0
    for default in DEFAULT_SURVEYS:
        if default.key in have:
            continue
        questions = (
            localise(default.questions, languages)
            if default.questions
            else default_questions(default.kind, languages)
        )
        survey = Survey(
            store_id=store_id,
            builtin_key=default.key,
            kind=default.kind.value,
            name=default.name,
            status=(SurveyStatus.ACTIVE if default.active else SurveyStatus.DRAFT).value,
            questions=validate_questions(questions, languages),
            languages=languages,
            trigger=default.trigger,
            channel=default.channel.value,
            template_key=template_key_for(default.channel),
            created_at=now,
            updated_at=now,
        )
        uow.session.add(survey)
        made += 1
    if made:
        uow.session.flush()
    return made


def add_default_surveys(uow: UnitOfWork, actor: Actor, store_id: int, language: str = "en") -> int:
    """A manager adds the default surveys their store lacks (a store made before feedback existed)."""
    _authorize(actor, store_id)
    made = ensure_default_surveys(uow, store_id, language)
    record_audit(uow, actor, "feedback.default_surveys_added", store_id=store_id, details={"made": made})
    return made
