"""`apply` and `export` as services: all or nothing, errors by position, a no-op round trip."""

from __future__ import annotations

import copy
from typing import Any

import anyio
import pytest
import yaml
from fastapi.testclient import TestClient

from forcebridge.cli.declarative import expand
from forcebridge.errors import ForcebridgeError, InvalidInput
from forcebridge.http_status import status_of
from forcebridge.integrations import files as integration_files
from forcebridge.services import integrations
from forcebridge.sync.config import EntitySyncConfig
from tests.granted import grant_sql
from tests.integrations.conftest import Org, invoice_config

SQL_URL = "postgresql+psycopg://sync:s3cr3t-pw@db.internal:5432/billing"


def apply(org: Org, document: Any, **kw: Any) -> list[tuple[str, str]]:
    async def go() -> list[integration_files.Applied]:
        return await integration_files.apply(org.rt, org.tenant_id, document, **kw)

    return [(a.name, a.action) for a in anyio.run(go)]


def refused(org: Org, document: Any) -> ForcebridgeError:
    with pytest.raises(ForcebridgeError) as caught:
        apply(org, document)
    return caught.value


def export(org: Org, names: list[str] | None = None) -> dict[str, Any]:
    with org.rt.db.begin() as s:
        return integration_files.export(s, org.rt.vault, org.tenant_id, names)


def names_in_db(org: Org) -> list[str]:
    with org.rt.db.begin() as s:
        return [i.name for i in integrations.list_all(s, org.tenant_id)]


def sample(org: Org) -> dict[str, Any]:
    """One integration of every kind and source, as a user would write the file."""
    push = invoice_config(org.files, source={"kind": "push", "key_column": "number",
                                             "account_column": "account"},
                          mode="mirror", filters={"restricted_account_ids": ["A-9"]})
    billing = grant_sql(org.rt, org.tenant_id, SQL_URL, name="billing")
    sql = invoice_config(org.files, source={"kind": "sql", "name": billing, "table": "invoices",
                                            "key_column": "number"})
    return {"integrations": [
        {"name": "invoices", "kind": "entity_sync", "connection": "demo org",
         "config": invoice_config(org.files), "schedule": "5 * * * *",
         "notify": ["ops@acme.example"]},
        {"name": "pushed invoices", "kind": "entity_sync", "connection": "demo org",
         "config": push, "enabled": False},
        {"name": "billing db", "kind": "entity_sync", "config": sql, "schedule": ""},
        {"name": "web leads", "kind": "inbound_form", "config": {"object": "Lead"}},
        {"name": "events", "kind": "event_publish", "config": {"target": "/acme/events"}},
    ]}


def test_apply_creates_then_updates_then_leaves_unchanged(org: Org) -> None:
    document = sample(org)
    assert apply(org, document) == [
        ("invoices", "created"), ("pushed invoices", "created"), ("billing db", "created"),
        ("web leads", "created"), ("events", "created")]
    assert apply(org, document) == [(n, "unchanged") for n in
                                    ("invoices", "pushed invoices", "billing db", "web leads",
                                     "events")]
    changed = copy.deepcopy(document)
    changed["integrations"][0]["config"]["bulk_threshold"] = 50
    changed["integrations"][3]["name"] = "Web Leads"  # names match in any case: a rename
    assert [a for _, a in apply(org, changed)] == [
        "updated", "unchanged", "unchanged", "updated", "unchanged"]
    with org.rt.db.begin() as s:
        one = integrations.get(s, org.tenant_id, "invoices")
        typed = integrations.config_of(one, org.rt.vault)
        assert isinstance(typed, EntitySyncConfig) and typed.bulk_threshold == 50
        assert integrations.get(s, org.tenant_id, "web leads").name == "Web Leads"
        assert integrations.get(s, org.tenant_id, "pushed invoices").enabled is False


def test_dry_run_changes_nothing(org: Org) -> None:
    assert apply(org, sample(org), dry_run=True)[0] == ("invoices", "created")
    assert names_in_db(org) == []


def test_a_bad_file_changes_nothing_and_names_every_error_by_position(org: Org) -> None:
    document = sample(org)
    apply(org, {"integrations": document["integrations"][:1]})
    items = document["integrations"]
    items[0]["schedule"] = "whenever"
    items[1]["connection"] = "nope"
    items[2]["config"]["mode"] = "sideways"
    items[3]["colour"] = "red"
    items.append({"name": "x", "kind": "entity_sync"})
    items.append({"kind": "entity_sync"})
    items.append({"name": "INVOICES"})
    first = refused(org, document)
    fields = [d["field"] for d in first.details]
    assert fields == ["integrations[3].colour", "integrations[6].name", "integrations[7].name"]
    assert "already integrations[0]" in first.details[2]["reason"]
    del items[6:], items[3]["colour"]
    second = refused(org, document)
    assert isinstance(second, InvalidInput)
    assert [d["field"] for d in second.details] == [
        "integrations[0].schedule", "integrations[1].connection", "integrations[2].config.mode",
        "integrations[5].config"]
    assert names_in_db(org) == ["invoices"]
    with org.rt.db.begin() as s:
        assert integrations.get(s, org.tenant_id, "invoices").schedule == "5 * * * *"


def test_the_document_shape_is_checked(org: Org) -> None:
    assert refused(org, {"integration": []}).details[0]["field"] == "integrations"
    assert refused(org, {"integrations": [], "extra": 1}).details[0]["field"] == "extra"
    assert refused(org, "text").details[0]["field"] == "integrations"
    assert refused(org, ["just a name"]).details[0]["field"] == "integrations[0]"
    assert apply(org, None) == [] and apply(org, {"integrations": []}) == []
    assert apply(org, sample(org)["integrations"][3:]) == [  # a bare list works too
        ("web leads", "created"), ("events", "created")]


def test_export_then_apply_is_a_no_op(org: Org, api_org: TestClient) -> None:
    apply(org, sample(org))
    api_org.post("/api/v1/integrations/events/disable", json={"reason": "paused"},
                 headers=org.headers)
    exported = export(org)
    text = yaml.safe_dump(exported, sort_keys=False)
    assert "s3cr3t-pw" not in text and "db.internal" not in text
    before = api_org.get("/api/v1/integrations", headers=org.headers).json()
    assert apply(org, yaml.safe_load(text)) == [(d["name"], "unchanged")
                                                for d in exported["integrations"]]
    assert api_org.get("/api/v1/integrations", headers=org.headers).json() == before
    with org.rt.db.begin() as s:  # the file names the data source, which is kept
        sql = integrations.config_of(integrations.get(s, org.tenant_id, "billing db"),
                                     org.rt.vault)
        assert isinstance(sql, EntitySyncConfig)
        assert sql.source.name == "billing"  # type: ignore[union-attr]
    by_name = {d["name"]: d for d in exported["integrations"]}
    assert by_name["events"]["enabled"] is False
    assert by_name["billing db"]["schedule"] is None and by_name["billing db"]["connection"] is None
    assert by_name["invoices"]["notify"] == ["ops@acme.example"]
    compact = by_name["invoices"]["config"]
    assert "bulk_threshold" not in compact and "filters" not in compact  # defaults left out
    assert compact["source"]["kind"] == "csv"  # discriminators kept
    assert export(org, ["events"])["integrations"] == [by_name["events"]]


def test_a_file_with_an_inline_url_or_path_is_refused_naming_what_is_granted(org: Org) -> None:
    apply(org, sample(org))
    exported = export(org, ["billing db", "invoices"])
    inline = copy.deepcopy(exported)
    inline["integrations"][0]["config"]["source"]["url"] = SQL_URL
    error = refused(org, inline)
    assert [d["field"] for d in error.details] == ["integrations[0].config.source.url"]
    assert "SQL data sources granted to this tenant: billing" in error.details[0]["reason"]
    absolute = copy.deepcopy(exported)
    absolute["integrations"][1]["config"]["source"]["path"] = str(org.files / "invoices.csv")
    error = refused(org, absolute)
    assert [d["field"] for d in error.details] == ["integrations[1].config.source.path"]
    assert apply(org, exported) == [("billing db", "unchanged"), ("invoices", "unchanged")]


def test_environment_references_are_expanded_by_path() -> None:
    environ = {"DB_PASSWORD": "p@ss", "HOST": "db"}
    document = {"integrations": [{"config": {"source": {
        "url": "postgresql://u:${DB_PASSWORD}@${HOST}/x", "note": "$${literal} $HOME"}}}]}
    expanded = expand(document, environ)
    source = expanded["integrations"][0]["config"]["source"]
    assert source == {"url": "postgresql://u:p@ss@db/x", "note": "${literal} $HOME"}
    with pytest.raises(InvalidInput) as caught:
        expand({"integrations": [{"name": "a"}, {"connection": "${MISSING}"}]}, environ)
    assert caught.value.details == [{"field": "integrations[1].connection",
                                     "reason": "environment variable MISSING is not set"}]


def test_checks_run_for_every_changed_integration_before_anything_is_written(org: Org) -> None:
    pytest.importorskip("forcebridge.runs.plan", reason="the runs engine's checks are not here")
    document = sample(org)
    broken = document["integrations"][1]["config"]
    broken["mapping"]["mappings"].append({"field": "Nope__c", "constant": "x"})
    error = refused(org, document)
    assert error.code == "invalid_mapping"
    assert "integrations[1].Nope__c" in [d["field"] for d in error.details]
    assert names_in_db(org) == []


def test_a_connection_the_checks_cannot_use_is_reported_with_the_file_position(org: Org) -> None:
    form = {"object": "Lead", "mappings": [{"field": "LastName", "column": "last_name"},
                                           {"field": "Company", "column": "company"}]}
    document = {"integrations": [
        {"name": "web leads", "kind": "inbound_form", "connection": "demo org", "config": form},
    ]}
    org.emu.faults("exhaust=1")  # the org refuses every call: REQUEST_LIMIT_EXCEEDED
    error = refused(org, document)
    assert error.code == "REQUEST_LIMIT_EXCEEDED" and status_of(error) == 429
    assert error.message == "integrations[0]: TotalRequests Limit exceeded."
    assert [d["field"] for d in error.details] == ["integrations[0]"]
    assert names_in_db(org) == []
