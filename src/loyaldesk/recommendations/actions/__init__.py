"""Every write of recommendations, one module per change."""

from loyaldesk.recommendations.actions.settings import (
    create_recommendation_settings,
    recommendation_settings,
    update_recommendation_settings,
)

__all__ = ["create_recommendation_settings", "recommendation_settings", "update_recommendation_settings"]
