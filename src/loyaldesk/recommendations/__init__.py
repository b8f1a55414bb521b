"""Recommendations: catalogue signals, the models fitted on the order history, the picks stored per
customer and served re-ranked, customers' preferences, and personal offers measured against a random
holdout.

Other packages import only the names in ``__all__``.
"""

from loyaldesk.recommendations.actions.fit import fit_store
from loyaldesk.recommendations.actions.settings import (
    create_recommendation_settings,
    recommendation_settings,
    update_recommendation_settings,
)
from loyaldesk.recommendations.events import (
    OfferConverted,
    OfferEnded,
    OfferLaunched,
    PicksUpdated,
    PreferencesChanged,
    RecommendationsFitted,
)
from loyaldesk.recommendations.models import (
    CustomerPick,
    CustomerPreferences,
    Offer,
    OfferAssignment,
    RecommendationFit,
    RecommendationSettings,
)
from loyaldesk.recommendations.ports import PickFilters, PickRequest, PickView
from loyaldesk.recommendations.queries import picks_for
from loyaldesk.recommendations.vocab import (
    FitStatus,
    Method,
    OfferGroup,
    OfferKind,
    OfferStatus,
    OfferTarget,
    Placement,
    ReasonKind,
)

__all__ = [
    "CustomerPick",
    "CustomerPreferences",
    "FitStatus",
    "Method",
    "Offer",
    "OfferAssignment",
    "OfferConverted",
    "OfferEnded",
    "OfferGroup",
    "OfferKind",
    "OfferLaunched",
    "OfferStatus",
    "OfferTarget",
    "PickFilters",
    "PickRequest",
    "PickView",
    "PicksUpdated",
    "Placement",
    "PreferencesChanged",
    "ReasonKind",
    "RecommendationFit",
    "RecommendationSettings",
    "RecommendationsFitted",
    "create_recommendation_settings",
    "fit_store",
    "picks_for",
    "recommendation_settings",
    "update_recommendation_settings",
]
