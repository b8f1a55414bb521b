"""The agent's sidebar in the inbox: "Likely next" (the customer's top picks with why) and an offer the
agent can give within the goodwill budget, in one click through the goodwill action (audited, counted
against the budget). An agent of another store sees none of it.

``CustomerPick`` rows are written directly (the engine that fills them is another part of the issue);
``add_product`` and ``add_picks`` are the tiny factories the placements' tests share."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from loyaldesk.commerce import Product
from loyaldesk.customers import GoodwillReward
from loyaldesk.kernel.db import Database
from loyaldesk.loyalty.models import Member
from loyaldesk.recommendations import CustomerPick, PickRequest, PickView, ReasonKind, picks_for
from loyaldesk.recommendations.sidebar import GESTURE_POINTS, suggest_goodwill
from loyaldesk.stores.models import AuditLogEntry
from loyaldesk.support.models import GoodwillGrant
from tests.factories import StoreHandle, login, make_staff, make_store
from tests.support.test_goodwill import balance, member_conversation


def add_product(
    db: Database,
    store: StoreHandle,
    key: str,
    title: str,
    *,
    price: int = 1250,
    category: str = "Coffee",
    image: bool = True,
    in_stock: bool | None = True,
) -> int:
    """A catalogue product whose external id is ``key`` (the picks' item key)."""

    def add(uow: Any) -> int:
        now = uow.now()
        product = Product(
            store_id=store.id,
            external_id=key,
            sku=key,
            title=title,
            category=category,
            price=price,
            currency="EUR",
            attributes={},
            url=f"https://shop.example/p/{key.lower()}",
            image_url=f"https://cdn.shop.example/{key.lower()}.jpg" if image else None,
            in_stock=in_stock,
            active=True,
            created_at=now,
            updated_at=now,
        )
        uow.session.add(product)
        uow.session.flush()
        return int(product.id)

    return db.write(add)


def add_picks(
    db: Database,
    store: StoreHandle,
    customer_id: int,
    picks: Sequence[tuple[str, ReasonKind, dict[str, Any]]],
) -> None:
    """The customer's stored picks in this order (rank 1 first), as a fit would have left them."""

    def add(uow: Any) -> None:
        for rank, (key, kind, params) in enumerate(picks, start=1):
            uow.session.add(
                CustomerPick(
                    store_id=store.id,
                    customer_id=customer_id,
                    rank=rank,
                    item_key=key,
                    score=1.0 / rank,
                    method="blend",
                    reason_kind=kind.value,
                    reason_params=params,
                    fit_id=None,
                    computed_at=uow.now(),
                )
            )

    db.write(add)


COFFEE = [
    ("BEANS-1", "Espresso beans 1 kg", ReasonKind.REPURCHASE, {"days": 30, "last_bought": "2026-11-01"}),
    (
        "GRINDER-2",
        "Burr grinder",
        ReasonKind.BOUGHT_WITH,
        {"other_key": "BEANS-1", "other_title": "Espresso beans"},
    ),
    ("MUG-3", "Stoneware mug", ReasonKind.SIMILAR, {"other_key": "BEANS-1", "other_title": "Espresso beans"}),
    ("FILTER-4", "Paper filters", ReasonKind.BESTSELLER, {}),
]


def stock_the_shop(db: Database, store: StoreHandle, customer_id: int) -> None:
    for key, title, _kind, _params in COFFEE:
        add_product(db, store, key, title)
    add_picks(db, store, customer_id, [(key, kind, params) for key, _title, kind, params in COFFEE])


def customer_of_conversation(db: Database) -> int:
    with db.read() as session:
        return int(session.scalars(select(Member.customer_id)).one())


def served(db: Database, store: StoreHandle, customer_id: int) -> list[PickView]:
    from loyaldesk.recommendations import Placement

    with db.read() as session:
        return picks_for(session, PickRequest(store.id, customer_id, placement=Placement.INBOX, limit=3))


def _suggested_form(page: str) -> dict[str, str]:
    form = re.search(r"<form[^>]*data-suggested-goodwill[^>]*>(.*?)</form>", page, re.S)
    assert form is not None, "no suggested offer in the sidebar"
    return dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">', form.group(1)))


def _budget_left(page: str) -> int:
    found = re.search(r"([\d,]+) of ([\d,]+) points left this month", page)
    assert found is not None
    return int(found.group(1).replace(",", ""))


@pytest.fixture
def agent(client: TestClient, db: Database, store: StoreHandle, password_hash: str) -> str:
    email = make_staff(db, store, "agent", password_hash)
    login(client, email)
    return email


def test_the_sidebar_shows_likely_next_and_the_agent_gives_the_suggested_offer_in_one_click(
    client: TestClient, db: Database, store: StoreHandle, agent: str
) -> None:
    conversation_id = member_conversation(db, store)
    customer_id = customer_of_conversation(db)
    stock_the_shop(db, store, customer_id)
    page = client.get("/console/acme/inbox", params={"c": conversation_id}).text

    sidebar = page[page.index("data-likely-next") :]
    assert "Likely next" in page
    positions = [sidebar.index(title) for _key, title, _kind, _params in COFFEE[:3]]
    assert positions == sorted(positions)  # best first
    assert "Paper filters" not in sidebar.split("</section>")[0]  # the top three only
    assert 'href="https://shop.example/p/beans-1"' in sidebar
    for pick in served(db, store, customer_id):
        assert pick.reason in sidebar  # each pick says why (in words, as picks_for gives it)

    # The offer for the top pick fits the agent's budget (500 points a month by default).
    fields = _suggested_form(page)
    assert "An offer you can give" in page
    assert fields["points"] == str(GESTURE_POINTS)
    assert "Espresso beans 1 kg" in fields["reason"]
    left_before, points_before = _budget_left(page), balance(db)

    given = client.post(
        f"/console/acme/inbox/{conversation_id}/goodwill", data=fields, follow_redirects=False
    )
    assert given.status_code == 303
    after = client.get(given.headers["location"]).text
    assert "You gave" in after and f"{GESTURE_POINTS} points" in after
    assert _budget_left(after) == left_before - GESTURE_POINTS
    assert balance(db) == points_before + GESTURE_POINTS
    with db.read() as session:
        grant = session.scalars(select(GoodwillGrant)).one()
        assert (grant.points, grant.customer_id) == (GESTURE_POINTS, customer_id)
        audit = session.scalars(
            select(AuditLogEntry).where(AuditLogEntry.action == "support.goodwill_granted")
        ).one()
        assert audit.details["points"] == GESTURE_POINTS


def test_an_agent_of_another_store_sees_nothing_of_the_customers_picks(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    conversation_id = member_conversation(db, store)
    stock_the_shop(db, store, customer_of_conversation(db))
    other = make_store(db, "other")
    login(client, make_staff(db, other, "agent", password_hash))

    refused = client.get("/console/other/inbox", params={"c": conversation_id})
    assert refused.status_code == 404
    assert "Espresso beans" not in refused.text and "data-likely-next" not in refused.text
    foreign = client.get("/console/acme/inbox", params={"c": conversation_id})
    assert foreign.status_code in (403, 404)
    assert "Espresso beans" not in foreign.text
    with db.read() as session:
        assert session.scalars(select(GoodwillGrant)).first() is None


def test_a_customer_without_picks_gets_no_likely_next_block(
    client: TestClient, db: Database, store: StoreHandle, agent: str
) -> None:
    conversation_id = member_conversation(db, store)
    page = client.get("/console/acme/inbox", params={"c": conversation_id}).text
    assert "data-likely-next" not in page and "An offer you can give" not in page


def _pick(points_cost: int | None = None, reward_id: int | None = None) -> PickView:
    return PickView(
        item_key="BEANS-1",
        title="Espresso beans",
        reason="You buy these about every 30 days",
        reason_kind=ReasonKind.REPURCHASE,
        score=1.0,
        points_cost=points_cost,
        reward_id=reward_id,
    )


def test_the_offer_is_sized_to_the_budget_left() -> None:
    mug = GoodwillReward(reward_id=7, name="Free beans", points=400)
    # The pick's own reward, when the agent may give it and it fits.
    code = suggest_goodwill(_pick(400, reward_id=7), 450, 100, [mug])
    assert code is not None and (code.reward_id, code.points) == (7, 400)
    # It does not fit: points instead, what they lack for it (300), cut to the budget (rounded to tens).
    cut = suggest_goodwill(_pick(400, reward_id=7), 255, 100, [mug])
    assert cut is not None and (cut.reward_id, cut.points) == (None, 250)
    whole = suggest_goodwill(_pick(400), None, 100, [])
    assert whole is not None and whole.points == 300
    # A gesture when there is nothing to close, within what is left.
    assert suggest_goodwill(_pick(), 500, 0, []).points == GESTURE_POINTS  # type: ignore[union-attr]
    assert suggest_goodwill(_pick(), 7, 0, []).points == 7  # type: ignore[union-attr]
    # Nothing: no budget left, no pick, or not a member.
    assert suggest_goodwill(_pick(), 0, 0, []) is None
    assert suggest_goodwill(None, 500, 0, []) is None
    assert suggest_goodwill(_pick(), 500, None, []) is None
