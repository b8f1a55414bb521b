"""The loyalty console, driven over HTTP as a browser would (session cookie, CSRF, forms as rendered):
the overview with its chart, the program settings, and who may see and change what.

The helpers here (a form reader that submits what the page renders, seeding of members and tiers) are
shared by the other ``test_console_loyalty_*`` modules.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from fastapi.testclient import TestClient

from loyaldesk.customers import upsert_customer
from loyaldesk.customers.schemas import CustomerProfile
from loyaldesk.kernel.db import Database, UnitOfWork
from loyaldesk.loyalty.actions import move_points as ledger
from loyaldesk.loyalty.actions.configure_program import save_tier
from loyaldesk.loyalty.actions.enrol_members import enroll
from loyaldesk.loyalty.models import LoyaltyProgram, Member
from loyaldesk.loyalty.program import ensure_program, terms_of
from loyaldesk.loyalty.schemas import TierIn
from loyaldesk.web.console.loyalty_forms import MINUS, TIMES
from tests.factories import StoreHandle, login, make_staff, table_counts

# -- helpers -------------------------------------------------------------------------------------


class _FormParser(HTMLParser):
    """Collects the fields of one form (by ``action``) as a browser would submit them."""

    def __init__(self, action: str) -> None:
        super().__init__()
        self.action = action
        self.inside = False
        self.found = False
        self.fields: list[tuple[str, str]] = []
        self._select: str | None = None
        self._select_first: str | None = None
        self._select_chosen = False
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        if tag == "form" and a.get("action") == self.action and not self.found:
            self.inside = self.found = True
            return
        if not self.inside or "disabled" in a:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.fields.append((name, a.get("value", "on")))
            elif kind not in ("submit", "button"):
                self.fields.append((name, a.get("value", "")))
        elif tag == "select" and name:
            self._select, self._select_first, self._select_chosen = name, None, False
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            if self._select_first is None:
                self._select_first = value
            if "selected" in a and not self._select_chosen:
                self.fields.append((self._select, value))
                self._select_chosen = True
        elif tag == "textarea" and name:
            self._textarea, self._text = name, ""

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self.inside:
            self.inside = False
        elif tag == "select" and self._select is not None:
            if not self._select_chosen and self._select_first is not None:
                self.fields.append((self._select, self._select_first))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self.fields.append((self._textarea, self._text))
            self._textarea = None


def form_of(html: str, action: str) -> dict[str, Any]:
    """What submitting the form posting to ``action`` would send (repeated names become lists)."""
    parser = _FormParser(action)
    parser.feed(html)
    assert parser.found, f"no form posting to {action}"
    data: dict[str, Any] = {}
    for name, value in parser.fields:
        if name in data:
            data[name] = [*data[name], value] if isinstance(data[name], list) else [data[name], value]
        else:
            data[name] = value
    return data


def person(
    db: Database,
    store: StoreHandle,
    external_id: str,
    first: str,
    last: str,
    email: str,
    phone: str | None = None,
) -> int:
    profile = CustomerProfile(first_name=first, last_name=last, email=email, phone=phone)
    result = db.write(upsert_customer, store.actor, store.id, external_id, profile)
    return int(result.customer.id)


def enrolled(db: Database, store: StoreHandle, customer_id: int) -> int:
    def unit(uow: UnitOfWork) -> int:
        ensure_program(uow, store.id)
        member, _ = enroll(uow, store.id, customer_id)
        return member.id

    return db.write(unit)


def give(
    db: Database, store: StoreHandle, member_id: int, points: int, key: str, *, pending: bool = False
) -> None:
    def unit(uow: UnitOfWork) -> None:
        terms = terms_of(ensure_program(uow, store.id), "UTC")
        member = uow.session.get(Member, member_id)
        ledger.earn(
            uow,
            member,
            terms,
            points=points,
            key=key,
            description=f"Bonus {key}: {points} points",
            source="bonus",
            pending=pending,
        )

    db.write(unit)


def ladder(db: Database, store: StoreHandle) -> dict[str, int]:
    """Bronze (everyone), Silver (200.00 spent), Gold (500.00 spent)."""
    ids = {}
    for rank, (name, threshold) in enumerate((("Bronze", 0), ("Silver", 20_000), ("Gold", 50_000))):
        tier = db.write(save_tier, store.actor, store.id, TierIn(name=name, rank=rank, threshold=threshold))
        ids[name] = tier.id
    return ids


def program(db: Database, store: StoreHandle) -> LoyaltyProgram:
    with db.read() as session:
        from loyaldesk.loyalty.program import program_of

        found = program_of(session, store.id)
        assert found is not None
        return found


def as_staff(client: TestClient, db: Database, store: StoreHandle, role: str, password_hash: str) -> None:
    login(client, make_staff(db, store, role, password_hash))


def balance(db: Database, member_id: int) -> tuple[int, int]:
    with db.read() as session:
        member = session.get(Member, member_id)
        assert member is not None
        return member.available_points, member.pending_points


LOYALTY_TABLES = (
    "loyalty_programs",
    "loyalty_rules",
    "loyalty_tiers",
    "loyalty_rewards",
    "loyalty_entries",
    "loyalty_reward_codes",
    "audit_log",
    "domain_events",
)


# -- overview ------------------------------------------------------------------------------------


def test_overview_shows_the_numbers_the_liability_and_the_tier_mix(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    tiers = ladder(db, store)
    grace = enrolled(db, store, person(db, store, "g", "Grace", "Hopper", "grace@example.com"))
    ada = enrolled(db, store, person(db, store, "a", "Ada", "Lovelace", "ada@example.com"))
    give(db, store, grace, 12_000, "g1")
    give(db, store, ada, 500, "a1", pending=True)
    as_staff(client, db, store, "analyst", password_hash)

    page = client.get("/console/acme/loyalty")
    assert page.status_code == 200
    text = page.text
    assert "coming soon" not in text.lower() and "not set up yet" not in text
    assert 'aria-current="page">Overview' in text
    assert "12,500" in text  # outstanding, with thousands separators
    # 12,500 points x €0.01 x (100% - 20%) = €100.00
    formula = f"12,500 outstanding points {TIMES} €0.01 per point {TIMES} (100% {MINUS} 20% expected never"
    assert formula in text
    assert "€100.00" in text
    assert 'src="/console/acme/loyalty/tier-mix.svg"' in text
    assert "Bar chart of members per tier: Bronze 2, Silver 0, Gold 0." in text
    assert '<th scope="row">Bronze</th><td class="num">2</td>' in text
    assert tiers

    chart = client.get("/console/acme/loyalty/tier-mix.svg")
    assert chart.status_code == 200
    assert chart.headers["content-type"].startswith("image/svg+xml")
    policy = chart.headers["content-security-policy"]
    assert "style-src 'unsafe-inline'" in policy and "default-src 'none'" in policy
    assert "script" not in policy
    assert chart.text.lstrip().startswith("<?xml") and "<svg" in chart.text
    assert "<script" not in chart.text and "Bronze" in chart.text
    # Pages keep the strict policy.
    assert "'unsafe-inline'" not in page.headers["content-security-policy"]


def test_an_empty_program_says_what_to_do(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    as_staff(client, db, store, "admin", password_hash)
    page = client.get("/console/acme/loyalty")
    assert page.status_code == 200
    assert "No tiers yet" in page.text and 'href="/console/acme/loyalty/tiers/new"' in page.text
    assert "runs with its default settings" in page.text
    members = client.get("/console/acme/loyalty/members")
    assert "No members yet" in members.text
    assert "No rewards yet" in client.get("/console/acme/loyalty/rewards").text
    assert "No purchase rules yet" in client.get("/console/acme/loyalty/rules").text
    assert "No referrals yet" in client.get("/console/acme/loyalty/referrals").text
    assert client.get("/console/acme/loyalty/tier-mix.svg").status_code == 200


# -- settings ------------------------------------------------------------------------------------


def test_settings_form_covers_every_setting() -> None:
    from loyaldesk.loyalty.schemas import ProgramSettings
    from loyaldesk.web.console.loyalty_settings import SETTINGS

    assert set(ProgramSettings.model_fields) - {"earn_rates"} == set(SETTINGS)


def test_admin_changes_settings_through_the_form(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    as_staff(client, db, store, "admin", password_hash)
    page = client.get("/console/acme/loyalty/settings")
    assert page.status_code == 200
    for label in ("Return window (days)", "Points expire", "Expected breakage (%)", "Members qualify by"):
        assert label in page.text
    assert 'name="earn_rates.0.currency" type="text" value="EUR"' in page.text
    form = form_of(page.text, "/console/acme/loyalty/settings")
    assert form["earn_rates.0.per_amount"] == "1.00" and form["enabled"] == "yes"
    form.update(
        {
            "pending_days": "30",
            "point_value_minor": "0.02",
            "surprise_min_order_total": "25.50",
            "earn_rates.1.currency": "usd",
            "earn_rates.1.points": "2",
            "earn_rates.1.per_amount": "1.50",
            "member_page_accent": "#aa3300",
            "referral_link_template": "https://shop.example.com/?ref={code}",
        }
    )
    del form["auto_enroll"]  # unticked
    saved = client.post("/console/acme/loyalty/settings", data=form, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == "/console/acme/loyalty/settings?saved=1"
    settings = program(db, store)
    assert settings.pending_days == 30 and settings.point_value_minor == 2
    assert settings.surprise_min_order_total == 2550 and settings.auto_enroll is False
    assert settings.member_page_accent == "#aa3300"
    assert settings.earn_rates[1] == {"currency": "USD", "points": 2, "per_amount": 150, "rounding": "down"}
    again = client.get("/console/acme/loyalty/settings?saved=1")
    assert "Settings saved." in again.text and 'value="25.50"' in again.text


def test_bad_settings_are_named_and_nothing_is_saved(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    as_staff(client, db, store, "owner", password_hash)
    page = client.get("/console/acme/loyalty/settings")
    form = form_of(page.text, "/console/acme/loyalty/settings")
    client.post("/console/acme/loyalty/settings", data=form)  # creates the program row
    before = table_counts(db, *LOYALTY_TABLES)
    pending_before = program(db, store).pending_days

    bad = {
        **form,
        "pending_days": "-1",
        "point_value_minor": "0.001",
        "earn_rates.1.currency": "EURO",
        "earn_rates.1.points": "1",
    }
    response = client.post("/console/acme/loyalty/settings", data=bad)
    assert response.status_code == 422
    text = response.text
    assert "Nothing was saved" in text
    assert 'href="#f-pending_days">Return window (days)</a>' in text
    assert "What one point costs the store" in text and "more decimals than EUR allows" in text
    assert "is not an ISO 4217 currency code" in text
    assert 'value="-1"' in text  # what was typed stays in the form
    assert 'aria-invalid="true"' in text
    assert table_counts(db, *LOYALTY_TABLES) == before
    assert program(db, store).pending_days == pending_before

    link = client.post(
        "/console/acme/loyalty/settings",
        data={**form, "referral_link_template": "shop.example.com/?ref=", "member_page_accent": "blue"},
    )
    assert link.status_code == 422
    assert "must be a web address (https://...) with {code} where the member&#39;s code goes" in link.text
    assert 'href="#f-member_page_accent">Accent colour</a>: must be a colour like #1f5fbf' in link.text

    together = client.post(
        "/console/acme/loyalty/settings",
        data={**form, "expiry_policy": "days_after_earning", "expiry_amount": "0"},
    )
    assert together.status_code == 422
    assert "“Expiry amount” must be at least 1 for this expiry policy" in together.text
    assert table_counts(db, *LOYALTY_TABLES) == before


def test_the_program_start_is_set_in_the_store_time_zone_and_checked(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    as_staff(client, db, store, "admin", password_hash)
    page = client.get("/console/acme/loyalty/settings")
    assert "The program starts" in page.text and "imported history does not pay out" in page.text
    form = form_of(page.text, "/console/acme/loyalty/settings")
    zone = ZoneInfo(program_zone(db, store))
    created = program_or_store_start(db, store)
    assert form["starts_at"] == created.astimezone(zone).strftime("%Y-%m-%dT%H:%M")
    saved = client.post(
        "/console/acme/loyalty/settings",
        data={**form, "starts_at": "2025-01-15T09:30"},
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    assert program(db, store).starts_at == datetime(2025, 1, 15, 9, 30, tzinfo=zone).astimezone(UTC)
    before = table_counts(db, *LOYALTY_TABLES)
    for typed, reason in (("", "give a date and time"), ("15/01/2025", "is not a date and time")):
        refused = client.post("/console/acme/loyalty/settings", data={**form, "starts_at": typed})
        assert refused.status_code == 422
        assert f'href="#f-starts_at">The program starts</a>: {reason}' in refused.text
    assert table_counts(db, *LOYALTY_TABLES) == before
    assert program(db, store).starts_at == datetime(2025, 1, 15, 9, 30, tzinfo=zone).astimezone(UTC)


def program_zone(db: Database, store: StoreHandle) -> str:
    from loyaldesk.stores.models import Store

    with db.read() as session:
        found = session.get(Store, store.id)
        assert found is not None
        return found.timezone


def program_or_store_start(db: Database, store: StoreHandle):  # type: ignore[no-untyped-def]
    from loyaldesk.loyalty import program_of_store

    with db.read() as session:
        return program_of_store(session, store.id).starts_at


def test_agents_and_analysts_read_settings_but_cannot_change_them(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    enrolled(db, store, person(db, store, "g", "Grace", "Hopper", "grace@example.com"))
    for role in ("agent", "analyst"):
        as_staff(client, db, store, role, password_hash)
        page = client.get("/console/acme/loyalty/settings")
        assert page.status_code == 200
        assert "Only owners and admins can change" in page.text
        assert "Save settings" not in page.text and "disabled" in page.text
        before = table_counts(db, *LOYALTY_TABLES)
        pending = program(db, store).pending_days
        token = form_of(page.text, "/console/acme/loyalty/settings")["csrf_token"]
        denied = client.post(
            "/console/acme/loyalty/settings",
            data={"csrf_token": token, "pending_days": "99", "earn_rates.0.currency": "EUR"},
        )
        assert denied.status_code == 403
        assert table_counts(db, *LOYALTY_TABLES) == before
        assert program(db, store).pending_days == pending
        # The management pages are not for them either.
        for path in ("rules/new", "tiers/new", "rewards/new"):
            assert client.get(f"/console/acme/loyalty/{path}").status_code == 403
        client.post("/logout", data={"csrf_token": token})


def test_a_form_without_its_csrf_token_is_refused(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    as_staff(client, db, store, "owner", password_hash)
    form = form_of(client.get("/console/acme/loyalty/settings").text, "/console/acme/loyalty/settings")
    before = table_counts(db, *LOYALTY_TABLES)
    response = client.post("/console/acme/loyalty/settings", data={**form, "csrf_token": "forged"})
    assert response.status_code == 403
    assert table_counts(db, *LOYALTY_TABLES) == before


def test_staff_of_another_store_cannot_reach_this_program(
    client: TestClient,
    db: Database,
    store: StoreHandle,
    other_store: StoreHandle,
    password_hash: str,
) -> None:
    member = enrolled(db, store, person(db, store, "g", "Grace", "Hopper", "grace@example.com"))
    login(client, make_staff(db, other_store, "owner", password_hash))
    for path in ("", "/settings", "/members", f"/members/{member}", "/tier-mix.svg", "/rules"):
        assert client.get(f"/console/acme/loyalty{path}").status_code == 404
    # Their own store's slug with this store's member id finds nothing either.
    assert client.get(f"/console/globex/loyalty/members/{member}").status_code == 404
    token = form_of(client.get("/console/globex/loyalty/settings").text, "/console/globex/loyalty/settings")[
        "csrf_token"
    ]
    before = table_counts(db, *LOYALTY_TABLES)
    adjusted = client.post(
        f"/console/globex/loyalty/members/{member}/adjust",
        data={"csrf_token": token, "points": "100", "reason_code": "goodwill", "note": "x", "key": "k1"},
    )
    assert adjusted.status_code == 404
    posted = client.post("/console/acme/loyalty/settings", data={"csrf_token": token, "pending_days": "1"})
    assert posted.status_code == 404
    assert table_counts(db, *LOYALTY_TABLES) == before
    assert balance(db, member) == (0, 0)
