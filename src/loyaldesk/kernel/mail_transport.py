"""Sending finished mail (RFC 5322 bytes) to an SMTP server: what every outbox hands its mail to.

Domain-free: support's replies by email and the stores domain's account mail (invitations, password
resets) compose their own messages and keep their own outbox; both send through a ``MailTransport``.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from typing import Protocol

from loyaldesk.settings import Settings


class MailTransport(Protocol):
    def send(self, sender: str, recipient: str, raw: bytes) -> None:
        """Deliver ``raw`` (RFC 5322 bytes) or raise."""


@dataclass(frozen=True)
class SmtpTransport:
    """SMTP with STARTTLS and login when configured (smtplib; a new connection per batch of mail)."""

    host: str
    port: int
    username: str | None = None
    password: str | None = None
    starttls: bool = True
    timeout: float = 20.0

    def send(self, sender: str, recipient: str, raw: bytes) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as client:
            if self.starttls:
                client.starttls(context=ssl.create_default_context())
            if self.username:
                client.login(self.username, self.password or "")
            client.sendmail(sender, [recipient], raw)


def transport_from(settings: Settings) -> MailTransport | None:
    """The install's outbound mail server, or None when ``LOYALDESK_SMTP_HOST`` is not set."""
    if not settings.smtp_host:
        return None
    return SmtpTransport(
        settings.smtp_host,
        settings.smtp_port,
        settings.smtp_username,
        settings.smtp_password,
        settings.smtp_starttls,
    )
