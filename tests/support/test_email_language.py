"""Mail to a shopper carries loyaldesk's own words in the shopper's language: a customer whose profile says
German gets an agent's reply "von" the store and the rating request in German; the agent's own text is
sent as written. Real SMTP both ways (the product's receiver in, aiosmtpd out)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from loyaldesk.channels.email.outbox import SmtpTransport, send_due
from loyaldesk.customers import CustomerProfile, upsert_customer
from loyaldesk.kernel.actors import system_for
from loyaldesk.kernel.db import Database
from loyaldesk.kernel.dispatcher import dispatch_until_idle
from tests.channels.test_email_channel import conversations, deliver, mail, receiver  # noqa: F401
from tests.factories import StoreHandle, login, make_staff
from tests.support.desk import agent_reply, console_csrf
from tests.support.test_email_replies import Inbox, smtp_peer  # noqa: F401  (fixture)


def test_a_german_profile_gets_german_words_in_replies_and_the_rating_request(
    client: TestClient,
    db: Database,
    store: StoreHandle,
    password_hash: str,
    receiver: int,  # noqa: F811
    smtp_peer: tuple[Inbox, SmtpTransport],  # noqa: F811
) -> None:
    outbox, transport = smtp_peer
    db.write(
        upsert_customer,
        system_for(store.id),
        store.id,
        "c-7",
        CustomerProfile(email="mia@example.org", first_name="Mia", locale="de-DE"),
        source="api",
    )
    deliver(receiver, mail("Reißverschluss kaputt", "Hallo, der Reißverschluss ist kaputt."))
    [conversation] = conversations(db)
    assert conversation.customer_id is not None

    login(client, make_staff(db, store, "agent", password_hash))
    csrf = console_csrf(client, store.slug)
    assert agent_reply(client, store.slug, conversation.id, "Das tut uns leid!", csrf=csrf).status_code == 201
    resolved = client.post(
        f"/console/{store.slug}/inbox/{conversation.id}/status",
        data={"status": "resolved", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert resolved.status_code == 303
    dispatch_until_idle(db)
    assert send_due(db, transport) == 2
    reply, rating_request = (message for _, _, message in outbox.received)

    assert re.fullmatch(r'"?.+ von .+"? <acme@loyaldesk\.localhost>', str(reply["From"])), reply["From"]
    assert " at " not in str(reply["From"])
    html = reply.get_body(preferencelist=("html",)).get_content()
    assert '<html lang="de">' in html and "Das tut uns leid!" in html
    text = rating_request.get_body(preferencelist=("plain",)).get_content()
    assert "ist abgeschlossen. Wie waren wir?" in text and "Bewerten Sie es von 1 bis 5" in text
    assert "How did we do?" not in text

    # The rating page the link opens speaks German too (the profile, not the browser, decides).
    link = re.search(r"http://127\.0\.0\.1:8000(/csat/\S+)", text)
    assert link, text
    client.cookies.clear()
    page = client.get(link.group(1), headers={"Accept-Language": "en"}).text
    assert '<html lang="de">' in page and "Wie waren wir?" in page and "Bewertung senden" in page
