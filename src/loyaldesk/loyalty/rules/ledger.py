"""The ledger's arithmetic: accounts, which lots a spend consumes, how a refund is reversed. Pure.

Double entry: every ledger entry moves points between accounts and its postings sum to zero. A member
holds two accounts (``available``, ``pending``); the store holds the others:

* ``issued``: where earned points come from (negative: points issued, net of reversals);
* ``redeemed``: points spent on rewards; ``expired``: points that ran out (breakage);
* ``adjustment``: manual corrections by staff; ``written_off``: clawbacks that could not be recovered
  because the member had already spent the points and the program does not allow negative balances.

A member's balance is the sum of the postings to their accounts. Earned points live in *lots*: a lot
remembers how many points it brought, how many are left, when it unlocks and when it expires, so that
spending takes the oldest points first and expiry is per lot.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class Account(StrEnum):
    AVAILABLE = "available"
    PENDING = "pending"
    ISSUED = "issued"
    REDEEMED = "redeemed"
    EXPIRED = "expired"
    ADJUSTMENT = "adjustment"
    WRITTEN_OFF = "written_off"


MEMBER_ACCOUNTS = frozenset({Account.AVAILABLE, Account.PENDING})

# Points given by hand for these reasons are a gift the member earned from the store (a goodwill gesture,
# a service recovery), so they count in what a member has "earned" wherever it is shown, as the points
# earned by the rules do; corrections, carried-over points and the like only put a balance right.
EARNED_ADJUSTMENT_REASONS = frozenset({"goodwill", "service_recovery"})


class NegativeBalancePolicy(StrEnum):
    """What a clawback does when the member already spent the points it takes back."""

    ALLOW_NEGATIVE = "allow_negative"  # the balance goes below zero; future points pay it back first
    FLOOR_AT_ZERO = "floor_at_zero"  # take what is there; the rest is written off


@dataclass(frozen=True)
class Posting:
    account: Account
    amount: int  # positive: into the account; negative: out of it
    member: bool  # a member's account (True) or the store's (False)


def balanced(postings: Sequence[Posting]) -> bool:
    return sum(posting.amount for posting in postings) == 0


@dataclass(frozen=True)
class LotBalance:
    """A lot as spending sees it: its id (ascending = older) and the points left in it."""

    lot_id: int
    remaining: int


def take_oldest_first(lots: Sequence[LotBalance], points: int) -> tuple[list[tuple[int, int]], int]:
    """Which lots ``points`` come out of, oldest first: ``([(lot_id, taken), ...], shortfall)``.

    ``lots`` must be ordered oldest first. The shortfall is what the lots could not cover.
    """
    if points < 0:
        raise ValueError("points to take must not be negative")
    takes: list[tuple[int, int]] = []
    left = points
    for lot in lots:
        if left == 0:
            break
        take = min(lot.remaining, left)
        if take > 0:
            takes.append((lot.lot_id, take))
            left -= take
    return takes, left


def reversal_for_lines(
    line_points: dict[int, int],
    line_quantities: dict[int, int],
    refunded_before: dict[int, int],
    refunded_now: dict[int, int],
) -> int:
    """Points to take back for units refunded now, pro rata per line, exactly.

    A line that earned P points for Q units gives back ``floor(P * r / Q)`` after r units in all were
    refunded; each refund takes the difference from the previous refunds, so refunding every unit, in any
    number of refunds, takes back exactly P.
    """
    total = 0
    for line_id, now in refunded_now.items():
        points = line_points.get(line_id, 0)
        quantity = line_quantities.get(line_id, 0)
        if points <= 0 or quantity <= 0 or now <= 0:
            continue
        before = min(refunded_before.get(line_id, 0), quantity)
        after = min(before + now, quantity)
        total += points * after // quantity - points * before // quantity
    return total


@dataclass(frozen=True)
class Clawback:
    """How points to take back are found: from the order's own lot first, then from the balance."""

    from_lot: int  # still in the order's lot (pending or available): simply reversed
    from_balance: int  # already spent: taken from the member's available balance
    written_off: int  # could not be taken (balance floored at zero): the store absorbs it


def plan_clawback(
    points: int, lot_remaining: int, available_balance: int, policy: NegativeBalancePolicy
) -> Clawback:
    """Split a reversal of ``points`` over the order's lot, the member's balance, and a write-off."""
    if points < 0:
        raise ValueError("points to take back must not be negative")
    from_lot = min(points, max(lot_remaining, 0))
    rest = points - from_lot
    if policy == NegativeBalancePolicy.ALLOW_NEGATIVE:
        return Clawback(from_lot, rest, 0)
    from_balance = min(rest, max(available_balance, 0))
    return Clawback(from_lot, from_balance, rest - from_balance)


def debt_settled_by(available_before: int, points_added: int) -> int:
    """When points arrive on a negative balance, how many of them pay the debt (and so are consumed)."""
    if available_before >= 0 or points_added <= 0:
        return 0
    return min(-available_before, points_added)
