"""Console sessions and passwords: logging in and out, revoking sessions, changing a password."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update

from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import NotFound, PermissionDenied
from loyaldesk.stores import credentials
from loyaldesk.stores.access import announce_access_change
from loyaldesk.stores.actions.stores import record_audit
from loyaldesk.stores.models import (
    PasswordReset,
    StaffAccount,
    StaffSession,
)


@dataclass(frozen=True)
class NewSession:
    """A console session just opened: its token and CSRF token (shown once) and whose it is."""

    token: str
    csrf_token: str
    staff_id: int


def start_staff_session(
    uow: UnitOfWork,
    staff_id: int,
    *,
    ip: str | None,
    user_agent: str | None,
    max_age: timedelta,
    rehashed_password: tuple[str, str] | None = None,
) -> NewSession:
    """Open a console session for a staff member whose password was already verified.

    ``rehashed_password`` is ``(verified_hash, new_hash)`` when the verified hash was made with older
    hashing parameters: the new hash replaces it only if it is still the stored one (a password changed
    meanwhile wins)."""
    account = uow.session.get(StaffAccount, staff_id)
    if account is None or account.disabled_at is not None:
        raise NotFound("no such staff account")
    rehashed = False
    if rehashed_password is not None:
        verified_hash, new_hash = rehashed_password
        result = uow.session.execute(
            update(StaffAccount)
            .where(StaffAccount.id == staff_id, StaffAccount.password_hash == verified_hash)
            .values(password_hash=new_hash)
        )
        rehashed = result.rowcount == 1  # type: ignore[attr-defined]
    token = credentials.new_session_token()
    csrf = credentials.new_session_token()
    now = uow.now()
    uow.session.add(
        StaffSession(
            token_hash=credentials.sha256_hex(token),
            staff_id=staff_id,
            csrf_token=csrf,
            created_at=now,
            expires_at=now + max_age,
            ip=ip,
            user_agent=(user_agent or "")[:400] or None,
        )
    )
    account.last_login_at = now
    actor = Actor(kind="staff", id=account.id, store_id=None, label=account.email, ip=ip)
    record_audit(uow, actor, "staff.login", store_id=None, target_type="staff", target_id=account.id)
    if rehashed:
        record_audit(
            uow, actor, "staff.password_rehashed", store_id=None, target_type="staff", target_id=account.id
        )
    return NewSession(token=token, csrf_token=csrf, staff_id=staff_id)


def record_failed_login(uow: UnitOfWork, email: str, ip: str | None) -> None:
    """Note in the audit log that a login with this email failed (from this address)."""
    actor = Actor(kind="system", id=None, store_id=None, label=email[:320], ip=ip)
    record_audit(uow, actor, "staff.login_failed", store_id=None, details={"email": email[:320]})


def end_staff_session(uow: UnitOfWork, token: str) -> None:
    """Log out: the session's token stops working everywhere at once, and its console sockets close."""
    session = uow.session.scalar(
        select(StaffSession).where(StaffSession.token_hash == credentials.sha256_hex(token))
    )
    if session is not None and session.revoked_at is None:
        session.revoked_at = uow.now()
        announce_access_change(uow, session.staff_id, "logout", session_id=session.id)


def revoke_all_sessions(uow: UnitOfWork, staff_id: int) -> None:
    """End every session of the account (its console sockets close once this commits)."""
    uow.session.execute(
        update(StaffSession)
        .where(StaffSession.staff_id == staff_id, StaffSession.revoked_at.is_(None))
        .values(revoked_at=uow.now())
    )
    announce_access_change(uow, staff_id, "sessions_revoked")


def void_reset_links(uow: UnitOfWork, staff_id: int) -> None:
    """Make every unused password reset link of the account stop working."""
    uow.session.execute(
        update(PasswordReset)
        .where(PasswordReset.staff_id == staff_id, PasswordReset.used_at.is_(None))
        .values(used_at=uow.now())
    )


def change_own_password(uow: UnitOfWork, actor: Actor, new_password_hash: str) -> None:
    """Set a new password (hashed by the caller), end every session of the person (their console sockets
    close) and void their unused reset links."""
    if actor.kind != "staff" or actor.id is None:
        raise PermissionDenied("only staff have passwords")
    account = uow.session.get(StaffAccount, actor.id)
    if account is None:
        raise NotFound("no such staff account")
    account.password_hash = new_password_hash
    revoke_all_sessions(uow, actor.id)
    void_reset_links(uow, actor.id)
    record_audit(uow, actor, "staff.password_changed", store_id=None, target_type="staff", target_id=actor.id)


def purge_expired_sessions(uow: UnitOfWork) -> int:
    """Delete sessions that expired or were revoked more than a day ago."""
    from sqlalchemy import delete

    cutoff = uow.now() - timedelta(days=1)
    result = uow.session.execute(
        delete(StaffSession).where((StaffSession.expires_at < cutoff) | (StaffSession.revoked_at < cutoff))
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
