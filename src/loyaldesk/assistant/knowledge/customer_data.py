"""The knowledge base in a customer's GDPR export (their article feedback and searches) and erasure
(comments and search texts removed, the counts the report is made of stay without an identity)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from loyaldesk.assistant.knowledge.models import ArticleFeedback, Deflection, SearchLogEntry
from loyaldesk.customers import erasure_step, export_section
from loyaldesk.kernel.db import UnitOfWork


def export_knowledge(session: Session, store_id: int, customer_id: int) -> dict[str, Any]:
    feedback = [
        {
            "article_id": row.article_id,
            "helpful": row.helpful,
            "comment": row.comment,
            "created_at": row.created_at.isoformat(),
        }
        for row in session.scalars(
            select(ArticleFeedback)
            .where(ArticleFeedback.store_id == store_id, ArticleFeedback.customer_id == customer_id)
            .order_by(ArticleFeedback.id)
        )
    ]
    searches = [
        {"query": row.query, "channel": row.channel, "created_at": row.created_at.isoformat()}
        for row in session.scalars(
            select(SearchLogEntry)
            .where(SearchLogEntry.store_id == store_id, SearchLogEntry.customer_id == customer_id)
            .order_by(SearchLogEntry.id)
        )
    ]
    return {"article_feedback": feedback, "help_searches": searches}


def erase_knowledge(uow: UnitOfWork, store_id: int, customer_id: int) -> None:
    session = uow.session
    session.execute(
        update(ArticleFeedback)
        .where(ArticleFeedback.store_id == store_id, ArticleFeedback.customer_id == customer_id)
        .values(comment="", customer_id=None)
    )
    session.execute(
        update(SearchLogEntry)
        .where(SearchLogEntry.store_id == store_id, SearchLogEntry.customer_id == customer_id)
        .values(query="(erased)", customer_id=None)
    )
    session.execute(
        update(Deflection)
        .where(Deflection.store_id == store_id, Deflection.customer_id == customer_id)
        .values(customer_id=None, visitor_token_hash=None)
    )


def register() -> None:
    """Plug the knowledge base's export section and erasure step into the customer record."""
    export_section("knowledge")(export_knowledge)
    erasure_step("knowledge")(erase_knowledge)
