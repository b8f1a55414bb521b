"""Members in the console: the list, a member's loyalty page and its actions (adjust points once per form,
cancel a code, override the tier), the referrals review, and the loyalty card, timeline and export on
the customer record."""

from __future__ import annotations

import json
import re

from fastapi.testclient import TestClient

from loyaldesk.kernel.db import Database
from loyaldesk.loyalty.actions.configure_program import save_reward
from loyaldesk.loyalty.actions.redeem_rewards import redeem
from loyaldesk.loyalty.actions.reward_referrals import record_referral
from loyaldesk.loyalty.models import Member, Referral, RewardCode
from loyaldesk.loyalty.schemas import RewardIn
from tests.factories import StoreHandle, table_counts
from tests.web.test_console_loyalty import (
    LOYALTY_TABLES,
    as_staff,
    balance,
    enrolled,
    form_of,
    give,
    ladder,
    person,
)


def _adjust_form(client: TestClient, member_id: int) -> dict:  # type: ignore[type-arg]
    page = client.get(f"/console/acme/loyalty/members/{member_id}")
    return form_of(page.text, f"/console/acme/loyalty/members/{member_id}/adjust")


def test_agent_adjusts_points_once_per_form_and_sees_the_history(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    ladder(db, store)
    member = enrolled(db, store, person(db, store, "g", "Grace", "Hopper", "grace@example.com"))
    give(db, store, member, 1_200, "welcome")
    give(db, store, member, 300, "order", pending=True)
    as_staff(client, db, store, "agent", password_hash)

    page = client.get(f"/console/acme/loyalty/members/{member}")
    assert page.status_code == 200
    text = page.text
    assert "Grace Hopper" in text and "1,200" in text and "Bonus welcome: 1200 points" in text
    assert "Pending points" in text and "300" in text
    assert "Spend €200.00 more to reach Silver" in text  # the tier progress, in words
    assert "Tier override" not in text  # agents adjust points but do not set tiers
    form = _adjust_form(client, member)
    assert len(form["key"]) >= 20 and form["reason_code"] == "goodwill"
    form.update({"points": "250", "reason_code": "service_recovery", "note": "Parcel was late"})

    first = client.post(f"/console/acme/loyalty/members/{member}/adjust", data=form, follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"].endswith("?done=adjusted")
    again = client.post(f"/console/acme/loyalty/members/{member}/adjust", data=form, follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"].endswith("?done=repeat")
    assert balance(db, member) == (1_450, 300)
    shown = client.get(again.headers["location"]).text
    assert "nothing was added twice" in shown
    assert "Sorry for the trouble: Parcel was late" in shown and "+250" in shown
    assert "Service recovery" in shown

    # A fresh form (new key) removes points; more than available is refused and named.
    form = _adjust_form(client, member)
    before = table_counts(db, *LOYALTY_TABLES)
    too_many = client.post(
        f"/console/acme/loyalty/members/{member}/adjust",
        data={**form, "points": "-5000", "note": "Correction"},
    )
    assert too_many.status_code == 409
    assert 'href="#f-points">Points</a>' in too_many.text
    zero = client.post(
        f"/console/acme/loyalty/members/{member}/adjust", data={**form, "points": "0", "note": ""}
    )
    assert zero.status_code == 422
    assert 'href="#f-points">Points</a>: must not be 0' in zero.text
    assert 'href="#f-note">Note</a>' in zero.text
    assert table_counts(db, *LOYALTY_TABLES) == before
    removed = client.post(
        f"/console/acme/loyalty/members/{member}/adjust",
        data={**form, "points": "-450", "reason_code": "correction", "note": "Double credit"},
    )
    assert removed.status_code == 200
    assert balance(db, member) == (1_000, 300)
    assert re.search(r'id="balance">1,000<', removed.text)


def test_history_pages_through_older_entries(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    member = enrolled(db, store, person(db, store, "g", "Grace", "Hopper", "grace@example.com"))
    for number in range(30):
        give(db, store, member, 10, f"e{number:02d}")
    as_staff(client, db, store, "analyst", password_hash)
    first = client.get(f"/console/acme/loyalty/members/{member}")
    assert "Bonus e29" in first.text and "Bonus e04" not in first.text
    cursor = re.search(r'href="\?before=([^"#]+)#history-title"', first.text)
    assert cursor is not None
    older = client.get(f"/console/acme/loyalty/members/{member}", params={"before": cursor.group(1)})
    assert "Bonus e04" in older.text and "Bonus e29" not in older.text and "← Newest" in older.text
    assert client.get(f"/console/acme/loyalty/members/{member}?before=nonsense").status_code == 422


def test_analysts_cannot_adjust_or_cancel(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    member = enrolled(db, store, person(db, store, "g", "Grace", "Hopper", "grace@example.com"))
    give(db, store, member, 1_000, "welcome")
    reward = db.write(
        save_reward,
        store.actor,
        store.id,
        RewardIn(name="Free shipping", kind="free_shipping", points_cost=300),
    )
    code = db.write(redeem, store.actor, store.id, member, reward.id, key="r1")
    as_staff(client, db, store, "analyst", password_hash)
    page = client.get(f"/console/acme/loyalty/members/{member}")
    assert code.code in page.text
    assert "Adjust points" not in page.text and "/cancel" not in page.text
    token = form_of(page.text, "/logout")["csrf_token"]
    before = table_counts(db, *LOYALTY_TABLES)
    adjust = client.post(
        f"/console/acme/loyalty/members/{member}/adjust",
        data={"csrf_token": token, "points": "5", "reason_code": "goodwill", "note": "x", "key": "k"},
    )
    assert adjust.status_code == 403
    cancel = client.post(
        f"/console/acme/loyalty/members/{member}/codes/{code.id}/cancel", data={"csrf_token": token}
    )
    assert cancel.status_code == 403
    override = client.post(f"/console/acme/loyalty/members/{member}/tier", data={"csrf_token": token})
    assert override.status_code == 403
    assert table_counts(db, *LOYALTY_TABLES) == before
    assert balance(db, member) == (700, 0)


def test_cancelling_a_code_gives_the_points_back_and_admin_overrides_the_tier(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    tiers = ladder(db, store)
    member = enrolled(db, store, person(db, store, "g", "Grace", "Hopper", "grace@example.com"))
    other = enrolled(db, store, person(db, store, "a", "Ada", "Lovelace", "ada@example.com"))
    give(db, store, member, 1_000, "welcome")
    reward = db.write(
        save_reward,
        store.actor,
        store.id,
        RewardIn(name="€5 off", kind="fixed_discount", value=500, points_cost=400),
    )
    code = db.write(redeem, store.actor, store.id, member, reward.id, key="r1")
    assert balance(db, member) == (600, 0)
    as_staff(client, db, store, "admin", password_hash)
    page = client.get(f"/console/acme/loyalty/members/{member}")
    action = f"/console/acme/loyalty/members/{member}/codes/{code.id}/cancel"
    assert f'action="{action}"' in page.text and code.code in page.text
    token = form_of(page.text, action)["csrf_token"]
    # Another member's page cannot cancel this code.
    wrong = client.post(
        f"/console/acme/loyalty/members/{other}/codes/{code.id}/cancel", data={"csrf_token": token}
    )
    assert wrong.status_code == 404
    cancelled = client.post(action, data={"csrf_token": token})
    assert cancelled.status_code == 200 and "Code cancelled and its points given back." in cancelled.text
    assert balance(db, member) == (1_000, 0)
    with db.read() as session:
        assert session.get(RewardCode, code.id).status == "cancelled"  # type: ignore[union-attr]
    assert "400 points back" in cancelled.text
    before = table_counts(db, *LOYALTY_TABLES)
    twice = client.post(action, data={"csrf_token": token})
    assert twice.status_code == 409 and "only unused codes can be cancelled" in twice.text
    assert table_counts(db, *LOYALTY_TABLES) == before

    override = form_of(cancelled.text, f"/console/acme/loyalty/members/{member}/tier")
    assert override["tier_id"] == ""
    done = client.post(
        f"/console/acme/loyalty/members/{member}/tier", data={**override, "tier_id": str(tiers["Gold"])}
    )
    assert done.status_code == 200 and "Tier override saved." in done.text
    with db.read() as session:
        row = session.get(Member, member)
        assert row is not None and row.tier_override_id == tiers["Gold"] and row.tier_id == tiers["Gold"]
    assert "held by override: Gold" in done.text
    bad = client.post(f"/console/acme/loyalty/members/{member}/tier", data={**override, "tier_id": "999999"})
    assert bad.status_code == 422


def test_members_list_searches_and_sorts(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    grace = enrolled(db, store, person(db, store, "g", "Grace", "Hopper", "grace@example.com"))
    ada = enrolled(db, store, person(db, store, "a", "Ada", "Lovelace", "ada@example.com"))
    give(db, store, grace, 50, "g")
    give(db, store, ada, 2_500, "a")
    as_staff(client, db, store, "analyst", password_hash)
    listing = client.get("/console/acme/loyalty/members?sort=balance")
    assert listing.status_code == 200
    assert listing.text.index("Ada Lovelace") < listing.text.index("Grace Hopper")
    assert "2,500" in listing.text
    low = client.get("/console/acme/loyalty/members?sort=balance_low")
    assert low.text.index("Grace Hopper") < low.text.index("Ada Lovelace")
    found = client.get("/console/acme/loyalty/members", params={"q": "hopper"})
    assert "Grace Hopper" in found.text and "Ada Lovelace" not in found.text
    by_email = client.get("/console/acme/loyalty/members", params={"q": "ada@"})
    assert "Ada Lovelace" in by_email.text and "Grace Hopper" not in by_email.text
    nothing = client.get("/console/acme/loyalty/members", params={"q": "zz%_"})
    assert "No members match" in nothing.text
    assert f'href="/console/acme/loyalty/members/{grace}"' in listing.text


def test_referrals_review_shows_reasons_and_managers_decide(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    referrer = enrolled(
        db, store, person(db, store, "g", "Grace", "Hopper", "grace@example.com", "+31 6 1234 5678")
    )
    friend = person(db, store, "f", "Frank", "Twin", "frank@example.com", "+31 6 1234 5678")
    honest = person(db, store, "h", "Hedy", "Lamarr", "hedy@example.com")
    with db.read() as session:
        code = session.get(Member, referrer).referral_code  # type: ignore[union-attr]
    rejected = db.write(record_referral, store.actor, store.id, code, friend)
    pending = db.write(record_referral, store.actor, store.id, code, honest)
    assert rejected.status == "rejected" and pending.status == "pending"

    as_staff(client, db, store, "agent", password_hash)
    page = client.get("/console/acme/loyalty/referrals?status=rejected")
    assert page.status_code == 200
    assert "Frank Twin" in page.text and "same phone number as the referrer" in page.text
    assert "Hedy Lamarr" not in page.text
    assert "/decision" not in page.text  # agents read only
    token = form_of(page.text, "/logout")["csrf_token"]
    before = table_counts(db, *LOYALTY_TABLES, "loyalty_referrals")
    denied = client.post(
        f"/console/acme/loyalty/referrals/{rejected.id}/decision",
        data={"csrf_token": token, "decision": "approve"},
    )
    assert denied.status_code == 403
    assert table_counts(db, *LOYALTY_TABLES, "loyalty_referrals") == before
    client.post("/logout", data={"csrf_token": token})

    as_staff(client, db, store, "admin", password_hash)
    page = client.get("/console/acme/loyalty/referrals?status=rejected")
    form = form_of(page.text, f"/console/acme/loyalty/referrals/{rejected.id}/decision")
    approved = client.post(
        f"/console/acme/loyalty/referrals/{rejected.id}/decision",
        data={**form, "decision": "approve"},
        follow_redirects=False,
    )
    assert approved.status_code == 303
    assert approved.headers["location"].endswith("?done=approve&status=rejected")
    all_page = client.get("/console/acme/loyalty/referrals")
    assert "Referral approved." not in all_page.text
    form = form_of(all_page.text, f"/console/acme/loyalty/referrals/{pending.id}/decision")
    client.post(f"/console/acme/loyalty/referrals/{pending.id}/decision", data={**form, "decision": "reject"})
    with db.read() as session:
        assert session.get(Referral, rejected.id).status == "pending"  # type: ignore[union-attr]
        assert session.get(Referral, pending.id).status == "rejected"  # type: ignore[union-attr]
        assert session.get(Referral, pending.id).decided_by == "admin@acme.example.com"  # type: ignore[union-attr]
    bad = client.post(
        f"/console/acme/loyalty/referrals/{pending.id}/decision", data={**form, "decision": "maybe"}
    )
    assert bad.status_code == 422


def test_customer_page_card_timeline_and_export(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    tiers = ladder(db, store)
    customer = person(db, store, "g", "Grace", "Hopper", "grace@example.com")
    outsider = person(db, store, "o", "Otto", "Outside", "otto@example.com")
    member = enrolled(db, store, customer)
    give(db, store, member, 1_234, "welcome")
    give(db, store, member, 66, "order", pending=True)
    reward = db.write(
        save_reward, store.actor, store.id, RewardIn(name="Tote bag", kind="custom", points_cost=200)
    )
    code = db.write(redeem, store.actor, store.id, member, reward.id, key="r1")
    as_staff(client, db, store, "admin", password_hash)

    page = client.get(f"/console/acme/customers/{customer}")
    assert page.status_code == 200
    card = page.text.split('id="loyalty-title"')[1].split("</section>")[0]
    assert "1,034" in card and "66" in card and "Bronze" in card
    assert f'href="/console/acme/loyalty/members/{member}"' in card
    timeline = page.text.split('id="timeline-title"')[1]
    assert "Joined the loyalty program" in timeline
    assert "Bonus welcome: 1234 points" in timeline and "+1,234 points · balance 1,234" in timeline
    assert "Redeemed Tote bag" in timeline and code.code in timeline
    assert f'href="/console/acme/loyalty/members/{member}"' in timeline

    outsider_page = client.get(f"/console/acme/customers/{outsider}")
    assert "Not a member of the loyalty program yet" in outsider_page.text
    assert client.get(f"/console/acme/loyalty/customers/{outsider}").status_code == 404
    redirect = client.get(f"/console/acme/loyalty/customers/{customer}", follow_redirects=False)
    assert redirect.headers["location"] == f"/console/acme/loyalty/members/{member}"

    token = form_of(page.text, f"/console/acme/customers/{customer}/export")["csrf_token"]
    export = client.post(f"/console/acme/customers/{customer}/export", data={"csrf_token": token})
    document = json.loads(export.text)
    loyalty = document["loyalty"]
    assert loyalty["balance"]["available_points"] == 1_034 and loyalty["balance"]["pending_points"] == 66
    assert loyalty["member"]["tier"] == "Bronze" and tiers
    assert [entry["points"] for entry in loyalty["ledger_entries"]] == [1_234, 66, -200]
    assert loyalty["reward_codes"][0]["code"] == code.code
    assert loyalty["reward_codes"][0]["reward"] == "Tote bag"


def test_every_loyalty_event_reads_in_words_on_the_timeline() -> None:
    from datetime import UTC, datetime

    from loyaldesk.customers.extensions import describe, described_types
    from loyaldesk.kernel.events import StoredEvent
    from loyaldesk.loyalty import events

    def line(event_type: str, **payload: object) -> tuple[str, str | None, str | None]:
        stored = StoredEvent(
            id=1,
            store_id=1,
            event_type=event_type,
            customer_id=3,
            subject_type="member",
            subject_id=7,
            payload={"member_id": 7, **payload},
            occurred_at=datetime(2026, 3, 2, tzinfo=UTC),
        )
        entry = describe(stored)
        assert entry is not None, event_type
        return entry.title, entry.detail, entry.link

    kinds = (
        events.MemberEnrolled,
        events.PointsChanged,
        events.TierChanged,
        events.RewardRedeemed,
        events.RewardCodeChanged,
        events.ReferralRecorded,
        events.BadgeAwarded,
    )
    assert {kind.event_type for kind in kinds} <= set(described_types())
    unlocked = line(
        "loyalty.points_changed",
        kind="unlock",
        points=0,
        available=340,
        pending=0,
        description="Points unlocked",
    )
    assert unlocked == ("Points unlocked", "Balance 340", "loyalty/members/7")
    tier = line(
        "loyalty.tier_changed",
        direction="upgraded",
        from_tier="Bronze",
        to_tier="Gold",
        reason="upgraded: reached €500.00 spend",
    )
    assert tier[:2] == ("Moved up to Gold (from Bronze)", "upgraded: reached €500.00 spend")
    assert line("loyalty.reward_code_changed", code="LD-ABCDE-FGHJK", status="expired")[0] == (
        "Reward code LD-ABCDE-FGHJK expired unused"
    )
    assert line("loyalty.badge_awarded", badge_name="Shopper", level=2, level_name="Regular")[0] == (
        "Earned the badge “Regular”"
    )
