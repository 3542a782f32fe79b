"""Scaled out for real, on PostgreSQL: three `forcebridge worker` and two `forcebridge scheduler`
as subprocesses, Redis as broker, `forcebridge-emulator serve` as the org with latency.

One scenario per test, each sized to finish in well under a minute: ticks that fire once with
two schedulers, one run at a time per integration, the connection's concurrency held across the
three workers (the emulator's `max_in_flight` for the connected app), a worker killed with
`kill -9` mid-run whose run another worker takes over, and Redis restarted mid-run; the org
ends with every source record exactly once.
"""

from __future__ import annotations

import csv
import itertools
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from harness.served import Served, serve
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from forcebridge.runtime import Runtime
from forcebridge.services import connections, integrations, tenants
from forcebridge.services.connections import ConnectionInput
from forcebridge.services.integrations import IntegrationInput
from forcebridge.services.run_lifecycle import STALE_REASON
from forcebridge.settings import Settings
from forcebridge.store.runs import Run
from forcebridge.store.sync_state import SyncState
from tests.granted import grant_files
from tests.scaleout.servers import RedisServer, free_port

LEVEL = 3
ORG_FILE = """\
name: Scale-out org
users:
  - {username: ops@scale.example, password: pw, security_token: tok, email: ops@scale.example}
connected_apps:
  - {name: forcebridge, consumer_key: ck, consumer_secret: cs,
     callback_urls: ["http://127.0.0.1:8000/api/v1/oauth/callback"]}
objects:
  - name: Ticket__c
    label: Ticket
    fields:
      - {name: Ticket_Number__c, type: string, length: 40, external_id: true}
      - {name: Note__c, type: string, length: 255}
"""


def rows(name: str, count: int) -> list[dict[str, str]]:
    return [{"number": f"{name}-{i:05d}", "note": f"note {i}"} for i in range(count)]


@dataclass
class Cluster:
    rt: Runtime
    served: Served
    redis: RedisServer
    tenant_id: str
    files: Path
    env: dict[str, str]
    logs: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    metrics_ports: dict[str, int] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)

    def integration(self, name: str, count: int, *, batch_size: int = 50) -> str:
        path = self.files / f"{name}.csv"
        with path.open("w", newline="") as f:
            writer = csv.DictWriter(f, ["number", "note"])
            writer.writeheader()
            writer.writerows(rows(name, count))
        self.sizes[name] = count
        config = {
            "source": {"kind": "csv", "name": "files", "path": path.name,
                       "key_column": "number"},
            "mapping": {
                "target": {"object": "Ticket__c", "external_id_field": "Ticket_Number__c"},
                "mappings": [{"field": "Ticket_Number__c", "column": "number"},
                             {"field": "Note__c", "column": "note"}],
            },
            "batch_size": batch_size, "bulk_threshold": 1_000_000,
        }
        with self.rt.db.begin() as s:
            return integrations.create(s, self.rt.vault, self.tenant_id, IntegrationInput(
                name=name, kind="entity_sync", connection="org", config=config,
                schedule="0 0 1 1 *")).id

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{name}.log").open("wb")
        proc = subprocess.Popen([sys.executable, "-m", "forcebridge", *args], env=self.env,
                                stdout=log, stderr=subprocess.STDOUT)
        self.processes[name] = proc
        return proc

    def start_all(self, workers: int = 3, schedulers: int = 2) -> None:
        for i in range(workers):
            self.metrics_ports[f"worker{i}"] = port = free_port()
            self.start(f"worker{i}", "worker", "-c", "2", "--name", f"w{i}@test",
                       "--metrics-port", str(port))
        for i in range(schedulers):
            self.start(f"scheduler{i}", "scheduler")

    def output(self, tail: int = 3000) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text()[-tail:]}"
                         for p in sorted(self.logs.glob("*.log")))

    def runs(self, iid: str | None = None) -> list[Run]:
        with self.rt.db.session() as s:
            query = select(Run).order_by(Run.started_at)
            if iid is not None:
                query = query.where(Run.integration_id == iid)
            return list(s.scalars(query))

    def recorded(self, iid: str) -> int:
        with self.rt.db.session() as s:
            return int(s.scalar(select(func.count()).select_from(SyncState)
                                .where(SyncState.integration_id == iid)) or 0)

    def wait(self, what: str, moment: Callable[[], bool], timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while not moment():
            for name, proc in self.processes.items():
                if proc.poll() is not None and not name.startswith("killed"):
                    raise AssertionError(f"{name} stopped:\n{self.output()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"never: {what}\n{self.output()}")
            time.sleep(0.1)

    def succeeded(self, iid: str) -> bool:
        return any(r.status == "succeeded" for r in self.runs(iid))

    def org_numbers(self) -> Counter[str]:
        base = self.served.base_url
        token = httpx.post(f"{base}/services/oauth2/token", data={
            "grant_type": "password", "client_id": self.served.consumer_key,
            "client_secret": self.served.consumer_secret, "username": self.served.username,
            "password": self.served.password + self.served.security_token}).json()
        http = httpx.Client(base_url=token["instance_url"], timeout=30,
                            headers={"Authorization": f"Bearer {token['access_token']}"})
        page = http.get("/services/data/v62.0/query",
                        params={"q": "SELECT Ticket_Number__c FROM Ticket__c"}).json()
        records = list(page["records"])
        while page.get("nextRecordsUrl"):
            page = http.get(page["nextRecordsUrl"]).json()
            records += page["records"]
        return Counter(r["Ticket_Number__c"] for r in records)

    def assert_each_record_once(self) -> None:
        seen = self.org_numbers()
        expected = {r["number"] for name, n in self.sizes.items() for r in rows(name, n)}
        duplicated = sorted(k for k, n in seen.items() if n > 1)
        lost = sorted(expected - set(seen))
        assert (len(lost), len(duplicated)) == (0, 0), (lost[:5], duplicated[:5])

    def max_in_flight(self) -> int:
        stats = httpx.get(f"{self.served.base_url}/__emulator__/stats").json()
        return int(stats["connected_apps"]["forcebridge"]["max_in_flight"])

    def stop(self) -> None:
        for proc in self.processes.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.processes.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture
def cluster(postgres_url: str, tmp_path: Path) -> Iterator[Cluster]:
    org_file = tmp_path / "org.yaml"
    org_file.write_text(ORG_FILE)
    settings = Settings(data_dir=tmp_path / "data", database_url=postgres_url)
    rt = Runtime(settings)
    rt.migrate()
    with RedisServer() as redis_server, serve("--org", str(org_file), "--latency-ms", "20") \
            as served:
        with rt.db.begin() as s:
            tenant_id = tenants.create(s, "acme").id
            connections.create(s, rt.vault, tenant_id, ConnectionInput(
                name="org", environment="custom", login_url=served.base_url,
                auth_flow="password", consumer_key=served.consumer_key,
                consumer_secret=served.consumer_secret, username=served.username,
                password=served.password, security_token=served.security_token,
                concurrency=LEVEL))
        files = tmp_path / "files"
        files.mkdir()
        grant_files(rt, tenant_id, files)
        env = {k: v for k, v in os.environ.items() if not k.startswith("FORCEBRIDGE_")}
        env.update({
            "FORCEBRIDGE_DATA_DIR": str(settings.data_dir),
            "FORCEBRIDGE_DATABASE_URL": postgres_url,
            "FORCEBRIDGE_BROKER_URL": redis_server.url,
            "FORCEBRIDGE_LOG_LEVEL": "INFO",
            "FORCEBRIDGE_LOG_FORMAT": "json",
            "FORCEBRIDGE_RUN_HEARTBEAT_SECONDS": "1",
            "FORCEBRIDGE_SCHEDULER_INTERVAL_SECONDS": "0.5",
            "FORCEBRIDGE_DISPATCH_LEASE_SECONDS": "8",
            "FORCEBRIDGE_CONCURRENCY_LEASE_SECONDS": "3",
        })
        logs = tmp_path / "logs"
        logs.mkdir()
        made = Cluster(rt, served, redis_server, tenant_id, files, env, logs)
        try:
            yield made
        finally:
            made.stop()
            rt.close()


def _samples(page: str, name: str) -> float:
    """The sum of every sample `name` on a Prometheus page."""
    return sum(s.value for family in text_string_to_metric_families(page)
               for s in family.samples if s.name == name)


def assert_one_run_at_a_time(cluster: Cluster, iid: str) -> None:
    spans = [(r.started_at, r.ended_at) for r in cluster.runs(iid)]
    for (_, ended), (started, _) in itertools.pairwise(spans):
        assert ended is not None and ended <= started, spans


def test_each_tick_runs_once_and_the_level_holds_across_three_workers(
    cluster: Cluster,
) -> None:
    made = [cluster.integration(f"i{n}", 300) for n in range(4)]
    cluster.start_all()
    cluster.wait("every integration synced", lambda: all(map(cluster.succeeded, made)))
    time.sleep(2)  # more scheduler passes: nothing more may start
    for iid in made:
        runs = cluster.runs(iid)
        assert [(r.trigger, r.status) for r in runs] == [("schedule", "succeeded")], runs
        assert runs[0].created == 300
    by_worker = Counter(r.pid for r in cluster.runs())
    assert len(by_worker) >= 2, by_worker  # the work spread over processes
    assert cluster.max_in_flight() == LEVEL  # reached with 3 workers, never passed
    cluster.assert_each_record_once()
    # each worker serves the calls it made; together they hold every call the runs counted
    pages = {name: httpx.get(f"http://127.0.0.1:{port}/metrics").text
             for name, port in cluster.metrics_ports.items()}
    assert all("forcebridge_run" not in page for page in pages.values())  # store: serve's
    calls = sum(_samples(page, "forcebridge_salesforce_calls_total") for page in pages.values())
    assert calls >= sum(r.api_calls for r in cluster.runs()) > 0


def test_a_worker_killed_mid_run_is_taken_over_with_nothing_lost_or_duplicated(
    cluster: Cluster,
) -> None:
    iid = cluster.integration("big", 2000, batch_size=20)
    cluster.start_all()
    cluster.wait("the run well under way", lambda: cluster.recorded(iid) >= 400)
    [first] = cluster.runs(iid)
    victim = next(n for n, p in cluster.processes.items() if p.pid == first.pid)
    os.kill(first.pid, signal.SIGKILL)
    cluster.processes["killed " + victim] = cluster.processes.pop(victim)
    cluster.wait("the run taken over and finished", lambda: cluster.succeeded(iid))
    runs = cluster.runs(iid)
    assert [(r.status, r.error) for r in runs] == [("failed", STALE_REASON),
                                                   ("succeeded", None)], runs
    assert runs[1].pid != first.pid
    assert_one_run_at_a_time(cluster, iid)
    assert cluster.max_in_flight() <= LEVEL
    cluster.assert_each_record_once()


def test_redis_restarted_mid_run_loses_nothing(cluster: Cluster) -> None:
    iid = cluster.integration("big", 1500, batch_size=20)
    later = [cluster.integration(f"later{n}", 100) for n in range(2)]
    cluster.start_all()
    cluster.wait("the run under way", lambda: cluster.recorded(iid) >= 200)
    cluster.redis.stop()  # without persistence: queues and leases are gone
    time.sleep(2)
    cluster.redis.start()
    cluster.wait("every integration synced",
                 lambda: all(map(cluster.succeeded, [iid, *later])), timeout=120)
    for made in (iid, *later):
        assert_one_run_at_a_time(cluster, made)
        assert [r.status for r in cluster.runs(made)][-1] == "succeeded"
    logged = cluster.output(tail=10**7)
    assert "Redis cannot be reached" in logged  # calls waited for it
    assert "Unrecoverable error" not in logged or "starting it again" in logged
    assert all(p.poll() is None for p in cluster.processes.values())  # every worker is back
    cluster.assert_each_record_once()


def test_outbox_messages_stay_in_order_per_key_with_several_workers(cluster: Cluster) -> None:
    from forcebridge.outbox import publishing
    from forcebridge.store.outbox import OutboxMessage

    admin = f"{cluster.served.base_url}/__emulator__"
    httpx.post(f"{admin}/apex/endpoints", json={"path": "/acme/events"}).raise_for_status()
    with cluster.rt.db.begin() as s:
        made = integrations.create(s, cluster.rt.vault, cluster.tenant_id, IntegrationInput(
            name="events", kind="event_publish", connection="org",
            config={"target": "/services/apexrest/acme/events"}))
        keys = ["a", "b", "c", "d"]
        published = {k: [m.id for m in publishing.publish(s, made, [
            {"key": k, "type": "t", "payload": {"seq": n}} for n in range(15)])]
            for k in keys}

    def delivered() -> bool:
        with cluster.rt.db.session() as s:
            return s.scalar(select(func.count()).select_from(OutboxMessage)
                            .where(OutboxMessage.status == "delivered")) == 60

    cluster.start_all()
    cluster.wait("every message delivered", delivered)
    received = httpx.get(f"{admin}/apex/requests", params={"path": "/acme/events"}).json()
    bodies = [r["json"] for r in received if r["method"] == "POST"]
    for key in keys:
        ids = [b["id"] for b in bodies if b["key"] == key]
        assert [i for n, i in enumerate(ids) if i not in ids[:n]] == published[key]
    assert cluster.max_in_flight() <= LEVEL


def test_runs_asked_through_serve_are_queued_for_the_workers(cluster: Cluster) -> None:
    from forcebridge.services import api_keys

    iid = cluster.integration("asked", 400)
    again = cluster.integration("asked again", 100)
    with cluster.rt.db.begin() as s:
        key = api_keys.create(s, cluster.tenant_id, "ops").secret
    port = free_port()
    serve_proc = cluster.start("serve", "serve", "--host", "127.0.0.1", "--port", str(port))
    api = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30,
                       headers={"Authorization": f"Bearer {key}"})
    cluster.wait("serve answering", lambda: _answers(api))
    # no worker yet: the run waits queued, holding the integration
    asked = api.post(f"/api/v1/integrations/{iid}/runs")
    assert asked.status_code == 202, asked.text
    run = asked.json()
    assert run["status"] == "queued" and asked.headers["Location"] == f"/api/v1/runs/{run['id']}"
    assert api.post(f"/api/v1/integrations/{iid}/runs").status_code == 409  # one at a time
    time.sleep(1)
    assert api.get(f"/api/v1/runs/{run['id']}").json()["status"] == "queued"
    cluster.start_all(workers=2, schedulers=0)
    cluster.wait("the queued run done", lambda: cluster.succeeded(iid))
    [done] = cluster.runs(iid)
    assert done.id == run["id"] and done.created == 400 and done.trigger == "api"
    workers = {p.pid for n, p in cluster.processes.items() if n.startswith("worker")}
    assert done.pid in workers and done.pid != serve_proc.pid  # serve ran nothing
    # ?wait=true answers with the ended run, which a worker ran
    waited = api.post(f"/api/v1/integrations/{again}/runs", params={"wait": "true"})
    assert waited.status_code == 200 and waited.json()["status"] == "succeeded"
    assert waited.json()["counts"]["created"] == 100
    assert cluster.runs(again)[0].pid in workers
    cluster.assert_each_record_once()


def _answers(api: httpx.Client) -> bool:
    try:
        return api.get("/readyz").status_code == 200
    except httpx.HTTPError:
        return False


def test_forcebridge_run_queues_and_follows_the_run_or_runs_it_here(cluster: Cluster) -> None:
    iid = cluster.integration("cli", 300)
    cluster.start_all(workers=2, schedulers=0)
    followed = subprocess.run(
        [sys.executable, "-m", "forcebridge", "run", "cli", "--tenant", "acme"],
        env=cluster.env, capture_output=True, text=True, timeout=120)
    assert followed.returncode == 0, followed.stderr + followed.stdout
    assert "queued for the workers" in followed.stderr and "succeeded" in followed.stdout
    [queued_run] = cluster.runs(iid)
    workers = {p.pid for n, p in cluster.processes.items() if n.startswith("worker")}
    assert queued_run.pid in workers and queued_run.trigger == "manual"
    here = subprocess.Popen(
        [sys.executable, "-m", "forcebridge", "run", "cli", "--tenant", "acme", "--here",
         "--json"], env=cluster.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, err = here.communicate(timeout=120)
    assert here.returncode == 0, err
    assert cluster.runs(iid)[-1].pid == here.pid  # ran in the asking process
    cluster.assert_each_record_once()


def test_a_queued_run_whose_task_redis_lost_is_sent_again(cluster: Cluster) -> None:
    from forcebridge.scheduling import queued

    iid = cluster.integration("lost", 200)
    asking = Runtime(Settings(data_dir=cluster.rt.settings.data_dir,
                              database_url=cluster.env["FORCEBRIDGE_DATABASE_URL"],
                              broker_url=cluster.redis.url, dispatch_lease_seconds=8))
    try:
        run_id = queued.enqueue(asking, cluster.tenant_id, iid, trigger="api")
    finally:
        asking.close()
    cluster.redis.stop()  # without persistence: the task is gone
    cluster.redis.start()
    cluster.start_all(workers=1, schedulers=1)
    cluster.wait("the lost run sent again and done", lambda: cluster.succeeded(iid))
    assert [(r.id, r.status) for r in cluster.runs(iid)] == [(run_id, "succeeded")]
    assert "queued run sent again" in cluster.output(tail=10**7)
    cluster.assert_each_record_once()
