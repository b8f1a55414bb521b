"""Shared fixtures: a fresh database per test on every configured backend, the app, factories.

Every test that takes ``db`` (or anything built on it) runs once on SQLite and, when
``LOYALDESK_TEST_DATABASE_URL`` is set, once more on PostgreSQL.

Under pytest-xdist (``make test`` runs ``pytest -n 2``) every worker has its own PostgreSQL database
(``<database>_gw0``, ``<database>_gw1``, created when missing) and its own Redis database (the configured
number plus the worker's index): ``POSTGRES_URL``, ``REDIS_URL`` and the ``LOYALDESK_TEST_*`` variables
name this worker's. Redis pub/sub ignores the database number, so the files that use Redis run on one
worker (``tests/xdist_scheduling.py``).
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
from sqlalchemy import create_engine, make_url, text

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

# Commands run in tests print through rich consoles, which take their width from COLUMNS when they are
# made and wrap there (80 without it): a message naming a file under ``tmp_path`` broke where the path
# reached column 80, and an xdist worker's paths are longer (``.../popen-gw0/...``) and its COLUMNS is 80
# (GNU readline sets it when a worker imports it). Print as on a wide terminal, whoever runs the tests.
os.environ["COLUMNS"] = "200"

# "gw0", "gw1"... in a pytest-xdist worker (set before this module is imported); None when run serially.
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER")


def _postgres_url_for_worker(url: str | None, worker: str | None) -> str | None:
    """``url`` with ``_<worker>`` appended to its database name (``url`` itself when not in a worker)."""
    if not url or not worker:
        return url
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{worker}").render_as_string(hide_password=False)


def _redis_url_for_worker(url: str | None, worker: str | None) -> str | None:
    """``url`` with the worker's index added to its database number (``redis://host:6379/7`` is db 7 for
    ``gw0`` and db 8 for ``gw1``); ``url`` itself when not in a worker."""
    if not url or not worker:
        return url
    head, _, number = url.rstrip("/").rpartition("/")
    if not number.isdigit() or head.endswith(":/"):  # no database number given: redis://host:6379
        head, number = url.rstrip("/"), "0"
    return f"{head}/{int(number) + int(worker.removeprefix('gw'))}"


_CONFIGURED_POSTGRES_URL = os.environ.get("LOYALDESK_TEST_DATABASE_URL")
POSTGRES_URL = _postgres_url_for_worker(_CONFIGURED_POSTGRES_URL, XDIST_WORKER)
REDIS_URL = _redis_url_for_worker(os.environ.get("LOYALDESK_TEST_REDIS_URL"), XDIST_WORKER)
# Tests (and the processes they start) that read the variables themselves get this worker's too.
for _variable, _value in (
    ("LOYALDESK_TEST_DATABASE_URL", POSTGRES_URL),
    ("LOYALDESK_TEST_REDIS_URL", REDIS_URL),
):
    if _value:
        os.environ[_variable] = _value
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])
START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    """``pytest -n 2``: tests one at a time, Redis files together on one worker, slow files first
    (``tests/xdist_scheduling.py``); another ``--dist`` than the default is left to xdist."""
    if config.getvalue("dist") != "load":
        return None
    from tests.xdist_scheduling import SuiteScheduling

    return SuiteScheduling(config, log)


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
    _create_postgres_database(POSTGRES_URL)
    engine = create_engine(POSTGRES_URL)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    upgrade_to_head(POSTGRES_URL)
    return POSTGRES_URL


def _create_postgres_database(url: str) -> None:
    """Create ``url``'s database when it is missing (a worker's own), connecting to the configured one."""
    if not XDIST_WORKER:
        return
    name = make_url(url).database
    engine = create_engine(_CONFIGURED_POSTGRES_URL or url)
    engine = engine.execution_options(isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            exists = connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            )
            if not exists:
                connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    finally:
        engine.dispose()


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
