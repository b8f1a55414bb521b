"""Every store has its loyalty program from the moment it exists, so reading the program never writes:
the program is written with the store, stores from before get theirs by migration 0012, and a read that
finds none fails clearly instead of creating it."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import delete

from loyaldesk.kernel.db import Database
from loyaldesk.kernel.migrations import alembic_config, current_revision
from loyaldesk.loyalty.models import LoyaltyProgram
from loyaldesk.loyalty.program import DEFAULTS, ProgramMissing, program_of, program_of_store
from loyaldesk.stores import store_by_id
from tests.factories import StoreHandle


def test_a_new_store_has_its_program_with_the_defaults(db: Database, store: StoreHandle) -> None:
    with db.read() as session:
        program = program_of(session, store.id)
        assert program is not None and program.runs_with_defaults
        assert program.starts_at == store_by_id(session, store.id).created_at
        assert {name: getattr(program, name) for name in DEFAULTS} == DEFAULTS
        assert program.earn_rates == [{"currency": "EUR", "points": 1, "per_amount": 100, "rounding": "down"}]


def test_reading_a_missing_program_fails_clearly_and_writes_nothing(db: Database, store: StoreHandle) -> None:
    db.write(lambda uow: uow.session.execute(delete(LoyaltyProgram)))
    with db.read() as session, pytest.raises(ProgramMissing, match="no loyalty program"):
        program_of_store(session, store.id)
    with db.read() as session:
        assert program_of(session, store.id) is None


def test_the_migration_gives_stores_from_before_their_program(
    db: Database, store: StoreHandle, other_store: StoreHandle, database_url: str
) -> None:
    with db.read() as session:
        kept = program_of(session, other_store.id)
        assert kept is not None
        kept_id = kept.id
    forget = delete(LoyaltyProgram).where(LoyaltyProgram.store_id == store.id)
    db.write(lambda uow: uow.session.execute(forget))
    config = alembic_config(database_url)
    script = ScriptDirectory.from_config(config)
    [ours] = [rev for rev in script.walk_revisions() if "every_store_has_its_program" in (rev.path or "")]
    head = current_revision(database_url)
    db.dispose()  # the migration runs on connections of its own
    command.downgrade(config, str(ours.down_revision))
    command.upgrade(config, "head")
    assert current_revision(database_url) == head
    checker = Database(database_url)
    try:
        with checker.read() as session:
            created = program_of_store(session, store.id)
            assert {name: getattr(created, name) for name in DEFAULTS} == DEFAULTS
            assert created.starts_at == store_by_id(session, store.id).created_at
            assert created.earn_rates == [
                {"currency": "EUR", "points": 1, "per_amount": 100, "rounding": "down"}
            ]
            assert program_of_store(session, other_store.id).id == kept_id  # left as it was
    finally:
        checker.dispose()
