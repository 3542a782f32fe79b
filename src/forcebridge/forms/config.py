"""The configuration of an inbound-form integration."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class InboundFormConfig(BaseModel):
    """Placeholder until the forms work lands: target object and mappings."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    object: str
