"""Mail about staff accounts (invitations, password reset links): composed, queued, sent, retried.

Not support mail: no conversation, no threading, no store's support address. An action queues the mail
in its own transaction (``queue``), so an invitation exists if and only if its mail is on its way;
``send_due`` (a periodic job outside any transaction) claims due mail with a lease, hands it to the
``MailTransport`` with no database lock held and settles it: sent, or retried with backoff
(``kernel.delivery``). The mail carries a live link, so its bytes are cleared once it is sent or given up.
Without an SMTP server (``LOYALDESK_SMTP_HOST``) nothing is queued: the console shows an invitation link
to the admin who invited instead, and the reset page says mail is not set up.
"""

from __future__ import annotations

import html
import logging
import re
import smtplib
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP, SMTPUTF8
from email.utils import format_datetime, make_msgid

from sqlalchemy import update

from loyaldesk.kernel.db import Database, UnitOfWork
from loyaldesk.kernel.delivery import claim_due, settle
from loyaldesk.kernel.mail_transport import MailTransport
from loyaldesk.settings import Settings
from loyaldesk.stores.models import AccountEmail

log = logging.getLogger("loyaldesk.stores.mail")

SENDER_NAME = "loyaldesk"


@dataclass(frozen=True)
class AccountMailSettings:
    """What account mail needs from the install: where links point, who sends, whether mail can go."""

    base_url: str
    sender: str
    mail_domain: str
    can_send: bool

    @classmethod
    def from_settings(cls, settings: Settings) -> AccountMailSettings:
        return cls(
            base_url=settings.public_base_url.rstrip("/"),
            sender=settings.account_mail_from or f"no-reply@{settings.mail_domain}",
            mail_domain=settings.mail_domain,
            can_send=bool(settings.smtp_host),
        )

    def link(self, path: str) -> str:
        return f"{self.base_url}{path}"


def _one_line(text: str, limit: int = 200) -> str:
    return " ".join(re.sub(r"[\x00-\x1f\x7f]", " ", text).split())[:limit]


def _address(address: str, display_name: str = "") -> Address:
    local, _, domain = address.strip().rpartition("@")
    if not local or not domain or any(c in address for c in '\r\n<>,;"'):
        raise ValueError(f"not a plain email address: {address!r}")
    return Address(display_name=_one_line(display_name), username=local, domain=domain)


def compose(
    *,
    sender: str,
    recipient: str,
    subject: str,
    paragraphs: list[str],
    link: str,
    link_label: str,
    sent_at: datetime,
    mail_domain: str,
) -> bytes:
    """One account mail as RFC 5322 bytes: a text part and a small HTML part with the link as a button.

    Every piece of text is escaped in the HTML; the subject and names are made one line (no header
    injection). Marked ``Auto-Submitted: auto-generated`` (RFC 3834) so that auto-responders stay quiet."""
    if sent_at.tzinfo is None:
        raise ValueError("sent_at must be timezone-aware")
    ascii_only = all(value.isascii() for value in (sender, recipient))
    message = EmailMessage(policy=SMTP if ascii_only else SMTPUTF8)
    message["From"] = _address(sender, SENDER_NAME)
    message["To"] = _address(recipient)
    message["Subject"] = _one_line(subject, 250)
    message["Date"] = format_datetime(sent_at)
    message["Message-ID"] = make_msgid(domain=mail_domain)
    message["Auto-Submitted"] = "auto-generated"
    text = "\n\n".join([*paragraphs, f"{link_label}: {link}"])
    message.set_content(text + "\n", subtype="plain", charset="utf-8", cte="quoted-printable")
    body = "".join(f'<p style="margin:0 0 16px 0;">{html.escape(p)}</p>\n' for p in paragraphs)
    button = (
        f'<p style="margin:24px 0;"><a href="{html.escape(link, quote=True)}" style="background:#1f5fbf;'
        f'color:#ffffff;padding:12px 20px;border-radius:6px;text-decoration:none;display:inline-block;">'
        f"{html.escape(link_label)}</a></p>\n"
        f'<p style="margin:0 0 16px 0;font-size:13px;color:#57606a;word-break:break-all;">'
        f"{html.escape(link)}</p>\n"
    )
    document = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(_one_line(subject, 250))}</title>\n</head>\n"
        '<body style="margin:0;padding:0;background:#ffffff;">\n'
        '<div style="max-width:600px;margin:0 auto;padding:16px;font-family:-apple-system,'
        "BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;font-size:16px;line-height:1.5;"
        f'color:#1f2328;">\n{body}{button}</div>\n</body>\n</html>\n'
    )
    message.add_alternative(document, subtype="html", charset="utf-8", cte="quoted-printable")
    return message.as_bytes()


def queue(
    uow: UnitOfWork,
    mail: AccountMailSettings,
    *,
    kind: str,
    recipient: str,
    subject: str,
    paragraphs: list[str],
    link: str,
    link_label: str,
) -> None:
    """Compose and queue one account mail in the caller's transaction."""
    raw = compose(
        sender=mail.sender,
        recipient=recipient,
        subject=subject,
        paragraphs=paragraphs,
        link=link,
        link_label=link_label,
        sent_at=uow.now(),
        mail_domain=mail.mail_domain,
    )
    uow.session.add(
        AccountEmail(
            kind=kind,
            sender=mail.sender,
            recipient=recipient,
            raw=raw,
            status="pending",
            attempts=0,
            next_attempt_at=uow.now(),
            created_at=uow.now(),
        )
    )


def _claim(uow: UnitOfWork, limit: int) -> list[tuple[int, str, str, bytes]]:
    return [
        (row.id, row.sender, row.recipient, row.raw)
        for row in claim_due(uow, AccountEmail, limit)
        if row.raw is not None
    ]


def _settle(uow: UnitOfWork, mail_id: int, error: str | None) -> None:
    settle(uow, AccountEmail, mail_id, error)
    # The link in the mail works until it is used or expires: do not keep it once it left or was given up.
    uow.session.execute(
        update(AccountEmail)
        .where(AccountEmail.id == mail_id, AccountEmail.status.in_(("sent", "failed")))
        .values(raw=None)
    )


def send_due(database: Database, transport: MailTransport | None, *, limit: int = 50) -> int:
    """Send the account mail that is due; returns how many were sent. Without a transport, nothing."""
    if transport is None:
        return 0
    sent = 0
    for mail_id, sender, recipient, raw in database.write(_claim, limit):
        try:
            transport.send(sender, recipient, raw)
        except (OSError, smtplib.SMTPException) as error:
            log.warning("sending account mail %s failed: %s", mail_id, error)
            database.write(_settle, mail_id, f"{type(error).__name__}: {error}")
            continue
        database.write(_settle, mail_id, None)
        sent += 1
    return sent
