"""The one place configuration comes from.

Everything forcebridge needs to know about its environment arrives through `Settings`
(environment variables prefixed `FORCEBRIDGE_`, or keyword arguments in tests). No other
module reads `os.environ`.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

import platformdirs
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


def _default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("forcebridge", appauthor=False))


class Settings(BaseSettings):
    """Runtime configuration. Secrets are `SecretStr` so they never print."""

    model_config = SettingsConfigDict(env_prefix="FORCEBRIDGE_", extra="ignore")

    data_dir: Path = Field(default_factory=_default_data_dir)
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default: a SQLite file in data_dir."
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Base64 key for secrets at rest; default: generated into data_dir/secret.key.",
    )
    secret_key_fallbacks: list[SecretStr] = Field(
        default_factory=list,
        description="Older keys still accepted for decryption while `secrets rotate-key` runs.",
    )
    log_level: str = "INFO"
    log_format: Literal["json", "console"] = "console"
    bind_host: str = "127.0.0.1"
    bind_port: int = 8000
    public_url: str | None = Field(
        default=None,
        description="Base URL users and Salesforce reach this server at (OAuth callbacks); "
        "default: http://<bind_host>:<bind_port>.",
    )
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    hook_signature_tolerance_seconds: int = Field(
        default=300, ge=1, le=86_400,
        description="A signed hook post is refused when its timestamp is further than this "
        "from the server's clock (and a signature seen within it is refused as a replay).",
    )
    tenant: str | None = Field(
        default=None,
        description="The CLI's default tenant (name or id) when a command gets no --tenant; "
        "unset, the only tenant is the default when there is exactly one.",
    )
    api_client_token_ttl_seconds: int = Field(
        default=3600,
        ge=1,
        le=86_400,
        description="Lifetime of access tokens issued to API clients at /oauth/token.",
    )
    scheduler: bool = Field(
        default=True,
        description="Run the scheduler (scheduled runs, outbox delivery, form resends) inside "
        "`forcebridge serve`; false (or `serve --no-scheduler`) serves the API only.",
    )
    broker_url: str | None = Field(
        default=None,
        description="Redis URL (`redis://host:6379/0`) of the Celery broker. Set: runs, outbox "
        "delivery and form resends go to `forcebridge worker` processes, `forcebridge "
        "scheduler` enqueues them, and each connection's concurrency and API budget hold "
        "across every process through Redis. Unset: one process does everything.",
    )
    concurrency_lease_seconds: float = Field(
        default=30.0, ge=1,
        description="With a broker: a concurrency slot held in Redis by a process that stops "
        "renewing it (it died) comes back after this long.",
    )
    dispatch_lease_seconds: float = Field(
        default=120.0, ge=1,
        description="With a broker: a scheduled run enqueued but not started by a worker "
        "within this long (its task was lost, e.g. Redis restarted) is enqueued again.",
    )
    api_budget_poll_seconds: float = Field(
        default=60.0, gt=0,
        description="How often a run waiting for the API budget asks the org's /limits.",
    )
    scheduler_interval_seconds: float = Field(
        default=5.0, gt=0, le=300, description="Pause between two passes of the scheduler."
    )
    outbox_claim_lease_seconds: int = Field(
        default=300,
        ge=5,
        description="A claimed outbox message is delivered again after this long without an "
        "outcome (its process died).",
    )
    outbox_pass_limit: int = Field(
        default=5000, ge=1, description="At most this many messages per integration per pass."
    )

    run_heartbeat_seconds: float = Field(
        default=30.0, gt=0,
        description="Run heartbeat period; a run that misses three beats is taken for dead "
        "(at once when its process on this host is gone).",
    )
    run_bulk_job_records: int = Field(
        default=50_000, ge=1,
        description="Records per Bulk API 2.0 job once a run goes bulk: the org splits a job "
        "into batches of 10,000 it processes in parallel, so one large job is as fast as "
        "several small ones and costs fewer calls; jobs in flight hold their records in memory.",
    )
    run_group_by_parent: bool = Field(
        default=True,
        description="Keep children of one parent out of concurrent writes (sorted into the same "
        "bulk job, never in two chunks in flight), so Salesforce's parent row locks do not "
        "fail them; records that still meet UNABLE_TO_LOCK_ROW are retried one chunk at a "
        "time at the end of the run.",
    )
    run_bulk_poll_seconds: float = Field(
        default=0.3, gt=0,
        description="First wait when polling a small bulk job (a large one is first asked about "
        "when 50,000 records a second could have finished it); the wait grows by half each "
        "poll up to 2 s, so a finished job is seen within 2 s whatever its size.",
    )
    run_reconcile_read_ahead: int = Field(
        default=100_000, ge=1,
        description="Source records a reconciling run reads ahead of its read of the org at "
        "most (their rows or payloads wait in memory for the org's rows); past it the source "
        "waits.",
    )
    run_write_attempts: int = Field(
        default=3, ge=1,
        description="Tries of an idempotent write (upsert, update, delete) that keeps failing "
        "transiently after the client's own retries, before the run gives up.",
    )

    console_session_idle_minutes: int = Field(
        default=30, ge=1, description="A console session unused this long ends."
    )
    console_session_max_hours: int = Field(
        default=12, ge=1, description="A console session ends this long after sign-in, used or not."
    )
    sign_in_window_minutes: int = Field(
        default=15, ge=1, description="Window over which failed console sign-ins are counted."
    )
    sign_in_failures_per_account: int = Field(
        default=5, ge=1, description="Failed sign-ins to one account within the window before "
        "it is refused until the window passes."
    )
    sign_in_failures_per_address: int = Field(
        default=20, ge=1, description="Failed sign-ins from one address within the window "
        "before it is refused until the window passes."
    )
    console_assets_dir: Path | None = Field(
        default=None,
        description="Where `make` installed the console's npm packages (htmx, chart.js); "
        "default: build/console/node_modules in the source checkout.",
    )

    metrics_token: SecretStr | None = Field(
        default=None,
        description="When set, /metrics answers only requests with `Authorization: Bearer "
        "<token>` (Prometheus' `authorization` or `bearer_token_file`).",
    )
    worker_metrics_port: int | None = Field(
        default=None, ge=1, le=65535,
        description="When set, `forcebridge worker` serves its own Salesforce call counters and "
        "concurrency slots at http://<bind_host>:<port>/metrics (the store figures are "
        "`serve`'s /metrics); unset, a worker serves nothing.",
    )
    otel_endpoint: str | None = Field(
        default=None,
        description="OTLP/HTTP endpoint traces are exported to (e.g. http://collector:4318); "
        "unset, tracing is off and OpenTelemetry is never loaded.",
    )
    otel_service_name: str = Field(
        default="forcebridge", description="The `service.name` traces are exported under."
    )

    alert_allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Hosts (names or addresses, comma-separated; '*': every host) that alert "
        "channel URLs may reach although they are loopback, private or link-local: refused "
        "otherwise, so a tenant's URL cannot reach the server's own network.",
    )
    alert_schedule_grace_seconds: int = Field(
        default=600, ge=0,
        description="A scheduled run not started this long after its tick raises the "
        "schedule_missed alert.",
    )

    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = "forcebridge@localhost"
    smtp_starttls: bool = False

    @field_validator("alert_allowed_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        if isinstance(value, str):
            return [h.strip() for h in value.split(",") if h.strip()]
        return value

    @field_validator("log_level")
    @classmethod
    def _upper_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError(f"unknown log level {value!r}")
        return level

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'forcebridge.db'}"

    @property
    def resolved_public_url(self) -> str:
        return (self.public_url or f"http://{self.bind_host}:{self.bind_port}").rstrip("/")

    @property
    def secret_key_file(self) -> Path:
        return self.data_dir / "secret.key"
