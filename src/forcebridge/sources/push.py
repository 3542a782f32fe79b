"""The `push` source: records the product posts to `/api/v1/integrations/{id}/records`.

Posted records are stored durably (table `pushed_records`, latest post per key wins) before
the post is acknowledged; a run then reads them like any other source, in key order, one
batch at a time.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class PushSourceSpec(BaseModel):
    """Records arrive through the API; `key_column` and `account_column` name their fields."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["push"] = "push"
    key_column: str = Field(default="id", min_length=1)
    account_column: str | None = None
