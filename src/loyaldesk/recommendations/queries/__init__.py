"""Reads of recommendations (read session only; the caller has checked who asks)."""

from loyaldesk.recommendations.queries.picks import picks_for

__all__ = ["picks_for"]
