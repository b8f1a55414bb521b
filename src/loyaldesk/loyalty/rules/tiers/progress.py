"""A member's progress to the next tier, and tier changes, in words."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from loyaldesk.kernel.i18n import _, ngettext
from loyaldesk.loyalty.rules.tiers.evaluation import (
    Activities,
    MemberTierState,
    TierDecision,
    TierPolicy,
    TierProgress,
    _new_year,
    _total,
    evaluate_tier,
)
from loyaldesk.loyalty.rules.tiers.ladder import TierLadder
from loyaldesk.loyalty.rules.tiers.terms import (
    _MONTHS,
    _TICK,
    ROLLING_WINDOW,
    Metric,
    Period,
    TierChangeReason,
    TierHold,
    _aware,
)


def progress(
    ladder: TierLadder, policy: TierPolicy, activities: Activities, state: MemberTierState, now: datetime
) -> TierProgress:
    """Where the member stands at ``now``, after applying :func:`evaluate_tier` (so a due review counts).
    ``to_next`` = next tier's threshold minus the current window's total. ``to_keep``: rolling: the
    qualified tier's threshold minus the activity already inside the window that the review at
    ``retained_until + grace`` will look at, due by that review; calendar year: the threshold minus the
    year's total, due by New Year (during the grace days after it: minus the new year's total, due by
    the review, unless the closed year already secured it); 0 for the base tier, lifetime, or once met,
    and when the tier in effect is held by a membership or an override rather than by qualification."""
    now, activities = _aware(now, "now"), list(activities)
    decision = evaluate_tier(ladder, policy, activities, state, now)
    total, next_tier = decision.qualifying_total, ladder.above(decision.tier)
    kept, retained_until = decision.qualified_tier, decision.state.retained_until
    held_by, held_until = TierHold.QUALIFIED, None
    membership_until = decision.state.membership_until
    membership = decision.state.membership_tier_id == decision.tier.id and membership_until is not None
    outlasts_review = (
        membership
        and retained_until is not None
        and membership_until is not None
        and membership_until >= retained_until + policy.grace
    )
    if kept != decision.tier or outlasts_review:
        held_by = TierHold.MEMBERSHIP if membership else TierHold.OVERRIDE
        held_until = membership_until if membership else None
        kept, retained_until = decision.tier, None  # not kept by activity: nothing to keep
    to_keep, keep_by = 0, None
    if retained_until is not None and kept != ladder.base:
        review, until = retained_until + policy.grace, now + _TICK
        if policy.period is Period.ROLLING_12_MONTHS:
            counted, keep_by = (
                _total(policy.metric, activities, review - ROLLING_WINDOW + _TICK, until),
                review,
            )
        else:  # the review keeps the better of the year it falls in and the year before
            new_year = _new_year(policy, review)
            prior = _total(policy.metric, activities, _new_year(policy, review, -1), min(new_year, until))
            current = _total(policy.metric, activities, new_year, until)
            if now < new_year:  # the closing year is still open: that is where the member can act
                counted, keep_by = prior, new_year
            else:  # within the grace days: the closed year secured the tier, or the new year must
                counted, keep_by = (kept.threshold if prior >= kept.threshold else current), review
        to_keep = max(0, kept.threshold - counted)
    return TierProgress(
        tier=decision.tier,
        next_tier=next_tier,
        qualifying_total=total,
        to_next=None if next_tier is None else max(0, next_tier.threshold - total),
        next_by=_new_year(policy, now, 1) if policy.period is Period.CALENDAR_YEAR else None,
        kept_tier=kept,
        to_keep=to_keep,
        keep_by=keep_by if to_keep else None,
        review_at=decision.review_at,
        metric=policy.metric,
        timezone=policy.timezone,
        held_by=held_by,
        held_until=held_until,
    )


def _day_month_year(day: date) -> str:
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def _amount_phrase(metric: Metric, amount: int, format_money: Callable[[int], str]) -> str:
    if metric is Metric.SPEND:
        return _("Spend {amount} more", amount=format_money(amount))
    return (
        ngettext("Earn {count} more point", "Earn {count} more points", amount)
        if metric is Metric.POINTS
        else ngettext("Place {count} more order", "Place {count} more orders", amount)
    )


def progress_sentences(
    progress: TierProgress,
    format_money: Callable[[int], str],
    format_date: Callable[[date], str] = _day_month_year,
) -> list[str]:
    """Plain-language lines for a member, e.g. "Spend €120.00 more by 31 Dec 2026 to reach Gold" (next
    tier first, then keeping the current one, or when the paid membership that holds it ends; none when
    there is nothing to do). Only the tier in effect is ever named as kept. ``format_money`` turns minor
    units into text (the caller knows currency and locale); ``format_date`` gets the last local day, in the
    store's zone, on which activity still counts or the membership still holds (default "31 Dec 2026")."""
    zone = ZoneInfo(progress.timezone)

    def by(deadline: datetime | None) -> str:
        return (
            ""
            if deadline is None
            else _(" by {day}", day=format_date((deadline - _TICK).astimezone(zone).date()))
        )

    sentences = []
    if progress.next_tier is not None and progress.to_next is not None:
        phrase = _amount_phrase(progress.metric, progress.to_next, format_money)
        sentences.append(
            _(
                "{phrase}{by} to reach {tier}",
                phrase=phrase,
                by=by(progress.next_by),
                tier=progress.next_tier.name,
            )
        )
    if progress.to_keep > 0 and progress.kept_tier == progress.tier:
        phrase = _amount_phrase(progress.metric, progress.to_keep, format_money)
        sentences.append(
            _(
                "{phrase}{by} to keep {tier}",
                phrase=phrase,
                by=by(progress.keep_by),
                tier=progress.kept_tier.name,
            )
        )
    if progress.held_by is TierHold.MEMBERSHIP and progress.held_until is not None:
        last_day = format_date((progress.held_until - _TICK).astimezone(zone).date())
        sentences.append(_("Your {tier} membership runs until {day}", tier=progress.tier.name, day=last_day))
    return sentences


def describe_change(decision: TierDecision, metric: Metric, format_money: Callable[[int], str]) -> str:
    """A short reason for an audit line or event: "upgraded: reached 500.00 spend" (the tier's threshold),
    "upgraded: paid membership", "downgraded: period ended", "membership lapsed", "override"; "" if none."""
    if decision.reason is TierChangeReason.QUALIFIED:
        threshold = decision.tier.threshold
        amount = (
            f"{format_money(threshold)} spend" if metric is Metric.SPEND else f"{threshold} {metric.value}"
        )
        return f"upgraded: reached {amount}"
    return {
        TierChangeReason.PERIOD_ENDED: "downgraded: period ended",
        TierChangeReason.MEMBERSHIP: "upgraded: paid membership",
        TierChangeReason.MEMBERSHIP_LAPSED: "membership lapsed",
        TierChangeReason.OVERRIDE: "override",
        None: "",
    }[decision.reason]
