"""/metrics after real runs against the emulator: the figures are the runs' own, on SQLite and
PostgreSQL, with no record key in any label, behind a token when one is set."""

from __future__ import annotations

from typing import Any

import pytest

from forcebridge.runs import run_integration
from forcebridge.store.runs import Run
from tests.forms.conftest import LEAD_FORM, Forms
from tests.outbox.conftest import APEX, Org, events
from tests.runs.conftest import World, invoice_rows, write_csv
from tests.telemetry.conftest import scrape, total, value

ACME = {"tenant": "acme", "integration": "invoices"}
ORG = {"tenant": "acme", "connection": "org"}


@pytest.mark.anyio
async def test_run_figures_match_the_runs(world: World) -> None:
    before = scrape(world.rt)
    write_csv(world.files / "invoices.csv", invoice_rows(3))
    iid = world.integration()
    runs = [await run_integration(world.rt, world.tenant_id, iid) for _ in range(2)]
    rows = invoice_rows(3)
    rows[0]["amount"] = "999.50"
    write_csv(world.files / "invoices.csv", rows)
    runs.append(await run_integration(world.rt, world.tenant_id, iid))
    world.emu.faults("error503=1,seed=3")  # every call answered 503: the run fails
    runs.append(await run_integration(world.rt, world.tenant_id, iid))
    world.emu.faults("none")
    ended: list[Run] = [world.run(r) for r in runs]
    assert [r.status for r in ended] == ["succeeded", "succeeded", "succeeded", "failed"]

    after = scrape(world.rt)
    assert value(after, "forcebridge_runs_total", **ACME, status="succeeded") == 3
    assert value(after, "forcebridge_runs_total", **ACME, status="failed") == 1
    for outcome in ("read", "created", "updated", "unchanged", "failed", "deleted"):
        assert value(after, "forcebridge_run_records_total", **ACME, outcome=outcome) == sum(
            getattr(r, outcome) for r in ended), outcome
    assert value(after, "forcebridge_run_records_total", **ACME, outcome="created") == 3
    assert value(after, "forcebridge_run_records_total", **ACME, outcome="updated") == 1
    assert value(after, "forcebridge_run_api_calls_total", **ACME) == sum(
        r.api_calls for r in ended)
    assert value(after, "forcebridge_run_duration_seconds_count", **ACME) == 4
    durations = sum((r.ended_at - r.started_at).total_seconds() for r in ended if r.ended_at)
    assert value(after, "forcebridge_run_duration_seconds_sum", **ACME) == pytest.approx(
        durations, abs=0.01)
    assert value(after, "forcebridge_run_duration_seconds_bucket", **ACME, le="+Inf") == 4
    assert value(after, "forcebridge_integration_failed_runs_in_a_row", **ACME) == 1
    assert value(after, "forcebridge_integration_enabled", **ACME, kind="entity_sync") == 1
    assert value(after, "forcebridge_events_open", **ACME, kind="run_failed") == 1

    # this process's counters: every call the runs made, logins included, and the 503s
    def grown(name: str, **labels: str) -> float:
        return total(after, name, **labels) - total(before, name, **labels)

    assert grown("forcebridge_salesforce_calls_total", **ORG) == sum(r.api_calls for r in ended)
    injected = world.emu.emulator.faults.injected["error503"]
    assert injected > 0
    assert grown("forcebridge_salesforce_errors_total", **ORG, code="SERVER_UNAVAILABLE") \
        == injected
    assert grown("forcebridge_salesforce_call_duration_seconds_count", **ORG) == sum(
        r.api_calls for r in ended)
    assert value(after, "forcebridge_salesforce_concurrency_limit", **ORG) == 4
    assert value(after, "forcebridge_salesforce_concurrency_in_use", **ORG) == 0

    # the org's API usage as its last answer said, which is what the emulator counted
    usage = world.emu.emulator.usage
    assert value(after, "forcebridge_salesforce_api_allocation", **ORG) == usage.allocation
    assert 0 < value(after, "forcebridge_salesforce_api_used", **ORG) <= usage.used
    assert value(after, "forcebridge_salesforce_api_remaining", **ORG) == usage.allocation - \
        value(after, "forcebridge_salesforce_api_used", **ORG)
    # saved, never tested through authorize: the status the store holds
    assert value(after, "forcebridge_connection_status", **ORG, status="draft") == 1
    assert total(after, "forcebridge_connection_status", **ORG) == 1

    # labels carry names, statuses and codes: never a record key
    labels = {v for series in after.values() for key in series for _, v in key}
    assert not [v for v in labels if "INV-" in v]


def test_outbox_figures_match_the_messages(org: Org) -> None:
    ref = org.integration("billing", APEX)
    org.publish(ref, events("a", 3))
    lost = org.integration("lost", {"target": "acme/nowhere", "max_attempts": 8})
    org.publish(lost, events("b", 2))
    waiting = scrape(org.rt)
    billing = {"tenant": "acme", "integration": "billing"}
    assert value(waiting, "forcebridge_outbox_messages", **billing, status="pending") == 3
    assert value(waiting, "forcebridge_outbox_oldest_pending_age_seconds", **billing) >= 0

    assert org.deliver() == 3
    after = scrape(org.rt)
    dead = {"tenant": "acme", "integration": "lost"}
    assert value(after, "forcebridge_outbox_messages", **billing, status="delivered") == 3
    assert value(after, "forcebridge_outbox_messages", **billing, status="pending") == 0
    assert value(after, "forcebridge_outbox_oldest_pending_age_seconds", **billing) == 0
    assert value(after, "forcebridge_outbox_dead_letters", **billing) == 0
    assert value(after, "forcebridge_outbox_dead_letters", **dead) == 2
    assert value(after, "forcebridge_outbox_messages", **dead, status="dead") == 2


def test_form_post_figures_match_the_posts(forms: Forms) -> None:
    hook = forms.form("web leads", LEAD_FORM)
    good: dict[str, Any] = {"last_name": "Hopper", "company": "Navy", "email": "g@navy.example"}
    assert forms.post(hook, data=good).status_code == 201
    assert forms.post(hook, data=good | {"last_name": "Lovelace"}).status_code == 201
    assert forms.post(hook, data={"email": "nobody@example.com"}).status_code == 422
    after = scrape(forms.rt)
    leads = {"tenant": "acme", "integration": "web leads"}
    assert value(after, "forcebridge_form_posts", **leads, status="created") == 2
    assert value(after, "forcebridge_form_posts", **leads, status="rejected") == 1
    assert value(after, "forcebridge_events_open", **leads, kind="form_rejected") == 1


def test_the_metrics_token_is_required_once_set(world: World) -> None:
    from fastapi.testclient import TestClient
    from pydantic import SecretStr

    from forcebridge.api import create_app

    world.rt.settings.metrics_token = SecretStr("s3cret-scrape")
    api = TestClient(create_app(world.rt))
    refused = api.get("/metrics")
    assert refused.status_code == 401
    assert refused.json()["error"]["details"][0]["field"] == "Authorization"
    assert api.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert "s3cret" not in refused.text
    samples = scrape(world.rt, {"Authorization": "Bearer s3cret-scrape"})
    assert value(samples, "forcebridge_connection_status", **ORG, status="draft") == 1
