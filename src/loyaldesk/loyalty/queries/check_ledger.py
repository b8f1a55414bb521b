"""``loyaldesk check-ledger``: verify every invariant of the points ledger, with SQL aggregates.

1. Every entry has postings and they sum to zero.
2. Each member's cached balances equal the sums of the postings to their accounts.
3. No available balance is negative unless the store's program allows negative balances.
4. Each idempotency key has one entry (one outcome).
5. Each lot's remaining points equal its points plus its movements, and stay within [0, points];
   spent, expired and reversed lots are empty.
6. A member's available lots add up to their available balance (or to nothing when it is negative), and
   their pending lots to their pending balance.
7. Every issued or used reward code has its redeem entry; every cancelled one its return entry.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Violation:
    invariant: str
    detail: str


def _rows(session: Session, sql: str, store_id: int | None) -> list[tuple]:  # type: ignore[type-arg]
    return [tuple(row) for row in session.execute(text(sql), {"store_id": store_id})]


STORE = "(CAST(:store_id AS BIGINT) IS NULL OR {column} = CAST(:store_id AS BIGINT))"


def check_ledger(session: Session, store_id: int | None = None) -> list[Violation]:
    """Every broken invariant, or an empty list. ``store_id`` limits the check to one store."""
    found: list[Violation] = []

    for entry_id, total in _rows(
        session,
        f"""
        SELECT e.id, COALESCE(SUM(p.amount), 0) FROM loyalty_entries e
        LEFT JOIN loyalty_postings p ON p.entry_id = e.id
        WHERE {STORE.format(column="e.store_id")}
        GROUP BY e.id HAVING COALESCE(SUM(p.amount), 0) != 0 OR COUNT(p.id) = 0""",
        store_id,
    ):
        found.append(
            Violation("entries balance", f"entry {entry_id} postings sum to {total}, or it has none")
        )

    for member_id, cached_available, cached_pending, posted_available, posted_pending in _rows(
        session,
        f"""
        SELECT m.id, m.available_points, m.pending_points,
               COALESCE(SUM(CASE WHEN p.account = 'available' THEN p.amount END), 0),
               COALESCE(SUM(CASE WHEN p.account = 'pending' THEN p.amount END), 0)
        FROM loyalty_members m LEFT JOIN loyalty_postings p ON p.member_id = m.id
        WHERE {STORE.format(column="m.store_id")}
        GROUP BY m.id, m.available_points, m.pending_points
        HAVING m.available_points != COALESCE(SUM(CASE WHEN p.account = 'available' THEN p.amount END), 0)
            OR m.pending_points != COALESCE(SUM(CASE WHEN p.account = 'pending' THEN p.amount END), 0)""",
        store_id,
    ):
        found.append(
            Violation(
                "balances equal postings",
                f"member {member_id}: cached {cached_available} available / {cached_pending} pending, "
                f"postings {posted_available} / {posted_pending}",
            )
        )

    for member_id, available in _rows(
        session,
        f"""
        SELECT m.id, m.available_points FROM loyalty_members m
        JOIN loyalty_programs g ON g.store_id = m.store_id
        WHERE {STORE.format(column="m.store_id")} AND m.available_points < 0
          AND g.negative_balance_policy != 'allow_negative'""",
        store_id,
    ):
        found.append(Violation("no negative balance", f"member {member_id} has {available} available points"))

    for key, count in _rows(
        session,
        f"""
        SELECT idempotency_key, COUNT(*) FROM loyalty_entries WHERE {STORE.format(column="store_id")}
        GROUP BY store_id, idempotency_key HAVING COUNT(*) > 1""",
        store_id,
    ):
        found.append(Violation("one outcome per idempotency key", f"key {key!r} has {count} entries"))

    for lot_id, points, remaining, moved, status in _rows(
        session,
        f"""
        SELECT l.id, l.points, l.remaining, COALESCE(SUM(mv.points), 0), l.status FROM loyalty_lots l
        LEFT JOIN loyalty_lot_movements mv ON mv.lot_id = l.id
        WHERE {STORE.format(column="l.store_id")}
        GROUP BY l.id, l.points, l.remaining, l.status
        HAVING l.remaining != l.points + COALESCE(SUM(mv.points), 0)
            OR l.remaining < 0 OR l.remaining > l.points
            OR (l.status IN ('spent', 'expired', 'reversed') AND l.remaining != 0)""",
        store_id,
    ):
        found.append(
            Violation(
                "lots add up",
                f"lot {lot_id} ({status}): {points} points, {moved} moved, {remaining} remaining",
            )
        )

    for member_id, available, pending, in_available_lots, in_pending_lots in _rows(
        session,
        f"""
        SELECT m.id, m.available_points, m.pending_points,
               COALESCE(SUM(CASE WHEN l.status = 'available' THEN l.remaining END), 0),
               COALESCE(SUM(CASE WHEN l.status = 'pending' THEN l.remaining END), 0)
        FROM loyalty_members m LEFT JOIN loyalty_lots l ON l.member_id = m.id
        WHERE {STORE.format(column="m.store_id")}
        GROUP BY m.id, m.available_points, m.pending_points
        HAVING COALESCE(SUM(CASE WHEN l.status = 'available' THEN l.remaining END), 0)
                   != CASE WHEN m.available_points > 0 THEN m.available_points ELSE 0 END
            OR COALESCE(SUM(CASE WHEN l.status = 'pending' THEN l.remaining END), 0) != m.pending_points""",
        store_id,
    ):
        found.append(
            Violation(
                "lots match balances",
                f"member {member_id}: {available} available / {pending} pending, lots hold "
                f"{in_available_lots} / {in_pending_lots}",
            )
        )

    for code_id, status in _rows(
        session,
        f"""
        SELECT c.id, c.status FROM loyalty_reward_codes c
        LEFT JOIN loyalty_entries r ON r.id = c.redeem_entry_id
        LEFT JOIN loyalty_entries b ON b.id = c.return_entry_id
        WHERE {STORE.format(column="c.store_id")}
          AND (r.id IS NULL OR (c.status = 'cancelled' AND b.id IS NULL))""",
        store_id,
    ):
        found.append(
            Violation("reward codes are paid for", f"reward code {code_id} ({status}) lacks its entry")
        )
    return found
