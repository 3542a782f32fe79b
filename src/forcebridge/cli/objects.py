"""`forcebridge objects ...`: which objects an org has and which fields an operation can use."""

from __future__ import annotations

import anyio
import typer

from forcebridge.cli.output import JsonOption, TenantOption, emit, runtime, tenant_id
from forcebridge.cli.records import ConnectionOption
from forcebridge.errors import InvalidInput
from forcebridge.services import objects

app = typer.Typer(no_args_is_help=True)


@app.command("list")
def list_(
    connection: str = ConnectionOption,
    tenant: str | None = TenantOption,
    search: str | None = typer.Option(
        None, "--search", "-s", help="Only objects whose name or label contains this text."
    ),
    as_json: bool = JsonOption,
) -> None:
    """List the objects of the connection's org."""
    rt = runtime()
    tid = tenant_id(rt, tenant)
    rows = anyio.run(objects.list_objects, rt, tid, connection, search)
    emit(rows, ("name", "label", "custom", "createable"), as_json=as_json, title="Objects")


@app.command("fields")
def fields(
    sobject: str = typer.Argument(..., help="Object API name, e.g. Case."),
    connection: str = ConnectionOption,
    tenant: str | None = TenantOption,
    purpose: str | None = typer.Option(
        None,
        "--for",
        help="create (createable; required ones marked), update (updateable) or lookup "
        "(id-lookup fields for --by).",
    ),
    as_json: bool = JsonOption,
) -> None:
    """List the fields of an object that an operation can use."""
    if purpose is not None and purpose not in objects.PURPOSES:
        raise InvalidInput.field("--for", f"must be one of: {', '.join(objects.PURPOSES)}")
    rt = runtime()
    tid = tenant_id(rt, tenant)
    rows = anyio.run(objects.list_fields, rt, tid, connection, sobject, purpose)
    if not as_json:
        for row in rows:
            row["name"] = f"{row['name']} *" if row["required"] else row["name"]
    columns = ("name", "label", "type", "required", "external_id", "id_lookup")
    title = f"{sobject} fields" + (f" for {purpose}" if purpose else "") + " (* required on create)"
    emit(rows, columns, as_json=as_json, title=title)
