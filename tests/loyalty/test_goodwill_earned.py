"""Goodwill counts in "earned": points an agent gives from the inbox (or the store gives as service
recovery) are points the member earned, wherever "earned" is shown (the shopper's API, the staff API,
the member's console page, the members list, the program overview), and the overview's earned is the sum
of every member's. Corrections by hand only put a balance right and are not earned. Members credited
before this was so are brought up to date by migration."""

from __future__ import annotations

import re

from alembic import command
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from loyaldesk.kernel.migrations import alembic_config, current_revision
from loyaldesk.loyalty.models import Member
from loyaldesk.support import actions
from loyaldesk.support.actions import contacts
from tests.factories import StoreHandle, csrf_of, login, make_staff
from tests.loyalty.shop import Shop


def _goodwill_from_the_inbox(
    client: TestClient, db: Database, shop: Shop, customer: str, points: int
) -> None:
    contact = db.write(
        contacts.identify_contact, shop.store.id, customer_id=shop.customer_id(customer), visitor_token=None
    )
    conversation_id = db.write(
        actions.post_customer_message, contact.contact_id, body="The vase came broken"
    ).conversation_id
    page = client.get("/console/acme/inbox", params={"c": conversation_id}).text
    given = client.post(
        f"/console/acme/inbox/{conversation_id}/goodwill",
        data={"points": str(points), "reason": "Sorry about the vase", "csrf_token": csrf_of(page)},
        headers={"accept": "application/json"},
    )
    assert given.status_code == 201, given.text


def _earned_shown(client: TestClient, shop: Shop, customer: str) -> dict[str, int]:
    """Every place that shows what ``customer`` earned, read as a user reads it."""
    member = shop.member(customer)
    page = client.get(f"/console/acme/loyalty/members/{member['member_id']}").text
    stat = re.search(r'Earned in all</span><span class="stat-value">([\d,]+)<', page)
    listed = client.get("/console/acme/loyalty/members", params={"q": f"{customer}@example.com"}).text
    row = re.search(r"<tr>.*?" + re.escape(f"{customer}@example.com") + r".*?</tr>", listed, re.S)
    assert stat is not None and row is not None
    cells = re.findall(r'<td class="num">([\d,]+)</td>', row.group(0))
    shopper = shop.as_shopper(customer, "GET", "/me").json()
    return {
        "staff api": member["balance"]["lifetime_earned"],
        "shopper api": shopper["balance"]["lifetime_earned"],
        "member page": int(stat.group(1).replace(",", "")),
        "members list": int(cells[2].replace(",", "")),  # available, pending, earned in all
    }


def test_goodwill_counts_as_earned_everywhere_earned_is_shown(
    client: TestClient, db: Database, store: StoreHandle, clock: FakeClock, password_hash: str
) -> None:
    shop = Shop(client, store, db, clock)
    shop.settings(pending_days=0, unlock_after_status="fulfilled", earn_on_status="paid")
    shop.order("mona", [("VASE", "Home", 1, 12_000)])  # 120 points by the rules
    shop.order("nils", [("TEE", "Apparel", 1, 4_000)])  # 40
    login(client, make_staff(db, store, "agent", password_hash))
    _goodwill_from_the_inbox(client, db, shop, "mona", 300)
    shop.adjust("mona", -50, key="fix", reason="correction")  # a correction is not earned nor unearned
    shop.adjust("nils", 25, key="sorry", reason="service_recovery")

    assert set(_earned_shown(client, shop, "mona").values()) == {120 + 300}
    assert set(_earned_shown(client, shop, "nils").values()) == {40 + 25}
    assert shop.balance("mona") == (300 - 50, 120)  # the order's points wait for fulfilment

    overview = shop.loyalty("GET", "/overview")
    assert (overview["points_issued"], overview["points_goodwill"], overview["points_earned"]) == (
        160,
        325,
        485,
    )
    assert overview["points_adjusted"] == 325 - 50
    with db.read() as session:
        assert session.scalar(select(func.sum(Member.lifetime_earned_points))) == overview["points_earned"]
    page = client.get("/console/acme/loyalty").text
    assert re.search(r'data-figure="earned">485<', page) and re.search(r'data-figure="goodwill">325<', page)
    assert "Other adjustments by hand (net)" in page and "-50" in page


def test_the_migration_counts_goodwill_given_before_it(
    client: TestClient, db: Database, store: StoreHandle, clock: FakeClock, database_url: str
) -> None:
    shop = Shop(client, store, db, clock)
    shop.settings(pending_days=0, unlock_after_status="fulfilled", earn_on_status="paid")
    shop.order("mona", [("VASE", "Home", 1, 12_000)])
    shop.adjust("mona", 300, key="gift", reason="goodwill")
    shop.adjust("mona", 70, key="carried", reason="migration")
    config = alembic_config(database_url)
    script = ScriptDirectory.from_config(config)
    [ours] = [rev for rev in script.walk_revisions() if "goodwill_counts_as_earned" in (rev.path or "")]
    head = current_revision(database_url)
    db.dispose()  # the migration runs on connections of its own

    def earned() -> int:
        checker = Database(database_url)
        try:
            with checker.read() as session:
                return int(session.scalars(select(Member.lifetime_earned_points)).one())
        finally:
            checker.dispose()

    assert earned() == 120 + 300
    command.downgrade(config, str(ours.down_revision))
    assert earned() == 120  # as the ledger counted before
    command.upgrade(config, "head")
    assert current_revision(database_url) == head and earned() == 120 + 300
