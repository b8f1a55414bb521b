"""Idempotency keys with Stripe's semantics, for every write of the REST API.

A client sends ``Idempotency-Key: <key>`` with a write. The first request with a key runs and its
response is kept for ``idempotency_key_ttl_hours``. Then, for the same credential and key:

* same method, path and body, first one finished: the stored response is returned again, and nothing
  runs twice;
* a different method, path or body: 422, the key is already used for another request;
* the first one is still running: 409, try again shortly.

Responses that say the request never started (401, 403, 409, 422, 429, 5xx) are not kept, so the key can
be used again once the request is fixed. A "running" mark older than ``RUNNING_LOCK_SECONDS`` (its
process died) is taken over by the next request.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Integer, LargeBinary, String, UniqueConstraint, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.orm import Base, IdType, UTCDateTime

RUNNING_LOCK_SECONDS = 60
NOT_KEPT_STATUSES = frozenset({401, 403, 409, 422, 429})


class IdempotencyRecord(Base):
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
    locked_until: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("scope", "key"),)


@dataclass(frozen=True)
class Proceed:
    """Run the request, then ``finish`` or ``release`` the key."""


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


def begin(uow: UnitOfWork, scope: str, key: str, request_fingerprint: str) -> Decision:
    """Claim ``key`` for a request, or say what to answer instead (see module docstring)."""
    now = uow.now()
    lock_until = now + timedelta(seconds=RUNNING_LOCK_SECONDS)
    savepoint = uow.session.begin_nested()
    try:
        uow.session.add(
            IdempotencyRecord(
                scope=scope,
                key=key,
                fingerprint=request_fingerprint,
                state="running",
                created_at=now,
                locked_until=lock_until,
            )
        )
        savepoint.commit()
        return Proceed()
    except IntegrityError:
        savepoint.rollback()
    query = select(IdempotencyRecord).where(IdempotencyRecord.scope == scope, IdempotencyRecord.key == key)
    if uow.is_postgresql:
        query = query.with_for_update()
    record = uow.session.scalars(query).one()
    if record.fingerprint != request_fingerprint:
        return KeyReused()
    if record.state == "done":
        return Replay(
            status=record.response_status or 200,
            content_type=record.response_content_type or "application/json",
            body=record.response_body or b"",
        )
    if record.locked_until > now:
        return StillRunning()
    record.locked_until = lock_until
    return Proceed()


def finish(uow: UnitOfWork, scope: str, key: str, status: int, content_type: str, body: bytes) -> None:
    """Keep the response of a finished request, or release the key when the request never started."""
    if status in NOT_KEPT_STATUSES or status >= 500:
        release(uow, scope, key)
        return
    uow.session.execute(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.scope == scope, IdempotencyRecord.key == key)
        .values(state="done", response_status=status, response_content_type=content_type, response_body=body)
    )


def release(uow: UnitOfWork, scope: str, key: str) -> None:
    uow.session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.scope == scope, IdempotencyRecord.key == key)
    )


def purge_expired(uow: UnitOfWork, ttl: timedelta) -> int:
    """Forget keys older than ``ttl``. Returns how many were removed."""
    result = uow.session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.created_at < uow.now() - ttl)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
