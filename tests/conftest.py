"""Fixtures shared by the whole suite: real databases (SQLite and PostgreSQL), a runtime, the API.

`make test` starts PostgreSQL and Redis and exports FORCEBRIDGE_TEST_POSTGRES_URL and
FORCEBRIDGE_TEST_REDIS_URL; every store test runs on both databases. Outside `make test` the
tests needing a server are skipped unless its variable is set; under `make test`
(FORCEBRIDGE_TEST_REQUIRE_SERVICES=1) a missing server is an error instead.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from forcebridge.api import create_app
from forcebridge.runtime import Runtime
from forcebridge.services import api_keys, tenants
from forcebridge.settings import Settings
from tests.salesforce.emulated import Emulated, in_process

POSTGRES_URL = os.environ.get("FORCEBRIDGE_TEST_POSTGRES_URL")
REDIS_URL = os.environ.get("FORCEBRIDGE_TEST_REDIS_URL")
REQUIRE_SERVICES = os.environ.get("FORCEBRIDGE_TEST_REQUIRE_SERVICES") == "1"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """CLI commands run in-process configure the `forcebridge` logger (no propagation, a
    level); a module- or session-scoped fixture may have done so before this test started, so
    each test starts from the pristine logger and `caplog` sees its records."""
    logger = logging.getLogger("forcebridge")
    logger.handlers[:], logger.propagate, logger.level = [], True, logging.NOTSET
    yield
    logger.handlers[:], logger.propagate, logger.level = [], True, logging.NOTSET


def _postgres_database() -> Iterator[str]:
    if not POSTGRES_URL:
        if REQUIRE_SERVICES:
            pytest.fail("FORCEBRIDGE_TEST_POSTGRES_URL is not set although make test should set it")
        pytest.skip("PostgreSQL runs only under `make test` (FORCEBRIDGE_TEST_POSTGRES_URL unset)")
    name = f"fb_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
    else:
        yield from _postgres_database()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database, for tests of behaviour only PostgreSQL has: such a
    test is not parametrized over SQLite only to be skipped there."""
    yield from _postgres_database()


@pytest.fixture
def redis_url() -> Iterator[str]:
    """The Redis server started by make test, emptied before the test (the broker and the
    concurrency leases of the scale-out tests)."""
    if not REDIS_URL:
        if REQUIRE_SERVICES:
            pytest.fail("FORCEBRIDGE_TEST_REDIS_URL is not set although make test should set it")
        pytest.skip("Redis runs only under `make test` (FORCEBRIDGE_TEST_REDIS_URL unset)")
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    client.close()
    yield REDIS_URL


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=database_url, log_format="json")


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    rt = Runtime(settings)
    rt.migrate()
    yield rt
    rt.close()


@pytest.fixture
def emu() -> Emulated:
    """A fresh demo org, reached in-process (`runtime.salesforce_transport = emu.transport`);
    tests.emulated_org connects a tenant to it."""
    return in_process()


@pytest.fixture
def api(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def admin_key(runtime: Runtime) -> str:
    """An admin API key of a tenant named 'operator'."""
    with runtime.db.begin() as s:
        t = tenants.create(s, "operator")
        return api_keys.create(s, t.id, "admin", admin=True).secret


@pytest.fixture
def new_tenant_key(runtime: Runtime) -> Callable[[str], str]:
    """Makes a tenant and returns a plain (non-admin) API key for it."""

    def make(name: str) -> str:
        with runtime.db.begin() as s:
            t = tenants.create(s, name)
            return api_keys.create(s, t.id, f"{name} key").secret

    return make


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}
