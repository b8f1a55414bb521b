"""Journeys' ``recommendations`` email block, end to end: the points-expiring journey is switched on, the
engine's own jobs send the email through a real SMTP peer (aiosmtpd on 127.0.0.1), and the email a
customer with picks receives shows their products as cards (image, title linking to the product, price,
why) in the HTML part and as lines in the text part; a customer without picks gets the same email
without the block (no heading, no empty box). Plus the block's options and their checks."""

from __future__ import annotations

import html
from datetime import datetime, time, timedelta
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from loyaldesk.customers import Customer
from loyaldesk.journeys.actions.rules import switch_on_builtin
from loyaldesk.journeys.actions.templates import check_template, ensure_default_templates
from loyaldesk.journeys.rendering.recommendations import BlockOptions, block_options, parse_options
from loyaldesk.journeys.vocab import Channel
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database, UnitOfWork
from loyaldesk.loyalty.models import PointLot
from loyaldesk.recommendations import PickFilters, PickRequest, Placement, picks_for
from loyaldesk.runtime import Runtime
from loyaldesk.settings import Settings
from tests.e2e.test_journey_proof_browser import engine_pass, midday_zone
from tests.factories import StoreHandle, login, make_staff
from tests.recommendations.test_inbox_picks import COFFEE, add_picks, add_product
from tests.stores import conftest as accounts
from tests.web.test_console_loyalty import enrolled, give, person

smtp_peer = accounts.smtp_peer  # the real SMTP peer on 127.0.0.1


@pytest.fixture
def settings(settings: Settings, smtp_peer: accounts.MailPeer) -> Settings:
    return accounts.mailing_settings(settings, smtp_peer)


def parts(message: EmailMessage) -> tuple[str, str]:
    html = message.get_body(preferencelist=("html",))
    text = message.get_body(preferencelist=("plain",))
    assert html is not None and text is not None
    return str(html.get_content()), str(text.get_content())  # type: ignore[attr-defined]


def test_the_points_expiring_email_carries_the_customers_picks_and_none_for_a_customer_without(
    runtime: Runtime, db: Database, store: StoreHandle, clock: FakeClock, smtp_peer: accounts.MailPeer
) -> None:
    grace = person(db, store, "g", "Grace", "Hopper", "grace@example.com")
    ada = person(db, store, "a", "Ada", "Lovelace", "ada@example.com")
    for customer_id in (grace, ada):
        give(db, store, enrolled(db, store, customer_id), 1_250, f"welcome-{customer_id}")
    for key, title, _kind, _params in COFFEE:
        add_product(db, store, key, title, price=1250, image=key != "MUG-3")
    add_picks(db, store, grace, [(key, kind, params) for key, _title, kind, params in COFFEE])
    now = clock.now()
    in_30_days = now.astimezone(ZoneInfo("UTC")).date() + timedelta(days=30)

    def expiring_in_30_days(uow: UnitOfWork) -> None:
        uow.session.execute(
            update(PointLot).values(expires_at=datetime.combine(in_30_days, time(12), ZoneInfo("UTC")))
        )
        uow.session.execute(update(Customer).values(marketing_consent=True, timezone=midday_zone(now)))

    db.write(expiring_in_30_days)
    db.write(switch_on_builtin, store.actor, store.id, "points_expiring_30")
    engine_pass(db)

    received = {recipients[0]: message for _sender, recipients, message in smtp_peer.received}
    assert sorted(received) == ["ada@example.com", "grace@example.com"]
    html, text = parts(received["grace@example.com"])
    with db.read() as session:
        expected = picks_for(session, PickRequest(store.id, grace, placement=Placement.EMAIL, limit=3))
    assert [pick.title for pick in expected] == ["Espresso beans 1 kg", "Burr grinder", "Stoneware mug"]
    assert "Picked for you" in html and html.count('class="ld-product"') == 3
    assert "Paper filters" not in html  # three by default
    for pick in expected:
        assert pick.title in html and pick.reason in html
        assert f"- {pick.title}, €12.50" in text and pick.reason in text
    assert "https://cdn.shop.example/beans-1.jpg" in html and "mug-3.jpg" not in html  # no image: none shown
    # The title links to the product (through the signed click redirect, as every marketing link).
    assert "/t/c/" in html and "beans-1" in html
    assert "€12.50" in html
    assert "Picked for you:" in text and "https://shop.example/p/beans-1" in text
    # The block stands where the template puts it: after the reminder, before the button and footer.
    assert text.index("expire on") < text.index("Picked for you:") < text.index("Use my points")

    plain_html, plain_text = parts(received["ada@example.com"])
    assert "1,250 of your points" in plain_html
    assert "Picked for you" not in plain_html and "ld-recommendations" not in plain_html
    assert "Picked for you" not in plain_text and "count=" not in plain_text
    assert "\n\n\n" not in plain_text


def test_the_block_narrows_to_a_category_or_a_campaigns_items(
    runtime: Runtime, db: Database, store: StoreHandle
) -> None:
    from loyaldesk.journeys.ports import ProductAsk, pick_products

    customer_id = person(db, store, "g", "Grace", "Hopper", "grace@example.com")
    for key, title, _kind, _params in COFFEE:
        add_product(db, store, key, title, category="Gear" if key == "GRINDER-2" else "Coffee")
    add_picks(db, store, customer_id, [(key, kind, params) for key, _title, kind, params in COFFEE])
    with db.read() as session:
        gear = pick_products(session, ProductAsk(store.id, customer_id, count=3, categories=("Gear",)))
        campaign = pick_products(
            session, ProductAsk(store.id, customer_id, count=3, item_keys=("FILTER-4", "MUG-3"))
        )
        german = pick_products(session, ProductAsk(store.id, customer_id, count=1, language="de"))
        assert picks_for(
            session, PickRequest(store.id, customer_id, filters=PickFilters(categories=("Gear",)))
        )
    assert [card.title for card in gear] == ["Burr grinder"]
    assert [card.item_key for card in campaign] == ["MUG-3", "FILTER-4"]
    assert german[0].price == "12,50\xa0€"


def test_options_are_read_and_bad_ones_are_refused_naming_the_field() -> None:
    assert block_options("Hello", None) is None
    assert block_options("{{ recommendations }}") == BlockOptions()
    assert parse_options("count=4; category=Coffee, Tea; items=A-1,B-2") == BlockOptions(
        count=4, categories=("Coffee", "Tea"), item_keys=("A-1", "B-2")
    )
    for wrong in ("count=0", "count=7", "count=two", "colour=red", "category=", "nonsense"):
        with pytest.raises(ValueError, match="recommendations"):
            parse_options(wrong)
    texts = {
        "name": "News", "subject": "Hi", "preheader": "", "body": "Hi\n\n{{ recommendations | count=9 }}",
        "button_label": "", "button_url": "", "mjml": "",
    }  # fmt: skip
    [problem] = check_template(Channel.EMAIL, texts)
    assert problem.field == "body" and "count is a whole number from 1 to 6" in problem.reason
    assert check_template(Channel.EMAIL, {**texts, "body": "Hi\n\n{{ recommendations | count=2 }}"}) == []


def test_the_template_editor_previews_the_block_with_sample_products(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    login(client, make_staff(db, store, "owner", password_hash))
    db.write(ensure_default_templates, store.id, "en")
    editor = client.get(f"/console/{store.slug}/journeys/templates/winback")
    assert editor.status_code == 200
    preview = html.unescape(editor.text)
    # Three products by default, in each of the two previews (phone and desktop width).
    assert "Picked for you" in preview and preview.count('class="ld-product"') == 6
    assert "Espresso beans 1 kg" in preview and "You buy this about every 30 days" in preview
    other = client.get(f"/console/{store.slug}/journeys/templates/review_request")
    assert "Picked for you" not in html.unescape(other.text)  # no {{ recommendations }} there
