"""Badges (achievements) with levels: which new levels a member has reached, and progress towards the next.
Pure: no I/O.

A badge counts one metric of a member (orders, reviews, referrals, ...) against strictly increasing
thresholds; reaching the n-th threshold earns level n. The levels a member holds are stored by the caller;
``evaluate_badges`` compares them with fresh metrics and returns only what is new.

Levels are never taken back. A refund, a deleted review or a cancelled order may lower a metric, but a
badge is a recognition that was announced to the member, not a balance: withdrawing it would punish them
for a store-side correction and make the member page contradict the announcement. Anything of value
(points) is reversed in the ledger instead. As a consequence, a level is awarded at most once, even if the
metric drops below its threshold and rises again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from loyaldesk.kernel.errors import Invalid


class BadgeMetric(StrEnum):
    """What a badge counts. Metric values are integers; ``spend`` is in minor units of the store currency."""

    ORDERS = "orders"
    REVIEWS = "reviews"
    REFERRALS = "referrals"
    POINTS_EARNED = "points_earned"
    SPEND = "spend"
    STREAK_MONTHS = "streak_months"  # consecutive calendar months with an order, up to now


@dataclass(frozen=True)
class BadgeDefinition:
    """One badge: ``levels`` are the thresholds of ``metric`` (positive, strictly increasing), and
    ``level_names[n - 1]`` names level n. Raises ``Invalid`` naming the field when malformed."""

    code: str
    name: str
    metric: BadgeMetric
    levels: tuple[int, ...]
    level_names: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.code.strip():
            raise Invalid.field("code", "must not be empty")
        if self.metric not in set(BadgeMetric):
            known = ", ".join(BadgeMetric)
            raise Invalid.field("metric", f"must be one of {known}, not {self.metric!r}")
        object.__setattr__(self, "metric", BadgeMetric(self.metric))  # a plain string from settings
        if not self.levels:
            raise Invalid.field("levels", "a badge needs at least one level")
        if self.levels[0] < 1:
            raise Invalid.field("levels", "thresholds must be 1 or more (level 0 means no badge)")
        if any(lower >= higher for lower, higher in zip(self.levels, self.levels[1:], strict=False)):
            raise Invalid.field("levels", "thresholds must be strictly increasing")
        if len(self.level_names) != len(self.levels):
            raise Invalid.field(
                "level_names", f"needs one name per level ({len(self.levels)}), not {len(self.level_names)}"
            )

    def level_for(self, value: int) -> int:
        """The level ``value`` reaches on its own: how many thresholds it meets (0 = none)."""
        return sum(1 for threshold in self.levels if value >= threshold)

    def level_name(self, level: int) -> str | None:
        """The name of ``level`` (1-based); ``None`` for 0 or a level this badge no longer has."""
        return self.level_names[level - 1] if 1 <= level <= len(self.levels) else None


@dataclass(frozen=True)
class BadgeAward:
    """A level newly reached, ready to announce: "Regular" (level 2 of "Shopper", 5 orders)."""

    code: str
    name: str
    level: int
    level_name: str
    threshold: int


@dataclass(frozen=True)
class BadgeProgress:
    """Where a member stands on one badge: the level held (0 = none), the metric's ``value`` and the
    threshold of the next level (``None`` at the top)."""

    code: str
    name: str
    level: int
    level_name: str | None
    next_threshold: int | None
    value: int


def big_spender_badge(
    thresholds: tuple[int, ...], level_names: tuple[str, ...] = ("Big spender", "High roller", "Patron")
) -> BadgeDefinition:
    """The spend badge; ``thresholds`` are in minor units of the store currency, set per store because
    100.00 means very different things in JPY, EUR and KWD."""
    return BadgeDefinition("big_spender", "Big spender", BadgeMetric.SPEND, thresholds, level_names)


def default_badge_catalogue(
    big_spender_thresholds: tuple[int, ...] | None = None,
) -> tuple[BadgeDefinition, ...]:
    """The badges a new store starts with: shopper (1, 5, 20 orders), reviewer (1, 5, 20 reviews), referrer
    (1, 3, 10 friends), and the big spender badge only when the store gives its spend thresholds."""
    orders, reviews, referrals = BadgeMetric.ORDERS, BadgeMetric.REVIEWS, BadgeMetric.REFERRALS
    catalogue = [
        BadgeDefinition("shopper", "Shopper", orders, (1, 5, 20), ("First order", "Regular", "Devotee")),
        BadgeDefinition("reviewer", "Reviewer", reviews, (1, 5, 20), ("Reviewer", "Critic", "Top critic")),
        BadgeDefinition(
            "referrer", "Referrer", referrals, (1, 3, 10), ("Referrer", "Ambassador", "Champion")
        ),
    ]
    if big_spender_thresholds is not None:
        catalogue.append(big_spender_badge(big_spender_thresholds))
    return tuple(catalogue)


def _checked(definitions: Sequence[BadgeDefinition], held_levels: Mapping[str, int]) -> None:
    codes = [definition.code for definition in definitions]
    duplicates = sorted({code for code in codes if codes.count(code) > 1})
    if duplicates:
        raise Invalid.field("badges", f"each badge code must be used once; repeated: {', '.join(duplicates)}")
    negative = sorted(code for code, level in held_levels.items() if level < 0)
    if negative:
        raise ValueError(f"held badge levels cannot be negative: {', '.join(negative)}")


def evaluate_badges(
    definitions: Sequence[BadgeDefinition], metrics: Mapping[str, int], held_levels: Mapping[str, int]
) -> list[BadgeAward]:
    """The badge levels newly reached, one award per level, in catalogue order and, within a badge, in
    increasing level order (a member who jumps from level 0 to 2 gets level 1 and level 2, so each can be
    announced).

    ``metrics`` maps a metric name to its current value (missing = 0); ``held_levels`` maps a badge code to
    the level already held (missing = 0; codes not in ``definitions`` are ignored). A level at or below the
    held one is never returned, so evaluating again after recording the awards (``levels_after``) returns
    nothing, and a metric that went down never lowers anything.
    """
    _checked(definitions, held_levels)
    awards = []
    for definition in definitions:
        held = held_levels.get(definition.code, 0)
        reached = definition.level_for(metrics.get(definition.metric, 0))
        for level in range(held + 1, reached + 1):
            awards.append(
                BadgeAward(
                    definition.code,
                    definition.name,
                    level,
                    definition.level_names[level - 1],
                    definition.levels[level - 1],
                )
            )
    return awards


def levels_after(held_levels: Mapping[str, int], awards: Iterable[BadgeAward]) -> dict[str, int]:
    """The held levels once ``awards`` are recorded: for each code, the highest of held and awarded."""
    levels = dict(held_levels)
    for award in awards:
        levels[award.code] = max(levels.get(award.code, 0), award.level)
    return levels


def badge_progress(
    definitions: Sequence[BadgeDefinition], metrics: Mapping[str, int], held_levels: Mapping[str, int]
) -> list[BadgeProgress]:
    """Every badge in catalogue order, for the member page.

    The level shown is the higher of the level held and the level the metric reaches now (so the page is
    right even before pending awards are recorded), capped at the badge's top level (a manager may have
    removed levels); ``next_threshold`` is that of the level after it, ``None`` at the top.
    """
    _checked(definitions, held_levels)
    progress = []
    for definition in definitions:
        value = metrics.get(definition.metric, 0)
        held = min(held_levels.get(definition.code, 0), len(definition.levels))
        level = max(held, definition.level_for(value))
        next_threshold = definition.levels[level] if level < len(definition.levels) else None
        progress.append(
            BadgeProgress(
                definition.code, definition.name, level, definition.level_name(level), next_threshold, value
            )
        )
    return progress
