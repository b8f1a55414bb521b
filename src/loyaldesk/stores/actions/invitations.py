"""Staff invitations: how a person gets a role in a store, and the reads the invitation pages need.

A store never creates a login for someone: it invites an email address. The invitation is a link
(signed, expiring, single use; ``stores.tokens``) that goes by mail to the address or, when the install
cannot send mail, is shown once to the admin who invited so they can pass it on. Whoever opens it
accepts the role either by choosing a password (the address has no account yet) or by giving the
password of the account the address already has. So no store sets or learns the credentials of an
account that another store may use, and the inviting admin's answer is the same whether or not an
account exists for the address (what differs is only what accepting asks for; see decision 0015).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.email_address import normalise_email
from loyaldesk.kernel.errors import Conflict, Invalid, NotFound, PermissionDenied
from loyaldesk.stores.actions import account_mail
from loyaldesk.stores.actions.account_mail import AccountMailSettings
from loyaldesk.stores.actions.stores import record_audit, require_actor_permission
from loyaldesk.stores.events import StaffInvitationRevoked, StaffInvited, StaffMemberAdded
from loyaldesk.stores.models import StaffAccount, StaffInvitation, Store, StoreMembership
from loyaldesk.stores.rules import Permission, Role, may_manage_member
from loyaldesk.stores.tokens import AccountTokens, TokenPurpose

INVITATION_PATH = "/invitations/"


class InvitationGone(NotFound):
    """The invitation link does not work: unknown, expired, already used or cancelled."""

    def __init__(self) -> None:
        super().__init__("this invitation is no longer valid; ask the store for a new one")


class AccountExists(Conflict):
    """Accepting by choosing a password, for an address that has an account: its password is needed."""

    def __init__(self, email: str) -> None:
        super().__init__(
            f"{email} has a loyaldesk account already: enter its password to accept "
            "(forgot it? reset it from the login page)"
        )


@dataclass(frozen=True)
class NewInvitation:
    invitation_id: int
    email: str
    role: str
    expires_at: datetime
    # The link, only when the install cannot send mail (for the inviter to pass on); else it was mailed.
    link: str | None


def _role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise Invalid.field("role", f"{role!r} is not one of {', '.join(r.value for r in Role)}") from None


def _email(email: str) -> str:
    try:
        return normalise_email(email)
    except ValueError as error:
        raise Invalid.field("email", str(error)) from None


def _may_invite(actor: Actor, store_id: int, role: Role) -> None:
    if actor.kind == "system":
        require_actor_permission(actor, store_id, Permission.MANAGE_STAFF)
        return
    require_actor_permission(actor, store_id, Permission.MANAGE_STAFF)
    if not may_manage_member(actor.role or "", role.value, role.value):
        raise PermissionDenied("only an owner can invite another owner")


def _inviter_name(uow: UnitOfWork, actor: Actor) -> str | None:
    if actor.kind != "staff" or actor.id is None:
        return None
    account = uow.session.get(StaffAccount, actor.id)
    return account.name if account else None


def invite_staff_member(
    uow: UnitOfWork,
    actor: Actor,
    store_id: int,
    *,
    email: str,
    name: str,
    role: str,
    tokens: AccountTokens,
    mail: AccountMailSettings,
    valid_for: timedelta,
) -> NewInvitation:
    """Invite ``email`` to ``role`` in the store: mail the link, or return it when mail cannot be sent.

    Owners and admins invite (only owners invite owners). The result is the same whether or not an
    account exists for the address; an earlier pending invitation of the address to this store stops
    working. ``Conflict`` when the address already works for this store (its staff list shows it)."""
    new_role = _role(role)
    _may_invite(actor, store_id, new_role)
    address = _email(email)
    name = name.strip()
    if len(name) > 200:
        raise Invalid.field("name", "must be at most 200 characters")
    store = uow.session.get(Store, store_id)
    if store is None:
        raise NotFound("no such store")
    member_role = uow.session.scalar(
        select(StoreMembership.role)
        .join(StaffAccount, StaffAccount.id == StoreMembership.staff_id)
        .where(StoreMembership.store_id == store_id, StaffAccount.email == address)
    )
    if member_role is not None:
        raise Conflict(f"{address} already works for this store as {member_role}")
    now = uow.now()
    uow.session.execute(
        update(StaffInvitation)
        .where(
            StaffInvitation.store_id == store_id,
            StaffInvitation.email == address,
            StaffInvitation.accepted_at.is_(None),
            StaffInvitation.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    issued = tokens.issue(TokenPurpose.INVITATION)
    invitation = StaffInvitation(
        store_id=store_id,
        email=address,
        name=name,
        role=new_role.value,
        token_hash=issued.digest,
        invited_by_staff_id=actor.id if actor.kind == "staff" else None,
        created_at=now,
        expires_at=now + valid_for,
    )
    uow.session.add(invitation)
    uow.session.flush()
    link = mail.link(f"{INVITATION_PATH}{issued.token}")
    if mail.can_send:
        inviter = _inviter_name(uow, actor)
        who = f"{inviter} invited you" if inviter else "You are invited"
        account_mail.queue(
            uow,
            mail,
            kind="invitation",
            recipient=address,
            subject=f"Join {store.name} on loyaldesk",
            paragraphs=[
                f"{who} to work for {store.name} on loyaldesk as {new_role.value}.",
                "Open the link to accept. If this address has a loyaldesk account already, you will "
                "confirm with its password; if not, you will choose one.",
                f"The link works once, until {invitation.expires_at:%d %b %Y %H:%M} UTC. If you did not "
                "expect this invitation, ignore this mail.",
            ],
            link=link,
            link_label="Accept the invitation",
        )
    uow.emit(StaffInvited(store_id=store_id, invitation_id=invitation.id, role=new_role.value))
    record_audit(
        uow,
        actor,
        "staff.invited",
        store_id=store_id,
        target_type="staff_invitation",
        target_id=invitation.id,
        details={"email": address, "role": new_role.value, "mailed": mail.can_send},
    )
    return NewInvitation(
        invitation_id=invitation.id,
        email=address,
        role=new_role.value,
        expires_at=invitation.expires_at,
        link=None if mail.can_send else link,
    )


def _pending(uow: UnitOfWork, store_id: int, invitation_id: int) -> StaffInvitation:
    invitation = uow.session.get(StaffInvitation, invitation_id)
    if (
        invitation is None
        or invitation.store_id != store_id
        or invitation.accepted_at is not None
        or invitation.revoked_at is not None
    ):
        raise NotFound("no such pending invitation in this store")
    return invitation


def revoke_invitation(uow: UnitOfWork, actor: Actor, store_id: int, invitation_id: int) -> None:
    """Cancel a pending invitation: its link stops working at once."""
    require_actor_permission(actor, store_id, Permission.MANAGE_STAFF)
    invitation = _pending(uow, store_id, invitation_id)
    _may_invite(actor, store_id, Role(invitation.role))
    invitation.revoked_at = uow.now()
    uow.emit(StaffInvitationRevoked(store_id=store_id, invitation_id=invitation.id))
    record_audit(
        uow,
        actor,
        "staff.invitation_revoked",
        store_id=store_id,
        target_type="staff_invitation",
        target_id=invitation.id,
        details={"email": invitation.email, "role": invitation.role},
    )


def resend_invitation(
    uow: UnitOfWork,
    actor: Actor,
    store_id: int,
    invitation_id: int,
    *,
    tokens: AccountTokens,
    mail: AccountMailSettings,
    valid_for: timedelta,
) -> NewInvitation:
    """A new link for a pending (or expired) invitation; the old link stops working."""
    require_actor_permission(actor, store_id, Permission.MANAGE_STAFF)
    invitation = _pending(uow, store_id, invitation_id)
    return invite_staff_member(
        uow,
        actor,
        store_id,
        email=invitation.email,
        name=invitation.name,
        role=invitation.role,
        tokens=tokens,
        mail=mail,
        valid_for=valid_for,
    )


@dataclass(frozen=True)
class NewAccount:
    """What a person gives to create their account while accepting: their name and chosen password."""

    name: str
    password_hash: str  # hashed by the caller, outside the transaction


@dataclass(frozen=True)
class AcceptedInvitation:
    staff_id: int
    store_slug: str
    role: str
    created_account: bool


def accept_invitation(
    uow: UnitOfWork,
    token_digest: str,
    *,
    account_id: int | None = None,
    new_account: NewAccount | None = None,
    ip: str | None = None,
) -> AcceptedInvitation:
    """Use an invitation, once: give its role in its store to an account.

    Either ``account_id``, the existing account of the invited address whose owner the caller verified
    (its password, or its live console session), or ``new_account`` for an address that has no account:
    then ``AccountExists`` if it has one after all (nothing is used up). ``InvitationGone`` when the link
    is unknown, expired, used or cancelled. The invitation is consumed by a conditional update in the
    same transaction as the account and the membership, so two acceptances cannot both succeed."""
    if (account_id is None) == (new_account is None):
        raise ValueError("give either account_id or new_account")
    now = uow.now()
    consumed = uow.session.execute(
        update(StaffInvitation)
        .where(
            StaffInvitation.token_hash == token_digest,
            StaffInvitation.accepted_at.is_(None),
            StaffInvitation.revoked_at.is_(None),
            StaffInvitation.expires_at > now,
        )
        .values(accepted_at=now)
    )
    if consumed.rowcount != 1:  # type: ignore[attr-defined]
        raise InvitationGone()
    invitation = uow.session.scalars(
        select(StaffInvitation).where(StaffInvitation.token_hash == token_digest)
    ).one()
    store = uow.session.get(Store, invitation.store_id)
    if store is None:
        raise InvitationGone()
    existing = uow.session.scalar(select(StaffAccount).where(StaffAccount.email == invitation.email))
    created = False
    if new_account is not None:
        if existing is not None:
            raise AccountExists(invitation.email)
        account = StaffAccount(
            email=invitation.email,
            name=new_account.name.strip()[:200] or invitation.name or invitation.email,
            password_hash=new_account.password_hash,
            created_at=now,
        )
        try:
            with uow.session.begin_nested():
                uow.session.add(account)
                uow.session.flush()
        except IntegrityError:  # created a moment ago by another acceptance
            raise AccountExists(invitation.email) from None
        created = True
    else:
        if existing is None or existing.id != account_id or existing.disabled_at is not None:
            raise PermissionDenied(f"this invitation is for {invitation.email}")
        account = existing
    invitation.accepted_by_staff_id = account.id
    person = Actor(
        kind="staff", id=account.id, store_id=store.id, label=account.email, role=invitation.role, ip=ip
    )
    if created:
        record_audit(
            uow, person, "staff.account_created", store_id=None, target_type="staff", target_id=account.id
        )
    already = uow.session.scalar(
        select(StoreMembership.id).where(
            StoreMembership.store_id == store.id, StoreMembership.staff_id == account.id
        )
    )
    if already is None:
        try:
            with uow.session.begin_nested():
                uow.session.add(
                    StoreMembership(
                        store_id=store.id, staff_id=account.id, role=invitation.role, created_at=now
                    )
                )
                uow.session.flush()
        except IntegrityError:
            already = -1  # added a moment ago by someone else: the invitation is used all the same
    if already is None:
        uow.emit(StaffMemberAdded(store_id=store.id, staff_id=account.id, role=invitation.role))
        record_audit(
            uow,
            person,
            "staff.added",
            store_id=store.id,
            target_type="staff",
            target_id=account.id,
            details={"email": account.email, "role": invitation.role, "invitation_id": invitation.id},
        )
    return AcceptedInvitation(
        staff_id=account.id, store_slug=store.slug, role=invitation.role, created_account=created
    )


# -- reads ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InvitationView:
    """A usable invitation, as its page shows it."""

    invitation_id: int
    store_name: str
    store_slug: str
    email: str
    suggested_name: str
    role: str
    expires_at: datetime


def usable_invitation(session: Session, token_digest: str, now: datetime) -> InvitationView | None:
    """The invitation a link stands for, if it can still be accepted; None otherwise (never says why)."""
    row = session.execute(
        select(StaffInvitation, Store)
        .join(Store, Store.id == StaffInvitation.store_id)
        .where(StaffInvitation.token_hash == token_digest)
    ).first()
    if row is None:
        return None
    invitation, store = row
    if invitation.accepted_at or invitation.revoked_at or invitation.expires_at <= now:
        return None
    return InvitationView(
        invitation_id=invitation.id,
        store_name=store.name,
        store_slug=store.slug,
        email=invitation.email,
        suggested_name=invitation.name,
        role=invitation.role,
        expires_at=invitation.expires_at,
    )


@dataclass(frozen=True)
class PendingInvitation:
    invitation_id: int
    email: str
    role: str
    invited_at: datetime
    expires_at: datetime
    expired: bool


def pending_invitations(session: Session, store_id: int, now: datetime) -> list[PendingInvitation]:
    """The store's invitations that were neither accepted nor cancelled, newest first."""
    rows = session.scalars(
        select(StaffInvitation)
        .where(
            StaffInvitation.store_id == store_id,
            StaffInvitation.accepted_at.is_(None),
            StaffInvitation.revoked_at.is_(None),
        )
        .order_by(StaffInvitation.id.desc())
    )
    return [
        PendingInvitation(
            invitation_id=row.id,
            email=row.email,
            role=row.role,
            invited_at=row.created_at,
            expires_at=row.expires_at,
            expired=row.expires_at <= now,
        )
        for row in rows
    ]
