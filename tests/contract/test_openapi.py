"""The OpenAPI document is the contract: Schemathesis calls every operation with generated
requests (valid and invalid) and checks every answer against it, all checks on.

Bounded (a few examples per operation) so `make test` stays quick; the app is the real one
over a real database, a tenant with an admin key and a connection to the emulated org.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS
from schemathesis.specs.openapi.checks import positive_data_acceptance

from forcebridge.api import create_app
from forcebridge.runtime import Runtime
from forcebridge.services import api_keys, tenants
from forcebridge.settings import Settings
from tests.emulated_org import connect
from tests.salesforce.emulated import in_process

EXAMPLES = 4
# Operations whose valid requests depend on more than their schema can say, so a
# schema-valid request may rightly be refused 422: the check that such requests are accepted
# is left out for them alone (every other check runs). Each says why.
STATEFUL_VALIDITY = {
    "POST /api/v1/connections": "the credentials required depend on the auth flow",
    "POST /api/v1/integrations": "the config's shape depends on the kind and the org",
    "POST /api/v1/sources": "one input model for create and update: create needs the name",
    "POST /api/v1/connections/{ref}/records/{sobject}": "fields are the org's",
    "PATCH /api/v1/connections/{ref}/records/{sobject}/{record_id}": "fields are the org's",
    "PATCH /api/v1/connections/{ref}/records/{sobject}/by/{field}/{value}": "the org's fields",
    "PUT /api/v1/connections/{ref}/records/{sobject}/by/{field}/{value}": "the org's fields",
}
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


def _caller(operation: Any, mode: GenerationMode, checks: list[Any],
            headers: dict[str, str]) -> Any:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def call(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=headers, checks=checks)

    return call


def test_every_answer_matches_the_contract(app: FastAPI) -> None:
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    headers = {"Authorization": f"Bearer {_KEY['admin']}"}
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 50
    everything = CHECKS.get_all()
    for operation in operations:
        checks = everything
        if operation.label in STATEFUL_VALIDITY:
            checks = [c for c in everything if c is not positive_data_acceptance]
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            call = _caller(operation, mode, checks, headers)
            try:
                call()
            except Unsatisfiable:
                pass  # nothing in this operation can be made invalid (no parameters, no body)
            except BaseException as exc:  # each operation's failures, all reported
                if isinstance(exc, KeyboardInterrupt):
                    raise
                failures.append(f"{operation.label} [{mode.value}]: {_summary(exc)}")
    assert not failures, "\n\n".join(failures)


def test_scopes_in_the_schema_are_the_services_scopes() -> None:
    from typing import get_args

    from forcebridge.api.routes.models import Scope
    from forcebridge.services.api_clients import SCOPES

    assert set(get_args(Scope)) == set(SCOPES)


def test_405_lists_every_method_of_the_path(app: FastAPI) -> None:
    from fastapi.testclient import TestClient

    with TestClient(app) as client:
        answer = client.request("PUT", "/api/v1/users")
        assert answer.status_code == 405
        assert answer.headers["allow"] == "GET, HEAD, POST"
        item = client.request("POST", "/api/v1/users/x")
        assert item.status_code == 405
        assert set(item.headers["allow"].split(", ")) >= {"GET", "PATCH", "DELETE"}
