"""Mail that arrives is kept or accounted for: real-world MIME as mail programs send it (tests/data/mail)
reaches the agent readable, with its photos, through the product's own SMTP receiver and its IMAP
poller; plain-text mail is shown as written; and every message dropped, or kept without a part, is
logged and listed for the store's admins on the desk settings page."""

from __future__ import annotations

import json
import logging
import smtplib
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from loyaldesk.channels.email import imap_poller
from loyaldesk.channels.email.inbound import MIN_PICTURE_IN_HTML_BYTES
from loyaldesk.channels.email.parsing import parse_message
from loyaldesk.kernel.actors import system_for
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from loyaldesk.support.actions import desk_settings
from loyaldesk.support.actions.dropped_mail import (
    KEEP_DAYS,
    KEEP_PER_STORE,
    DropReason,
    MailPath,
    record_dropped_email,
)
from loyaldesk.support.message_format import render_plain_text_html
from loyaldesk.support.models import Attachment, Conversation, DroppedEmail, Message
from tests.channels.fake_imap import FakeImapServer, Mailbox
from tests.channels.test_email_channel import SUPPORT, deliver, mail, receiver  # noqa: F401 (fixture)
from tests.channels.test_imap_polling import LOCAL  # the fake server is on loopback, without TLS
from tests.factories import StoreHandle, login, make_staff, make_store
from tests.support.desk import agent_reply, console_csrf, console_socket, event_named, receive_until

SAMPLES = Path(__file__).parents[1] / "data" / "mail"
PHOTO = parse_message((SAMPLES / "iphone_photo.eml").read_bytes()).attachments[0].content


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def message_of(db: Database, subject: str) -> tuple[Message, list[Attachment]]:
    with db.read() as session:
        conversation = session.scalars(select(Conversation).where(Conversation.subject == subject)).one()
        message = session.scalars(select(Message).where(Message.conversation_id == conversation.id)).one()
        files = list(session.scalars(select(Attachment).where(Attachment.message_id == message.id)))
        session.expunge_all()
    return message, files


def dropped(db: Database) -> list[DroppedEmail]:
    with db.read() as session:
        rows = list(session.scalars(select(DroppedEmail).order_by(DroppedEmail.id)))
        session.expunge_all()
    return rows


# --- the samples, as parsed ------------------------------------------------------------------------------

PARSED = {
    "iphone_photo.eml": ("Hi, the mug from order 1001 arrived with a crack.", [("IMG_0412.jpeg", True)]),
    "outlook_bom.eml": ("ich möchte die Bestellung 1002 zurückschicken.", []),
    "windows1252_labelled_latin1.eml": ("le bon d’achat de 20 € ne fonctionne pas – il affiche « code", []),  # noqa: RUF001
    "windows1252_labelled_utf8.eml": ("le bon d’achat de 20 € ne fonctionne pas – il affiche « code", []),  # noqa: RUF001
    "utf8_labelled_latin1.eml": ("Können Sie nachsehen? Grüße aus Köln", []),
    "windows1251_labelled_windows1252.eml": ("Мой заказ 1005 до сих пор не пришёл.", []),
    "gmail_empty_text_part.eml": ("where is my order #1003? The tracking page", []),
    "jpeg_as_octet_stream.eml": ("Here is the photo of my receipt.", [("receipt photo.jpg", False)]),
    "image_jpg_label.eml": ("The box was crushed, see the picture.", [("20260308_093001.jpg", False)]),
    "plain_text_markdown_characters.eml": ("# of items: 3\n* the mug\n* the teapot\n1. ordered", []),
}


@pytest.mark.parametrize("name", PARSED)
def test_mail_programs_samples_read_as_their_writers_meant(name: str) -> None:
    email = parse_message(sample(name))
    text, files = PARSED[name]
    assert email.from_address and email.from_address.endswith(("example.net", ".de", ".fr", ".ru", ".com",
                                                               ".pt", ".cz", ".org"))  # fmt: skip
    assert text in email.text_body
    assert "\ufffd" not in email.text_body and "Ã" not in email.text_body and "\ufeff" not in email.text_body
    assert [(a.filename, a.inline) for a in email.attachments] == files
    assert all(a.content == PHOTO for a in email.attachments)
    assert email.lost == ()


def test_the_outlook_sample_really_starts_with_a_byte_order_mark() -> None:
    raw = sample("outlook_bom.eml")
    assert raw.startswith(b"\xef\xbb\xbfReceived:")
    email = parse_message(raw)
    assert (email.subject, email.from_name) == ("Rücksendung Bestellung 1002", "Jürgen Müller")
    assert email.message_id and email.message_id.startswith("DB9PR01MB")


# --- over SMTP to the agent -------------------------------------------------------------------------------


def test_real_world_mail_over_smtp_reaches_the_agent_readable_with_its_photos(
    client: TestClient,
    db: Database,
    store: StoreHandle,
    password_hash: str,
    receiver: int,  # noqa: F811
) -> None:
    for name in PARSED:
        deliver(receiver, sample(name))
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Conversation)) == len(PARSED)

    # The phone's photo, the photo labelled application/octet-stream and the one labelled image/jpg
    # are kept as JPEG images, decided by their content.
    for subject, filename in [
        ("Mug arrived broken", "IMG_0412.jpeg"),
        ("Receipt photo", "receipt photo.jpg"),
        ("Damaged box", "20260308_093001.jpg"),
    ]:
        _, [photo] = message_of(db, subject)
        assert (photo.filename, photo.content_type, photo.data) == (filename, "image/jpeg", PHOTO)

    # Outlook's byte-order mark cost neither the sender nor the subject, Gmail's empty text part
    # not the text, and the mislabelled charsets read as written.
    outlook, _ = message_of(db, "Rücksendung Bestellung 1002")
    assert outlook.author_name == "Jürgen Müller" and outlook.body.startswith("Guten Tag,")
    gmail, _ = message_of(db, "Where is my order?")
    assert "where is my order #1003?" in gmail.body and "(This email had no text.)" not in gmail.body
    for subject in ("Bon d'achat refuse", "Bon d'achat refuse (2)"):
        assert "20 € ne fonctionne pas – il affiche « code invalide »" in message_of(db, subject)[0].body  # noqa: RUF001
    assert "Grüße aus Köln" in message_of(db, "Bestellung")[0].body
    assert "Мой заказ 1005" in message_of(db, "Zakaz 1005")[0].body
    assert dropped(db) == []  # nothing of these messages was lost

    # The agent sees it all in the inbox and downloads the photo as the JPEG it is.
    login(client, make_staff(db, store, "agent", password_hash))
    message, [photo] = message_of(db, "Mug arrived broken")
    page = client.get(f"/console/{store.slug}/inbox", params={"c": message.conversation_id}).text
    assert "the mug from order 1001 arrived with a crack" in page and "IMG_0412.jpeg" in page
    download = client.get(f"/console/{store.slug}/inbox/{message.conversation_id}/attachments/{photo.id}")
    assert download.status_code == 200 and download.content == PHOTO
    assert download.headers["content-type"] == "image/jpeg"
    olga, _ = message_of(db, "Zakaz 1005")
    page = client.get(f"/console/{store.slug}/inbox", params={"c": olga.conversation_id}).text
    assert "Мой заказ 1005 до сих пор не пришёл." in page


def test_plain_text_mail_is_shown_as_written_on_the_page_and_live(
    client: TestClient,
    db: Database,
    store: StoreHandle,
    password_hash: str,
    receiver: int,  # noqa: F811
) -> None:
    login(client, make_staff(db, store, "agent", password_hash))
    with console_socket(client, store.slug) as console:
        assert json.loads(console.receive_text())["type"] == "ready"
        deliver(receiver, sample("plain_text_markdown_characters.eml"))
        posted = receive_until(console, event_named("conversation.message_posted"))
    live = posted["data"]["message"]["body_html"]
    message, _ = message_of(db, "Three items")
    page = client.get(f"/console/{store.slug}/inbox", params={"c": message.conversation_id}).text
    # The live event and the page show the same HTML: line breaks kept, nothing read as Markdown.
    assert live == message.body_html == render_plain_text_html(message.body)
    assert live in page
    for literal in ("# of items: 3<br>", "* the mug<br>", "* the teapot<br>", "1. ordered on Monday<br>",
                    "2. paid by card</p>", "My *new* address is _not_ on file"):  # fmt: skip
        assert literal in live
    for markdown in ("<h1", "<ul", "<ol", "<li", "<em", "<strong"):
        assert markdown not in live
    assert '<a href="https://shop.example/account" rel="noopener noreferrer nofollow">' in live
    assert '<a href="mailto:billing@example.com" rel="noopener noreferrer nofollow">' in live
    assert "&nbsp;&nbsp;&nbsp;&nbsp;-- indented signature" in live

    # The agent's answer is still written in Markdown: only what arrived by mail is plain text.
    reply = agent_reply(
        client,
        store.slug,
        message.conversation_id,
        "It ships **today**.",
        csrf=console_csrf(client, store.slug),
    )
    assert reply.status_code == 201 and "<strong>today</strong>" in reply.json()["body_html"]


def test_pictures_in_an_html_body_are_kept_when_they_are_photos_not_logos(
    db: Database,
    store: StoreHandle,
    receiver: int,  # noqa: F811
) -> None:
    photo = PHOTO + b"\x00" * MIN_PICTURE_IN_HTML_BYTES  # a pasted photo: the size of a real one
    logo = PHOTO  # 5 kB: a signature logo
    message = EmailMessage()
    message["From"] = "Sam Park <sam.park@example.com>"
    message["To"] = SUPPORT
    message["Subject"] = "Scratched table"
    message.set_content("See the photo and the invoice.")
    message.add_alternative(
        '<p>See the photo:</p><img src="cid:photo@example.com"><p>Sam</p><img src="cid:logo@example.com">',
        subtype="html",
    )
    html = message.get_payload()[1]
    html.add_related(photo, "image", "jpeg", cid="<photo@example.com>", filename="image001.jpg")
    html.add_related(logo, "image", "jpeg", cid="<logo@example.com>", filename="logo.jpg")
    message.add_attachment(b"%PDF-1.7 invoice", maintype="application", subtype="pdf", filename="invoice.pdf")
    deliver(receiver, message)
    _, files = message_of(db, "Scratched table")
    # The attached file first, then the pasted photo; the logo is decoration, and not a dropped part.
    assert [(f.filename, f.content_type) for f in files] == [
        ("invoice.pdf", "application/pdf"),
        ("image001.jpg", "image/jpeg"),
    ]
    assert dropped(db) == []


# --- dropped mail: logged, recorded, shown to admins --------------------------------------------------


def _list_mail() -> EmailMessage:
    return mail("[news] March", "Our weekly news", headers={"List-Id": "<news.example.org>"})


def test_every_message_dropped_or_kept_without_a_part_is_logged_and_shown_to_admins(
    client: TestClient,
    db: Database,
    store: StoreHandle,
    password_hash: str,
    receiver: int,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="loyaldesk.email")
    bounce = (
        b"From: MAILER-DAEMON@example.org\r\nTo: " + SUPPORT.encode() + b"\r\nSubject: Undelivered Mail\r\n"
        b"Message-ID: <bounce-1@example.org>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n"
        b"--b\r\nContent-Type: message/delivery-status\r\n\r\nStatus: 5.1.1\r\n--b--\r\n"
    )
    ours = mail("Re: your order", "looping", headers={"X-Loyaldesk-Conversation": "7"})
    with_program = mail("Invoice", "Invoice attached.")
    with_program.add_attachment(
        b"MZ\x90\x00\x03\x00\x00\x00", maintype="application", subtype="x-msdownload", filename="invoice.exe"
    )
    once = mail("Order 1001", "Where is it?")
    for message in (
        mail("Out of office", "Away until Monday.", headers={"Auto-Submitted": "auto-replied"}),
        _list_mail(),
        bounce,
        ours,
        b"To: "
        + SUPPORT.encode()
        + b"\r\nSubject: who am I\r\nMessage-ID: <nofrom@example.org>\r\n\r\nhello\r\n",
        with_program,
        once,
        once,  # the sending server's retry
    ):
        deliver(receiver, message)
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        deliver(
            receiver,
            mail("Hi", "Right address?", to="nobody@loyaldesk.localhost"),
            to="nobody@loyaldesk.localhost",
        )

    records = dropped(db)
    assert [(r.reason_kind, r.path, r.sender, r.subject) for r in records] == [
        ("auto_reply", "smtp", "mia@example.org", "Out of office"),
        ("mailing_list", "smtp", "mia@example.org", "[news] March"),
        ("bounce", "smtp", "MAILER-DAEMON@example.org", "Undelivered Mail"),
        ("ours", "smtp", "mia@example.org", "Re: your order"),
        ("no_sender", "smtp", "", "who am I"),
        ("part_not_kept", "smtp", "mia@example.org", "Invoice"),
        ("duplicate", "smtp", "mia@example.org", "Order 1001"),
    ]
    assert records[0].reason == "Auto-Submitted: auto-replied"
    assert records[5].reason.startswith(
        "attachment invoice.exe (application/x-msdownload files are not allowed"
    )
    with db.read() as session:
        invoice = session.scalars(select(Conversation).where(Conversation.subject == "Invoice")).one()
        order = session.scalars(select(Conversation).where(Conversation.subject == "Order 1001")).one()
    assert (records[5].conversation_id, records[6].conversation_id) == (invoice.id, order.id)

    # One log line for each, with the reason; the unknown recipient (no store to record it for) too.
    logged = [record.getMessage() for record in caplog.records]
    for record in records:
        assert any(record.reason in line and record.subject in line for line in logged), record.reason
    assert any("unknown recipient 'nobody@loyaldesk.localhost'" in line for line in logged)
    assert sum(record.name == "loyaldesk.email.dropped" for record in caplog.records) == len(records)

    # An agent may not see the list (senders and subjects are the customers' data) ...
    agent = make_staff(db, store, "agent", password_hash)
    login(client, agent)
    refused = client.get(f"/console/{store.slug}/inbox-settings/desk")
    assert refused.status_code == 403 and "Out of office" not in refused.text
    assert len(dropped(db)) == len(records)  # looking changed nothing

    # ... an admin sees every one with its reason, and the conversation where the rest went.
    client.cookies.clear()  # log out: a new browser session
    login(client, make_staff(db, store, "admin", password_hash))
    page = client.get(f"/console/{store.slug}/inbox-settings/desk").text
    section = page[page.index('id="dropped-mail-heading"') :]
    for shown in ("Out of office", "Automatic reply", "Auto-Submitted: auto-replied", "Mailing list",
                  "list-id header", "MAILER-DAEMON@example.org", "Bounce", "Our own mail", "(no sender)",
                  "No sender to answer", "Part not kept", "invoice.exe", "Received before",
                  f"/inbox?c={invoice.id}"):  # fmt: skip
        assert shown in section, shown
    assert section.index("Received before") < section.index("Out of office")  # newest first


def test_mail_dropped_from_the_polled_mailbox_is_recorded_as_imap(db: Database, store: StoreHandle) -> None:
    box = Mailbox()
    box.add(mail("Automatic reply: Order 1001", "I am away.", to="support@shop.example").as_bytes())
    box.add(sample("iphone_photo.eml").replace(b"acme@loyaldesk.localhost", b"support@shop.example"))
    with FakeImapServer(box) as server:
        db.write(
            desk_settings.update_settings,
            system_for(store.id),
            store.id,
            {
                "support_email": "support@shop.example",
                "imap_host": "127.0.0.1",
                "imap_port": server.port,
                "imap_ssl": False,
                "imap_username": "support@shop.example",
                "imap_password": "secret",
            },
        )
        assert imap_poller.poll_all(db, LOCAL) == 2
        box.seen.clear()  # someone marked both unread again in their mail program
        assert imap_poller.poll_all(db, LOCAL) == 2
    assert [(r.reason_kind, r.path, r.subject) for r in dropped(db)] == [
        ("auto_reply", "imap", "Automatic reply: Order 1001"),
        ("auto_reply", "imap", "Automatic reply: Order 1001"),
        ("duplicate", "imap", "Mug arrived broken"),
    ]
    _, [photo] = message_of(db, "Mug arrived broken")  # the phone's photo was kept, once
    assert photo.content_type == "image/jpeg"


def test_the_record_is_bounded_by_count_and_age_per_store(
    db: Database, store: StoreHandle, clock: FakeClock
) -> None:
    other = make_store(db, "globex")

    def drop(store_id: int, subject: str) -> None:
        db.write(
            record_dropped_email, store_id, path=MailPath.SMTP, sender="bot@example.org", subject=subject,
            kind=DropReason.AUTO_REPLY, reason="Auto-Submitted: auto-replied",
        )  # fmt: skip

    drop(other.id, "the other store's")
    for number in range(KEEP_PER_STORE + 5):
        drop(store.id, f"reply {number}")
    with db.read() as session:
        subjects = list(
            session.scalars(select(DroppedEmail.subject).where(DroppedEmail.store_id == store.id))
        )
    assert len(subjects) == KEEP_PER_STORE and "reply 4" not in subjects and "reply 5" in subjects
    clock.advance(timedelta(days=KEEP_DAYS, minutes=1))
    drop(store.id, "a month later")
    with db.read() as session:
        subjects = list(
            session.scalars(select(DroppedEmail.subject).where(DroppedEmail.store_id == store.id))
        )
    assert subjects == ["a month later"]
    assert [r.subject for r in dropped(db) if r.store_id == other.id] == ["the other store's"]


def test_a_customer_s_dropped_mail_is_in_their_export_and_erased_with_them(
    db: Database,
    store: StoreHandle,
    receiver: int,  # noqa: F811
) -> None:
    from loyaldesk.customers import CustomerProfile, upsert_customer
    from loyaldesk.customers.actions import erase_customer
    from loyaldesk.customers.queries import export_customer

    customer = db.write(
        upsert_customer, store.actor, store.id, "c-7", CustomerProfile(email="mia@example.org"), source="api"
    )
    deliver(receiver, mail("Out of office", "Away.", headers={"Auto-Submitted": "auto-replied"}))
    deliver(receiver, mail("Hello", "Hi", sender="Someone Else <else@example.org>",
                           headers={"Auto-Submitted": "auto-replied"}))  # fmt: skip
    assert len(dropped(db)) == 2
    with db.read() as session:
        export = export_customer(session, store.id, customer.customer.id)
    assert [(row["from"], row["subject"]) for row in export["dropped_mail"]] == [
        ("mia@example.org", "Out of office")
    ]
    db.write(erase_customer, store.actor, store.id, customer.customer.id)
    assert [r.sender for r in dropped(db)] == ["else@example.org"]
