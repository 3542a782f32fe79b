"""The configuration of an event-publishing integration: where events go and how hard to try.

A target is either an Apex REST resource (`/services/apexrest/acme/events`, `acme/events`) or
a Platform Event object (`Acme_Event__e`). An Apex path is stored in its full
`/services/apexrest/...` form so one endpoint has one spelling. A platform event has fields,
not a JSON body, so its configuration says which field receives the event's type, key,
idempotency key and payload (as JSON text), and which payload values go to fields of their own.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

APEX_PREFIX = "/services/apexrest/"
_EVENT_OBJECT = re.compile(r"^[A-Za-z][A-Za-z0-9_]*__e$")
_APEX_PATH = re.compile(r"^[A-Za-z0-9_\-./]+$")
_FIELD_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
MAX_BATCH = 200  # sObject Collections take at most 200 records a call

TargetKind = Literal["apex", "platform_event"]


class EventPublishConfig(BaseModel):
    """Where an integration's events are delivered, and the retry policy of its outbox."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    target: str = Field(
        description="An Apex REST path (/services/apexrest/acme/events or acme/events) or a "
        "Platform Event object (Acme_Event__e)."
    )
    max_attempts: int = Field(default=8, ge=1, le=100)
    backoff_base_seconds: float = Field(default=2.0, gt=0, le=3600)
    backoff_max_seconds: float = Field(default=600.0, gt=0, le=86_400)
    batch_size: int = Field(
        default=MAX_BATCH,
        ge=1,
        le=MAX_BATCH,
        description="Events per API call: platform events, or Apex when apex_list is on.",
    )
    # Apex REST only
    apex_list: bool = Field(
        default=False,
        description='The Apex endpoint accepts {"events": [...]}: several events per call.',
    )
    idempotency_header: str = Field(default="Idempotency-Key", max_length=100)
    # Platform events only: which event field receives what
    type_field: str | None = None
    key_field: str | None = None
    idempotency_field: str | None = None
    payload_field: str | None = None
    payload_fields: dict[str, str] = Field(
        default_factory=dict,
        description='Platform event field -> top-level payload key, e.g. {"Amount__c": "amount"}.',
    )

    @field_validator("target")
    @classmethod
    def _target(cls, value: str) -> str:
        text = value.strip()
        if _EVENT_OBJECT.match(text):
            return text
        path = text[len(APEX_PREFIX) - 1 :] if text.startswith(APEX_PREFIX) else text
        path = path.strip("/")
        if not path or not _APEX_PATH.match(path) or ".." in path.split("/"):
            raise ValueError(
                "must be an Apex REST path like /services/apexrest/acme/events (or acme/events) "
                "or a platform event object like Acme_Event__e"
            )
        return APEX_PREFIX + path

    @field_validator("idempotency_header")
    @classmethod
    def _header(cls, value: str) -> str:
        if not re.match(r"^[A-Za-z0-9-]+$", value):
            raise ValueError("must be an HTTP header name of letters, digits and '-'")
        return value

    @field_validator("type_field", "key_field", "idempotency_field", "payload_field")
    @classmethod
    def _field_name(cls, value: str | None) -> str | None:
        if value is not None and not _FIELD_NAME.match(value):
            raise ValueError(f"{value!r} is not a Salesforce field API name")
        return value

    @field_validator("payload_fields")
    @classmethod
    def _payload_fields(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value:
            if not _FIELD_NAME.match(name):
                raise ValueError(f"{name!r} is not a Salesforce field API name")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> EventPublishConfig:
        if self.backoff_max_seconds < self.backoff_base_seconds:
            raise ValueError("backoff_max_seconds must be at least backoff_base_seconds")
        if self.target_kind == "platform_event":
            if self.apex_list:
                raise ValueError("apex_list applies to Apex REST targets only")
            if not self.mapped_fields:
                raise ValueError(
                    "a platform event target needs at least one of type_field, key_field, "
                    "idempotency_field, payload_field or payload_fields"
                )
        elif self.mapped_fields:
            raise ValueError(
                "type_field, key_field, idempotency_field, payload_field and payload_fields "
                "apply to platform event targets only"
            )
        return self

    @property
    def target_kind(self) -> TargetKind:
        return "platform_event" if _EVENT_OBJECT.match(self.target) else "apex"

    @property
    def apex_path(self) -> str:
        """The path under /services/apexrest/, without a leading slash (`acme/events`)."""
        return self.target[len(APEX_PREFIX) :]

    @property
    def mapped_fields(self) -> list[str]:
        """Every platform event field this configuration writes."""
        named = [self.type_field, self.key_field, self.idempotency_field, self.payload_field]
        return [f for f in named if f] + list(self.payload_fields)

    @property
    def events_per_call(self) -> int:
        if self.target_kind == "apex" and not self.apex_list:
            return 1
        return self.batch_size
