"""The migrations build exactly the schema the models describe, on every backend, and run down and up."""

from __future__ import annotations

from alembic import command

from loyaldesk.kernel.migrations import alembic_config, current_revision


def test_migrations_match_the_models(database_url: str) -> None:
    command.check(alembic_config(database_url))  # raises if autogenerate would find a difference


def test_downgrade_and_upgrade_again(database_url: str) -> None:
    config = alembic_config(database_url)
    head = current_revision(database_url)
    command.downgrade(config, "base")
    assert current_revision(database_url) is None
    command.upgrade(config, "head")
    assert current_revision(database_url) == head


def test_migrate_creates_the_sqlite_folder(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from loyaldesk.kernel.migrations import upgrade_to_head

    url = f"sqlite:///{tmp_path / 'not' / 'yet' / 'there.db'}"
    upgrade_to_head(url)
    assert current_revision(url) is not None
