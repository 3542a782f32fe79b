"""The OpenAPI document is the contract: Schemathesis calls every operation with generated
requests (valid and invalid) and checks every answer against it, all checks on.

Bounded (a few examples per operation) so `make test` stays quick; the app is the real one
over a real database, a tenant with an admin key and a connection to the emulated org.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
import schemathesis.openapi.checks  # noqa: F401  (registers the OpenAPI checks)
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS

from forcebridge.api import create_app
from forcebridge.runtime import Runtime
from forcebridge.services import api_keys, tenants
from forcebridge.settings import Settings
from tests.emulated_org import connect
from tests.salesforce.emulated import in_process

EXAMPLES = 4
_KEY: dict[str, str] = {}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    data = tmp_path_factory.mktemp("contract")
    rt = Runtime(Settings(data_dir=data, database_url=f"sqlite:///{Path(data) / 'store.db'}",
                          log_level="ERROR", scheduler=False))
    rt.migrate()
    emu = in_process()
    rt.salesforce_transport = emu.transport
    with rt.db.begin() as s:
        t = tenants.create(s, "operator")
        _KEY["admin"] = api_keys.create(s, t.id, "admin", admin=True).secret
        connect(s, rt, t.id, emu, "demo org")
    yield create_app(rt)
    rt.close()


def _summary(exc: BaseException) -> str:
    """The failure's title and its reproducing curl, not the traceback."""
    lines = [line.strip() for line in str(exc).splitlines()]
    keep = [line for line in lines if line.startswith(("- ", "`", "curl", "[", "Expected"))]
    return " | ".join(keep)[:900]


def test_every_answer_matches_the_contract(app: FastAPI) -> None:
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    headers = {"Authorization": f"Bearer {_KEY['admin']}"}
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 50
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                      suppress_health_check=list(HealthCheck))
            def call(case: schemathesis.Case) -> None:
                case.call_and_validate(headers=headers, checks=CHECKS.get_all())

            try:
                call()
            except Unsatisfiable:
                pass  # nothing in this operation can be made invalid (no parameters, no body)
            except BaseException as exc:  # each operation's failures, all reported
                if isinstance(exc, KeyboardInterrupt):
                    raise
                failures.append(f"{operation.label} [{mode.value}]: {_summary(exc)}")
    assert not failures, "\n\n".join(failures)
