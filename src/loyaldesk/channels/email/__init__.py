"""The email channel: parse inbound mail, guard against mail loops, thread, compose replies (the pure
core: ``parsing``, ``loop_guard``, ``threading``, ``compose``...), and the adapter that connects it to the
desk: ``inbound`` (mail in, through the desk's actions), ``outbox`` (replies out), the SMTP receiver and
the IMAP poller.

``register(handlers, jobs, settings)`` is called by the composition root (``loyaldesk.composition``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from loyaldesk.kernel.dispatcher import HandlerRegistry
    from loyaldesk.kernel.jobs import JobRegistry
    from loyaldesk.settings import Settings


def register(handlers: HandlerRegistry, jobs: JobRegistry, settings: Settings) -> None:
    """Subscribe the email channel to the desk's events and schedule its jobs, with the install's
    ``settings`` (mail domain, public address, SMTP server, outbound policy)."""
    from loyaldesk.assistant.tools import provide_order_code_mailer
    from loyaldesk.channels.email.imap_poller import MailboxAccess, poll_all
    from loyaldesk.channels.email.order_codes import OrderCodeMailer
    from loyaldesk.channels.email.outbox import EmailReplies, send_due
    from loyaldesk.kernel.mail_transport import transport_from
    from loyaldesk.support import CsatRequested, MessagePosted

    replies = EmailReplies(mail_domain=settings.mail_domain, public_base_url=settings.public_base_url)
    handlers.on(MessagePosted)(replies.queue_reply)
    handlers.on(CsatRequested)(replies.queue_rating_request)
    provide_order_code_mailer(OrderCodeMailer(mail_domain=settings.mail_domain))
    access = MailboxAccess.of_install(settings)
    jobs.every_outside(10, name="support.send_due_email")(
        lambda database: send_due(database, transport_from(settings))
    )
    jobs.every_outside(60, name="support.poll_imap")(
        lambda database: poll_all(database, access, mail_domain=settings.mail_domain)
    )
