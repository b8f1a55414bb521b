"""The one-time codes by which an anonymous chat visitor proves an order: mailed to the order's own
address from the store's support address, through the desk's mail outbox (``OutboundEmail``: sent after
commit by ``outbox.send_due``, retried), in the visitor's language. The assistant's ``order_proof`` calls
it through its ``OrderCodeMailer`` port (the composition root provides this one)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import select

from loyaldesk.assistant.tools import OrderCodeMail
from loyaldesk.channels.email.compose import build_reply
from loyaldesk.channels.email.threading import compose_reply_headers
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.i18n import _, use_language
from loyaldesk.kernel.keys import REPLY_ADDRESS, purpose_key
from loyaldesk.stores import Store
from loyaldesk.support import OutboundEmail, SupportSettings, support_address


@dataclass(frozen=True)
class OrderCodeMailer:
    """Queues order codes as mail of an install whose stores' default addresses are
    ``<slug>@<mail_domain>``."""

    mail_domain: str

    def __call__(self, uow: UnitOfWork, mail: OrderCodeMail) -> None:
        store = uow.session.get(Store, mail.store_id)
        if store is None:
            return
        desk = uow.session.scalar(select(SupportSettings).where(SupportSettings.store_id == store.id))
        sender = support_address(store, desk, self.mail_domain)
        with use_language(mail.language) as language:
            subject = _("Your code for order {order}", order=mail.order_number)
            body = (
                _(
                    "Your code to show order {order} in the chat with {store}:",
                    order=mail.order_number,
                    store=store.name,
                )
                + f"\n\n**{mail.code}**\n\n"
                + _("It is valid for {minutes} minutes.", minutes=mail.valid_minutes)
                + "\n\n"
                + _("If you did not ask for it, ignore this email: nobody sees your order without the code.")
            )
        headers = compose_reply_headers(
            secret=purpose_key(store.identity_secret, REPLY_ADDRESS),
            conversation_id=mail.conversation_id,
            message_id_domain=self.mail_domain,
            reply_address=sender,
            subject=subject,
            automatic=True,
        )
        # A new message, not an answer: no "Re: " (the conversation's tag stays, so a reply lands there).
        headers = replace(headers, subject=headers.subject.removeprefix("Re: "))
        raw = build_reply(
            headers=headers,
            from_address=sender,
            from_name=store.name,
            to=[mail.recipient],
            body=body,
            sent_at=uow.now(),
            body_format="markdown",
            language=language,
        )
        uow.session.add(
            OutboundEmail(
                store_id=store.id,
                conversation_id=mail.conversation_id,
                message_id=None,
                kind="order_code",
                dedupe_key=f"order-proof:{mail.proof_id}",
                sender=sender,
                recipient=mail.recipient,
                email_message_id=headers.message_id,
                references=" ".join(headers.references),
                raw=raw,
                status="pending",
                attempts=0,
                next_attempt_at=uow.now(),
                created_at=uow.now(),
            )
        )
