"""One test per fault, in process through HTTP, plus the admin surface that sets them and the
in-flight counters that let a test verify a client's concurrency limit from outside.
(The dropped connection over a real socket is in test_server.py.)"""

from __future__ import annotations

import asyncio
import time

import pytest
from harness.http_client import V, emulator_client

from forcebridge_emulator._faults import FaultConfig
from forcebridge_emulator._pipeline import ConnectionDropped

pytestmark = pytest.mark.anyio


async def test_latency_delays_every_call() -> None:
    async with emulator_client(FaultConfig.parse("latency=60")) as c:
        started = time.perf_counter()
        assert (await c.get(f"{V}/limits")).status_code == 200
        assert time.perf_counter() - started >= 0.06


async def test_error503_share_is_seeded() -> None:
    async with emulator_client(FaultConfig.parse("error503=1")) as c:
        response = await c.get(f"{V}/limits")
        assert response.status_code == 503
        assert response.json()[0]["errorCode"] == "SERVER_UNAVAILABLE"

    async def statuses() -> list[int]:
        async with emulator_client(FaultConfig.parse("error503=0.5,seed=3")) as c:
            return [(await c.get(f"{V}/limits")).status_code for _ in range(30)]

    first, second = await statuses(), await statuses()
    assert first == second
    assert set(first) == {200, 503}


async def test_lock_fails_writes_only() -> None:
    async with emulator_client(FaultConfig.parse("lock=1")) as c:
        assert (await c.get(f"{V}/limits")).status_code == 200  # reads never lock
        records = [{"attributes": {"type": "Account"}, "Name": n} for n in ("A", "B")]
        response = await c.post(f"{V}/composite/sobjects", json={"records": records})
        assert response.status_code == 200
        locked, ok = response.json()
        assert locked["success"] is False
        assert locked["errors"][0]["statusCode"] == "UNABLE_TO_LOCK_ROW"
        assert locked["errors"][0]["message"].startswith(
            "unable to obtain exclusive access to this record or 1 records: 005"
        )
        assert ok["success"] is True
        assert c.emulator.org.count("Account") == 1


async def test_drop_applies_the_write_then_raises_out_of_the_app() -> None:
    async with emulator_client(FaultConfig.parse("drop=1")) as c:
        before = c.emulator.org.count("Account")
        with pytest.raises(ConnectionDropped):
            await c.post(f"{V}/sobjects/Account", json={"Name": "Applied"})
        assert c.emulator.org.count("Account") == before + 1
        assert (await c.get(f"{V}/limits")).status_code == 200  # reads are not dropped
        assert c.emulator.faults.injected["drop"] == 1


async def test_sessions_expire_after_n_calls() -> None:
    async with emulator_client(FaultConfig.parse("expire_after=2")) as c:
        assert (await c.get(f"{V}/limits")).status_code == 200
        assert (await c.get(f"{V}/limits")).status_code == 200
        expired = await c.get(f"{V}/limits")
        assert expired.status_code == 401
        assert expired.json()[0]["errorCode"] == "INVALID_SESSION_ID"
        c.token = c.new_token()
        assert (await c.get(f"{V}/limits")).status_code == 200


async def test_exhausted_allocation() -> None:
    async with emulator_client(FaultConfig.parse("exhaust=1")) as c:
        response = await c.get(f"{V}/sobjects")
        assert response.status_code == 403
        assert response.json()[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"
        assert response.headers["Sforce-Limit-Info"] == "api-usage=15000/15000"


async def test_admin_sets_faults_at_run_time() -> None:
    async with emulator_client() as c:
        put = await c.http.put("/__emulator__/faults", json={"spec": "error503=1,seed=1"})
        assert put.status_code == 200 and put.json()["error503"] == 1.0
        assert (await c.get(f"{V}/limits")).status_code == 503
        patch = await c.http.patch("/__emulator__/faults", json={"error503": 0, "latency": "5"})
        assert patch.json()["latency_ms"] == [5, 5] and patch.json()["seed"] == 1
        assert (await c.get(f"{V}/limits")).status_code == 200
        bad = await c.http.patch("/__emulator__/faults", json={"eror503": 1})
        assert bad.status_code == 400 and "'eror503'" in bad.json()["error"]
        bad_spec = await c.http.put("/__emulator__/faults", json={"spec": "lock=7"})
        assert bad_spec.status_code == 400 and "'lock'" in bad_spec.json()["error"]


async def test_in_flight_peak_per_connected_app() -> None:
    async with emulator_client(FaultConfig.parse("latency=80")) as c:
        await asyncio.gather(*(c.get(f"{V}/limits") for _ in range(5)))
        await c.get(f"{V}/limits")
        stats = (await c.http.get("/__emulator__/stats")).json()
        app = stats["connected_apps"]["forcebridge demo"]
        assert app == {"in_flight": 0, "max_in_flight": 5, "calls": 6}
        assert stats["api_usage"]["used"] == 6
        assert (await c.http.post("/__emulator__/reset")).status_code == 204
        stats = (await c.http.get("/__emulator__/stats")).json()
        assert stats["connected_apps"]["forcebridge demo"]["max_in_flight"] == 0
        assert stats["api_usage"]["used"] == 0


async def test_lock_inside_composite_hits_one_write_subrequest() -> None:
    async with emulator_client(FaultConfig.parse("lock=1")) as c:
        subrequests = [
            {"method": "GET", "url": f"{V}/limits", "referenceId": "read"},
            {"method": "POST", "url": f"{V}/sobjects/Account", "referenceId": "w1",
             "body": {"Name": "One"}},
            {"method": "POST", "url": f"{V}/sobjects/Account", "referenceId": "w2",
             "body": {"Name": "Two"}},
        ]  # fmt: skip
        response = await c.post(f"{V}/composite", json={"compositeRequest": subrequests})
        read, w1, w2 = response.json()["compositeResponse"]
        assert read["httpStatusCode"] == 200
        assert w1["httpStatusCode"] == 400
        assert w1["body"][0]["errorCode"] == "UNABLE_TO_LOCK_ROW"
        assert w2["httpStatusCode"] == 201
