"""Idempotency keys with Stripe's semantics, for every write of the REST API: exactly once, also across a
crash.

A client sends ``Idempotency-Key: <key>`` with a write. The first request with a key runs and its
response is kept for ``idempotency_key_ttl_hours``. Then, for the same credential and key:

* same method, path and body, first one finished: the stored response is returned again, and nothing
  runs twice;
* a different method, path or body: 422, the key is already used for another request;
* the first one is still running: 409, try again shortly.

Responses that say the request never started (401, 403, 409, 422, 429, 5xx) are not kept, so the key can
be used again once the request is fixed.

Exactly once: the request runs in one shared transaction (``Database.shared_transaction``) that its
writes join, and the response is stored in that same transaction (``finish``), so the effect and the
stored response commit together or not at all; nothing is acknowledged before that commit. The claim on
a key is not a row that outlives its owner but something the database or this process drops by itself
when the owner goes away:

* in this process, a set of keys in flight (``hold``/``let_go``): a second request with a key still
  running here gets 409 at once;
* on PostgreSQL, a transaction-level advisory lock on the key, taken in the request's transaction
  (``begin``): another process's request with the key gets 409; when a process dies, PostgreSQL ends its
  transaction and the lock goes with it, so a retry after a crash runs at once (no lock to wait out);
* on SQLite, the request's transaction is a writer (``BEGIN IMMEDIATE``): another process's request with
  the key waits for it to commit and then gets the stored response; a dead process's lock on the file is
  dropped by the operating system.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Integer, LargeBinary, String, UniqueConstraint, delete, select, text
from sqlalchemy.orm import Mapped, mapped_column

from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.orm import Base, IdType, UTCDateTime

NOT_KEPT_STATUSES = frozenset({401, 403, 409, 422, 429})


class IdempotencyRecord(Base):
    """A finished request's response, by credential (``scope``) and key. Rows only ever hold finished
    requests (``state`` "done"); one left "running" by an older version is an abandoned claim."""

    __tablename__ = "idempotency_keys"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_content_type: Mapped[str | None] = mapped_column(String(128))
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("scope", "key"),)


@dataclass(frozen=True)
class Proceed:
    """Run the request in this transaction, then ``finish`` it there."""


@dataclass(frozen=True)
class Replay:
    status: int
    content_type: str
    body: bytes


@dataclass(frozen=True)
class KeyReused:
    """The key was used for a different request (422)."""


@dataclass(frozen=True)
class StillRunning:
    """The first request with this key has not finished (409)."""


Decision = Proceed | Replay | KeyReused | StillRunning


def fingerprint(method: str, path: str, query: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), query.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def scope_for_credential(credential: str) -> str:
    """Keys are scoped by the exact credential: only its holder can see a stored response."""
    return hashlib.sha256(credential.encode()).hexdigest()


# -- keys in flight in this process -------------------------------------------------------------------
_in_flight: set[tuple[str, str]] = set()
_in_flight_lock = threading.Lock()


def hold(scope: str, key: str) -> bool:
    """Mark ``key`` as running in this process; False when it already is (answer 409)."""
    with _in_flight_lock:
        if (scope, key) in _in_flight:
            return False
        _in_flight.add((scope, key))
        return True


def let_go(scope: str, key: str) -> None:
    with _in_flight_lock:
        _in_flight.discard((scope, key))


# -- in the request's transaction ---------------------------------------------------------------------
def lock_number(scope: str, key: str) -> int:
    """The advisory lock of a key: 63 bits of its hash (a signed bigint for PostgreSQL)."""
    digest = hashlib.sha256(f"{scope}\0{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def begin(uow: UnitOfWork, scope: str, key: str, request_fingerprint: str) -> Decision:
    """Claim ``key`` in the request's transaction ``uow``, or say what to answer instead (see the module
    docstring). Must be the transaction's first statement: on SQLite it makes it the writer."""
    if uow.is_postgresql:
        taken = uow.session.execute(
            text("SELECT pg_try_advisory_xact_lock(:lock)"), {"lock": lock_number(scope, key)}
        ).scalar_one()
        if not taken:
            return StillRunning()
    record = uow.session.scalars(
        select(IdempotencyRecord).where(IdempotencyRecord.scope == scope, IdempotencyRecord.key == key)
    ).one_or_none()
    if record is None:
        return Proceed()
    if record.fingerprint != request_fingerprint:
        return KeyReused()
    if record.state == "done":
        return Replay(
            status=record.response_status or 200,
            content_type=record.response_content_type or "application/json",
            body=record.response_body or b"",
        )
    # A claim left "running" by an earlier version whose process died: nothing of it committed.
    uow.session.delete(record)
    uow.session.flush()
    return Proceed()


def kept(status: int) -> bool:
    """Whether a response with ``status`` is remembered (and the request's writes committed)."""
    return status not in NOT_KEPT_STATUSES and status < 500


def finish(
    uow: UnitOfWork,
    scope: str,
    key: str,
    request_fingerprint: str,
    status: int,
    content_type: str,
    body: bytes,
) -> None:
    """Keep the response of a finished request, in the transaction of its effect."""
    uow.session.add(
        IdempotencyRecord(
            scope=scope,
            key=key,
            fingerprint=request_fingerprint,
            state="done",
            response_status=status,
            response_content_type=content_type,
            response_body=body,
            created_at=uow.now(),
        )
    )
    uow.session.flush()


def purge_expired(uow: UnitOfWork, ttl: timedelta) -> int:
    """Forget keys older than ``ttl``. Returns how many were removed."""
    result = uow.session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.created_at < uow.now() - ttl)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
