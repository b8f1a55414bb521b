"""Points for what members do, and the moments that delight them: action rules, birthdays,
anniversaries, win-backs, and badges.

Every award has its own idempotency key (``action:<rule>:<event id>``, ``birthday:<member>:<year>``...),
so that a retried event or a job running twice never pays twice; the rules' caps and frequency limits are
checked against the member's award history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import CompoundSelect, bindparam, func, literal_column, select, text, union_all
from sqlalchemy.exc import IntegrityError

from loyaldesk.customers import Customer
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Conflict
from loyaldesk.loyalty.actions import move_points as ledger
from loyaldesk.loyalty.events import BadgeAwarded
from loyaldesk.loyalty.models import (
    ActionAward,
    EarningRule,
    LoyaltyProgram,
    Member,
    MemberAction,
    MemberBadge,
    Referral,
)
from loyaldesk.loyalty.program import ensure_program, terms_of
from loyaldesk.loyalty.rule_config import action_rule
from loyaldesk.loyalty.rules import badges as badge_rules
from loyaldesk.loyalty.rules import earning
from loyaldesk.stores import store_by_id

BATCH = 500


@dataclass(frozen=True)
class ActionOutcome:
    rule_id: int
    rule_name: str
    points: int
    awarded: bool
    reason: str


def action_outcomes(
    uow: UnitOfWork,
    member: Member,
    action: str,
    event_name: str | None,
    *,
    write: bool,
    external_id: str,
    now: datetime | None = None,
) -> list[ActionOutcome]:
    """What every active action rule of the store gives for this action, and (``write``) award it."""
    store = store_by_id(uow.session, member.store_id)
    now = now or uow.now()
    customer = uow.session.get(Customer, member.customer_id)
    segments = frozenset(customer.tags or []) if customer else frozenset()
    rows = list(
        uow.session.scalars(
            select(EarningRule)
            .where(EarningRule.store_id == member.store_id, EarningRule.kind == "action")
            .order_by(EarningRule.id)
        )
    )
    outcomes = []
    terms = None
    for row in rows:
        rule = action_rule(row)
        if rule.action.value != action or (rule.custom_event and rule.custom_event != event_name):
            continue
        key = f"action:{row.id}:{external_id}"
        if write and ledger.find_entry(uow, member.store_id, key) is not None:
            outcomes.append(
                ActionOutcome(row.id, row.name, rule.points, True, "already awarded for this event")
            )
            continue
        history = earning.ActionHistory(
            tuple(
                uow.session.scalars(
                    select(ActionAward.awarded_at).where(
                        ActionAward.member_id == member.id, ActionAward.rule_id == row.id
                    )
                )
            )
        )
        result = earning.points_for_action(
            rule,
            action=action,
            now=now,
            event_name=event_name,
            history=history,
            tier_id=member.tier_id,
            segments=segments,
            timezone=store.timezone,
        )
        outcomes.append(ActionOutcome(row.id, row.name, result.points, result.awarded, result.reason))
        if write and result.awarded:
            terms = terms or terms_of(ensure_program(uow, member.store_id), store.timezone)
            entry = ledger.earn(
                uow,
                member,
                terms,
                points=result.points,
                key=key,
                description=f"{row.name}: {result.points} points",
                source="action",
            )
            uow.session.add(
                ActionAward(member_id=member.id, rule_id=row.id, entry_id=entry.entry.id, awarded_at=now)
            )
    return outcomes


def record_action(
    uow: UnitOfWork, member: Member, action: str, event_name: str | None, external_id: str
) -> tuple[bool, list[ActionOutcome]]:
    """Record an action once per ``external_id`` and award its rules. ``(new, outcomes)``."""
    savepoint = uow.session.begin_nested()
    uow.session.add(
        MemberAction(
            store_id=member.store_id,
            member_id=member.id,
            action=action,
            event_name=event_name,
            external_id=external_id,
            occurred_at=uow.now(),
        )
    )
    try:
        savepoint.commit()
    except IntegrityError:
        savepoint.rollback()
        return False, _replayed_outcomes(uow, member, action, event_name, external_id)
    outcomes = action_outcomes(uow, member, action, event_name, write=True, external_id=external_id)
    award_badges(uow, member)
    return True, outcomes


def _replayed_outcomes(
    uow: UnitOfWork, member: Member, action: str, event_name: str | None, external_id: str
) -> list[ActionOutcome]:
    """A retried event changes nothing: report what it got the first time (or refuse another member)."""
    first = uow.session.scalar(
        select(MemberAction).where(
            MemberAction.store_id == member.store_id, MemberAction.external_id == external_id
        )
    )
    if first is not None and (first.member_id != member.id or first.action != action):
        raise Conflict(f"the event id {external_id!r} was already used for another event")
    outcomes = []
    for row in uow.session.scalars(
        select(EarningRule)
        .where(EarningRule.store_id == member.store_id, EarningRule.kind == "action")
        .order_by(EarningRule.id)
    ):
        rule = action_rule(row)
        if rule.action.value != action or (rule.custom_event and rule.custom_event != event_name):
            continue
        entry = ledger.find_entry(uow, member.store_id, f"action:{row.id}:{external_id}")
        outcomes.append(
            ActionOutcome(
                row.id,
                row.name,
                entry.points if entry else 0,
                entry is not None,
                "already awarded for this event" if entry else "not awarded when this event was recorded",
            )
        )
    return outcomes


def _month_days(around: datetime) -> list[str]:
    """The "MM-DD" of every calendar day somewhere on Earth at ``around`` (UTC-12 to UTC+14)."""
    return sorted({(around + timedelta(hours=offset)).strftime("%m-%d") for offset in (-12, 0, 14)})


def _local_today(zone_name: str | None, fallback: str, now: datetime) -> date:
    try:
        zone = ZoneInfo(zone_name or fallback)
    except Exception:
        zone = ZoneInfo(fallback)
    return now.astimezone(zone).date()


def _is_anniversary(day: date, of: date) -> bool:
    """Whether ``day`` is the yearly return of ``of`` (29 February is celebrated on 28 February)."""
    if (of.month, of.day) == (2, 29):
        leap = day.year % 4 == 0 and (day.year % 100 != 0 or day.year % 400 == 0)
        return (day.month, day.day) == ((2, 29) if leap else (2, 28))
    return (day.month, day.day) == (of.month, of.day)


def _month_day(uow: UnitOfWork, column: Any) -> Any:
    if uow.is_postgresql:
        return func.to_char(column, text("'MM-DD'"))
    return func.strftime("%m-%d", column)


def _recorded(uow: UnitOfWork, keys: list[str]) -> set[str]:
    """Which of these action ids were already recorded (awarded or not): a job never looks at them again."""
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        found.update(
            uow.session.scalars(
                select(MemberAction.external_id).where(
                    MemberAction.external_id.in_(keys[start : start + 500])
                )
            )
        )
    return found


def send_birthday_rewards(uow: UnitOfWork) -> int:
    """Scheduled: award birthday rules to members whose birthday it is today in their own time zone, once
    a year each (recorded as the action ``birthday:<member>:<year>``, so no member is looked at twice)."""
    now = uow.now()
    rows = uow.session.execute(
        select(Member, Customer.birthday, Customer.timezone)
        .join(Customer, Customer.id == Member.customer_id)
        .where(Customer.birthday.is_not(None), _month_day(uow, Customer.birthday).in_(_month_days(now)))
        .order_by(Member.id)
    ).all()
    due = []
    for member, birthday, timezone in rows:
        store = store_by_id(uow.session, member.store_id)
        today = _local_today(timezone, store.timezone, now)
        if birthday is not None and _is_anniversary(today, birthday):
            due.append((member, f"birthday:{member.id}:{today.year}"))
    return _record_due(uow, due, "birthday", None)


def _record_due(uow: UnitOfWork, due: list[tuple[Member, str]], action: str, event_name: str | None) -> int:
    """Record (and reward) the due actions not recorded yet, at most ``BATCH`` per run: the next run
    continues where this one stopped. Returns the points awarded."""
    recorded = _recorded(uow, [key for _member, key in due])
    done = 0
    for member, key in [(member, key) for member, key in due if key not in recorded][:BATCH]:
        _new, outcomes = record_action(uow, member, action, event_name, key)
        done += sum(1 for outcome in outcomes if outcome.awarded)
    return done


def send_anniversary_rewards(uow: UnitOfWork) -> int:
    """Scheduled: on the yearly return of the day a member joined, the custom ``anniversary`` rule."""
    now = uow.now()
    due = []
    for program in uow.session.scalars(select(LoyaltyProgram).where(LoyaltyProgram.enabled.is_(True))):
        zone = ZoneInfo(store_by_id(uow.session, program.store_id).timezone)
        today = now.astimezone(zone).date()
        candidates = uow.session.scalars(
            select(Member)
            .where(
                Member.store_id == program.store_id,
                Member.enrolled_at < now - timedelta(days=300),
                _month_day(uow, Member.enrolled_at).in_(_month_days(now)),
            )
            .order_by(Member.id)
        )
        for member in candidates:
            joined = member.enrolled_at.astimezone(zone).date()
            if today.year > joined.year and _is_anniversary(today, joined):
                due.append((member, f"anniversary:{member.id}:{today.year}"))
    return _record_due(uow, due, "custom", "anniversary")


def send_winback_rewards(uow: UnitOfWork) -> int:
    """Scheduled: members who have gone quiet for the program's ``winback_after_days`` get the custom
    ``winback`` rule's surprise (its own limits keep it from repeating). Each quiet spell is looked at
    once (the action ``winback:<member>:<last activity day>``)."""
    now = uow.now()
    due = []
    for program in uow.session.scalars(select(LoyaltyProgram).where(LoyaltyProgram.enabled.is_(True))):
        rules = uow.session.scalars(
            select(EarningRule).where(
                EarningRule.store_id == program.store_id,
                EarningRule.kind == "action",
                EarningRule.active.is_(True),
            )
        )
        if not any(rule.config.get("custom_event") == "winback" for rule in rules):
            continue
        cutoff = now - timedelta(days=program.winback_after_days)
        for member in uow.session.scalars(
            select(Member)
            .where(
                Member.store_id == program.store_id,
                Member.last_activity_at < cutoff,
                Member.last_activity_at >= cutoff - timedelta(days=30),
            )
            .order_by(Member.id)
        ):
            assert member.last_activity_at is not None
            due.append((member, f"winback:{member.id}:{member.last_activity_at:%Y%m%d}"))
    return _record_due(uow, due, "custom", "winback")


def badge_metrics(uow: UnitOfWork, member: Member) -> dict[str, int]:
    return badge_metrics_for(uow, [member])[member.id]


def badge_metrics_for(uow: UnitOfWork, members: list[Member]) -> dict[int, dict[str, int]]:
    """What the badges measure (orders, net spend, reviews, successful referrals, points earned), for
    many members in one aggregate statement (per 500 members), built once."""
    return _metrics_and_held(uow, members)[0]


def _metrics_and_held(
    uow: UnitOfWork, members: list[Member]
) -> tuple[dict[int, dict[str, int]], dict[int, dict[str, int]]]:
    """``badge_metrics_for`` and ``held_badges_for`` at once: the orders and net spend of each member's
    customer, reviews, referrals and held levels in one statement (``_MEMBER_COUNTS``), per 500 members."""
    found: dict[int, dict[str, int]] = {}
    held: dict[int, dict[str, int]] = {member.id: {} for member in members}
    session = uow.session
    for start in range(0, len(members), 500):
        chunk = members[start : start + 500]
        counts: dict[str, dict[int, int]] = {"orders": {}, "spend": {}, "review": {}, "referral": {}}
        for kind, member_id, code, value in session.execute(
            _MEMBER_COUNTS, {"member_ids": [member.id for member in chunk]}
        ):
            if kind == "badge":
                held[member_id][code] = int(value)
            else:
                counts[kind][member_id] = int(value)
        for member in chunk:
            found[member.id] = {
                "orders": counts["orders"].get(member.id, 0),
                "spend": counts["spend"].get(member.id, 0),
                "reviews": counts["review"].get(member.id, 0),
                "referrals": counts["referral"].get(member.id, 0),
                "points_earned": member.lifetime_earned_points,
            }
    return found, held


def held_badges(uow: UnitOfWork, member_id: int) -> dict[str, int]:
    return held_badges_for(uow, [member_id])[member_id]


def held_badges_for(uow: UnitOfWork, member_ids: list[int]) -> dict[int, dict[str, int]]:
    found: dict[int, dict[str, int]] = {member_id: {} for member_id in member_ids}
    for start in range(0, len(member_ids), 500):
        for member_id, code, level in uow.session.execute(
            _HELD_BADGES, {"member_ids": member_ids[start : start + 500]}
        ):
            found[member_id][code] = int(level)
    return found


def _badge_statements() -> tuple[Any, Any]:
    from loyaldesk.commerce import Order

    def of_orders(kind: str, value: Any) -> Any:
        """Per member, over their customer's orders that are not cancelled."""
        return (
            select(literal_column(f"'{kind}'"), Member.id, literal_column("''"), value)
            .join(Order, Order.customer_id == Member.customer_id)
            .where(Member.id.in_(bindparam("member_ids", expanding=True)), Order.status != "cancelled")
            .group_by(Member.id)
        )

    held = (
        select(MemberBadge.member_id, MemberBadge.badge_code, func.max(MemberBadge.level))
        .where(MemberBadge.member_id.in_(bindparam("member_ids", expanding=True)))
        .group_by(MemberBadge.member_id, MemberBadge.badge_code)
    )
    member_counts: CompoundSelect = union_all(
        of_orders("orders", func.count(Order.id)),
        of_orders("spend", func.coalesce(func.sum(Order.total - Order.refunded_total), 0)),
        select(literal_column("'review'"), MemberAction.member_id, literal_column("''"), func.count())
        .where(
            MemberAction.member_id.in_(bindparam("member_ids", expanding=True)),
            MemberAction.action == "review",
        )
        .group_by(MemberAction.member_id),
        select(literal_column("'referral'"), Referral.referrer_member_id, literal_column("''"), func.count())
        .where(
            Referral.referrer_member_id.in_(bindparam("member_ids", expanding=True)),
            Referral.status.in_(("qualified", "rewarded")),
        )
        .group_by(Referral.referrer_member_id),
        select(
            literal_column("'badge'"),
            MemberBadge.member_id,
            MemberBadge.badge_code,
            func.max(MemberBadge.level),
        )
        .where(MemberBadge.member_id.in_(bindparam("member_ids", expanding=True)))
        .group_by(MemberBadge.member_id, MemberBadge.badge_code),
    )
    return held, member_counts


# _MEMBER_COUNTS: (kind, member id, badge code, count, sum or level) for kind orders, spend, review,
# referral or badge.
_HELD_BADGES, _MEMBER_COUNTS = _badge_statements()


def award_badges(uow: UnitOfWork, member: Member) -> list[badge_rules.BadgeAward]:
    """Award the badge levels the member newly reached, announcing each."""
    return award_badges_to(uow, [member]).get(member.id, [])


def award_badges_to(uow: UnitOfWork, members: list[Member]) -> dict[int, list[badge_rules.BadgeAward]]:
    """``award_badges`` for many members, reading what it needs for all of them at once."""
    if not members:
        return {}
    catalogue = badge_rules.default_badge_catalogue()
    metrics, held = _metrics_and_held(uow, members)
    awarded: dict[int, list[badge_rules.BadgeAward]] = {}
    for member in members:
        awards = badge_rules.evaluate_badges(catalogue, metrics[member.id], held[member.id])
        if awards:
            awarded[member.id] = awards
        for award in awards:
            uow.session.add(
                MemberBadge(
                    member_id=member.id, badge_code=award.code, level=award.level, awarded_at=uow.now()
                )
            )
            uow.emit(
                BadgeAwarded(
                    store_id=member.store_id,
                    customer_id=member.customer_id,
                    member_id=member.id,
                    badge_code=award.code,
                    badge_name=award.name,
                    level=award.level,
                    level_name=award.level_name,
                )
            )
    return awarded
