"""The configuration of an inbound-form integration: target object, mappings, hook rules.

Mappings are the entity sync's `FieldMapping`s (one engine, one set of transforms): `field`
is the Salesforce field, `column` is the key the form posts (or `constant` a fixed value),
`transform` is optional (the field's describe type picks one otherwise). With `auto_match`, a
posted key equal to a createable field's API name (any case) is posted to that field too.
"""

from __future__ import annotations

import zoneinfo
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from forcebridge.sync.mapping import FieldMapping, MappingSpec, Namespace, Target

HookAuth = Literal["token", "hmac"]
DEFAULT_MAX_BODY_BYTES = 65_536
MAX_BODY_BYTES_CEILING = 1_048_576


class InboundFormConfig(BaseModel):
    """What a form post becomes: a record of `object`, filled through `mappings`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    object: str = Field(min_length=1, description="Target object, e.g. Lead or Case.")
    namespace: Namespace = Namespace()
    mappings: list[FieldMapping] = Field(
        default_factory=list,
        description="Salesforce field <- posted key (`column`) or a `constant`.",
    )
    auto_match: bool = Field(
        default=False,
        description="Also post keys named exactly like a createable field (any case).",
    )
    max_body_bytes: int = Field(
        default=DEFAULT_MAX_BODY_BYTES,
        ge=256,
        le=MAX_BODY_BYTES_CEILING,
        description="Bigger posts are refused with 413.",
    )
    auth: HookAuth = Field(
        default="token",
        description="token: the secret rides in the URL (?token=...); hmac: the sender signs "
        "a timestamp and the body with it (X-Forcebridge-Signature: t=<unix>,v1=<hex>).",
    )
    timezone: str | None = Field(
        default=None, description="Time zone of posted datetimes that carry no offset."
    )

    @field_validator("timezone")
    @classmethod
    def _check_zone(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                zoneinfo.ZoneInfo(v)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
                raise ValueError(f"unknown time zone {v!r}") from exc
        return v

    def mapping_spec(self) -> MappingSpec:
        """The sync engine's view of this form: an insert-only mapping onto `object`."""
        return MappingSpec(
            target=Target(object=self.object, namespace=self.namespace),
            mappings=list(self.mappings),
            auto_map=self.auto_match,
            timezone=self.timezone,
        )

    def mapped_keys(self) -> set[str]:
        """The posted keys explicit mappings read."""
        return {m.column for m in self.mappings if m.column is not None}
