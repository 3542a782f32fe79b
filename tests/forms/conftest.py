"""Fixtures for inbound forms: a tenant connected to the in-process emulator's demo org, the
API, and helpers to save a form integration (through the real save path, org checks
included) and post to its hook."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import anyio
import pytest
from fastapi.testclient import TestClient

from forcebridge.api import create_app
from forcebridge.forms import manage
from forcebridge.integrations import saves as integration_saves
from forcebridge.kinds.hooks import HookInfo
from forcebridge.runtime import Runtime
from forcebridge.services import api_keys, tenants
from forcebridge.services.integrations import IntegrationInput, IntegrationView
from tests import emulated_org
from tests.conftest import bearer
from tests.salesforce.emulated import Emulated

LEAD_FORM: dict[str, Any] = {
    "object": "Lead",
    "mappings": [
        {"field": "LastName", "column": "last_name"},
        {"field": "Company", "column": "company"},
        {"field": "Email", "column": "email"},
        {"field": "LeadSource", "constant": "Web"},
    ],
}
CASE_FORM: dict[str, Any] = {
    "object": "Case",
    "mappings": [
        {"field": "Subject", "column": "subject"},
        {"field": "Description", "column": "message"},
        {"field": "SuppliedEmail", "column": "email"},
        {"field": "Origin", "constant": "Web"},
    ],
}


@dataclass
class Tenant:
    id: str
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.key)


@dataclass
class Forms:
    """A tenant connected to the emulated org, and what the tests do with its forms."""

    rt: Runtime
    emu: Emulated
    api: TestClient
    tenant: Tenant

    def new_tenant(self, name: str, *, connect: bool = True) -> Tenant:
        with self.rt.db.begin() as s:
            t = tenants.create(s, name)
            if connect:
                emulated_org.connect(s, self.rt, t.id, self.emu)
            return Tenant(t.id, api_keys.create(s, t.id, f"{name} key").secret)

    def save(
        self, name: str, config: dict[str, Any], *, ref: str | None = None,
        tenant: Tenant | None = None, connection: str | None = "demo org",
    ) -> IntegrationView:
        """Create (or update `ref`) an inbound form through the real save path."""
        t = tenant or self.tenant
        fields: dict[str, Any] = {"config": config}
        if ref is None:
            fields |= {"name": name, "kind": "inbound_form"}
            if connection is not None:
                fields["connection"] = connection
        data = IntegrationInput(**fields)
        return anyio.run(
            lambda: integration_saves.save(self.rt, t.id, data, ref=ref)
        )

    def hook(self, ref: str, tenant: Tenant | None = None) -> HookInfo:
        t = tenant or self.tenant
        with self.rt.db.begin() as s:
            integration = manage.form_integration(s, t.id, ref)
            return manage.hook_info(s, self.rt.settings, self.rt.vault, integration)

    def form(self, name: str, config: dict[str, Any], **kw: Any) -> HookInfo:
        self.save(name, config, **kw)
        return self.hook(name, kw.get("tenant"))

    def post(self, hook: HookInfo, **kw: Any) -> Any:
        """POST to the hook's URL (path and query), as a form tool would."""
        path, _, query = hook.url.removeprefix(self.rt.settings.resolved_public_url).partition("?")
        params = dict(parse_qsl(query)) | dict(kw.pop("params", None) or {})
        return self.api.post(path, params=params, **kw)


@pytest.fixture
def forms(runtime: Runtime, emu: Emulated) -> Iterator[Forms]:
    runtime.salesforce_transport = emu.transport
    with TestClient(create_app(runtime), raise_server_exceptions=False) as client:
        f = Forms(runtime, emu, client, Tenant("", ""))
        f.tenant = f.new_tenant("acme")
        yield f


@pytest.fixture
def org_record(emu: Emulated) -> Callable[[str, str], dict[str, Any]]:
    return lambda sobject, record_id: emu.org.get(sobject, record_id)
