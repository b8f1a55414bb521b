"""The one-time code really leaves by SMTP (an aiosmtpd peer on loopback), to the order's address only,
from the store's support address, in the visitor's language; typed back in the chat it proves the order."""

from __future__ import annotations

import re

from loyaldesk.assistant.tools.registry import ToolStatus
from loyaldesk.channels.email.outbox import SmtpTransport, send_due
from loyaldesk.kernel.db import Database
from tests.assistant.tools.conftest import open_chat
from tests.loyalty.shop import Shop
from tests.support.test_email_replies import Inbox, smtp_peer  # noqa: F401  (fixture)


def test_the_code_is_mailed_to_the_orders_address_and_proves_the_order(
    shop: Shop,
    db: Database,
    smtp_peer: tuple[Inbox, SmtpTransport],  # noqa: F811
) -> None:
    inbox, transport = smtp_peer
    order = shop.order("anna", external_id="1001", email="anna@example.com")
    chat = open_chat(db, shop.store.id, None, language="de")
    asked = chat.ask("prove_order", "meine Bestellung 1001", order_number="1001", email="anna@example.com")
    assert asked.text.startswith("Falls die Bestellung #1001 mit dieser E-Mail-Adresse aufgegeben wurde")
    assert send_due(db, transport) == 1
    [(sender, recipients, message)] = inbox.received
    assert recipients == ["anna@example.com"] and sender == f"{shop.store.slug}@loyaldesk.localhost"
    assert str(message["Subject"]).startswith("Ihr Code für die Bestellung #1001")
    text = message.get_body(preferencelist=("plain",)).get_content()
    code = re.search(r"\b(\d{6})\b", text)
    assert code is not None and "15 Minuten gültig" in text
    confirmed = chat.ask("confirm_order_code", code=code.group(1))
    assert confirmed.status is ToolStatus.DONE and confirmed.order_ids == (order["id"],)
    assert confirmed.text.startswith("Danke, die Bestellung #1001 ist bestätigt.")
