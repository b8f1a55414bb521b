"""Themes: every comment tagged with the store's themes on arrival, corrected by people, retrained from
their corrections, and new themes suggested from what untagged comments say (issue 16).

Modules: ``defaults`` (the built-in retail themes, their CC0 training data, the store setup step),
``classifier`` (one-vs-rest logistic regression on the assistant's sentence vectors, per-theme
thresholds by cross-validation), ``default_model`` (the default model, kept on disk), ``loaded`` (the
store's model, cached per version), ``tagging`` (``tag_response`` and the ``SurveyAnswered`` handler),
``corrections`` (``correct_themes``), ``manage`` (create and change themes), ``training`` and ``jobs``
(retraining requests, claimed and trained in the background), ``queries`` (the themes page, the model's
state), ``keyphrases`` (suggested themes).
"""

from loyaldesk.feedback.themes.corrections import correct_themes
from loyaldesk.feedback.themes.defaults import DEFAULT_THEMES, ensure_default_themes
from loyaldesk.feedback.themes.jobs import run_due_theme_training
from loyaldesk.feedback.themes.keyphrases import Suggestion, theme_suggestions
from loyaldesk.feedback.themes.manage import create_theme, update_theme
from loyaldesk.feedback.themes.queries import (
    ModelState,
    ThemeView,
    model_state,
    owner_team_of_response,
    response_theme_ids,
    store_has_themes,
    store_teams,
    theme_choices,
    themes_overview,
)
from loyaldesk.feedback.themes.tagging import tag_answered, tag_response
from loyaldesk.feedback.themes.training import request_theme_retraining, retrain_themes_now

__all__ = [
    "DEFAULT_THEMES",
    "ModelState",
    "Suggestion",
    "ThemeView",
    "correct_themes",
    "create_theme",
    "ensure_default_themes",
    "model_state",
    "owner_team_of_response",
    "request_theme_retraining",
    "response_theme_ids",
    "retrain_themes_now",
    "run_due_theme_training",
    "store_has_themes",
    "store_teams",
    "tag_answered",
    "tag_response",
    "theme_choices",
    "theme_suggestions",
    "themes_overview",
    "update_theme",
]
