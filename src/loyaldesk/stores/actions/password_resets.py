"""Forgotten passwords: a reset link mailed to the account's address, used once, within the hour.

Asking for a link answers the same whether or not the address has an account (the page says "if an
account exists, a link is on its way"); the requests are throttled per address and per client before
anything is looked up (``stores.throttle``). Using the link sets the new password, ends every session of
the account (their console sockets close) and voids the account's other links, in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.email_address import normalise_email
from loyaldesk.kernel.errors import NotFound
from loyaldesk.stores.access import announce_access_change
from loyaldesk.stores.actions import account_mail
from loyaldesk.stores.actions.account_mail import AccountMailSettings
from loyaldesk.stores.actions.sessions import revoke_all_sessions, void_reset_links
from loyaldesk.stores.actions.stores import record_audit
from loyaldesk.stores.models import PasswordReset, StaffAccount
from loyaldesk.stores.tokens import AccountTokens, TokenPurpose

RESET_PATH = "/login/reset/"


class ResetLinkGone(NotFound):
    """The reset link does not work: unknown, expired or used."""

    def __init__(self) -> None:
        super().__init__("this password reset link is no longer valid; ask for a new one")


def _issue(
    uow: UnitOfWork, account: StaffAccount, tokens: AccountTokens, valid_for: timedelta, ip: str | None
) -> str:
    void_reset_links(uow, account.id)
    issued = tokens.issue(TokenPurpose.PASSWORD_RESET)
    now = uow.now()
    uow.session.add(
        PasswordReset(
            staff_id=account.id,
            token_hash=issued.digest,
            created_at=now,
            expires_at=now + valid_for,
            requested_ip=ip,
        )
    )
    actor = Actor(kind="system", id=None, store_id=None, label=account.email, ip=ip)
    record_audit(
        uow, actor, "staff.password_reset_requested", store_id=None, target_type="staff", target_id=account.id
    )
    return issued.token


def request_password_reset(
    uow: UnitOfWork,
    email: str,
    *,
    ip: str | None,
    tokens: AccountTokens,
    mail: AccountMailSettings,
    valid_for: timedelta,
) -> None:
    """Mail a reset link to the account with this address, if there is one and mail can be sent.

    Returns nothing and raises nothing about the address: the caller's answer must not depend on it."""
    if not mail.can_send:
        return
    try:
        address = normalise_email(email)
    except ValueError:
        return
    account = uow.session.scalar(select(StaffAccount).where(StaffAccount.email == address))
    if account is None or account.disabled_at is not None:
        return
    token = _issue(uow, account, tokens, valid_for, ip)
    minutes = int(valid_for.total_seconds() // 60)
    account_mail.queue(
        uow,
        mail,
        kind="password_reset",
        recipient=account.email,
        subject="Reset your loyaldesk password",
        paragraphs=[
            f"Someone asked to reset the password of the loyaldesk account {account.email}.",
            f"Open the link within {minutes} minutes to choose a new password. It works once; choosing "
            "a new password logs you out everywhere.",
            "If it was not you, ignore this mail: your password stays as it is.",
        ],
        link=mail.link(f"{RESET_PATH}{token}"),
        link_label="Choose a new password",
    )


def issue_reset_link(
    uow: UnitOfWork, email: str, *, tokens: AccountTokens, mail: AccountMailSettings, valid_for: timedelta
) -> str:
    """A reset link for the install's operator to hand over (``loyaldesk staff reset-link``): no mail."""
    address = normalise_email(email)
    account = uow.session.scalar(select(StaffAccount).where(StaffAccount.email == address))
    if account is None:
        raise NotFound(f"no staff account {address}")
    return mail.link(f"{RESET_PATH}{_issue(uow, account, tokens, valid_for, None)}")


@dataclass(frozen=True)
class ResetLinkView:
    staff_id: int
    email: str
    expires_at: datetime


def usable_reset_link(session: Session, token_digest: str, now: datetime) -> ResetLinkView | None:
    """The account a reset link is for, if the link can still be used; None otherwise (never says why)."""
    row = session.execute(
        select(PasswordReset, StaffAccount)
        .join(StaffAccount, StaffAccount.id == PasswordReset.staff_id)
        .where(PasswordReset.token_hash == token_digest)
    ).first()
    if row is None:
        return None
    reset, account = row
    if reset.used_at is not None or reset.expires_at <= now or account.disabled_at is not None:
        return None
    return ResetLinkView(staff_id=account.id, email=account.email, expires_at=reset.expires_at)


def reset_password(uow: UnitOfWork, token_digest: str, new_password_hash: str, *, ip: str | None) -> str:
    """Use a reset link: set the password (hashed by the caller) and end every session of the account.

    The link is consumed by a conditional update in this same transaction, so it works once; returns the
    account's email. ``ResetLinkGone`` when the link is unknown, expired or used."""
    now = uow.now()
    consumed = uow.session.execute(
        update(PasswordReset)
        .where(
            PasswordReset.token_hash == token_digest,
            PasswordReset.used_at.is_(None),
            PasswordReset.expires_at > now,
        )
        .values(used_at=now)
    )
    if consumed.rowcount != 1:  # type: ignore[attr-defined]
        raise ResetLinkGone()
    reset = uow.session.scalars(select(PasswordReset).where(PasswordReset.token_hash == token_digest)).one()
    account = uow.session.get(StaffAccount, reset.staff_id)
    if account is None or account.disabled_at is not None:
        raise ResetLinkGone()
    account.password_hash = new_password_hash
    revoke_all_sessions(uow, account.id)
    void_reset_links(uow, account.id)
    actor = Actor(kind="staff", id=account.id, store_id=None, label=account.email, ip=ip)
    record_audit(uow, actor, "staff.password_reset", store_id=None, target_type="staff", target_id=account.id)
    announce_access_change(uow, account.id, "password_reset")
    return account.email
