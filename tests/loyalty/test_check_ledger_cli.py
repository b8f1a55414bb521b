"""``loyaldesk check-ledger``: passes on a consistent ledger, and on a broken one exits with 1 naming
every broken invariant."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from loyaldesk.cli import app
from loyaldesk.kernel.db import Database
from loyaldesk.settings import get_settings
from tests.loyalty.shop import Shop


def _check(monkeypatch: pytest.MonkeyPatch, url: str, *args: str) -> tuple[int, str]:
    monkeypatch.setenv("LOYALDESK_DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["check-ledger", *args])
    finally:
        get_settings.cache_clear()
    return result.exit_code, result.output


def test_check_ledger_passes_then_names_what_is_broken(
    shop: Shop,
    db: Database,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    ledger_left_broken: None,
) -> None:
    shop.order("x", [("A", None, 1, 5000)])
    shop.adjust("x", 100, key="k")
    code, output = _check(monkeypatch, database_url)
    assert code == 0 and "consistent" in output
    assert _check(monkeypatch, database_url, "--store", "acme")[0] == 0
    assert _check(monkeypatch, database_url, "--store", "nope")[0] == 1

    member_id = shop.member("x")["member_id"]
    with db.transaction() as uow:  # what a bad hand-made fix would do: money from nowhere
        uow.session.execute(
            text("UPDATE loyalty_members SET available_points = available_points + 7 WHERE id = :id"),
            {"id": member_id},
        )
        entry_id = uow.session.execute(text("SELECT max(id) FROM loyalty_entries")).scalar_one()
        uow.session.execute(
            text(
                "INSERT INTO loyalty_postings (entry_id, store_id, member_id, account, amount) "
                "VALUES (:entry, :store, NULL, 'issued', 5)"
            ),
            {"entry": entry_id, "store": shop.store.id},
        )
    code, output = _check(monkeypatch, database_url)
    assert code == 1
    assert "entries balance" in output and "balances" in output
