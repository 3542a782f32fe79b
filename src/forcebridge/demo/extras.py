"""The demo's later steps: an inbound form creating Cases, and events published to Apex REST.

Both go through the product's own paths: integrations are saved with `integrations.saves.save`,
the form post is received by `forms.receiving.receive` (what `POST /hooks/{hook_id}` calls),
records are read and updated with `services.records`, events are stored with
`outbox.publishing.publish` and sent by `outbox.delivery.deliver_due`.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import anyio

from forcebridge.cli.listing import Listing, render
from forcebridge.demo.context import DemoContext
from forcebridge.demo.sync import reset
from forcebridge.forms import manage
from forcebridge.forms.receiving import receive
from forcebridge.integrations import saves as integration_saves
from forcebridge.outbox.delivery import deliver_due
from forcebridge.outbox.publishing import publish
from forcebridge.services import integrations as integrations_service
from forcebridge.services import records
from forcebridge.services.integrations import IntegrationInput

FORM_NAME = "Support cases"
EVENTS_NAME = "Billing events"
APEX_PATH = "/services/apexrest/acme/events"
ACCOUNT_KEY = "SUPPORT-0001"  # Account.External_Id__c of the account the demo updates
# the demo org's Case has no external-id field: update-by-external-id is shown on Account
FORM_CONFIG: dict[str, Any] = {
    "object": "Case",
    "mappings": [
        {"field": "Subject", "column": "subject"},
        {"field": "Description", "column": "description"},
        {"field": "SuppliedEmail", "column": "email"},
        {"field": "Origin", "constant": "Web"},
    ],
}
EVENTS = [
    {"key": "acct-1", "type": "invoice.issued", "payload": {"invoice": "INV-1001", "amount": 120.0},
     "idempotency_key": "demo-inv-1001"},
    {"key": "acct-1", "type": "invoice.paid", "payload": {"invoice": "INV-1001", "amount": 120.0},
     "idempotency_key": "demo-inv-1001-paid"},
    {"key": "acct-2", "type": "balance.changed", "payload": {"balance": 42.5},
     "idempotency_key": "demo-bal-2"},
]  # fmt: skip


def _table(title: str, columns: list[str], rows: list[list[str]]) -> Listing:
    return Listing(columns, list(rows), title)


# -- inbound form --------------------------------------------------------------------------
def forms_step(ctx: DemoContext) -> None:
    """Save the form integration, post a form to its hook, read and update records."""
    reset(ctx.rt, ctx.tenant_id, [FORM_NAME])
    anyio.run(_forms, ctx)


async def _forms(ctx: DemoContext) -> None:
    data = IntegrationInput(
        name=FORM_NAME, kind="inbound_form", connection=ctx.connection, config=FORM_CONFIG,
        notify=ctx.notify,
    )  # fmt: skip
    await integration_saves.save(ctx.rt, ctx.tenant_id, data, actor="demo")

    def hook() -> tuple[str, str]:
        with ctx.rt.db.begin() as s:
            integration = manage.form_integration(s, ctx.tenant_id, FORM_NAME)
            info = manage.hook_info(s, ctx.rt.settings, ctx.rt.vault, integration)
            return info.hook_id, info.secret

    hook_id, secret = await anyio.to_thread.run_sync(hook)
    form = {
        "subject": "Invoice INV-1001 charged twice",
        "description": "We were billed twice for March; please refund one charge.",
        "email": "ap@northwind.example",
    }
    body = urlencode(form).encode()
    outcome = await receive(
        ctx.rt, hook_id, content_type="application/x-www-form-urlencoded", body=body,
        query=[], token=secret,
    )  # fmt: skip
    ctx.console.print(
        f"Inbound form [bold]{FORM_NAME}[/bold]: POST /hooks/{hook_id} → "
        f"{outcome.status} Case {outcome.salesforce_id}"
    )
    if outcome.status != "created" or outcome.salesforce_id is None:
        ctx.console.print(f"[red]the form post was not created: {outcome.to_json()}[/red]")
        return

    rt, tenant, conn = ctx.rt, ctx.tenant_id, ctx.connection
    case = await records.get(rt, tenant, conn, "Case", outcome.salesforce_id, ["CaseNumber"])
    number = str(case["CaseNumber"])
    found = await records.get_by(
        rt, tenant, conn, "Case", "CaseNumber", number,
        ["Id", "CaseNumber", "Subject", "Status", "Origin", "SuppliedEmail"],
    )  # fmt: skip
    rows = [[str(r.get(c)) for c in ("Id", "CaseNumber", "Subject", "Status", "SuppliedEmail")]
            for r in found]  # fmt: skip
    render(ctx.console, _table(
        f"Case read back by CaseNumber = {number}",
        ["Id", "CaseNumber", "Subject", "Status", "SuppliedEmail"], rows,
    ))  # fmt: skip

    # update by external id (Account.External_Id__c): upsert the account, then update it
    await records.upsert(rt, tenant, conn, "Account", "External_Id__c", ACCOUNT_KEY,
                         {"Name": "Northwind Traders", "Phone": "+1 555 0100"})  # fmt: skip
    updated = await records.update_by(
        rt, tenant, conn, "Account", "External_Id__c", ACCOUNT_KEY,
        {"Phone": "+1 555 0199", "Description": "Refund requested (support case " + number + ")"},
    )  # fmt: skip
    account = (await records.get_by(
        rt, tenant, conn, "Account", "External_Id__c", ACCOUNT_KEY,
        ["Id", "External_Id__c", "Name", "Phone", "Description"],
    ))[0]  # fmt: skip
    render(ctx.console, _table(
        f"Account updated by External_Id__c = {ACCOUNT_KEY} (id {updated['Id']})",
        ["External_Id__c", "Name", "Phone", "Description"],
        [[str(account.get(c)) for c in ("External_Id__c", "Name", "Phone", "Description")]],
    ))  # fmt: skip


# -- event publishing ------------------------------------------------------------------------
def events_step(ctx: DemoContext) -> None:
    """Save the event_publish integration, publish 3 events, deliver, show what Apex got."""
    reset(ctx.rt, ctx.tenant_id, [EVENTS_NAME])
    log = ctx.emulator.state.emulator.apex_log
    path = APEX_PATH.removeprefix("/services/apexrest")
    before = len(log.to_json(path))  # the save-time check's GET is in the log too
    delivered = anyio.run(_events, ctx)
    received = [r for r in log.to_json(path)[before:] if r["method"] == "POST"]
    received = [r for r in received if isinstance(r.get("json"), dict)]
    rows = []
    for r in received:
        body = r["json"]
        rows.append([
            str(body.get("key")), str(body.get("type")),
            json.dumps(body.get("payload"), separators=(",", ":")),
            str(r["headers"].get("idempotency-key", ""))[:16],
        ])  # fmt: skip
    render(ctx.console, _table(
        f"Events received by the org (POST {APEX_PATH})",
        ["key", "type", "payload", "Idempotency-Key"], rows,
    ))  # fmt: skip
    ctx.console.print(f"{delivered} delivered, {len(rows)} events received")


async def _events(ctx: DemoContext) -> int:
    data = IntegrationInput(
        name=EVENTS_NAME, kind="event_publish", connection=ctx.connection,
        config={"target": APEX_PATH}, notify=ctx.notify,
    )  # fmt: skip
    await integration_saves.save(ctx.rt, ctx.tenant_id, data, actor="demo")

    def store() -> int:
        with ctx.rt.db.begin() as s:
            integration = integrations_service.get(s, ctx.tenant_id, EVENTS_NAME)
            return len(publish(s, integration, list(EVENTS)))

    published = await anyio.to_thread.run_sync(store)
    ctx.console.print(f"Published {published} events to the outbox of [bold]{EVENTS_NAME}[/bold]")
    delivered = 0
    for _ in range(20):
        sent = await deliver_due(ctx.rt)
        if not sent:
            break
        delivered += sent
    return delivered


STEPS = [forms_step, events_step]
