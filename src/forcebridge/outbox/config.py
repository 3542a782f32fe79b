"""The configuration of an event-publishing integration."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class EventPublishConfig(BaseModel):
    """Placeholder until the outbox work lands: an Apex REST path or a platform event."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    target: str
