"""The configuration of an entity-sync integration, as the API, CLI and YAML files give it."""

from __future__ import annotations

from typing import Annotated

from croniter import croniter
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from forcebridge.sources.files import CsvSourceSpec, JsonlSourceSpec
from forcebridge.sources.push import PushSourceSpec
from forcebridge.sources.sql import SqlSourceSpec
from forcebridge.sync.filters import AccountFilter
from forcebridge.sync.mapping import MappingSpec, SyncMode

DEFAULT_BULK_THRESHOLD = 10_000
RECONCILE_EVERY = {"daily": 24, "weekly": 24 * 7}  # hours between reconciling runs

AnySourceSpec = Annotated[
    SqlSourceSpec | CsvSourceSpec | JsonlSourceSpec | PushSourceSpec,
    Field(discriminator="kind"),
]


class EntitySyncConfig(BaseModel):
    """Source, mapping (target, field mappings, namespace), mode, filters and write strategy."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: AnySourceSpec
    mapping: MappingSpec
    mode: SyncMode = SyncMode.UPSERT
    filters: AccountFilter = AccountFilter()
    bulk_threshold: int = Field(
        default=DEFAULT_BULK_THRESHOLD,
        ge=1,
        description="More changed records than this go through Bulk API 2.0, fewer through "
        "collections of 200.",
    )
    batch_size: int = Field(default=2000, ge=1, le=50_000, description="Source batch size.")
    reconcile: str = Field(
        default="daily",
        description="When a scheduled run also reads the org back and repairs it: daily, "
        "weekly, a 5-field cron expression (the first scheduled run after each of its ticks), "
        "or off. Manual runs reconcile when asked (--reconcile).",
    )

    @field_validator("reconcile")
    @classmethod
    def _reconcile_schedule(cls, value: str) -> str:
        cleaned = " ".join(value.split())
        if cleaned in RECONCILE_EVERY or cleaned == "off":
            return cleaned
        if len(cleaned.split()) == 5 and croniter.is_valid(cleaned):
            return cleaned
        raise ValueError(
            f"{value!r} is not daily, weekly, off or a cron expression of 5 fields"
        )

    @model_validator(mode="after")
    def _cursor_reads_everything_in_mirror(self) -> EntitySyncConfig:
        if isinstance(self.source, SqlSourceSpec) and self.source.cursor_column \
                and self.mode is SyncMode.MIRROR:
            raise ValueError(
                "source.cursor_column: mirror mode reads every row to find what left the "
                "source, so it cannot read only the rows that changed; remove cursor_column "
                "or use mode upsert"
            )
        return self


def filter_problems(config: EntitySyncConfig) -> list[tuple[str, str]]:
    """(field, reason) for account filters that could not be applied: without an account
    column every record's account is unknown, and a restricted account's rows would be sent."""
    if config.filters.passes_all or config.source.account_column:
        return []
    return [
        ("filters", "allowed and restricted account ids need source.account_column, the "
                    "column holding each record's account id; this source has none"),
        ("source.account_column", "is required when filters lists account ids"),
    ]
