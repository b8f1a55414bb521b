"""A store's SMS settings: read (``sms_config``, a frozen snapshot the network code can hold outside any
transaction) and changed by a manager (``save_sms_settings``: checked, audited; the auth token is
write-only, shown back only as its last four characters)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from loyaldesk.channels.sms.models import DEFAULT_BASE_URL, SmsSettings
from loyaldesk.channels.sms.phones import normalise_phone, region_or_none
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import FieldProblem, Invalid
from loyaldesk.kernel.outbound import OutboundPolicy, check_service_url
from loyaldesk.stores import Permission, Store, authorize, record_audit

ACCOUNT_SID = re.compile(r"^[A-Za-z0-9_-]{2,64}$")
MESSAGING_SERVICE_SID = re.compile(r"^MG[0-9a-fA-F]{32}$")
TOKEN = re.compile(r"^[\x21-\x7e]{8,128}$")  # printable, no spaces


@dataclass(frozen=True)
class SmsConfig:
    """What sending and the webhooks need of a store's settings, detached from any session."""

    store_id: int
    store_slug: str
    base_url: str
    account_sid: str
    auth_token: str
    sender: str
    enabled: bool
    default_region: str

    @property
    def ready(self) -> bool:
        """Switched on and complete: the store sends SMS."""
        return self.enabled and bool(self.base_url and self.account_sid and self.auth_token and self.sender)

    @property
    def sender_field(self) -> str:
        """The API's form field for the sender: a messaging service SID or a number."""
        return "MessagingServiceSid" if MESSAGING_SERVICE_SID.match(self.sender) else "From"


def sms_config(session: Session, store_id: int) -> SmsConfig | None:
    """The store's settings, or None when it has never saved any."""
    row = session.execute(
        select(SmsSettings, Store.slug)
        .join(Store, Store.id == SmsSettings.store_id)
        .where(SmsSettings.store_id == store_id)
    ).first()
    if row is None:
        return None
    settings, slug = row
    return SmsConfig(
        store_id=store_id,
        store_slug=slug,
        base_url=settings.base_url,
        account_sid=settings.account_sid,
        auth_token=settings.auth_token,
        sender=settings.sender,
        enabled=settings.enabled,
        default_region=settings.default_region,
    )


def token_hint(token: str | None) -> str:
    """How the console shows a saved token: ``•••• 1a2b`` (never more), or "" when none is saved."""
    return f"•••• {token[-4:]}" if token else ""


def _check_base_url(value: str, policy: OutboundPolicy) -> tuple[str, str | None]:
    return check_service_url(value, policy, "https://api.twilio.com")


def _check_sender(value: str) -> tuple[str, str | None]:
    sender = value.strip()
    if not sender:
        return "", None
    if MESSAGING_SERVICE_SID.match(sender):
        return sender, None
    number = normalise_phone(sender) if sender.startswith("+") else None
    if number is None:
        return (
            sender,
            "a phone number in international form (+4915123456789) or a messaging service SID (MG…)",
        )
    return number, None


def save_sms_settings(
    uow: UnitOfWork,
    actor: Actor,
    store_id: int,
    *,
    base_url: str,
    account_sid: str,
    auth_token: str | None,
    sender: str,
    default_region: str,
    enabled: bool,
    policy: OutboundPolicy | None = None,
) -> SmsSettings:
    """Create or change the store's SMS settings. ``auth_token`` None or empty keeps the saved one. A
    provider address ``policy`` refuses (a private or loopback literal, unless the install allows
    private networks) is refused at once. Switching on needs the account SID, the token and a sender."""
    authorize(actor, store_id, scope="journeys:write", permission=Permission.MANAGE_JOURNEYS)
    row = uow.session.get(SmsSettings, store_id)
    problems: list[FieldProblem] = []
    url, refusal = _check_base_url(base_url or DEFAULT_BASE_URL, policy or OutboundPolicy())
    if refusal:
        problems.append(FieldProblem("base_url", refusal))
    sid = account_sid.strip()
    if sid and not ACCOUNT_SID.match(sid):
        problems.append(FieldProblem("account_sid", "letters, digits, - and _ only (2 to 64)"))
    token = (auth_token or "").strip()
    if token and not TOKEN.match(token):
        problems.append(FieldProblem("auth_token", "8 to 128 characters, without spaces"))
    number, sender_problem = _check_sender(sender)
    if sender_problem:
        problems.append(FieldProblem("sender", sender_problem))
    region = ""
    if default_region.strip():
        region = region_or_none(default_region) or ""
        if not region:
            problems.append(FieldProblem("default_region", "a two-letter country code, like DE or US"))
    kept_token = token or (row.auth_token if row is not None else "")
    if enabled and not problems:
        missing = [
            FieldProblem(name, "needed to switch SMS on")
            for name, value in (("account_sid", sid), ("auth_token", kept_token), ("sender", number))
            if not value
        ]
        problems.extend(missing)
    if problems:
        raise Invalid("the SMS settings are not valid", problems)
    if row is None:
        row = SmsSettings(store_id=store_id)
        uow.session.add(row)
    changed = sorted(
        name
        for name, before, after in (
            ("base_url", row.base_url, url),
            ("account_sid", row.account_sid, sid),
            ("auth_token", row.auth_token, kept_token),
            ("sender", row.sender, number),
            ("default_region", row.default_region, region),
            ("enabled", row.enabled, enabled),
        )
        if before != after
    )
    row.base_url, row.account_sid, row.auth_token = url, sid, kept_token
    row.sender, row.default_region, row.enabled = number, region, enabled
    row.updated_at = uow.now()
    uow.session.flush()
    record_audit(
        uow,
        actor,
        "channels.sms_settings_saved",
        store_id=store_id,
        target_type="sms_settings",
        target_id=store_id,
        details={"fields": changed, "enabled": enabled},
    )
    return row
