"""kernel.row_cache: facts kept a few seconds, forgotten at once by a change in this process, and never
stored from a transaction that changed the rows they come from."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from loyaldesk.kernel.db import Database
from loyaldesk.kernel.row_cache import RowCache
from loyaldesk.stores import Store
from tests.factories import StoreHandle


def _name(db: Database, cache: RowCache[str], store_id: int) -> str:
    def read(uow):  # type: ignore[no-untyped-def]
        cached = cache.get(uow.session, store_id)
        if cached is not None:
            return cached
        name = uow.session.scalar(select(Store.name).where(Store.id == store_id))
        cache.put(uow.session, store_id, name)
        return name

    return db.write(read)


def _rename(db: Database, store_id: int, name: str) -> None:
    def rename(uow):  # type: ignore[no-untyped-def]
        uow.session.get(Store, store_id).name = name

    db.write(rename)


def test_a_change_in_this_process_is_seen_at_once(db: Database, store: StoreHandle) -> None:
    cache: RowCache[str] = RowCache("test_names", [Store], seconds=60)
    first = _name(db, cache, store.id)
    _rename(db, store.id, "Renamed")
    assert _name(db, cache, store.id) == "Renamed" != first


def test_what_a_changing_transaction_reads_is_not_kept(db: Database, store: StoreHandle) -> None:
    cache: RowCache[str] = RowCache("test_names_uncommitted", [Store], seconds=60)

    def rename_then_read(uow):  # type: ignore[no-untyped-def]
        uow.session.get(Store, store.id).name = "Not yet"
        uow.session.flush()
        cache.put(uow.session, store.id, "Not yet")
        raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        db.write(rename_then_read)
    assert _name(db, cache, store.id) != "Not yet"


def test_entries_expire(db: Database, store: StoreHandle) -> None:
    cache: RowCache[str] = RowCache("test_names_expiring", [Store], seconds=0)
    _name(db, cache, store.id)
    assert cache.get_for_engine(db.engine, store.id) is None
