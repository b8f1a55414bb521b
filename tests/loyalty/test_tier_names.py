"""Tier names are unique per program whatever their case, checked when written (422 naming the field) and
by a unique column; reads and earning never crash on odd tiers already stored; ``tier_costs`` keys are
ASCII tier ids (a superscript digit is a 422, not a 500); the migration renames duplicates it finds."""

from __future__ import annotations

from typing import Any

from alembic import command
from sqlalchemy import create_engine, select, text, update

from loyaldesk.kernel.db import Database
from loyaldesk.kernel.migrations import alembic_config
from loyaldesk.loyalty.models import Tier
from loyaldesk.loyalty.schemas import TierIn
from tests.factories import table_counts
from tests.loyalty.shop import Shop


def ladder(shop: Shop) -> dict[str, dict[str, Any]]:
    shop.settings(tier_metric="spend", tier_period="rolling_12_months")
    return {
        "Bronze": shop.tier("Bronze", 0, 0),
        "Silver": shop.tier("Silver", 1, 50_000),
        "Gold": shop.tier("Gold", 2, 150_000),
    }


def tier_body(tier: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A tier as read, as the body that writes it (with ``changes``)."""
    fields = TierIn.model_fields
    return {name: value for name, value in tier.items() if name in fields} | changes


def tier_names(db: Database) -> list[str]:
    with db.read() as session:
        return list(session.scalars(select(Tier.name).order_by(Tier.rank)))


def test_a_tier_cannot_take_another_tiers_name_in_another_case(shop: Shop) -> None:
    tiers = ladder(shop)
    before = (table_counts(shop.db, "loyalty_tiers", "audit_log"), tier_names(shop.db))
    refused = [
        shop.call(
            "PUT",
            f"/api/v1/loyalty/tiers/{tiers['Silver']['id']}",
            json=tier_body(tiers["Silver"], name="GOLD"),
        ),
        shop.call(
            "POST", "/api/v1/loyalty/tiers", json={"name": "  bronze ", "rank": 5, "threshold": 900_000}
        ),
        shop.call("POST", "/api/v1/loyalty/tiers", json={"name": "G" * 61, "rank": 6, "threshold": 900_000}),
    ]
    for response in refused:
        assert response.status_code == 422, response.text
        assert [problem["field"] for problem in response.json()["error"]["fields"]] == ["name"]
    assert "'Gold'" in refused[0].json()["error"]["fields"][0]["reason"]
    assert (table_counts(shop.db, "loyalty_tiers", "audit_log"), tier_names(shop.db)) == before

    # Renaming a tier to its own name in another case is fine: it clashes with no other tier.
    renamed = shop.loyalty("PUT", f"/tiers/{tiers['Gold']['id']}", json=tier_body(tiers["Gold"], name="GOLD"))
    assert renamed["name"] == "GOLD"


def test_odd_tiers_already_stored_do_not_break_reads_or_earning(shop: Shop) -> None:
    tiers = ladder(shop)
    shop.order("t", [("SOFA", "Furniture", 1, 60_000)])
    assert shop.member("t")["tier"]["name"] == "Silver"
    # Data written before the rules existed (or by hand): Silver called "gold" like Gold, and Gold's
    # threshold no higher than Silver's.
    with shop.db.transaction() as uow:
        uow.session.execute(
            update(Tier).where(Tier.id == tiers["Silver"]["id"]).values(name="gold", name_key="legacy-1")
        )
        uow.session.execute(update(Tier).where(Tier.id == tiers["Gold"]["id"]).values(threshold=40_000))

    member = shop.member("t")
    assert member["tier"]["name"] == "gold"
    assert member["tier_progress"] is not None and member["balance"]["pending"] == 600
    shop.order("t", [("LAMP", "Furniture", 1, 10_000)])  # earning goes on
    assert shop.member("t")["balance"]["pending"] == 700
    assert shop.call("GET", "/api/v1/loyalty/tiers").status_code == 200


def test_tier_costs_keys_are_ascii_tier_ids(shop: Shop) -> None:
    tiers = ladder(shop)
    before = table_counts(shop.db, "loyalty_rewards")
    for key in ("\u00b2", "\u0661", "1.0", "-1", " 1", "x"):
        response = shop.call(
            "POST",
            "/api/v1/loyalty/rewards",
            json={"name": "Mug", "kind": "custom", "points_cost": 100, "tier_costs": {key: 50}},
        )
        assert response.status_code == 422, (key, response.text)
        assert all("tier_costs" in p["field"] for p in response.json()["error"]["fields"]), response.text
    unknown = shop.call(
        "POST",
        "/api/v1/loyalty/rewards",
        json={"name": "Mug", "kind": "custom", "points_cost": 100, "tier_costs": {"999999": 50}},
    )
    assert unknown.status_code == 422 and unknown.json()["error"]["fields"][0]["field"] == "tier_costs"
    assert table_counts(shop.db, "loyalty_rewards") == before
    gold = str(tiers["Gold"]["id"])
    created = shop.reward("Mug", 100, kind="custom", value=0, tier_costs={gold: 50})
    assert created["tier_costs"] == {gold: 50}


def test_the_migration_renames_tiers_that_differ_only_by_case(database_url: str, db: Database) -> None:
    config = alembic_config(database_url)
    command.downgrade(config, "0005")
    engine = create_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO stores (slug, name, currency, timezone, locale, identity_secret, created_at)"
                    " VALUES ('old', 'Old', 'EUR', 'UTC', 'en', 's', CURRENT_TIMESTAMP)"
                )
            )
            store_id = connection.execute(text("SELECT id FROM stores WHERE slug = 'old'")).scalar_one()
            for rank, name in enumerate(["Gold", "gold ", "GOLD", "Silver"]):
                connection.execute(
                    text(
                        "INSERT INTO loyalty_tiers (store_id, name, rank, threshold, earn_multiplier, perks,"
                        " entry_reward_points, membership_days, support_priority, created_at) VALUES"
                        " (:store, :name, :rank, :threshold, '1', '[]', 0, 365, 'normal', CURRENT_TIMESTAMP)"
                    ),
                    {"store": store_id, "name": name, "rank": rank, "threshold": rank * 100},
                )
        command.upgrade(config, "head")
        with engine.connect() as connection:
            names = connection.execute(
                text("SELECT name, name_key FROM loyalty_tiers WHERE store_id = :s ORDER BY rank"),
                {"s": store_id},
            ).all()
    finally:
        engine.dispose()
    assert [tuple(row) for row in names] == [
        ("Gold", "gold"),
        ("gold (2)", "gold (2)"),
        ("GOLD (3)", "gold (3)"),
        ("Silver", "silver"),
    ]
