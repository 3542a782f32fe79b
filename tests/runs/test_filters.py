"""Filters cannot leak: a restricted account's records never reach the org, in any mode, on
any write path (collections or Bulk API 2.0), in the first run and the ones after."""

from __future__ import annotations

import httpx
import pytest

from forcebridge.runs import run_integration
from tests.runs.conftest import World, write_csv

pytestmark = pytest.mark.anyio


class Recording(httpx.AsyncBaseTransport):
    """The emulator's transport, keeping every request's URL and body."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.sent: list[bytes] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        self.sent.append(str(request.url).encode() + b" " + body)
        return await self.inner.handle_async_request(request)


def rows(amount: str) -> list[dict[str, str]]:
    allowed = [{"number": f"INV-{i}", "account": f"A-{i % 2}", "amount": amount,
                "status": "sent"} for i in range(6)]
    restricted = [{"number": f"SECRET-{i}", "account": "A-9", "amount": amount,
                   "status": "sent"} for i in range(3)]
    return allowed[:3] + restricted + allowed[3:] + [
        {"number": "INV-none", "account": "", "amount": amount, "status": "sent"}]


# insert and update write through collections only; upsert and mirror through both
@pytest.mark.parametrize(("mode", "bulk"), [
    ("upsert", False), ("upsert", True), ("insert", False), ("update", False),
    ("mirror", False), ("mirror", True),
])
async def test_a_restricted_account_is_never_sent(world: World, mode: str, bulk: bool) -> None:
    if mode == "update":  # every record is in the org already, the restricted ones too
        for row in rows("0.00"):
            world.emu.org.insert("Invoice__c", {"Invoice_Number__c": row["number"],
                                                "Amount__c": 0})
    recording = Recording(world.rt.salesforce_transport)  # type: ignore[arg-type]
    world.rt.salesforce_transport = recording
    write_csv(world.files / "invoices.csv", rows("1.50"))
    iid = world.integration(mode=mode, bulk_threshold=1 if bulk else 10_000,
                            filters={"restricted_account_ids": ["A-9", " a-unused "]})
    first = world.run(await run_integration(world.rt, world.tenant_id, iid))
    write_csv(world.files / "invoices.csv", rows("2.50"))  # every record changed
    second = world.run(await run_integration(world.rt, world.tenant_id, iid))

    assert (first.status, second.status) == ("succeeded", "succeeded"), (first.error,
                                                                        second.error)
    assert (first.filtered, second.filtered) == (3, 3)
    assert not [r for r in recording.sent if b"SECRET-" in r]  # never in a URL or a body
    amounts = {r["Invoice_Number__c"]: r["Amount__c"] for r in world.invoices()}
    expected_sent = {f"INV-{i}" for i in range(6)} | {"INV-none"}
    if mode == "insert":
        assert amounts == dict.fromkeys(expected_sent, 1.5)  # created once, never updated
    elif mode == "update":
        assert amounts == {**dict.fromkeys(expected_sent, 2.5),
                           **{f"SECRET-{i}": 0 for i in range(3)}}
    else:
        assert amounts == dict.fromkeys(expected_sent, 2.5)


async def test_an_allow_list_sends_only_its_accounts(world: World) -> None:
    write_csv(world.files / "invoices.csv", rows("1.50"))
    iid = world.integration(filters={"allowed_account_ids": ["A-1"],
                                     "restricted_account_ids": ["A-9"]})
    run = world.run(await run_integration(world.rt, world.tenant_id, iid))
    assert (run.status, run.created, run.filtered) == ("succeeded", 3, 7)
    assert sorted(r["Invoice_Number__c"] for r in world.invoices()) == [
        "INV-1", "INV-3", "INV-5"]
