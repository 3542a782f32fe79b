"""Incremental SQL sources: a cursor column makes a run read only what changed since the last
complete run, and everything again when the mapping, the source or the filters change."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from forcebridge.errors import InvalidInput
from forcebridge.runs import cursor, run_integration
from forcebridge.services import integrations
from forcebridge.services.integrations import IntegrationInput
from tests.granted import grant_sql
from tests.runs.conftest import World, invoice_config

pytestmark = pytest.mark.anyio


def invoices_db(path: Path, n: int) -> Path:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE invoices (number TEXT PRIMARY KEY, account TEXT, amount TEXT, "
                   "status TEXT, updated_at TEXT)")
        db.executemany("INSERT INTO invoices VALUES (?, '', ?, 'sent', ?)", [
            (f"INV-{i:04d}", f"{i}.50", f"2024-01-01 00:{i % 60:02d}:00") for i in range(n)
        ])
    return path


def change(path: Path, sets: str, where: str, *args: Any) -> None:
    with sqlite3.connect(path) as db:
        db.execute(f"UPDATE invoices SET {sets} WHERE {where}", args)


def sql_config(world: World, db: Path, **changes: Any) -> dict[str, Any]:
    config = invoice_config(world.files / "unused.csv")
    name = grant_sql(world.rt, world.tenant_id, f"sqlite:///{db}", name="billing")
    config["source"] = {"kind": "sql", "name": name, "table": "invoices",
                        "key_column": "number", "account_column": "account",
                        "cursor_column": "updated_at"}
    config.update(changes)
    return config


def create(world: World, config: dict[str, Any]) -> str:
    with world.rt.db.begin() as s:
        return integrations.create(s, world.rt.vault, world.tenant_id, IntegrationInput(
            name="incremental", kind="entity_sync", connection="org", config=config)).id


async def run(world: World, iid: str) -> tuple[str, int, int, int]:
    r = world.run(await run_integration(world.rt, world.tenant_id, iid))
    return r.status, r.read, r.created, r.updated


def amounts(world: World) -> dict[str, float]:
    return {r["Invoice_Number__c"]: r["Amount__c"] for r in world.invoices()}


async def test_a_run_reads_only_rows_whose_cursor_moved(world: World, tmp_path: Path) -> None:
    db = invoices_db(tmp_path / "billing.db", 50)
    iid = create(world, sql_config(world, db))
    assert await run(world, iid) == ("succeeded", 50, 50, 0)
    # nothing changed: only the row at the highest value is read again, and it is unchanged
    assert await run(world, iid) == ("succeeded", 1, 0, 0)
    change(db, "amount = '99.00', updated_at = '2024-02-01 00:00:00'", "number = 'INV-0007'")
    assert await run(world, iid) == ("succeeded", 2, 0, 1)  # INV-0049 (at the mark), INV-0007
    assert amounts(world)["INV-0007"] == 99.0
    # a change that does not move the cursor is not seen ...
    change(db, "amount = '1.00'", "number = 'INV-0008'")
    assert (await run(world, iid))[1:] == (1, 0, 0)
    assert amounts(world)["INV-0008"] == 8.5
    # ... until the source, the filters or the mapping change: then every row is read (and
    # compared) again
    config = sql_config(world, db, filters={"restricted_account_ids": ["A-closed"]})
    with world.rt.db.begin() as s:
        integrations.update(s, world.rt.vault, world.tenant_id, iid,
                            IntegrationInput(name="incremental", kind="entity_sync",
                                             connection="org", config=config))
    assert await run(world, iid) == ("succeeded", 50, 0, 1)
    assert amounts(world)["INV-0008"] == 1.0


async def test_a_rejected_record_keeps_the_cursor_so_the_next_run_tries_it_again(
    world: World, tmp_path: Path,
) -> None:
    db = invoices_db(tmp_path / "billing.db", 20)
    iid = create(world, sql_config(world, db))
    await run(world, iid)
    change(db, "amount = 'not a number', updated_at = '2024-03-01 00:00:00'", "number = 'INV-0003'")
    change(db, "amount = '5.00', updated_at = '2024-03-01 00:00:00'", "number = 'INV-0004'")
    assert await run(world, iid) == ("partial", 3, 0, 1)  # INV-0019 (at the mark), 3 and 4
    change(db, "amount = '3.00'", "number = 'INV-0003'")  # fixed, cursor not moved
    assert await run(world, iid) == ("succeeded", 3, 0, 1)  # read from the same mark again
    assert amounts(world)["INV-0003"] == 3.0
    assert await run(world, iid) == ("succeeded", 2, 0, 0)


def test_mirror_mode_refuses_a_cursor_column(world: World, tmp_path: Path) -> None:
    db = invoices_db(tmp_path / "billing.db", 1)
    with pytest.raises(InvalidInput, match="cursor_column: mirror mode reads every row"):
        create(world, sql_config(world, db, mode="mirror"))


@pytest.mark.parametrize("value", [
    "2024-01-01 10:00:00", 42, 1.5, Decimal("10.25"), date(2024, 1, 31),
    datetime(2024, 1, 31, 10, 0, 0, 123456), datetime(2024, 1, 31, 10, tzinfo=UTC),
])
def test_cursor_values_keep_their_type(value: object) -> None:
    encoded = cursor.encode(value)
    assert encoded is not None
    back = cursor.decode(encoded)
    assert back == value and type(back) is type(value)


def test_a_cursor_value_of_another_type_is_not_kept() -> None:
    assert cursor.encode(True) is None and cursor.encode(b"\x00") is None
