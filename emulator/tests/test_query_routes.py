"""query / queryAll over HTTP and their paging (README "Facts" 4; NetCoreForce querybatch
captures: relative `nextRecordsUrl` `/services/data/v57.0/query/01g...-200`, last page `done:
true` without it). Batch sizes follow the REST API Developer Guide, "Query Options Header"
(headers_queryoptions.htm): default 2,000, minimum 200, maximum 2,000."""

from __future__ import annotations

import re

import pytest
from harness.http_client import Client, V, emulator_client

pytestmark = pytest.mark.anyio
LOCATOR = re.compile(r"^/services/data/v62\.0/query/01g[0-9A-Za-z]{15}-(\d+)$")


def seed(c: Client, count: int, prefix: str = "Row") -> list[str]:
    org = c.emulator.org
    return [str(org.insert("Account", {"Name": f"{prefix} {i:05d}"}).id) for i in range(count)]


async def test_default_pages_of_2000() -> None:
    async with emulator_client() as c:
        seed(c, 2500)
        first = await c.get(f"{V}/query/", params={"q": "SELECT Id, Name FROM Account"})
        body = first.json()
        assert body["totalSize"] == 2500 and body["done"] is False
        assert len(body["records"]) == 2000
        assert body["records"][0]["attributes"]["type"] == "Account"
        match = LOCATOR.match(body["nextRecordsUrl"])
        assert match and match.group(1) == "2000"
        assert list(body) == ["totalSize", "done", "nextRecordsUrl", "records"]

        second = (await c.get(body["nextRecordsUrl"])).json()
        assert second["totalSize"] == 2500 and second["done"] is True
        assert "nextRecordsUrl" not in second
        names = [r["Name"] for r in body["records"] + second["records"]]
        assert sorted(names) == [f"Row {i:05d}" for i in range(2500)]
        assert first.headers["Sforce-Limit-Info"] == "api-usage=1/15000"


@pytest.mark.parametrize(
    ("asked", "page"), [("200", 200), ("50", 200), ("5000", 2000), ("x", 2000)]
)
async def test_batch_size_header(asked: str, page: int) -> None:
    async with emulator_client() as c:
        seed(c, 450)
        response = await c.get(
            f"{V}/query",
            params={"q": "SELECT Id FROM Account"},
            headers={"Sforce-Query-Options": f"batchSize={asked}"},
        )
        body = response.json()
        sizes = [len(body["records"])]
        while not body["done"]:
            body = (await c.get(body["nextRecordsUrl"])).json()
            sizes.append(len(body["records"]))
        assert sizes[0] == min(page, 450)
        assert sum(sizes) == 450


async def test_query_all_sees_deleted_rows_and_count() -> None:
    async with emulator_client() as c:
        ids = seed(c, 3, prefix="Gone")
        c.emulator.org.delete("Account", ids[0])
        soql = "SELECT Id, IsDeleted FROM Account WHERE Name LIKE 'Gone%'"
        live = (await c.get(f"{V}/query", params={"q": soql})).json()
        everything = (await c.get(f"{V}/queryAll", params={"q": soql})).json()
        assert live["totalSize"] == 2
        assert everything["totalSize"] == 3
        assert sum(r["IsDeleted"] for r in everything["records"]) == 1
        count = await c.get(f"{V}/query", params={"q": "SELECT COUNT() FROM Account"})
        assert count.json() == {"totalSize": 2, "done": True, "records": []}


async def test_bad_locators() -> None:
    async with emulator_client() as c:
        for locator in ("01g5g0000000099AAA-2000", "nonsense", "01g5g0000000001AAA-x"):
            response = await c.get(f"{V}/query/{locator}")
            assert response.status_code == 400
            assert response.json()[0]["errorCode"] == "INVALID_QUERY_LOCATOR"
        bad = await c.get(f"{V}/query", params={"q": "SELECT Nope__c FROM Account"})
        assert bad.status_code == 400
        assert bad.json()[0]["errorCode"] == "INVALID_FIELD"
