"""Shared fixtures: a fresh database per test on every configured backend, the app, factories.

Every test that takes ``db`` (or anything built on it) runs once on SQLite and, when
``LOYALDESK_TEST_DATABASE_URL`` is set, once more on PostgreSQL.
"""

from __future__ import annotations

import gc
import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from loyaldesk.assistant.nlu.embedding_cache import CACHE_DIR_VARIABLE
from loyaldesk.assistant.teaching.trainer import NluTrainer, provide_trainer
from loyaldesk.composition import compose
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from loyaldesk.kernel.migrations import upgrade_to_head
from loyaldesk.kernel.orm import Base
from loyaldesk.runtime import Runtime
from loyaldesk.settings import Settings
from loyaldesk.stores.passwords import hash_password
from tests.factories import TEST_PASSWORD, StoreHandle, app_serving, make_store

compose()

# Each test builds and drops a runtime, its engine and its sessions: tens of thousands of container
# objects, so the collector's default thresholds run a full collection every few tests. Collect less often
# (memory stays bounded: everything is still collected), and never re-scan what importing built
# (``pytest_collection_finish`` freezes it).
gc.set_threshold(10_000, 20, 20)

POSTGRES_URL = os.environ.get("LOYALDESK_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("LOYALDESK_TEST_REDIS_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])
START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def pytest_collection_finish(session: pytest.Session) -> None:
    gc.collect()
    gc.freeze()


@pytest.fixture(autouse=True)
def _composed() -> None:
    """Every test starts from the environment's composition: a ``Runtime`` built with other settings
    composes with those, and that must not reach the next test."""
    compose()
    provide_trainer(NluTrainer())  # the assistant's real classifier (a test may have provided another)


@pytest.fixture(scope="session")
def assistant_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The assistant's disk cache (sentence vectors, the default intent model) for this test session:
    tests never read the user's cache, and the default model is trained at most once per session."""
    return tmp_path_factory.mktemp("assistant-cache")


@pytest.fixture(autouse=True)
def _assistant_cache_in_tmp(assistant_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CACHE_DIR_VARIABLE, str(assistant_cache))


@pytest.fixture(scope="session")
def password_hash() -> str:
    return hash_password(TEST_PASSWORD)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating per test would be slow)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade_to_head(f"sqlite:///{path}")
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_migrated() -> str | None:
    if not POSTGRES_URL:
        return None
    engine = create_engine(POSTGRES_URL)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    upgrade_to_head(POSTGRES_URL)
    return POSTGRES_URL


def _truncate_postgres(url: str) -> None:
    engine = create_engine(url)
    tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> Iterator[str]:
    if request.param == "sqlite":
        path = tmp_path / "loyaldesk.db"
        shutil.copyfile(sqlite_template, path)
        yield f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_migrated")
        _truncate_postgres(url)
        yield url


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def db(database_url: str, clock: FakeClock) -> Iterator[Database]:
    database = Database(database_url, clock=clock)
    yield database
    database.dispose()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp_path / "var",
        secret_key="test-secret-key-not-for-production",
        run_background_jobs=False,
        redis_url=None,
    )


@pytest.fixture
def runtime(settings: Settings, db: Database) -> Runtime:
    return Runtime(settings, database=db)


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    # https, so that the Secure session cookie is sent back as a browser would.
    with app_serving(runtime) as app, TestClient(app, base_url="https://testserver") as test_client:
        yield test_client


@pytest.fixture
def store(db: Database) -> StoreHandle:
    return make_store(db, "acme")


@pytest.fixture
def other_store(db: Database) -> StoreHandle:
    return make_store(db, "globex")
