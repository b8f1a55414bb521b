"""Feedback: surveys that ask at the right moment (through journeys: one throttle, consent, quiet
hours), every answer kept with its context and acted on (themes, a detractor's conversation, "we fixed
it"), the dashboards that show it, and the team that serves recognised (kudos, shout-outs, the staff
pulse, coaching). Decision 0034 describes how the parts meet.

Layout: ``vocab`` (the word lists), ``models`` (tables), ``events``; ``rules/`` pure (questions and
answers, scores and buckets); ``actions/`` writers (``answer``: a customer's answers); ``queries/``
reads.
"""

from loyaldesk.feedback.actions.answer import invitation_by_token, submit_answers
from loyaldesk.feedback.actions.settings import (
    create_feedback_settings,
    feedback_settings,
    update_feedback_settings,
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
from loyaldesk.feedback.vocab import Bucket, SurveyChannel, SurveyKind, SurveyStatus

__all__ = [
    "Bucket",
    "FeedbackSettings",
    "KudosReceived",
    "Survey",
    "SurveyAnswered",
    "SurveyAsked",
    "SurveyChannel",
    "SurveyInvitation",
    "SurveyKind",
    "SurveyResponse",
    "SurveyStatus",
    "Theme",
    "ThemeFixed",
    "bucket",
    "create_feedback_settings",
    "feedback_settings",
    "invitation_by_token",
    "is_detractor",
    "submit_answers",
    "update_feedback_settings",
]
