"""The help center in the console, over HTTP as an editor uses it: write a draft, preview it, publish it,
edit the draft while shoppers keep the published version, publish again; categories; the report shows a
search that found nothing and shoppers' feedback; an article started from a resolved conversation; an
agent reads but cannot write."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import Database
from loyaldesk.stores import StaffAccount
from loyaldesk.support.actions import post_agent_message, post_customer_message
from loyaldesk.support.actions.change_conversation import change_status
from loyaldesk.support.actions.contacts import identify_contact
from tests.factories import StoreHandle, csrf_of, login, make_staff, table_counts


def editor(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str, role: str = "admin"
) -> str:
    login(client, make_staff(db, store, role, password_hash))
    page = client.get(f"/console/{store.slug}/help-center")
    assert page.status_code == 200
    return csrf_of(page.text) if 'name="csrf_token"' in page.text else ""


def new_article(client: TestClient, store: StoreHandle, csrf: str, **fields: str) -> str:
    form = {
        "csrf_token": csrf,
        "title": "Returns",
        "body": "Send it back within **30 days**.",
        "language": "en",
    }
    form.update(fields)
    made = client.post(f"/console/{store.slug}/help-center/articles", data=form, follow_redirects=False)
    assert made.status_code == 303, made.text[:500]
    return made.headers["location"].split("?")[0]


def test_write_publish_edit_and_republish(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
):
    editor(client, db, store, password_hash)
    form_page = client.get(f"/console/{store.slug}/help-center/articles/new")
    csrf = csrf_of(form_page.text)
    # Preview renders the Markdown without saving anything.
    preview = client.post(
        f"/console/{store.slug}/help-center/articles",
        data={
            "csrf_token": csrf,
            "title": "Returns",
            "body": "Send it back within **30 days**.",
            "intent": "preview",
        },
    )
    assert "<strong>30 days</strong>" in preview.text
    assert table_counts(db, "knowledge_articles") == {"knowledge_articles": 0}

    article = new_article(client, store, csrf, slug="returns")
    public = f"/help/{store.slug}/en/articles/returns"
    assert client.get(public).status_code == 404  # a draft is not public
    listed = client.get(f"/console/{store.slug}/help-center?status=draft")
    assert "Returns" in listed.text

    client.post(f"{article}/publish", data={"csrf_token": csrf}, follow_redirects=False)
    shown = client.get(public)
    assert shown.status_code == 200 and "<strong>30 days</strong>" in shown.text

    # Editing the draft leaves the published version as it was...
    edited = client.post(
        article,
        data={
            "csrf_token": csrf,
            "title": "Returns",
            "body": "Send it back within **60 days**.",
            "slug": "returns",
            "language": "en",
            "intent": "save",
        },
        follow_redirects=False,
    )
    assert edited.status_code == 303
    assert "30 days" in client.get(public).text and "60 days" not in client.get(public).text
    page = client.get(article)
    assert "The draft has changes shoppers do not see yet." in page.text
    # ... until it is published again (version 2).
    client.post(f"{article}/publish", data={"csrf_token": csrf}, follow_redirects=False)
    assert "60 days" in client.get(public).text
    assert "Published (version 2)" in client.get(article).text

    client.post(f"{article}/unpublish", data={"csrf_token": csrf}, follow_redirects=False)
    assert client.get(public).status_code == 404


def test_a_wrong_article_is_shown_again_naming_the_field(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
):
    editor(client, db, store, password_hash)
    csrf = csrf_of(client.get(f"/console/{store.slug}/help-center/articles/new").text)
    new_article(client, store, csrf, slug="returns")
    refused = client.post(
        f"/console/{store.slug}/help-center/articles",
        data={
            "csrf_token": csrf,
            "title": "Other returns",
            "body": "text",
            "slug": "returns",
            "language": "en",
        },
    )
    assert refused.status_code == 409
    assert "exists already" in refused.text and 'aria-invalid="true"' in refused.text
    empty = client.post(
        f"/console/{store.slug}/help-center/articles",
        data={"csrf_token": csrf, "title": "", "body": "", "language": "xx"},
    )
    assert empty.status_code == 422 and "Title" in empty.text
    assert table_counts(db, "knowledge_articles") == {"knowledge_articles": 1}


def test_categories_and_the_report(client: TestClient, db: Database, store: StoreHandle, password_hash: str):
    editor(client, db, store, password_hash)
    csrf = csrf_of(client.get(f"/console/{store.slug}/help-center/categories").text)
    added = client.post(
        f"/console/{store.slug}/help-center/categories",
        data={"csrf_token": csrf, "name": "Shipping & delivery"},
        follow_redirects=False,
    )
    assert added.status_code == 303
    assert "/categories/shipping-delivery" in client.get(f"/console/{store.slug}/help-center/categories").text
    article = new_article(
        client, store, csrf, title="Delivery times", body="Standard delivery takes 2 to 4 working days."
    )
    client.post(f"{article}/publish", data={"csrf_token": csrf}, follow_redirects=False)

    # A shopper searches for something no article answers, and one that helped.
    assert (
        "No article answers"
        in client.get(f"/help/{store.slug}/search", params={"q": "do you sell gift cards"}).text
    )
    found = client.get(f"/help/{store.slug}/search", params={"q": "how long does shipping take"})
    assert "Delivery times" in found.text
    client.post(
        f"/help/{store.slug}/en/articles/delivery-times/feedback", data={"helpful": "no", "comment": "slow"}
    )
    report = client.get(f"/console/{store.slug}/help-center/report")
    assert report.status_code == 200
    gaps = report.text.split('id="gaps-heading"')[1].split("</section>")[0]
    assert "do you sell gift cards" in gaps and "how long does shipping take" not in gaps
    helpful = report.text.split('id="helpful-heading"')[1].split("</section>")[0]
    assert "Delivery times" in helpful and "0 %" in helpful


def test_an_article_started_from_a_resolved_conversation(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
):
    editor(client, db, store, password_hash)
    agent_email = make_staff(db, store, "agent", password_hash, email="ada@acme.example.com")
    with db.read() as session:
        agent_id = session.scalar(select(StaffAccount.id).where(StaffAccount.email == agent_email))
    agent = Actor(kind="staff", id=agent_id, store_id=store.id, label="Ada", role="agent")
    contact = db.write(identify_contact, store.id, customer_id=None, visitor_token=None)
    message = db.write(post_customer_message, contact.contact_id, body="Can I change the size of my order?")
    db.write(post_agent_message, agent, message.conversation_id, body="Yes, until it ships: open My orders.")
    start = f"/console/{store.slug}/help-center/articles/new?conversation={message.conversation_id}"
    assert client.get(start).status_code == 409  # not resolved yet
    db.write(change_status, agent, message.conversation_id, "resolved")
    inbox = client.get(f"/console/{store.slug}/inbox?c={message.conversation_id}")
    assert f'href="{start}"' in inbox.text and "Start an article from this conversation" in inbox.text
    page = client.get(start)
    assert page.status_code == 200
    assert 'value="Can I change the size of my order?"' in page.text
    assert "Yes, until it ships: open My orders." in page.text


def test_an_agent_reads_articles_but_cannot_write_them(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
):
    editor(client, db, store, password_hash, role="agent")
    listed = client.get(f"/console/{store.slug}/help-center")
    assert listed.status_code == 200 and "New article" not in listed.text
    assert client.get(f"/console/{store.slug}/help-center/articles/new").status_code == 403
