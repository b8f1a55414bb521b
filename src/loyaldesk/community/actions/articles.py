"""An accepted answer becomes a knowledge-base article."""

from __future__ import annotations

from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork


def publish_answer_as_article(uow: UnitOfWork, *, store_id: int, actor: Actor, thread_id: int) -> int:
    """Publish the thread's accepted answer as an article; returns the article's id."""
    raise NotImplementedError
