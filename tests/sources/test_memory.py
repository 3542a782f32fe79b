"""Memory stays flat: streaming 200k rows keeps the peak near one batch, not the file."""

from __future__ import annotations

import csv
import tracemalloc
from pathlib import Path

import orjson
import pytest
import sqlalchemy as sa
from pydantic import SecretStr

from forcebridge.sources import CsvSource, CsvSourceSpec, JsonlSource, JsonlSourceSpec, SqlSource
from forcebridge.sources.base import Source
from forcebridge.sources.sql import SqlDatabase, SqlSourceSpec

ROWS = 200_000
LIMIT = 4_000_000  # bytes; the files are ~15 MB and the rows as dicts would take ~150 MB


def row(i: int) -> dict[str, object]:
    return {"id": f"K-{i}", "account": f"A-{i % 97}", "name": f"Customer number {i}",
            "balance": f"{i * 1.25:.2f}", "city": "Springfield"}


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("big")
    with open(folder / "big.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(row(0)))
        w.writeheader()
        w.writerows(row(i) for i in range(ROWS))
    with open(folder / "big.jsonl", "wb") as jf:
        jf.writelines(orjson.dumps(row(i)) + b"\n" for i in range(ROWS))
    engine = sa.create_engine(f"sqlite:///{folder / 'big.db'}")
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE big (id TEXT, account TEXT, name TEXT, balance TEXT, "
                             "city TEXT)"))
        conn.execute(sa.text("INSERT INTO big VALUES (:id, :account, :name, :balance, :city)"),
                     [row(i) for i in range(ROWS)])
    engine.dispose()
    return folder


def peak_while_streaming(src: Source) -> tuple[int, int]:
    tracemalloc.start()
    try:
        count = 0
        for batch in src.batches(500):
            count += len(batch)
        return count, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_csv_streams_flat(files: Path) -> None:
    count, peak = peak_while_streaming(
        CsvSource(CsvSourceSpec(name="files", path="big.csv", key_column="id"), files / "big.csv"))
    assert count == ROWS
    assert peak < LIMIT, peak


def test_jsonl_streams_flat(files: Path) -> None:
    count, peak = peak_while_streaming(
        JsonlSource(JsonlSourceSpec(name="files", path="big.jsonl", key_column="id"),
                    files / "big.jsonl"))
    assert count == ROWS
    assert peak < LIMIT, peak


def test_sqlite_streams_flat(files: Path) -> None:
    spec = SqlSourceSpec.model_validate({"name": "db", "table": "big", "key_column": "id"})
    database = SqlDatabase("db", SecretStr(f"sqlite:///{files / 'big.db'}"))
    count, peak = peak_while_streaming(SqlSource(spec, database))
    assert count == ROWS
    assert peak < LIMIT, peak
