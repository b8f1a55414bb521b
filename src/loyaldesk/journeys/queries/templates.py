"""Reads of message templates: a store's list, one by key, and the rules whose send steps name one."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from loyaldesk.journeys.models import JourneyRule, MessageTemplate
from loyaldesk.journeys.vocab import Channel


def templates_of(session: Session, store_id: int) -> list[MessageTemplate]:
    """The store's templates, by channel (email first) and name."""
    order = {channel.value: index for index, channel in enumerate(Channel)}
    rows = session.scalars(select(MessageTemplate).where(MessageTemplate.store_id == store_id)).all()
    return sorted(rows, key=lambda row: (order.get(row.channel, 99), row.name.lower(), row.key))


def template_of(session: Session, store_id: int, key: str) -> MessageTemplate | None:
    return session.scalar(
        select(MessageTemplate).where(MessageTemplate.store_id == store_id, MessageTemplate.key == key)
    )


def rules_using_template(session: Session, store_id: int, key: str) -> list[str]:
    """Names of the store's rules with a send step (or an A/B variant) that uses template ``key``."""
    rules = session.execute(
        select(JourneyRule.name, JourneyRule.steps).where(JourneyRule.store_id == store_id)
    ).all()
    return [name for name, steps in rules if key in _template_keys(steps)]


def _template_keys(value: Any) -> set[str]:
    """Every template key named anywhere in a rule's steps (nested branches included)."""
    found: set[str] = set()
    if isinstance(value, dict):
        if isinstance(value.get("template"), str):
            found.add(value["template"])
        variants = value.get("variants")
        if isinstance(variants, dict):
            found.update(str(key) for key in variants.values() if isinstance(key, str))
        for child in value.values():
            if isinstance(child, dict | list):
                found |= _template_keys(child)
    elif isinstance(value, list):
        for child in value:
            found |= _template_keys(child)
    return found
