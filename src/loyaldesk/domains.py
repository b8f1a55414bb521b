"""Kept for callers of the old names: loyaldesk is put together by ``loyaldesk.composition``."""

from __future__ import annotations

from loyaldesk.composition import DOMAINS, load_all_models
from loyaldesk.settings import Settings


def load_all(settings: Settings | None = None) -> None:
    """Compose loyaldesk (``composition.compose``): tables, extensions, handlers, jobs, channels."""
    from loyaldesk.composition import compose

    compose(settings)


__all__ = ["DOMAINS", "load_all", "load_all_models"]
