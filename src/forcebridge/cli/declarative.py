"""`forcebridge apply -f FILE` and `forcebridge export`: integrations as YAML in version control.

Secrets do not belong in the file: write `${DB_PASSWORD}` and `apply` puts the value of that
environment variable there (`$${` is a literal `${`). This is the one place forcebridge reads
the environment outside `Settings`, and only because the user's own file asks for it by name:
the variables are the user's, not forcebridge's configuration. `export` never expands anything
and masks a SQL source's password as `***`, which `apply` understands as "keep the stored one".
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path
from typing import Any

import anyio
import typer
import yaml

from forcebridge.cli.output import JsonOption, TenantOption, console, emit, runtime, tenant_id
from forcebridge.errors import InvalidInput
from forcebridge.integrations import files as integration_files
from forcebridge.services import tenants

_REFERENCE = re.compile(r"\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_DONE = {"created": "created", "updated": "updated", "unchanged": "unchanged"}
_WOULD = {"created": "would create", "updated": "would update", "unchanged": "unchanged"}


def _expand_text(text: str, where: str, environ: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        if match.group(0) == "$${":
            return "${"
        name = match.group(1)
        if name not in environ:
            raise InvalidInput.field(where, f"environment variable {name} is not set")
        return environ[name]

    return _REFERENCE.sub(value, text)


def expand(value: Any, environ: dict[str, str], where: str = "") -> Any:
    """`value` with every `${NAME}` in its strings replaced by the variable's value."""
    if isinstance(value, str):
        return _expand_text(value, where or "file", environ)
    if isinstance(value, list):
        return [expand(v, environ, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict):
        return {
            k: expand(v, environ, f"{where}.{k}" if where else str(k)) for k, v in value.items()
        }
    return value


def load(path: Path, environ: dict[str, str]) -> Any:
    """The YAML document in `path`, environment references expanded."""
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput.field("file", f"cannot read {path}: {exc}") from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidInput.field("file", f"{path} is not valid YAML: {exc}") from None
    return expand(document, environ)


def apply(
    file: Path = typer.Option(
        ..., "-f", "--file", exists=True, dir_okay=False, help="YAML file of integrations."
    ),
    tenant: str | None = TenantOption,
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Validate and check against the orgs; change nothing."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Create or update integrations from a YAML file (matched by name); all or nothing."""
    document = load(file, dict(os.environ))  # the user's own ${VAR} references, see above
    rt = runtime()
    run = functools.partial(integration_files.apply, dry_run=dry_run, actor="cli")
    applied = anyio.run(run, rt, tenant_id(rt, tenant), document)
    words = _WOULD if dry_run else _DONE
    rows = [{"name": a.name, "kind": a.kind, "action": words[a.action]} for a in applied]
    emit(rows, ("name", "kind", "action"), as_json=as_json,
         title="Dry run: nothing changed" if dry_run else None)
    if not as_json and not rows:
        console.print("the file holds no integrations")


def export(
    tenant: str | None = TenantOption,
    output: Path | None = typer.Option(
        None, "--output", "-o", dir_okay=False, help="Write here instead of standard output."
    ),
    names: list[str] | None = typer.Option(
        None, "--name", "-n", help="Only this integration; repeat for several."
    ),
) -> None:
    """Write integrations out as YAML that `apply` reads back unchanged."""
    rt = runtime()
    with rt.db.begin() as s:
        t = tenants.find(s, tenant)
        document = integration_files.export(s, rt.vault, t.id, names or None)
    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    if output is None:
        typer.echo(text, nl=False)
        return
    output.write_text(text)
    console.print(f"wrote {len(document['integrations'])} integration(s) to {output}")
