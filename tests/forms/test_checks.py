"""Save-time checks (required fields mapped, only createable fields) and the form-fields list."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from forcebridge.forms.check import NOT_CREATEABLE, check_config
from forcebridge.kinds.hooks import ensure_hook
from forcebridge.kinds.inbound_form import InboundFormConfig
from forcebridge.services import api_clients, connections, integrations
from forcebridge.store.integrations import Integration
from forcebridge.sync.plan import PlanError
from tests.conftest import bearer
from tests.forms.conftest import CASE_FORM, LEAD_FORM, Forms


def _check(forms: Forms, config: dict[str, Any], connection: str | None = "x") -> list[Any]:
    with forms.rt.db.begin() as s:
        conn_id = None
        if connection is not None:
            conn_id = connections.get(s, forms.tenant.id, "demo org").id
    parsed = InboundFormConfig.model_validate(config)
    return anyio.run(lambda: check_config(forms.rt, forms.tenant.id, conn_id, parsed))


def test_saving_refuses_unmapped_required_fields_naming_them(forms: Forms) -> None:
    config = {"object": "Lead", "mappings": [{"field": "Email", "column": "email"}]}
    with pytest.raises(PlanError) as refused:
        forms.save("web leads", config)
    problems = {p.field: p.reason for p in refused.value.problems}
    assert set(problems) == {"LastName", "Company"}
    assert problems["Company"].startswith("required to create Lead records but not mapped")
    with forms.rt.db.begin() as s:
        assert integrations.list_all(s, forms.tenant.id) == []


def test_non_createable_fields_are_refused(forms: Forms) -> None:
    config = {**CASE_FORM, "mappings": [*CASE_FORM["mappings"],
                                        {"field": "CaseNumber", "column": "number"},
                                        {"field": "IsClosed", "column": "closed"}]}
    problems = _check(forms, config)
    assert [(p.field, p.reason) for p in problems] == [
        ("CaseNumber", NOT_CREATEABLE), ("IsClosed", NOT_CREATEABLE)
    ]
    with pytest.raises(PlanError):
        forms.save("support", config)


def test_other_mapping_problems_come_from_the_sync_check(forms: Forms) -> None:
    config = {**LEAD_FORM, "mappings": [*LEAD_FORM["mappings"],
                                        {"field": "Nope__c", "column": "x"},
                                        {"field": "Rating", "constant": "Lukewarm"}]}
    fields = {p.field for p in _check(forms, config)}
    assert fields == {"Nope__c"}  # Rating is not a restricted picklist in this org
    assert _check(forms, {"object": "Widget__c"})[0].field == "object"


def test_auto_match_counts_required_fields_as_mapped(forms: Forms) -> None:
    assert _check(forms, {"object": "Lead", "auto_match": True}) == []
    assert _check(forms, LEAD_FORM) == []


def test_without_a_connection_there_is_nothing_to_check(forms: Forms) -> None:
    assert _check(forms, {"object": "Lead"}, connection=None) == []
    saved = forms.save("draft", {"object": "Lead"}, connection=None)
    assert saved.connected is False


def test_config_rules(forms: Forms) -> None:
    with pytest.raises(ValueError, match="max_body_bytes"):
        InboundFormConfig.model_validate({"object": "Lead", "max_body_bytes": 10})
    with pytest.raises(ValueError, match="auth"):
        InboundFormConfig.model_validate({"object": "Lead", "auth": "basic"})
    with pytest.raises(ValueError, match="time zone"):
        InboundFormConfig.model_validate({"object": "Lead", "timezone": "Mars/Olympus"})


def test_form_fields_lists_only_createable_fields_with_required_marked(forms: Forms) -> None:
    forms.save("web leads", LEAD_FORM)
    resp = forms.api.get("/api/v1/integrations/web leads/form-fields",
                         headers=forms.tenant.headers)
    assert resp.status_code == 200, resp.text
    by_name = {f["name"]: f for f in resp.json()}
    assert {n for n, f in by_name.items() if f["required"]} == {"LastName", "Company"}
    assert "Name" not in by_name and "Id" not in by_name and "ConvertedDate" not in by_name
    assert by_name["LastName"]["mapped_from"] == ["last_name"]
    assert by_name["City"]["mapped_from"] == []


def test_form_fields_need_a_connection(forms: Forms) -> None:
    forms.save("draft", {"object": "Lead"}, connection=None)
    resp = forms.api.get("/api/v1/integrations/draft/form-fields", headers=forms.tenant.headers)
    assert resp.status_code == 409


def test_ensure_hook_makes_a_hook_once_and_only_for_forms(forms: Forms) -> None:
    form = Integration(kind="inbound_form", config={"object": "Lead"})
    secret = ensure_hook(form, forms.rt.vault)
    assert secret and form.hook_id and form.hook_id.startswith("fh_")
    assert forms.rt.vault.open(form.hook_secret or "") == secret
    assert ensure_hook(form, forms.rt.vault) is None
    sync = Integration(kind="entity_sync", config={})
    assert ensure_hook(sync, forms.rt.vault) is None and sync.hook_id is None


def test_api_client_scopes(forms: Forms) -> None:
    forms.form("web leads", LEAD_FORM)
    with forms.rt.db.begin() as s:
        issued = api_clients.create(s, forms.tenant.id, "reader", ["integrations:read"])
        client_id, secret = issued.client.client_id, issued.secret
    token = forms.api.post("/oauth/token", data={
        "grant_type": "client_credentials", "client_id": client_id,
        "client_secret": secret}).json()["access_token"]
    base = "/api/v1/integrations/web leads"
    assert forms.api.get(f"{base}/form-posts", headers=bearer(token)).status_code == 200
    assert forms.api.post(f"{base}/form-posts/replay", json={"all_rejected": True},
                          headers=bearer(token)).status_code == 403
    # the hook secret is for API keys only
    assert forms.api.get(f"{base}/hook", headers=bearer(token)).status_code == 403
