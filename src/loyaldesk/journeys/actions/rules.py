"""Writing rules: save (checked as a whole, refused with the reason when it cannot run), switch on or
off, delete, switch on a built-in journey, clear a loop alert. Each is audited."""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from loyaldesk.journeys.builtins import BY_KEY
from loyaldesk.journeys.models import JourneyRule, MessageTemplate
from loyaldesk.journeys.ports import survey_asker
from loyaldesk.journeys.rules.conditions import InvalidDefinition
from loyaldesk.journeys.rules.definition import Catalogue, validate_rule
from loyaldesk.journeys.schemas import RuleIn
from loyaldesk.journeys.vocab import MessageCategory
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Invalid, NotFound
from loyaldesk.kernel.events import DomainEvent
from loyaldesk.loyalty import Reward
from loyaldesk.stores import Permission, StoreMembership, authorize, record_audit
from loyaldesk.support import Team

ALIAS_FIELDS = {"conversation.resolved": "conversation.status_changed"}


def catalogue_for(session: Session, store_id: int) -> Catalogue:
    """What rules in this store may name: events and their fields, templates, rewards, teams, staff."""
    events: dict[str, frozenset[str]] = {}
    for name in DomainEvent.known_types():
        event_class = DomainEvent.type_for(name)
        if event_class is not None:
            events[name] = frozenset(
                set(event_class.model_fields) - {"store_id", "customer_id", "occurred_at"}
            )
    for alias, base in ALIAS_FIELDS.items():
        events[alias] = events.get(base, frozenset())
    templates = {
        key: (channel, tuple(text for text in (subject, body) if text))
        for key, channel, subject, body in session.execute(
            select(
                MessageTemplate.key, MessageTemplate.channel, MessageTemplate.subject, MessageTemplate.body
            ).where(MessageTemplate.store_id == store_id)
        )
    }
    return Catalogue(
        event_types=events,
        templates=templates,
        reward_ids=frozenset(session.scalars(select(Reward.id).where(Reward.store_id == store_id))),
        team_ids=frozenset(session.scalars(select(Team.id).where(Team.store_id == store_id))),
        staff_ids=frozenset(
            session.scalars(select(StoreMembership.staff_id).where(StoreMembership.store_id == store_id))
        ),
        survey_ids=asker.survey_ids(session, store_id) if (asker := survey_asker()) else frozenset(),
    )


def _authorize(actor: Actor, store_id: int) -> None:
    authorize(actor, store_id, scope="journeys:write", permission=Permission.MANAGE_JOURNEYS)


def rule_of(session: Session, store_id: int, rule_id: int) -> JourneyRule:
    rule = session.get(JourneyRule, rule_id)
    if rule is None or rule.store_id != store_id:
        raise NotFound(f"no rule {rule_id} in this store")
    return rule


def save_rule(
    uow: UnitOfWork, actor: Actor, store_id: int, data: RuleIn, rule_id: int | None = None
) -> JourneyRule:
    """Create a rule (``rule_id`` None) or replace one's definition. Raises ``Invalid`` naming the part of
    the definition that cannot run (an unknown field, a missing template, a bad variable)."""
    _authorize(actor, store_id)
    existing = rule_of(uow.session, store_id, rule_id) if rule_id is not None else None
    rule = _write_rule(uow, store_id, data, existing)
    record_audit(
        uow,
        actor,
        "journeys.rule_saved",
        store_id=store_id,
        target_type="journey_rule",
        target_id=rule.id,
        details={"version": rule.version, "enabled": rule.enabled},
    )
    return rule


def save_owned_rule(uow: UnitOfWork, store_id: int, owner_key: str, data: RuleIn) -> JourneyRule:
    """Create or replace the rule another domain keeps for ``owner_key`` (a survey's asking rule:
    ``survey:<id>``), checked like any rule. The caller has authorised the person and records the audit
    entry of its own change; journeys' permission is not asked (a survey manager need not edit journeys)."""
    existing = uow.session.scalar(
        select(JourneyRule).where(JourneyRule.store_id == store_id, JourneyRule.builtin_key == owner_key)
    )
    rule = _write_rule(uow, store_id, data, existing)
    rule.builtin_key = owner_key
    return rule


def _write_rule(uow: UnitOfWork, store_id: int, data: RuleIn, existing: JourneyRule | None) -> JourneyRule:
    catalogue = catalogue_for(uow.session, store_id)
    try:
        trigger, conditions, steps = validate_rule(
            copy.deepcopy(data.trigger),
            copy.deepcopy(data.conditions),
            copy.deepcopy(data.steps),
            catalogue,
            MessageCategory(data.category),
        )
    except InvalidDefinition as error:
        raise Invalid.field(error.where, error.message) from None
    now = uow.now()
    if existing is None:
        rule = JourneyRule(store_id=store_id, created_at=now, version=0, builtin_key=None)
        uow.session.add(rule)
    else:
        rule = existing
    rule.name, rule.description = data.name.strip(), data.description
    rule.purpose, rule.category = data.purpose.value, data.category.value
    rule.trigger, rule.conditions, rule.steps = trigger, conditions, steps
    rule.holdout_percent, rule.reentry, rule.conversion_days = (
        data.holdout_percent,
        data.reentry,
        data.conversion_days,
    )
    rule.enabled = data.enabled
    rule.version = (rule.version or 0) + 1
    rule.next_run_at = None  # a changed schedule or scan starts afresh
    rule.updated_at = now
    uow.session.flush()
    return rule


def set_rule_enabled(
    uow: UnitOfWork, actor: Actor, store_id: int, rule_id: int, enabled: bool
) -> JourneyRule:
    _authorize(actor, store_id)
    rule = rule_of(uow.session, store_id, rule_id)
    if enabled and not rule.enabled:  # check again: a template may have gone since it was saved
        catalogue = catalogue_for(uow.session, store_id)
        try:
            validate_rule(
                copy.deepcopy(rule.trigger),
                copy.deepcopy(rule.conditions),
                copy.deepcopy(rule.steps),
                catalogue,
                MessageCategory(rule.category),
            )
        except InvalidDefinition as error:
            raise Invalid.field(error.where, error.message) from None
        rule.next_run_at = None
    rule.enabled = enabled
    rule.updated_at = uow.now()
    record_audit(
        uow,
        actor,
        "journeys.rule_switched",
        store_id=store_id,
        target_type="journey_rule",
        target_id=rule.id,
        details={"enabled": enabled},
    )
    return rule


def delete_rule(uow: UnitOfWork, actor: Actor, store_id: int, rule_id: int) -> None:
    _authorize(actor, store_id)
    rule = rule_of(uow.session, store_id, rule_id)
    record_audit(
        uow,
        actor,
        "journeys.rule_deleted",
        store_id=store_id,
        target_type="journey_rule",
        target_id=rule.id,
        details={"name": rule.name},
    )
    uow.session.delete(rule)


def clear_alert(uow: UnitOfWork, actor: Actor, store_id: int, rule_id: int) -> None:
    _authorize(actor, store_id)
    rule_of(uow.session, store_id, rule_id).alert = None


def switch_on_builtin(
    uow: UnitOfWork, actor: Actor, store_id: int, key: str, *, language: str = "en"
) -> JourneyRule:
    """Create (or switch on again) the built-in journey ``key``, with its default templates where the
    store has none of its own."""
    from loyaldesk.journeys.actions.templates import ensure_default_templates

    _authorize(actor, store_id)
    builtin = BY_KEY.get(key)
    if builtin is None:
        raise NotFound(f"no built-in journey {key!r}")
    existing = uow.session.scalar(
        select(JourneyRule).where(JourneyRule.store_id == store_id, JourneyRule.builtin_key == key)
    )
    if existing is not None:
        return set_rule_enabled(uow, actor, store_id, existing.id, True)
    ensure_default_templates(uow, store_id, language)
    uow.session.flush()
    data = RuleIn(
        name=builtin.name,
        description=builtin.description,
        purpose=builtin.purpose,
        category=builtin.category,
        trigger=copy.deepcopy(builtin.trigger),
        conditions=copy.deepcopy(builtin.conditions),
        steps=copy.deepcopy(builtin.steps),
        holdout_percent=builtin.holdout_percent,
        reentry=builtin.reentry,  # type: ignore[arg-type]
        enabled=True,
    )
    rule = save_rule(uow, actor, store_id, data)
    rule.builtin_key = key
    return rule


def rule_as_input(rule: JourneyRule) -> dict[str, Any]:
    """A rule's definition as the editor and the API show it (what ``RuleIn`` takes back)."""
    return {
        "name": rule.name,
        "description": rule.description,
        "purpose": rule.purpose,
        "category": rule.category,
        "trigger": rule.trigger,
        "conditions": rule.conditions,
        "steps": rule.steps,
        "holdout_percent": rule.holdout_percent,
        "reentry": rule.reentry,
        "conversion_days": rule.conversion_days,
        "enabled": rule.enabled,
    }
