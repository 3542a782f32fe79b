"""The mapping of an entity sync, as data: target, field mappings and their transforms.

These are pydantic models (extra fields forbidden) so the API and YAML layers validate user
input with the very classes the engine compiles; `mapper.compile_mapping` turns a spec into
the fast per-record function. Names are written without a namespace prefix; the target's
namespace is applied at compile/plan time.
"""

from __future__ import annotations

import zoneinfo
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from forcebridge.sync.namespace import apply_prefix, valid_prefix

JsonScalar = str | int | float | bool | None


class SyncMode(StrEnum):
    """How records reach Salesforce; `mirror` is upsert plus deleting what left the source."""

    UPSERT = "upsert"
    INSERT = "insert"
    UPDATE = "update"
    MIRROR = "mirror"

    @property
    def creates(self) -> bool:
        return self is not SyncMode.UPDATE

    @property
    def updates(self) -> bool:
        return self is not SyncMode.INSERT


class Owner(StrEnum):
    """Who owns a mapped field (sync.ownership)."""

    SOURCE = "source"
    SALESFORCE = "salesforce"


class OnConflict(StrEnum):
    """What reconciliation does with a source-owned field changed in Salesforce."""

    OVERWRITE = "overwrite"
    KEEP = "keep"
    EVENT = "event"


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _zone(name: str) -> str:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc
    return name


class TextTransform(_Spec):
    """Any value as text; longer than the field allows is an error unless `truncate`."""

    type: Literal["text"] = "text"
    max_length: int | None = Field(default=None, ge=1, description="Default: the field length.")
    truncate: bool = False
    strip: bool = False


class NumberTransform(_Spec):
    """A number rounded half-up to `scale` decimals (scale 0 gives an integer)."""

    type: Literal["number"] = "number"
    scale: int | None = Field(default=None, ge=0, le=18, description="Default: the field scale.")
    precision: int | None = Field(default=None, ge=1, le=18)


class BooleanTransform(_Spec):
    """true/false, yes/no, y/n, 1/0 (any case) to a JSON boolean."""

    type: Literal["boolean"] = "boolean"


class DateTransform(_Spec):
    """A date, "2024-01-31". Datetimes with an offset are first moved into `timezone`."""

    type: Literal["date"] = "date"
    timezone: str | None = None
    format: str | None = Field(default=None, description="strptime format for text values.")

    @field_validator("timezone")
    @classmethod
    def _check_zone(cls, v: str | None) -> str | None:
        return v if v is None else _zone(v)


class DatetimeTransform(_Spec):
    """A datetime in UTC, "2024-01-31T10:00:00.000+0000"; naive values are in `timezone`."""

    type: Literal["datetime"] = "datetime"
    timezone: str
    format: str | None = Field(default=None, description="strptime format for text values.")
    ambiguous: Literal["earlier", "later", "error"] = Field(
        default="earlier", description="Which instant a repeated local time (DST end) means."
    )

    @field_validator("timezone")
    @classmethod
    def _check_zone(cls, v: str) -> str:
        return _zone(v)


class ValueMapTransform(_Spec):
    """Source values to picklist values; unknown values are errors unless `passthrough`."""

    type: Literal["value_map"] = "value_map"
    values: dict[str, str]
    default: str | None = None
    passthrough: bool = False
    case_sensitive: bool = True


class ReferenceTransform(_Spec):
    """A parent record by its external id: {"Account__r": {"External_Id__c": value}}."""

    type: Literal["reference"] = "reference"
    external_id_field: str
    object: str | None = Field(default=None, description="Parent object when polymorphic.")


class RawTransform(_Spec):
    """JSON-safe value as it is (dates and Decimals converted, nothing else)."""

    type: Literal["raw"] = "raw"


Transform = Annotated[
    TextTransform
    | NumberTransform
    | BooleanTransform
    | DateTransform
    | DatetimeTransform
    | ValueMapTransform
    | ReferenceTransform
    | RawTransform,
    Field(discriminator="type"),
]


class FieldMapping(_Spec):
    """One Salesforce field filled from a source column or a constant.

    Without a transform the field's describe type chooses one (text, number, boolean, date,
    datetime); without a describe the value goes through as it is (`raw`).
    """

    field: str = Field(min_length=1)
    column: str | None = None
    constant: JsonScalar = None
    transform: Transform | None = None
    owner: Owner = Field(
        default=Owner.SOURCE,
        description="source: every change in the source is written; salesforce: written "
        "when forcebridge creates the record, never overwritten.",
    )
    on_conflict: OnConflict = Field(
        default=OnConflict.OVERWRITE,
        description="For a source-owned field changed in Salesforce since forcebridge last "
        "wrote it (found by reconciliation): overwrite it, keep Salesforce's value, or keep "
        "it and open an event.",
    )

    @field_validator("on_conflict")
    @classmethod
    def _conflict_needs_source_owner(cls, value: OnConflict, info: ValidationInfo
                                     ) -> OnConflict:
        # "overwrite" is the default: given explicitly it says nothing more
        if info.data.get("owner") is Owner.SALESFORCE and value is not OnConflict.OVERWRITE:
            raise ValueError(
                f"on_conflict applies to source-owned fields; {info.data.get('field')} is "
                "owned by salesforce and is never overwritten (remove on_conflict)"
            )
        return value

    @model_validator(mode="after")
    def _one_source(self) -> FieldMapping:
        # a dumped column mapping carries constant=None, so only a non-null one conflicts
        if self.column is not None and self.constant is not None:
            raise ValueError("give exactly one of column or constant")
        if self.column is None and "constant" not in self.model_fields_set:
            raise ValueError("give exactly one of column or constant")
        return self

    @property
    def is_constant(self) -> bool:
        return self.column is None


class Namespace(_Spec):
    """none (standard objects), custom (unmanaged custom objects) or a managed-package prefix."""

    kind: Literal["none", "custom", "managed"] = "none"
    prefix: str | None = None

    @model_validator(mode="after")
    def _prefix_for_managed(self) -> Namespace:
        if self.kind == "managed":
            if not self.prefix or not valid_prefix(self.prefix):
                raise ValueError("a managed namespace needs a prefix: a letter, then letters or "
                                 "digits, at most 15 characters")
        elif self.prefix:
            raise ValueError(f"a prefix is only used with kind 'managed', not {self.kind!r}")
        return self

    @property
    def effective_prefix(self) -> str | None:
        return self.prefix if self.kind == "managed" else None

    def apply(self, name: str) -> str:
        return apply_prefix(name, self.effective_prefix)


class Target(_Spec):
    """The Salesforce object records go to and the external-id field they are matched on."""

    object: str = Field(min_length=1)
    external_id_field: str | None = Field(default=None, description="Needed except for insert.")
    namespace: Namespace = Namespace()


class MappingSpec(_Spec):
    """Everything that turns a source record into a Salesforce payload."""

    target: Target
    mappings: list[FieldMapping] = Field(default_factory=list)
    auto_map: bool = Field(
        default=False, description="Map unmapped columns named like a writable field."
    )
    timezone: str | None = Field(
        default=None, description="Time zone of datetimes that get no explicit transform."
    )

    @field_validator("timezone")
    @classmethod
    def _check_zone(cls, v: str | None) -> str | None:
        return v if v is None else _zone(v)

    @model_validator(mode="after")
    def _external_id_owned_by_source(self) -> MappingSpec:
        ext = self.target.external_id_field
        for i, m in enumerate(self.mappings):
            if ext is not None and m.owner is Owner.SALESFORCE \
                    and m.field.lower() == ext.lower():
                raise ValueError(
                    f"mappings[{i}].owner: {m.field} is the external id records are matched "
                    "on; it must be owned by source"
                )
        return self

    def resolved_object(self) -> str:
        return self.target.namespace.apply(self.target.object)

    def resolved_external_id(self) -> str | None:
        ext = self.target.external_id_field
        return None if ext is None else self.target.namespace.apply(ext)


def transform_kind(transform: Any) -> str:
    """The `type` of a transform spec, "auto" for none."""
    return "auto" if transform is None else str(transform.type)
