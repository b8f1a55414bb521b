"""A store's tier ladder: its tiers by rank, read from stored rows, and checked for sense."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal
from itertools import pairwise

from loyaldesk.loyalty.rules.tiers.terms import _whole


@dataclass(frozen=True)
class TierDefinition:
    """One tier. ``rank`` orders the ladder (higher is better); ``threshold`` is the qualifying total, in
    the policy's metric unit, that reaches it; ``earn_multiplier`` (a Decimal, never a float) scales points
    earned; ``perks`` holds :class:`Perk` values or store-defined names; ``entry_reward_points`` are due on
    entering the tier. Raises ValueError naming the field on bad values."""

    id: int
    name: str
    rank: int
    threshold: int
    earn_multiplier: Decimal = Decimal(1)
    perks: frozenset[str] = frozenset()
    entry_reward_points: int = 0

    def __post_init__(self) -> None:
        _whole(self.id, "tier id")
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError(f"tier {self.id} needs a name")
        _whole(self.rank, f"rank of tier {self.name!r}")
        _whole(self.threshold, f"threshold of tier {self.name!r}", minimum=0)
        _whole(self.entry_reward_points, f"entry_reward_points of tier {self.name!r}", minimum=0)
        multiplier: object = self.earn_multiplier
        multiplier = Decimal(multiplier) if type(multiplier) is int else multiplier
        if not isinstance(multiplier, Decimal) or not multiplier.is_finite() or multiplier < 0:
            raise ValueError(
                f"earn_multiplier of tier {self.name!r} must be a non-negative Decimal such as "
                f"Decimal('1.5') (floats are inexact), got {self.earn_multiplier!r}"
            )
        perks = frozenset(self.perks)
        if any(not isinstance(perk, str) or not perk.strip() for perk in perks):
            raise ValueError(f"perks of tier {self.name!r} must be non-empty strings, got {sorted(perks)!r}")
        object.__setattr__(self, "earn_multiplier", multiplier)
        object.__setattr__(self, "perks", perks)


def _rank(tier: TierDefinition) -> int:
    return tier.rank


@dataclass(frozen=True)
class TierLadder:
    """A validated ladder, ``tiers`` sorted by rank. Refuses (ValueError naming what is wrong): no tiers,
    a shared id, rank or name, not exactly one base tier with threshold 0, or thresholds that do not rise
    strictly with rank."""

    tiers: tuple[TierDefinition, ...]

    def __post_init__(self) -> None:
        tiers = tuple(sorted(self.tiers, key=_rank))
        if not tiers:
            raise ValueError("a tier ladder needs at least one tier")
        for label in ("id", "rank", "name"):
            seen: dict[object, TierDefinition] = {}
            for tier in tiers:
                value = tier.name.strip().casefold() if label == "name" else getattr(tier, label)
                if value in seen:
                    raise ValueError(
                        f"tiers {seen[value].name!r} and {tier.name!r} share the {label} {value!r}"
                    )
                seen[value] = tier
        bases = [repr(tier.name) for tier in tiers if tier.threshold == 0]
        if len(bases) != 1:
            raise ValueError(
                f"a ladder needs exactly one base tier with threshold 0; found {', '.join(bases) or 'none'}"
            )
        for lower, higher in pairwise(tiers):
            if higher.threshold <= lower.threshold:
                raise ValueError(
                    f"thresholds must rise strictly with rank: {higher.name!r} (rank {higher.rank}) has "
                    f"{higher.threshold}, not above {lower.name!r} (rank {lower.rank}) at {lower.threshold}"
                )
        object.__setattr__(self, "tiers", tiers)

    @property
    def base(self) -> TierDefinition:
        """The base tier (lowest rank, threshold 0)."""
        return self.tiers[0]

    def tier(self, tier_id: int) -> TierDefinition:
        """The tier with ``tier_id``; ValueError if the ladder has none."""
        for tier in self.tiers:
            if tier.id == tier_id:
                return tier
        raise ValueError(f"tier {tier_id!r} is not in the ladder")

    def above(self, tier: TierDefinition) -> TierDefinition | None:
        """The tier ranked just above ``tier``, or None at the top."""
        return min((higher for higher in self.tiers if higher.rank > tier.rank), key=_rank, default=None)

    def reached_by(self, total: int) -> TierDefinition:
        """The highest tier whose threshold ``total`` reaches (the base tier at worst)."""
        return max((tier for tier in self.tiers if tier.threshold <= total), key=_rank, default=self.base)


def stored_tier(
    id: int,
    name: str | None,
    rank: int,
    threshold: int,
    earn_multiplier: object,
    perks: object,
    entry_reward_points: int,
) -> TierDefinition:
    """A ``TierDefinition`` from a stored row, whatever it holds: a blank name reads "Tier <id>", a
    negative number 0, a multiplier that is not a non-negative decimal 1, perks that are not names none."""
    try:
        multiplier = Decimal(str(earn_multiplier))
    except ArithmeticError:
        multiplier = Decimal(1)
    if not multiplier.is_finite() or multiplier < 0:
        multiplier = Decimal(1)
    kept_perks = frozenset(
        perk
        for perk in (perks if isinstance(perks, list | tuple | set | frozenset) else ())
        if isinstance(perk, str) and perk.strip()
    )
    return TierDefinition(
        id=id,
        name=(name or "").strip() or f"Tier {id}",
        rank=rank,
        threshold=max(threshold, 0),
        earn_multiplier=multiplier,
        perks=kept_perks,
        entry_reward_points=max(entry_reward_points, 0),
    )


def readable_ladder(tiers: Iterable[TierDefinition]) -> tuple[TierLadder, list[str]]:
    """A ladder from stored tiers that may break the rules ``TierLadder`` enforces (data written before a
    rule existed, or edited by hand), and what was done to make it one. Reads and earning must go on:

    * a name shared with a lower-ranked tier (case aside) gets the tier's rank added: "Gold (rank 2)";
    * a rank shared with another tier: the later tier (by id) is left out;
    * the lowest-ranked tier is the base tier, with threshold 0 whatever was stored;
    * a tier whose threshold does not rise above the one below it is left out (members holding it read
      as holding the tier below: nobody is shown a tier they did not earn).

    Raises ValueError only for no tiers at all."""
    problems: list[str] = []
    by_rank: dict[int, TierDefinition] = {}
    for tier in sorted(tiers, key=lambda tier: tier.id):
        if tier.rank in by_rank:
            problems.append(
                f"tier {tier.id} shares rank {tier.rank} with tier {by_rank[tier.rank].id}: left out"
            )
            continue
        by_rank[tier.rank] = tier
    ordered = [by_rank[rank] for rank in sorted(by_rank)]
    if not ordered:
        raise ValueError("a tier ladder needs at least one tier")
    kept: list[TierDefinition] = []
    names: set[str] = set()
    for tier in ordered:
        if not kept and tier.threshold != 0:
            problems.append(f"base tier {tier.name!r} had threshold {tier.threshold}: read as 0")
            tier = replace(tier, threshold=0)
        elif kept and tier.threshold <= kept[-1].threshold:
            problems.append(
                f"tier {tier.name!r} needs {tier.threshold}, not more than {kept[-1].name!r}: left out"
            )
            continue
        name = tier.name.strip()
        if name.casefold() in names:
            suffix = 0
            while name.casefold() in names:
                suffix += 1
                label = f" (rank {tier.rank})" if suffix == 1 else f" (rank {tier.rank}, {suffix})"
                name = tier.name.strip()[: 60 - len(label)] + label
            problems.append(f"tier {tier.id} shares its name {tier.name!r}: read as {name!r}")
            tier = replace(tier, name=name)
        names.add(name.casefold())
        kept.append(tier)
    return TierLadder(tuple(kept)), problems
