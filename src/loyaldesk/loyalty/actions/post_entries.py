"""The points ledger's one writer: ``post(uow, drafts)`` inserts entries, postings, lots and lot movements
and changes members' balances, for one draft or ten thousand, in a handful of bulk statements.

Every other ledger operation (``move_points``: earn, spend, unlock, expire, return, reverse; the fast lane
of ``earn_in_bulk``; the expiry job) only *prepares* ``EntryDraft``s: what an entry moves, which lot it
creates, which lots it takes points from. ``post`` guarantees, for every draft, in order:

* its postings sum to zero (else ``AssertionError``: a bug, never the caller's input);
* a member's available balance goes below zero only when the draft says it may (``may_overdraw``), else
  ``InsufficientPoints`` is raised before anything is written;
* the member's cached balances change by exactly the member postings of the entry; lifetime counters and
  last activity change as the draft says;
* points arriving on a negative available balance pay the debt first (the new or unlocked lot starts
  partly consumed, a ``debt`` movement), so available lots always add up to the available balance;
* one ``PointsChanged`` event per entry, carrying the balances right after it;
* the idempotency key is unique per store: unless the caller checked the keys itself under the member's
  lock (``keys_checked``), a key taken concurrently raises ``Conflict`` and nothing of the batch is kept.

Callers lock the members first (``lock_member``), and pass loaded ``Member`` objects and the lots as
``PointLot`` objects or ``LotRow``s (``available_lot_rows``); they are updated to say what the rows now
say. The members' and lots' rows are changed by one Core UPDATE per table, not by the ORM's flush: the
loaded objects get the new values as already written, and a rollback of the transaction (or savepoint)
expires them as it would after a flush.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import InstanceState, Session
from sqlalchemy.orm.attributes import instance_state, set_committed_value
from sqlalchemy.orm.util import identity_key

from loyaldesk.kernel.bulk import bulk_insert
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Conflict, Invalid, NotFound
from loyaldesk.kernel.ids import reserve_ids
from loyaldesk.loyalty.actions.lot_rows import LotRow
from loyaldesk.loyalty.events import PointsChanged
from loyaldesk.loyalty.models import LedgerEntry, LedgerPosting, LotMovement, Member, PointLot
from loyaldesk.loyalty.rules.expiry import ExpiryPolicy
from loyaldesk.loyalty.rules.ledger import Account, NegativeBalancePolicy, Posting, balanced, debt_settled_by

SYSTEM_LABEL = "loyaldesk"


class InsufficientPoints(Conflict):
    """The member does not have the points this needs (HTTP 409)."""

    code = "insufficient_points"


@dataclass(frozen=True)
class LedgerTerms:
    """The program settings the ledger needs: expiry and what happens to negative balances."""

    expiry_policy: ExpiryPolicy
    expiry_amount: int
    negative_balance_policy: NegativeBalancePolicy
    timezone: str


@dataclass(frozen=True)
class LotDraft:
    """A lot the entry creates. ``unlock_description``: the lot is pending but already due, so it is
    unlocked at once by a second entry (key ``lot:{id}:unlock``) with this history line."""

    source: str
    points: int
    pending: bool
    earned_at: datetime
    expires_at: datetime | None
    pending_until: datetime | None = None
    order_id: int | None = None
    line_points: dict[str, int] = field(default_factory=dict)
    unlock_description: str | None = None


@dataclass(frozen=True)
class LotTake:
    """Points the entry takes out of an existing lot; an emptied lot takes ``emptied_status``."""

    lot: PointLot | LotRow
    points: int
    kind: str
    emptied_status: str


@dataclass(frozen=True)
class EntryDraft:
    """One ledger entry as its operation prepared it (see the module's contract)."""

    member: Member
    kind: str
    key: str
    fingerprint: str
    postings: Sequence[Posting]
    description: str
    may_overdraw: bool = False
    reason_code: str | None = None
    order_id: int | None = None
    reward_code_id: int | None = None
    actor_label: str = SYSTEM_LABEL
    details: dict[str, Any] = field(default_factory=dict)
    new_lot: LotDraft | None = None
    unlocks: PointLot | LotRow | None = None  # a pending lot this entry makes available
    takes: Sequence[LotTake] = ()
    lifetime_earned: int = 0
    lifetime_redeemed: int = 0
    active_at: datetime | None = None  # moves the member's last activity forward to this time


@dataclass(frozen=True)
class EntryResult:
    """What an operation did: its entry, and whether this call created it (False: a replay)."""

    entry: LedgerEntry
    created: bool


def request_hash(**facts: Any) -> str:
    """A fingerprint of what an entry is meant to do, to refuse a reused key with other facts."""
    return hashlib.sha256(json.dumps(facts, sort_keys=True, default=str).encode()).hexdigest()


def lock_member(uow: UnitOfWork, member_id: int) -> Member:
    """The member's row, locked for this transaction (``FOR UPDATE`` on PostgreSQL; SQLite writers are
    serialised by ``BEGIN IMMEDIATE``) and freshly read; ``NotFound`` if there is none."""
    query = select(Member).where(Member.id == member_id).execution_options(populate_existing=True)
    if uow.is_postgresql:
        query = query.with_for_update()
    member = uow.session.scalar(query)
    if member is None:
        raise NotFound(f"no member {member_id}")
    return member


def find_entry(uow: UnitOfWork, store_id: int, key: str) -> LedgerEntry | None:
    return uow.session.scalar(
        select(LedgerEntry).where(LedgerEntry.store_id == store_id, LedgerEntry.idempotency_key == key)
    )


def replay(uow: UnitOfWork, store_id: int, key: str, fingerprint: str) -> EntryResult | None:
    """The first outcome of ``key`` (``created`` False), None if the key is new; ``Conflict`` if the key
    was used for a different change, ``Invalid`` if it is empty or too long."""
    if not key or len(key) > 200:
        raise Invalid.field("idempotency_key", "give a key of 1-200 characters")
    existing = find_entry(uow, store_id, key)
    if existing is None:
        return None
    if existing.request_hash != fingerprint:
        raise Conflict(f"the idempotency key {key!r} was already used for a different change")
    return EntryResult(existing, created=False)


def _member_delta(postings: Sequence[Posting]) -> tuple[int, int]:
    available = sum(p.amount for p in postings if p.member and p.account == Account.AVAILABLE)
    pending = sum(p.amount for p in postings if p.member and p.account == Account.PENDING)
    return available, pending


def _check(drafts: Sequence[EntryDraft]) -> None:
    """Refuse the batch before anything is written: unbalanced entries, overdrafts."""
    running: dict[int, int] = {}
    for draft in drafts:
        if not balanced(draft.postings):
            raise AssertionError(f"unbalanced entry {draft.kind}: {list(draft.postings)}")
        member = draft.member
        before = running.get(member.id, member.available_points)
        delta, _ = _member_delta(draft.postings)
        running[member.id] = before + delta
        if before + delta < 0 and delta < 0 and not draft.may_overdraw:
            raise InsufficientPoints(f"only {before} points are available")


def _is_integrity_error(error: BaseException) -> bool:
    return any(kind.__name__ == "IntegrityError" for kind in type(error).__mro__)


class _Rows:
    """The rows of one ``post`` call, per table, in insertion order."""

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []
        self.postings: list[dict[str, Any]] = []
        self.lots: list[dict[str, Any]] = []
        self.movements: list[dict[str, Any]] = []
        self.changed_members: dict[int, Member] = {}
        self.changed_lots: dict[int, PointLot | LotRow] = {}

    def entry(
        self,
        entry_id: int,
        draft: EntryDraft,
        *,
        kind: str,
        key: str,
        fingerprint: str,
        points: int,
        description: str,
        now: datetime,
    ) -> None:
        member = draft.member
        self.entries.append(
            {
                "id": entry_id,
                "store_id": member.store_id,
                "member_id": member.id,
                "kind": kind,
                "idempotency_key": key,
                "request_hash": fingerprint,
                "points": points,
                "description": description[:300],
                "reason_code": draft.reason_code if kind == draft.kind else None,
                "order_id": draft.order_id,
                "reward_code_id": draft.reward_code_id if kind == draft.kind else None,
                "actor_label": (draft.actor_label if kind == draft.kind else SYSTEM_LABEL)[:320],
                "details": (draft.details if kind == draft.kind else {}) or {},
                "created_at": now,
            }
        )

    def posting(self, entry_id: int, member: Member, posting: Posting) -> None:
        self.postings.append(
            {
                "entry_id": entry_id,
                "store_id": member.store_id,
                "member_id": member.id if posting.member else None,
                "account": posting.account.value,
                "amount": posting.amount,
            }
        )


def _announce(uow: UnitOfWork, member: Member, entry_id: int, kind: str, points: int, text: str) -> None:
    uow.emit(
        PointsChanged(
            store_id=member.store_id,
            customer_id=member.customer_id,
            member_id=member.id,
            entry_id=entry_id,
            kind=kind,
            points=points,
            available=member.available_points,
            pending=member.pending_points,
            description=text[:300],
        )
    )


def _apply(uow: UnitOfWork, rows: _Rows, entry_id: int, draft: EntryDraft, now: datetime) -> None:
    """Add one entry's rows to ``rows`` and change the loaded member and lots as the rows will say."""
    member = draft.member
    available, pending = _member_delta(draft.postings)
    rows.entry(
        entry_id,
        draft,
        kind=draft.kind,
        key=draft.key,
        fingerprint=draft.fingerprint,
        points=available + pending,
        description=draft.description,
        now=now,
    )
    for posting in draft.postings:
        rows.posting(entry_id, member, posting)
    available_before = member.available_points
    rows.changed_members[member.id] = member
    _set(member, "available_points", member.available_points + available)
    _set(member, "pending_points", member.pending_points + pending)
    for take in draft.takes:
        lot = take.lot
        rows.changed_lots[lot.id] = lot
        _set(lot, "remaining", lot.remaining - take.points)
        if lot.remaining == 0:
            _set(lot, "status", take.emptied_status)
        rows.movements.append(
            {"lot_id": lot.id, "entry_id": entry_id, "points": -take.points, "kind": take.kind}
        )
    if draft.unlocks is not None:
        lot = draft.unlocks
        rows.changed_lots[lot.id] = lot
        _set(lot, "status", "available" if lot.remaining > 0 else "spent")
        _set(lot, "pending_until", None)
        paid = debt_settled_by(available_before, lot.remaining)
        if paid:
            _set(lot, "remaining", lot.remaining - paid)
            _set(lot, "status", "spent" if lot.remaining == 0 else lot.status)
            rows.movements.append({"lot_id": lot.id, "entry_id": entry_id, "points": -paid, "kind": "debt"})
    if draft.lifetime_earned:
        _set(member, "lifetime_earned_points", member.lifetime_earned_points + draft.lifetime_earned)
    if draft.lifetime_redeemed:
        _set(member, "lifetime_redeemed_points", member.lifetime_redeemed_points + draft.lifetime_redeemed)
    if draft.active_at is not None:
        _set(member, "last_activity_at", max(member.last_activity_at or draft.active_at, draft.active_at))
    _announce(uow, member, entry_id, draft.kind, available + pending, draft.description)


def _new_lot(
    uow: UnitOfWork,
    rows: _Rows,
    ids: Any,
    lot_id: int,
    entry_id: int,
    draft: EntryDraft,
    now: datetime,
    available_before: int,
) -> None:
    """The draft's new lot, unlocked at once when due, paying the member's debt first if it is available."""
    spec, member = draft.new_lot, draft.member
    assert spec is not None
    earn_entry_id = entry_id
    remaining, status = spec.points, "pending" if spec.pending else "available"
    pending_until = spec.pending_until if spec.pending else None
    movements: list[dict[str, Any]] = []
    if spec.pending and spec.unlock_description is not None:
        unlock_id = next(ids)
        rows.entry(
            unlock_id,
            draft,
            kind="unlock",
            key=f"lot:{lot_id}:unlock",
            fingerprint=request_hash(kind="unlock", lot=lot_id),
            points=0,
            description=spec.unlock_description,
            now=now,
        )
        rows.posting(unlock_id, member, Posting(Account.PENDING, -spec.points, member=True))
        rows.posting(unlock_id, member, Posting(Account.AVAILABLE, spec.points, member=True))
        available_before = member.available_points
        _set(member, "pending_points", member.pending_points - spec.points)
        _set(member, "available_points", member.available_points + spec.points)
        status, pending_until, entry_id = "available", None, unlock_id
        _announce(uow, member, unlock_id, "unlock", 0, spec.unlock_description)
    if status == "available":
        paid = debt_settled_by(available_before, remaining)
        if paid:
            remaining -= paid
            status = "spent" if remaining == 0 else status
            movements.append({"lot_id": lot_id, "entry_id": entry_id, "points": -paid, "kind": "debt"})
    rows.lots.append(
        {
            "id": lot_id,
            "store_id": member.store_id,
            "member_id": member.id,
            "entry_id": earn_entry_id,
            "order_id": spec.order_id,
            "source": spec.source,
            "points": spec.points,
            "remaining": remaining,
            "status": status,
            "earned_at": spec.earned_at,
            "pending_until": pending_until,
            "expires_at": spec.expires_at,
            "line_points": spec.line_points,
        }
    )
    rows.movements += movements


def _insert(uow: UnitOfWork, rows: _Rows, *, guarded: bool) -> None:
    """One insert per table. ``guarded``: inside a savepoint, a key taken concurrently is a ``Conflict``."""
    if guarded:
        savepoint = uow.session.begin_nested()
        try:
            bulk_insert(uow, LedgerEntry.__table__, rows.entries)
        except Exception as error:
            if not _is_integrity_error(error):
                raise
            savepoint.rollback()
            keys = ", ".join(repr(row["idempotency_key"]) for row in rows.entries)
            raise Conflict(f"the idempotency key {keys} was used by a concurrent change; retry") from None
        savepoint.commit()
    else:
        bulk_insert(uow, LedgerEntry.__table__, rows.entries)
    bulk_insert(uow, LedgerPosting.__table__, rows.postings)
    bulk_insert(uow, PointLot.__table__, rows.lots)
    bulk_insert(uow, LotMovement.__table__, rows.movements)


def post(uow: UnitOfWork, drafts: Sequence[EntryDraft], *, keys_checked: bool = False) -> list[int]:
    """Write every draft, in order (see the module's contract); returns their entry ids, in order (an
    immediate unlock of a new lot adds an entry whose id is not returned)."""
    if not drafts:
        return []
    _check(drafts)
    now = uow.now()
    uow.session.flush()  # the ORM's pending rows first: the ids reserved below must follow theirs
    extra = sum(
        1 for d in drafts if d.new_lot is not None and d.new_lot.pending and d.new_lot.unlock_description
    )
    ids = iter(reserve_ids(uow, LedgerEntry.__table__, len(drafts) + extra))
    lot_ids = iter(reserve_ids(uow, PointLot.__table__, sum(1 for d in drafts if d.new_lot is not None)))
    rows = _Rows()
    entry_ids: list[int] = []
    for draft in drafts:
        entry_id = next(ids)
        entry_ids.append(entry_id)
        available_before = draft.member.available_points
        _apply(uow, rows, entry_id, draft, now)
        if draft.new_lot is not None:
            _new_lot(uow, rows, ids, next(lot_ids), entry_id, draft, now, available_before)
    try:
        _insert(uow, rows, guarded=not keys_checked)
        _update_members_and_lots(uow.session, rows)
    except BaseException:
        _expire(uow.session, rows)  # the objects say what was not written
        raise
    return entry_ids


def _set(target: Member | PointLot | LotRow, attribute: str, value: Any) -> None:
    """Change a loaded object's attribute as already written (``_update_members_and_lots`` writes it):
    the ORM's flush has nothing to write for it."""
    if isinstance(target, LotRow):
        setattr(target, attribute, value)
    else:
        set_committed_value(target, attribute, value)


_MEMBER_COLUMNS = (
    "available_points",
    "pending_points",
    "lifetime_earned_points",
    "lifetime_redeemed_points",
    "last_activity_at",
)
_LOT_COLUMNS = ("remaining", "status", "pending_until")


def _update_members_and_lots(session: Session, rows: _Rows) -> None:
    """Write the changed members' and lots' columns (one executemany UPDATE per table), and tell the
    session these objects changed in its transaction, as a flush does, so that a rollback expires them;
    a ``PointLot`` object of a lot changed through its ``LotRow`` gets the new values too."""
    altered: list[InstanceState[Any]] = [instance_state(m) for m in rows.changed_members.values()]
    if rows.changed_members:
        _update(session, Member.__table__, _MEMBER_COLUMNS, rows.changed_members.values())  # type: ignore[arg-type]
    if rows.changed_lots:
        _update(session, PointLot.__table__, _LOT_COLUMNS, rows.changed_lots.values())  # type: ignore[arg-type]
        for lot in rows.changed_lots.values():
            loaded = lot if not isinstance(lot, LotRow) else _loaded_lot(session, lot.id)
            if loaded is None:
                continue
            if loaded is not lot:
                for column in _LOT_COLUMNS:
                    set_committed_value(loaded, column, getattr(lot, column))
            altered.append(instance_state(loaded))
    session._register_altered(altered)  # what Session.flush does after writing them


def _update(session: Session, table: Table, columns: tuple[str, ...], objects: Any) -> None:
    statement = (
        update(table)
        .where(table.c.id == bindparam("row_id"))
        .values({column: bindparam(f"new_{column}") for column in columns})
    )
    session.execute(
        statement,
        [
            {"row_id": obj.id, **{f"new_{column}": getattr(obj, column) for column in columns}}
            for obj in objects
        ],
    )


def _loaded_lot(session: Session, lot_id: int) -> PointLot | None:
    loaded = session.identity_map.get(identity_key(PointLot, lot_id))
    return loaded if isinstance(loaded, PointLot) else None


def _expire(session: Session, rows: _Rows) -> None:
    for obj in (*rows.changed_members.values(), *rows.changed_lots.values()):
        if not isinstance(obj, LotRow):
            session.expire(obj)
