"""Integrations as a document, so they can live in version control (`apply` and `export`).

The document is `{"integrations": [{name, kind, connection, config, schedule, notify,
enabled}, ...]}` (a bare list is accepted too). `apply` matches integrations by name within
the tenant: new names are created, known ones updated, and one whose every field already
matches is left unchanged, so applying an export changes nothing. The whole document is
validated and checked against the orgs before anything is written; every error names
`integrations[i].field`.

`export` writes each config compactly (defaults left out, as long as it reads back the same);
an entity sync's source is written as the data source it names, so an exported file holds no
URL and no secret.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, get_origin

import anyio
import pydantic
from pydantic import BaseModel, SecretStr
from pydantic_core import to_jsonable_python
from sqlalchemy.orm import Session

from forcebridge.errors import InvalidInput
from forcebridge.integrations import saves as integration_saves
from forcebridge.integrations.saves import Action, Change
from forcebridge.runtime import Runtime
from forcebridge.services import integrations as service
from forcebridge.services.integrations import CONFIG_MODELS, IntegrationInput, IntegrationView
from forcebridge.store.integrations import Integration
from forcebridge.vault import Vault


@dataclass(frozen=True)
class Applied:
    """One integration of the document and what `apply` did (or would do) with it."""

    name: str
    kind: str
    action: Action
    view: IntegrationView


def _items(document: Any) -> list[Any]:
    if isinstance(document, dict) and set(document) == {"integrations"}:
        document = document["integrations"]
    elif isinstance(document, dict):
        unknown = sorted(str(k) for k in set(document) - {"integrations"})
        if "integrations" not in document:
            raise InvalidInput.field("integrations", "the file needs a list of integrations")
        raise InvalidInput.field(unknown[0], "unknown key; the file holds only 'integrations'")
    if document is None:
        return []
    if not isinstance(document, list):
        raise InvalidInput.field("integrations", "must be a list of integrations")
    return document


def parse(document: Any) -> list[IntegrationInput]:
    """The document's integrations, each checked on its own; all errors in one `InvalidInput`."""
    parsed: list[IntegrationInput] = []
    details: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(_items(document)):
        where = f"integrations[{i}]"
        if not isinstance(item, dict):
            details.append({"field": where, "reason": "must be a mapping with name, kind, ..."})
            continue
        try:
            data = IntegrationInput.model_validate(item)
        except pydantic.ValidationError as exc:
            bad = InvalidInput.from_pydantic(exc)
            details += [{**d, "field": f"{where}.{d['field']}"} for d in bad.details]
            continue
        if not data.name:
            details.append({"field": f"{where}.name", "reason": "is required"})
            continue
        first = seen.setdefault(data.name.lower(), i)
        if first != i:
            details.append({"field": f"{where}.name",
                            "reason": f"{data.name!r} is already integrations[{first}]"})
            continue
        parsed.append(data)
    if details:
        raise InvalidInput.from_details(details)
    return parsed


def _existing(rt: Runtime, tenant_id: str) -> dict[str, str]:
    """The tenant's integrations: lower-cased name -> id (names are unique in any case)."""
    with rt.db.begin() as session:
        return {i.name.lower(): i.id for i in service.list_all(session, tenant_id)}


async def apply(
    rt: Runtime, tenant_id: str, document: Any, *, dry_run: bool = False, actor: str = "system"
) -> list[Applied]:
    """Create or update every integration of `document`, or (on any error) none of them."""
    inputs = parse(document)
    known = await anyio.to_thread.run_sync(_existing, rt, tenant_id)
    changes = [
        Change(data, ref=known.get((data.name or "").lower()), field_prefix=f"integrations[{i}].")
        for i, data in enumerate(inputs)
    ]
    saved = await integration_saves.save_all(rt, tenant_id, changes, actor=actor, dry_run=dry_run)
    return [Applied(s.view.name, s.view.kind, s.action, s.view) for s in saved]


def _compact(value: Any) -> Any:
    """A model as JSON data without the fields left at their default (discriminators kept)."""
    if isinstance(value, BaseModel):
        out: dict[str, Any] = {}
        for name, info in type(value).model_fields.items():
            current = getattr(value, name)
            tag = get_origin(info.annotation) is Literal
            if not tag and not info.is_required() \
                    and current == info.get_default(call_default_factory=True):
                continue
            out[name] = _compact(current)
        return out
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, list | tuple):
        return [_compact(v) for v in value]
    if isinstance(value, dict):
        return {k: _compact(v) for k, v in value.items()}
    return to_jsonable_python(value)


def exported_config(integration: Integration, vault: Vault) -> dict[str, Any]:
    """The config as a file shows it: compact."""
    raw = dict(integration.config)
    model = CONFIG_MODELS[integration.kind]
    try:
        typed = model.model_validate(raw)
    except pydantic.ValidationError:
        return raw  # stored by an older version: export what is there
    compact = _compact(typed)
    try:
        same = model.model_validate(compact) == typed
    except pydantic.ValidationError:
        same = False
    return compact if same else raw


def document_of(session: Session, integration: Integration, vault: Vault) -> dict[str, Any]:
    """One integration as `apply` reads it back."""
    return {
        "name": integration.name,
        "kind": integration.kind,
        "connection": service.connection_name(session, integration),
        "config": exported_config(integration, vault),
        "schedule": integration.schedule,
        "notify": service.notify_emails(session, integration),
        "enabled": integration.enabled,
    }


def export(
    session: Session, vault: Vault, tenant_id: str, names: list[str] | None = None
) -> dict[str, Any]:
    """The tenant's integrations (those named, when given) as one document."""
    chosen = (
        [service.get(session, tenant_id, n) for n in names]
        if names
        else service.list_all(session, tenant_id)
    )
    return {"integrations": [document_of(session, i, vault) for i in chosen]}
