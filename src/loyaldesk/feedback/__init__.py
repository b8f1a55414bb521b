"""Feedback: surveys that ask at the right moment (through journeys: one throttle, consent, quiet
hours), every answer kept with its context and acted on (themes, a detractor's conversation, "we fixed
it"), the dashboards that show it, and the team that serves recognised (kudos, shout-outs, the staff
pulse, coaching). Decision 0034 describes how the parts meet.

Layout: ``vocab`` (the word lists), ``models`` (tables), ``events``; ``rules/`` pure (questions and
answers, scores and buckets); ``actions/`` writers (``answer``: a customer's answers); ``queries/``
reads.
"""

from loyaldesk.feedback.actions.answer import invitation_by_token, submit_answers
from loyaldesk.feedback.actions.ask import (
    AskResult,
    FeedbackAsker,
    ask_customer,
    first_question_block,
    survey_url,
)
from loyaldesk.feedback.actions.settings import (
    create_feedback_settings,
    feedback_settings,
    update_feedback_settings,
)
from loyaldesk.feedback.actions.surveys import (
    add_default_surveys,
    create_default_surveys,
    create_survey,
    ensure_default_surveys,
    set_survey_status,
    survey_of,
    update_survey,
)
from loyaldesk.feedback.events import KudosReceived, SurveyAnswered, SurveyAsked, ThemeFixed
from loyaldesk.feedback.models import (
    FeedbackSettings,
    Survey,
    SurveyInvitation,
    SurveyResponse,
    Theme,
)
from loyaldesk.feedback.rules.scoring import bucket, is_detractor
from loyaldesk.feedback.schemas import AskIn, SurveyIn
from loyaldesk.feedback.vocab import Bucket, SurveyChannel, SurveyKind, SurveyStatus

__all__ = [
    "AskIn",
    "AskResult",
    "Bucket",
    "FeedbackAsker",
    "FeedbackSettings",
    "KudosReceived",
    "Survey",
    "SurveyAnswered",
    "SurveyAsked",
    "SurveyChannel",
    "SurveyIn",
    "SurveyInvitation",
    "SurveyKind",
    "SurveyResponse",
    "SurveyStatus",
    "Theme",
    "ThemeFixed",
    "add_default_surveys",
    "ask_customer",
    "bucket",
    "create_default_surveys",
    "create_feedback_settings",
    "create_survey",
    "ensure_default_surveys",
    "feedback_settings",
    "first_question_block",
    "invitation_by_token",
    "is_detractor",
    "set_survey_status",
    "submit_answers",
    "survey_of",
    "survey_url",
    "update_feedback_settings",
    "update_survey",
]
