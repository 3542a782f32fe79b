"""Which accounts an integration syncs: an allow list and a deny list of account ids.

Both empty means every account. With an allow list only those accounts pass; the deny list
always wins. A record without an account id passes only when there is no allow list.
Ids are compared as trimmed text, so 42 in a SQL column matches "42" in the list.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from pydantic import BaseModel, ConfigDict, Field, field_validator

from forcebridge.sources.base import SourceRecord, key_text


class AccountFilter(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    allowed_account_ids: list[str] = Field(default_factory=list)
    restricted_account_ids: list[str] = Field(default_factory=list)

    @field_validator("allowed_account_ids", "restricted_account_ids")
    @classmethod
    def _trimmed(cls, ids: list[str]) -> list[str]:
        return [i.strip() for i in ids if i.strip()]

    @property
    def passes_all(self) -> bool:
        return not self.allowed_account_ids and not self.restricted_account_ids

    def gate(self) -> AccountGate:
        return AccountGate(self.allowed_account_ids, self.restricted_account_ids)


class AccountGate:
    """The compiled filter: sets, so checking a record is one or two lookups."""

    __slots__ = ("_allowed", "_restricted")

    def __init__(self, allowed: Iterable[str] = (), restricted: Iterable[str] = ()) -> None:
        self._allowed = frozenset(a for a in (key_text(x) for x in allowed) if a)
        self._restricted = frozenset(r for r in (key_text(x) for x in restricted) if r)

    def admits(self, account_id: str | None) -> bool:
        if account_id is None:
            return not self._allowed
        if account_id in self._restricted:
            return False
        return not self._allowed or account_id in self._allowed

    def split(self, records: Iterable[SourceRecord]) -> tuple[list[SourceRecord], int]:
        """(records that pass, how many were filtered out)."""
        if not self._allowed and not self._restricted:
            kept = list(records)
            return kept, 0
        kept, dropped = [], 0
        for record in records:
            if self.admits(record.account_id):
                kept.append(record)
            else:
                dropped += 1
        return kept, dropped

    def __call__(self, records: Iterable[SourceRecord]) -> Iterator[SourceRecord]:
        return (r for r in records if self.admits(r.account_id))
