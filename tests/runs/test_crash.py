"""`forcebridge run` processes killed with `kill -9`, against `forcebridge emulator serve` in its
own process dropping 5% of write answers: the killed run is seen dead at once, a rerun right
after works, and the org ends with every source record once, every field equal to the source.

The kill moment is picked from what the store and the org hold, not from sleeps: well into
the collections writes; while the org holds records the sync state does not (the test holds
the run's row locked on PostgreSQL so answers cannot be recorded, and kills once the org has
created more than the state says); and once a Bulk API job carries records. The org's external id field is not unique,
as Salesforce allows, so a record created twice would show as two records.
"""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from harness.served import Served, serve
from sqlalchemy import func, select

from forcebridge.runtime import Runtime
from forcebridge.services import connections, integrations, tenants
from forcebridge.services import runs as runs_service
from forcebridge.services.connections import ConnectionInput
from forcebridge.services.integrations import IntegrationInput
from forcebridge.services.run_lifecycle import STALE_REASON
from forcebridge.store.runs import Run
from forcebridge.store.sync_state import SyncState
from forcebridge.store.write_intents import WriteIntent
from tests.granted import grant_files

N = 1_000
# bulk_rate: a Bulk job of 300 records takes 1.5 s in the org, so one is still open when the
# run is killed for holding it (an instant job could end between the check and the kill)
FAULTS = "drop=0.05,latency=3,bulk_rate=200,seed={seed}"
ORG_FILE = """\
name: Crash test org
users:
  - {username: ops@crash.example, password: pw, security_token: tok, email: ops@crash.example}
connected_apps:
  - {name: forcebridge, consumer_key: ck, consumer_secret: cs,
     callback_urls: ["http://127.0.0.1:8000/api/v1/oauth/callback"]}
objects:
  - name: Ticket__c
    label: Ticket
    fields:
      - {name: Ticket_Number__c, type: string, length: 40, external_id: true}
      - {name: Amount__c, type: currency, precision: 16, scale: 2}
      - {name: Status__c, type: string, length: 20}
      - {name: Note__c, type: string, length: 255}
"""


def source_rows() -> list[dict[str, str]]:
    return [{"number": f"T-{i:06d}", "amount": f"{i % 997}.{i % 100:02d}",
             "status": ("open", "closed", "waiting")[i % 3], "note": f"note {i} for ticket"}
            for i in range(N)]


class Org:
    """The served org read over its REST API, as any client would."""

    def __init__(self, served: Served) -> None:
        self.base = served.base_url
        token = httpx.post(f"{self.base}/services/oauth2/token", data={
            "grant_type": "password", "client_id": served.consumer_key,
            "client_secret": served.consumer_secret, "username": served.username,
            "password": served.password + served.security_token,
        })
        token.raise_for_status()
        self.http = httpx.Client(base_url=token.json()["instance_url"], timeout=30, headers={
            "Authorization": f"Bearer {token.json()['access_token']}"})

    def query(self, soql: str) -> dict[str, Any]:
        response = self.http.get("/services/data/v62.0/query", params={"q": soql})
        response.raise_for_status()
        return dict(response.json())

    def count(self) -> int:
        return int(self.query("SELECT COUNT() FROM Ticket__c")["totalSize"])

    def tickets(self) -> list[dict[str, Any]]:
        page = self.query("SELECT Id, Ticket_Number__c, Amount__c, Status__c, Note__c "
                          "FROM Ticket__c")
        records = list(page["records"])
        while page.get("nextRecordsUrl"):
            response = self.http.get(page["nextRecordsUrl"])
            response.raise_for_status()
            page = response.json()
            records += page["records"]
        return records


@dataclass
class Crash:
    rt: Runtime
    org: Org
    served: Served
    tenant_id: str
    files: Path
    env: dict[str, str]

    def integration(self, mode: str, bulk: bool) -> str:
        path = self.files / "tickets.csv"
        with path.open("w", newline="") as f:
            writer = csv.DictWriter(f, ["number", "amount", "status", "note"])
            writer.writeheader()
            writer.writerows(source_rows())
        config = {
            "source": {"kind": "csv", "name": "files", "path": path.name,
                       "key_column": "number"},
            "mapping": {
                "target": {"object": "Ticket__c", "external_id_field": "Ticket_Number__c"},
                "mappings": [
                    {"field": "Ticket_Number__c", "column": "number"},
                    {"field": "Amount__c", "column": "amount",
                     "transform": {"type": "number", "scale": 2}},
                    {"field": "Status__c", "column": "status"},
                    {"field": "Note__c", "column": "note"},
                ],
            },
            "mode": mode, "batch_size": 100, "bulk_threshold": 200 if bulk else 100_000,
        }
        with self.rt.db.begin() as s:
            return integrations.create(s, self.rt.vault, self.tenant_id, IntegrationInput(
                name="tickets", kind="entity_sync", connection="org", config=config)).id

    def start(self) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "forcebridge", "run", "tickets", "--tenant", "acme", "--json"],
            env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )

    def scalar(self, query: Any) -> int:
        with self.rt.db.session() as s:
            return int(s.scalar(query) or 0)

    def recorded(self, iid: str) -> int:
        return self.scalar(select(func.count()).select_from(SyncState)
                           .where(SyncState.integration_id == iid))

    def job_intents(self, iid: str) -> int:
        return self.scalar(select(func.count()).select_from(WriteIntent).where(
            WriteIntent.integration_id == iid, WriteIntent.job_id.is_not(None)))

    @contextmanager
    def recording_held(self, iid: str) -> Iterator[None]:
        """On PostgreSQL, lock the run's row so that no answer of the run can be recorded
        (each answer's transaction updates it): the org goes on creating what the run sent
        while its sync state cannot say so. SQLite refuses a blocked writer at once instead of
        letting it wait, so there the moment is caught by polling alone (the org read first:
        the state only grows, so org > state means records created and not yet recorded)."""
        if self.rt.db.engine.dialect.name != "postgresql":
            yield
            return
        [run] = self.runs(iid)
        with self.rt.db.engine.connect() as held:
            held.execute(select(Run.id).where(Run.id == run.id).with_for_update())
            yield
            held.rollback()

    def runs(self, iid: str) -> list[Run]:
        with self.rt.db.session() as s:
            return list(s.scalars(select(Run).where(Run.integration_id == iid)
                                  .order_by(Run.started_at)))


@pytest.fixture
def crash(runtime: Runtime, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Crash]:
    org_file = tmp_path / "org.yaml"
    org_file.write_text(ORG_FILE)
    seed = abs(hash(request.node.name)) % 1000
    with serve("--org", str(org_file), "--faults", FAULTS.format(seed=seed)) as served:
        with runtime.db.begin() as s:
            tenant_id = tenants.create(s, "acme").id
            connections.create(s, runtime.vault, tenant_id, ConnectionInput(
                name="org", environment="custom", login_url=served.base_url,
                auth_flow="password", consumer_key=served.consumer_key,
                consumer_secret=served.consumer_secret, username=served.username,
                password=served.password, security_token=served.security_token,
                concurrency=4))
        env = {k: v for k, v in os.environ.items() if not k.startswith("FORCEBRIDGE_")}
        env.update({
            "FORCEBRIDGE_DATA_DIR": str(runtime.settings.data_dir),
            "FORCEBRIDGE_DATABASE_URL": runtime.settings.resolved_database_url,
            "FORCEBRIDGE_LOG_LEVEL": "WARNING",
            "FORCEBRIDGE_RUN_HEARTBEAT_SECONDS": "1",
            "FORCEBRIDGE_RUN_BULK_JOB_RECORDS": "300",
            "FORCEBRIDGE_RUN_BULK_POLL_SECONDS": "0.05",
        })
        files = tmp_path / "files"
        files.mkdir()
        grant_files(runtime, tenant_id, files)
        yield Crash(runtime, Org(served), served, tenant_id, files, env)


def wait_for(proc: subprocess.Popen[bytes], moment: Callable[[], bool]) -> None:
    """Return the instant `moment()` holds (polled as fast as it answers)."""
    deadline = time.monotonic() + 120
    while not moment():
        if proc.poll() is not None:
            output = proc.stdout.read().decode() if proc.stdout else ""
            raise AssertionError(f"the run ended before the moment to kill it: {output}")
        assert time.monotonic() < deadline, "the moment to kill never came"


def kill_when(proc: subprocess.Popen[bytes], moment: Callable[[], bool]) -> None:
    """`kill -9` the run the instant `moment()` holds."""
    wait_for(proc, moment)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL


def assert_org_equals_source(crash: Crash, iid: str) -> None:
    tickets = crash.org.tickets()
    seen = Counter(t["Ticket_Number__c"] for t in tickets)
    duplicated = sorted(k for k, n in seen.items() if n > 1)
    expected = {r["number"]: r for r in source_rows()}
    lost = sorted(set(expected) - set(seen))
    assert (len(duplicated), len(lost)) == (0, 0), (duplicated[:5], lost[:5])
    for t in tickets:
        row = expected[t["Ticket_Number__c"]]
        assert (Decimal(str(t["Amount__c"])), t["Status__c"], t["Note__c"]) == (
            Decimal(row["amount"]), row["status"], row["note"]), t
    with crash.rt.db.session() as s:
        state = {k: i for k, i in s.execute(select(SyncState.key, SyncState.salesforce_id)
                                            .where(SyncState.integration_id == iid))}
    assert state == {t["Ticket_Number__c"]: t["Id"] for t in tickets}


@pytest.mark.parametrize(("mode", "point"), [
    ("insert", "mid-collections"),
    ("insert", "created-not-recorded"),
    ("upsert", "mid-collections"),
    ("upsert", "mid-bulk-job"),
])
def test_a_run_killed_at_any_point_is_seen_dead_and_the_rerun_leaves_each_record_once(
    crash: Crash, mode: str, point: str,
) -> None:
    iid = crash.integration(mode, bulk=point == "mid-bulk-job")
    proc = crash.start()
    if point == "mid-collections":
        kill_when(proc, lambda: crash.recorded(iid) >= N // 3)
    elif point == "created-not-recorded":
        wait_for(proc, lambda: crash.recorded(iid) >= 200)
        with crash.recording_held(iid):
            kill_when(proc, lambda: crash.org.count() > crash.recorded(iid))
        assert crash.org.count() > crash.recorded(iid)
    else:
        kill_when(proc, lambda: crash.job_intents(iid) > 0 and crash.recorded(iid) > 0)
        assert crash.job_intents(iid) > 0  # a Bulk job of the killed run holds records

    # seen dead at once: its process is gone, whoever looks at it
    [killed] = crash.runs(iid)
    with crash.rt.db.begin() as s:
        shown = runs_service.get(s, crash.tenant_id, killed.id)
        assert (shown.status, shown.error) == ("failed", STALE_REASON)
        assert shown.read > 0 and shown.created + shown.updated > 0  # its counts are kept

    rerun = crash.start()  # at once: no "already running"
    output = rerun.communicate(timeout=300)[0].decode()
    assert rerun.returncode == 0, output
    assert_org_equals_source(crash, iid)
    killed, again = crash.runs(iid)
    assert again.status == "succeeded"
    if mode == "insert":  # every record created once, counted once, by the run that sent it
        assert killed.created + again.created == N
        assert killed.updated == again.updated == 0
