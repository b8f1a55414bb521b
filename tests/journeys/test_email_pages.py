"""What a recipient reaches from a journeys email, through HTTP: the unsubscribe page and the RFC 8058
one-click POST (consent withdrawn, the profile's marketing consent off, the event stored), the preference
page, the open pixel and the click redirect; forged tokens and other stores' tokens answered 404. And the
console's template editor: create the defaults, save, a bad variable refused on its field, the preview."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import text

from loyaldesk.journeys import Channel, LinkClaims, LinkKind, link_token, links_for
from loyaldesk.kernel.db import Database
from tests.factories import StoreHandle, csrf_of, login, make_staff
from tests.journeys.helpers import SECRET, make_customer, make_send


def _links(client: TestClient, store: StoreHandle, send_id: int, customer_id: int):  # type: ignore[no-untyped-def]
    return links_for(
        "https://testserver", SECRET, store.slug, send_id, customer_id, Channel.EMAIL, store_id=store.id
    )


def _path(url: str) -> str:
    return url.removeprefix("https://testserver")


def _consent(db: Database, customer_id: int) -> tuple[bool, list[tuple[str, bool, str]]]:
    with db.read() as session:
        profile = session.execute(
            text("SELECT marketing_consent FROM customers WHERE id = :id"), {"id": customer_id}
        ).scalar_one()
        rows = session.execute(
            text(
                "SELECT channel, granted, source FROM journey_consents"
                " WHERE customer_id = :id ORDER BY channel"
            ),
            {"id": customer_id},
        ).all()
    return bool(profile), [(channel, bool(granted), source) for channel, granted, source in rows]


def test_unsubscribe_page_then_one_click_post(client: TestClient, db: Database, store: StoreHandle) -> None:
    customer = make_customer(db, store)
    send = make_send(db, store, customer)
    links = _links(client, store, send, customer)
    page = client.get(_path(links.unsubscribe_url))
    assert page.status_code == 200 and "Unsubscribe from Acme marketing email?" in page.text
    assert _consent(db, customer)[0] is True  # opening the page changes nothing
    # A mail client's one-click POST: no cookie, no CSRF token, the RFC 8058 body.
    fresh = TestClient(client.app, base_url="https://testserver")
    done = fresh.post(
        _path(links.unsubscribe_url),
        content="List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert done.status_code == 200 and "You will no longer receive marketing email from Acme." in done.text
    assert _consent(db, customer) == (False, [("email", False, "unsubscribe_link")])
    with db.read() as session:
        unsubscribed = session.execute(
            text("SELECT unsubscribed_at FROM journey_sends WHERE id = :id"), {"id": send}
        ).scalar()
        events = session.execute(
            text("SELECT count(*) FROM domain_events WHERE event_type = 'journey.consent_changed'")
        ).scalar()
    assert unsubscribed is not None and events == 1
    assert fresh.post(_path(links.unsubscribe_url)).status_code == 200  # again: still fine, no new event


def test_the_unsubscribe_page_speaks_the_customers_language(
    client: TestClient, db: Database, store: StoreHandle
) -> None:
    customer = make_customer(db, store, locale="de-DE")
    links = _links(client, store, 0, customer)
    assert "Von Werbe-E-Mails von Acme abmelden?" in client.get(_path(links.unsubscribe_url)).text


def test_preferences_page_saves_each_channel(client: TestClient, db: Database, store: StoreHandle) -> None:
    customer = make_customer(db, store)
    url = _path(_links(client, store, 0, customer).preferences_url)
    page = client.get(url)
    assert page.status_code == 200
    assert 'id="pref-email" name="email" value="yes" checked' in page.text
    assert 'id="pref-sms" name="sms" value="yes" >' in page.text
    saved = client.post(url, data={"sms": "yes"})
    assert saved.status_code == 200 and "Your choices are saved." in saved.text
    assert _consent(db, customer) == (
        False,
        [
            ("email", False, "preference_page"),
            ("push", False, "preference_page"),
            ("sms", True, "preference_page"),
        ],
    )
    assert 'name="sms" value="yes" checked' in saved.text


def test_open_pixel_and_click_redirect_are_recorded(
    client: TestClient, db: Database, store: StoreHandle
) -> None:
    customer = make_customer(db, store)
    send = make_send(db, store, customer)
    links = _links(client, store, send, customer)
    pixel = client.get(_path(links.open_url))
    assert pixel.status_code == 200 and pixel.headers["content-type"] == "image/gif"
    assert pixel.content.startswith(b"GIF89a") and pixel.headers["cache-control"] == "no-store"
    click = client.get(_path(links.click_url("https://shop.example/sale?x=1")), follow_redirects=False)
    assert click.status_code == 302 and click.headers["location"] == "https://shop.example/sale?x=1"
    with db.read() as session:
        opened, clicked = session.execute(
            text("SELECT opened_at, clicked_at FROM journey_sends WHERE id = :id"), {"id": send}
        ).one()
    assert opened is not None and clicked is not None


def test_forged_and_foreign_tokens_are_not_found(
    client: TestClient, db: Database, store: StoreHandle, other_store: StoreHandle
) -> None:
    customer = make_customer(db, store)
    links = _links(client, store, 0, customer)
    token = links.unsubscribe_url.rsplit("/", 1)[1]
    payload, signature = token.split(".")
    foreign = links_for(
        "https://testserver", SECRET, other_store.slug, 0, customer, Channel.EMAIL, store_id=store.id
    )
    other_secret = links_for(
        "https://testserver", "another secret", store.slug, 0, customer, Channel.EMAIL, store_id=store.id
    )
    open_token = links.open_url.rsplit("/", 1)[1]
    refused = [
        ("GET", f"/u/{store.slug}/{payload}.{signature[:-3]}AAA"),
        ("POST", f"/u/{store.slug}/{payload}.{signature[:-3]}AAA"),
        ("GET", _path(foreign.unsubscribe_url)),  # a good token under another store's slug
        ("GET", _path(other_secret.unsubscribe_url)),
        ("GET", f"/u/{store.slug}/{open_token}"),  # a token of another kind
        ("GET", _path(foreign.preferences_url)),
        ("POST", _path(foreign.preferences_url)),
        ("GET", f"/t/o/{payload}.{signature[:-3]}AAA"),
        ("GET", f"/t/c/{open_token}"),
        ("GET", _path(other_secret.click_url("https://evil.example"))),
    ]
    for method, url in refused:
        assert client.request(method, url, follow_redirects=False).status_code == 404, (method, url)
    # A customer of another store named in a token signed for this one.
    stranger = make_customer(db, other_store, email="x@example.com")
    claims = LinkClaims(LinkKind.UNSUBSCRIBE, store.id, 0, stranger, Channel.EMAIL)
    assert client.get(f"/u/{store.slug}/{link_token(SECRET, claims)}").status_code == 404
    assert _consent(db, customer)[1] == []


def _editor_login(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str, role: str = "owner"
) -> None:
    login(client, make_staff(db, store, role, password_hash))


def test_console_template_editor(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    _editor_login(client, db, store, password_hash)
    base = f"/console/{store.slug}/journeys/templates"
    listing = client.get(base)
    assert listing.status_code == 200 and "No email templates yet." in listing.text
    made = client.post(
        f"/console/{store.slug}/journeys/default-templates",
        data={"csrf_token": csrf_of(listing.text)},
        follow_redirects=False,
    )
    assert made.status_code == 303
    listing = client.get(made.headers["location"])
    assert "17 default templates created." in listing.text and "points_expiring_7" in listing.text
    editor = client.get(f"{base}/points_expiring_7")
    assert editor.status_code == 200 and 'srcdoc="' in editor.text and 'width="375"' in editor.text
    assert "style-src 'self' 'unsafe-inline'" in editor.headers["content-security-policy"]
    assert "expiring_points" in editor.text  # the variables, explained
    csrf = csrf_of(editor.text)
    form = {
        "csrf_token": csrf, "name": "Points expiring", "subject": "{{ first_name }}, hurry",
        "preheader": "", "body": "Your {{ expiring_points }} points expire on {{ expiring_on }}.",
        "button_label": "Go", "button_url": "{{ member_url }}", "mjml": "",
    }  # fmt: skip
    bad = client.post(f"{base}/points_expiring_7", data={**form, "body": "Hello {{ favourite_colour }}"})
    assert bad.status_code == 422
    assert "unknown variable {{ favourite_colour }}" in bad.text and 'aria-invalid="true"' in bad.text
    bad_mjml = client.post(
        f"{base}/points_expiring_7", data={**form, "mjml": "<mjml><mj-body>{{ unsubscribe_url }}"}
    )
    assert bad_mjml.status_code == 422 and "MJML does not compile" in bad_mjml.text
    saved = client.post(f"{base}/points_expiring_7", data=form, follow_redirects=False)
    assert saved.status_code == 303
    page = client.get(saved.headers["location"])
    assert "Template saved." in page.text and "Emma, hurry" in page.text  # the preview follows the save
    preview = client.post(f"{base}/points_expiring_7/preview", data={**form, "subject": "Unsaved {{ tier }}"})
    assert preview.status_code == 200 and preview.text.startswith('<div id="template-preview"')
    assert "Unsaved Gold" in preview.text
    with db.read() as session:
        subject = session.execute(
            text("SELECT subject FROM journey_templates WHERE key = 'points_expiring_7'")
        ).scalar()
    assert subject == "{{ first_name }}, hurry"
    sms = client.get(f"{base}/points_expiring_7_sms")
    assert sms.status_code == 200 and "Reply STOP to opt out." in sms.text


def test_an_analyst_reads_templates_but_cannot_save(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    from loyaldesk.journeys import ensure_default_templates

    db.write(ensure_default_templates, store.id, "en")
    _editor_login(client, db, store, password_hash, role="analyst")
    page = client.get(f"/console/{store.slug}/journeys/templates/birthday")
    assert page.status_code == 200 and "<fieldset disabled" in page.text
    refused = client.post(
        f"/console/{store.slug}/journeys/templates/birthday",
        data={"csrf_token": csrf_of(page.text), "name": "x", "subject": "x", "body": "x"},
    )
    assert refused.status_code == 403
