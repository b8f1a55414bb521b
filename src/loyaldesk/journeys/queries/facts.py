"""A customer's facts, as rule conditions read them (``journeys.rules.conditions.FIELDS``), loaded for
many customers at once; and the values message templates fill in.

Everything here reads; it never writes. Facts that cost more (the next tier's gap) are loaded only when
a rule names them (``needs``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from loyaldesk.commerce import order_stats_for_customers, shipping_addresses_of_customer
from loyaldesk.customers import Customer
from loyaldesk.journeys.actions.consent import consents_of
from loyaldesk.journeys.models import ChannelConsent
from loyaldesk.journeys.ports import scores_for
from loyaldesk.journeys.rules.delivery_window import recipient_zone
from loyaldesk.journeys.vocab import Channel
from loyaldesk.kernel.i18n import format_day, format_money, format_points
from loyaldesk.kernel.money import from_minor_units
from loyaldesk.loyalty import Member, PointLot, Tier
from loyaldesk.stores import Store
from loyaldesk.support import BusinessCalendarRow, Conversation, Message, calendar_of, is_open

# Points expiring "in the next 30 days": through the whole 30th day, so that the 30-days-before journey
# always finds the points it is about.
EXPIRING_WINDOW = timedelta(days=31)
TIER_FIELDS = frozenset({"loyalty.next_tier", "loyalty.next_tier_gap"})


def home_country(session: Session, customer: Customer) -> str | None:
    """Where the customer lives, for their quiet hours and public holidays: their profile's country, else
    the country of their latest shipping address."""
    country = (customer.attributes or {}).get("country")
    if country:
        return str(country)
    for address in shipping_addresses_of_customer(session, customer.id, limit=1):
        code = address.get("country_code") or address.get("country")
        if isinstance(code, str) and len(code) == 2:
            return code.upper()
    return None


def fields_named(*trees: Any) -> set[str]:
    """Every ``field`` a condition tree (or several) names."""
    found: set[str] = set()
    stack = list(trees)
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if "field" in item:
                found.add(str(item["field"]))
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def facts_for(
    session: Session,
    store: Store,
    customers: Iterable[Customer],
    now: datetime,
    *,
    context: Mapping[int, Mapping[str, Any]] | None = None,
    needs: set[str] | None = None,
) -> dict[int, dict[str, Any]]:
    """Per customer id, the flat facts. ``context`` per customer adds the event's payload (``event``)
    and the conversation (``conversation_id``) the rule fired for. ``needs`` (the fields a rule names)
    limits the work to the groups those fields belong to (``loyalty``, ``orders``, ``analytics``); None
    loads them all. The customer's own fields are always there."""
    customers = list(customers)
    ids = [customer.id for customer in customers]
    context = context or {}
    groups = (
        {"loyalty", "orders", "analytics"} if needs is None else {name.split(".", 1)[0] for name in needs}
    )
    needs = needs or set()
    members = (
        {m.customer_id: m for m in session.scalars(select(Member).where(Member.customer_id.in_(ids)))}
        if ids and "loyalty" in groups
        else {}
    )
    tier_names = (
        dict(session.execute(select(Tier.id, Tier.name).where(Tier.store_id == store.id)).all())
        if members
        else {}
    )
    expiring = _expiring(session, [m.id for m in members.values()], now)
    stats = order_stats_for_customers(session, store.id, ids) if ids and "orders" in groups else {}
    scores = scores_for(session, store.id, ids) if "analytics" in groups else {}
    choices: dict[int, dict[str, bool]] = defaultdict(dict)
    if ids and "consent" in groups:
        for customer_id, channel, granted in session.execute(
            select(ChannelConsent.customer_id, ChannelConsent.channel, ChannelConsent.granted).where(
                ChannelConsent.customer_id.in_(ids)
            )
        ):
            choices[customer_id][channel] = granted
    facts: dict[int, dict[str, Any]] = {}
    for customer in customers:
        member = members.get(customer.id)
        stat = stats.get(customer.id)
        score = scores.get(customer.id)
        country = (customer.attributes or {}).get("country")
        _zone, country = recipient_zone(customer.timezone, customer.phone, country, store.timezone)
        row: dict[str, Any] = {
            "customer.id": customer.id,
            "customer.first_name": customer.first_name,
            "customer.country": country,
            "customer.language": customer.locale,
            "customer.tags": list(customer.tags or []),
            "customer.has_email": bool(customer.email),
            "customer.has_phone": bool(customer.phone),
            "customer.marketing_consent": bool(customer.marketing_consent),
            "customer.days_since_signup": (now - customer.created_at).days,
            "customer.days_to_birthday": _days_to_birthday(customer, now),
            "customer.attributes": dict(customer.attributes or {}),
            "loyalty.member": member is not None,
            "orders.count": stat.order_count if stat else 0,
            "orders.total_spent": float(from_minor_units(stat.net_spent, stat.currency)) if stat else 0.0,
            "orders.days_since_last": (now - stat.last_order_at).days
            if stat and stat.last_order_at
            else None,
            "analytics.segment": score.segment if score else None,
            "analytics.churn_risk": score.churn_risk if score else None,
            "analytics.value": score.value if score else None,
        }
        if member is not None:
            points, soonest = expiring.get(member.id, (0, None))
            row.update(
                {
                    "loyalty.tier": tier_names.get(member.tier_id) if member.tier_id else None,
                    "loyalty.points": member.available_points,
                    "loyalty.pending_points": member.pending_points,
                    "loyalty.expiring_points": points,
                    "loyalty.expiring_on": soonest,
                    "loyalty.referral_code": member.referral_code,
                }
            )
            if needs & TIER_FIELDS:
                row.update(_tier_gap(session, store, member, now))
        if "consent" in groups:  # as consent_allows decides: a choice per channel, else the profile for email
            mine = choices.get(customer.id, {})
            erased = customer.erased_at is not None
            row["consent.email"] = not erased and mine.get("email", bool(customer.marketing_consent))
            row["consent.sms"] = not erased and mine.get("sms", False)
            row["consent.push"] = not erased and mine.get("push", False)
        extra = context.get(customer.id) or {}
        if "event" in extra:
            row["event"] = dict(extra["event"])
        conversation_id = extra.get("conversation_id")
        if conversation_id:
            row.update(_conversation_facts(session, int(conversation_id), now))
        if "time.business_hours" in needs:
            row["time.business_hours"] = _business_hours(session, store.id, now)
        facts[customer.id] = row
    return facts


def _expiring(
    session: Session, member_ids: list[int], now: datetime
) -> dict[int, tuple[int, datetime | None]]:
    if not member_ids:
        return {}
    rows = session.execute(
        select(PointLot.member_id, func.sum(PointLot.remaining), func.min(PointLot.expires_at))
        .where(
            PointLot.member_id.in_(member_ids),
            PointLot.status == "available",
            PointLot.remaining > 0,
            PointLot.expires_at.is_not(None),
            PointLot.expires_at <= now + EXPIRING_WINDOW,
        )
        .group_by(PointLot.member_id)
    ).all()
    return {member_id: (int(total or 0), soonest) for member_id, total, soonest in rows}


def _tier_gap(session: Session, store: Store, member: Member, now: datetime) -> dict[str, Any]:
    from loyaldesk.loyalty import queries as loyalty_queries

    picture = loyalty_queries.member_picture(session, store, member, now)
    progress = picture.progress
    if progress is None or progress.next_tier is None:
        return {"loyalty.next_tier": None, "loyalty.next_tier_gap": None}
    gap = progress.to_next
    return {
        "loyalty.next_tier": progress.next_tier.name,
        "loyalty.next_tier_gap": float(from_minor_units(gap, store.currency)) if gap is not None else None,
        "loyalty.next_tier_gap_minor": gap,
    }


def _days_to_birthday(customer: Customer, now: datetime) -> int | None:
    if customer.birthday is None:
        return None
    today = now.date()
    for year in (today.year, today.year + 1):
        try:
            day = customer.birthday.replace(year=year)
        except ValueError:  # 29 February in a common year: the 28th
            day = customer.birthday.replace(year=year, day=28)
        if day >= today:
            return (day - today).days
    return None


def _conversation_facts(session: Session, conversation_id: int, now: datetime) -> dict[str, Any]:
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        return {}
    text = session.scalar(
        select(Message.body)
        .where(Message.conversation_id == conversation_id, Message.author_kind == "customer")
        .order_by(Message.id.desc())
        .limit(1)
    )
    waiting = conversation.waiting_since
    return {
        "conversation.id": conversation.id,
        "conversation.channel": conversation.channel,
        "conversation.status": conversation.status,
        "conversation.priority": conversation.priority,
        "conversation.tags": list(conversation.labels or []),
        "conversation.assigned": conversation.assignee_id is not None,
        "conversation.text": text or "",
        "conversation.hours_waiting": round((now - waiting).total_seconds() / 3600, 2) if waiting else 0,
    }


def _business_hours(session: Session, store_id: int, now: datetime) -> bool:
    row = session.scalar(
        select(BusinessCalendarRow)
        .where(BusinessCalendarRow.store_id == store_id)
        .order_by(BusinessCalendarRow.id)
        .limit(1)
    )
    return is_open(calendar_of(row), now)


def template_values(
    store: Store, customer: Customer, facts: Mapping[str, Any], base_url: str, *, language: str
) -> dict[str, Any]:
    """The ``{{ variables }}`` of a message to ``customer`` (``journeys.rules.variables.VARIABLES``;
    the unsubscribe and preference links are the renderer's, signed per message)."""
    language = language or store.locale
    gap = facts.get("loyalty.next_tier_gap_minor")
    expiring_on = facts.get("loyalty.expiring_on")
    event = facts.get("event") or {}
    return {
        "first_name": customer.first_name or "",
        "full_name": customer.display_name if customer.erased_at is None else "",
        "store_name": store.name,
        "points": format_points(int(facts.get("loyalty.points") or 0), language),
        "pending_points": format_points(int(facts.get("loyalty.pending_points") or 0), language),
        "tier": facts.get("loyalty.tier") or "",
        "next_tier": facts.get("loyalty.next_tier") or "",
        "next_tier_gap": format_money(int(gap), store.currency, language) if gap is not None else "",
        "expiring_points": format_points(int(facts.get("loyalty.expiring_points") or 0), language),
        "expiring_on": format_day(expiring_on, store.timezone, language)
        if isinstance(expiring_on, datetime)
        else "",
        "order_number": event.get("number", ""),
        "fix_note": event.get("fix_note", ""),
        "offer_details": event.get("offer_details", ""),
        "offer_code": event.get("offer_code", ""),
        "question_title": event.get("question_title", ""),
        "question_url": f"{base_url.rstrip('/')}/m/{store.slug}/community/threads/{event['thread_id']}"
        if event.get("thread_id")
        else "",
        "member_url": f"{base_url.rstrip('/')}/m/{store.slug}",
        "referral_url": f"{base_url.rstrip('/')}/r/{store.slug}/{code}"
        if (code := facts.get("loyalty.referral_code"))
        else "",
    }


def consent_map(session: Session, customer_id: int) -> dict[Channel, bool]:
    return consents_of(session, customer_id)
