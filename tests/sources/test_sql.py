"""SQL sources on SQLite files and (with FORCEBRIDGE_TEST_POSTGRES_URL) PostgreSQL."""

from __future__ import annotations

import time
import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from pydantic import SecretStr, ValidationError

from forcebridge.sources import SourceError, SqlDatabase, SqlSource, SqlSourceSpec, open_source
from forcebridge.sources.sql import display_url


def _fill_customers(url: str) -> str:
    """Creates the `customers` table with 25 rows in the database at `url`."""
    engine = sa.create_engine(url)
    meta = sa.MetaData()
    table = sa.Table(
        "customers",
        meta,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("account", sa.String(20)),
        sa.Column("name", sa.String(80)),
        sa.Column("balance", sa.Numeric(12, 2)),
        sa.Column("since", sa.Date),
    )
    meta.create_all(engine)
    with engine.begin() as conn:
        conn.execute(
            table.insert(),
            [
                {
                    "id": i,
                    "account": f"A-{i % 3}",
                    "name": f"Customer {i}",
                    "balance": Decimal(i) / 4,
                    "since": date(2020, 1, 1 + i % 28),
                }
                for i in range(1, 26)
            ],
        )
    engine.dispose()
    return url


@pytest.fixture
def customers(database_url: str) -> str:
    return _fill_customers(database_url)


@pytest.fixture
def pg_customers(postgres_url: str) -> str:
    """The customers table on PostgreSQL only, for PostgreSQL-only behaviour."""
    return _fill_customers(postgres_url)


def database(url: str, **kw: Any) -> SqlDatabase:
    return SqlDatabase("db", SecretStr(url), **kw)


def source(url: str, **kw: object) -> SqlSource:
    return SqlSource(SqlSourceSpec.model_validate({"name": "db", "key_column": "id", **kw}),
                     database(url))


def test_table_streams_in_batches(customers: str) -> None:
    batches = list(source(customers, table="customers", account_column="account").batches(10))
    assert [len(b) for b in batches] == [10, 10, 5]
    first = batches[0][0]
    assert first.key == "1" and first.account_id == "A-1" and first.line == 1
    assert first.values == {
        "id": 1,
        "account": "A-1",
        "name": "Customer 1",
        "balance": Decimal("0.25"),
        "since": date(2020, 1, 2),
    }
    assert [r.line for b in batches for r in b] == list(range(1, 26))


def test_query_source(customers: str) -> None:
    query = "SELECT id, name AS full_name FROM customers WHERE id > 20 ORDER BY id"
    records = [r for b in source(customers, query=query).batches() for r in b]
    assert [r.key for r in records] == ["21", "22", "23", "24", "25"]
    assert records[0].values == {"id": 21, "full_name": "Customer 21"}
    assert records[0].account_id is None


def test_open_source_from_a_dict_spec(customers: str) -> None:
    from pydantic import TypeAdapter

    from forcebridge.sources import SourceSpec

    spec = TypeAdapter(SourceSpec).validate_python(
        {"kind": "sql", "name": "db", "table": "customers", "key_column": "id"}
    )
    assert sum(len(b) for b in open_source(spec, database(customers)).batches()) == 25


def test_missing_table(customers: str) -> None:
    with pytest.raises(SourceError, match="table invoices does not exist"):
        list(source(customers, table="invoices").batches())


def test_missing_key_and_account_columns(customers: str) -> None:
    with pytest.raises(SourceError, match=r"no key column 'customer_id' \(columns: id, account"):
        list(source(customers, table="customers", key_column="customer_id").batches())
    with pytest.raises(SourceError, match="no account-id column 'tenant'"):
        list(source(customers, table="customers", account_column="tenant").batches())


def test_bad_query(customers: str) -> None:
    with pytest.raises(SourceError, match=r"SQL query of data source 'db': .*(syntax|SELEC)"):
        list(source(customers, query="SELEC id FROM customers").batches())
    with pytest.raises(SourceError, match="nope"):
        list(source(customers, query="SELECT nope FROM customers").batches())


def test_bad_urls(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="not a valid SQLAlchemy URL"):
        list(source("not a url", table="t").batches())
    with pytest.raises(SourceError, match="cannot use this URL"):
        list(source("nosuchdb://host/db", table="t").batches())
    missing = tmp_path / "absent.db"
    with pytest.raises(SourceError, match=r"database file .*absent.db does not exist"):
        list(source(f"sqlite:///{missing}", table="t").batches())
    assert not missing.exists()  # reading never creates an empty database


def test_unreachable_server_hides_the_password() -> None:
    url = "postgresql+psycopg://sync:s3cretpw@127.0.0.1:1/products?connect_timeout=2"
    src = source(url, table="customers")
    with pytest.raises(SourceError) as info:
        list(src.batches())
    assert "s3cretpw" not in str(info.value)
    assert "SQL table customers of data source 'db'" in str(info.value)
    assert "s3cretpw" not in repr(src.spec) and "s3cretpw" not in repr(src.database)
    assert display_url("%%%") == "<unparseable URL>"


def test_table_xor_query() -> None:
    with pytest.raises(ValidationError, match="exactly one of table or query"):
        SqlSourceSpec.model_validate({"name": "db", "key_column": "id"})
    with pytest.raises(ValidationError, match="exactly one of table or query"):
        SqlSourceSpec.model_validate(
            {"name": "db", "key_column": "id", "table": "t", "query": "SELECT 1"}
        )


def test_stopping_early_releases_the_connection(customers: str) -> None:
    batches = source(customers, table="customers").batches(5)
    assert len(next(batches)) == 5
    batches.close()
    # with the cursor and transaction gone, the table can be dropped at once
    engine = sa.create_engine(customers, connect_args={})
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("SET lock_timeout = '2s'"))
        conn.execute(sa.text("DROP TABLE customers"))
    engine.dispose()


def test_postgres_reads_through_a_server_side_cursor(pg_customers: str) -> None:
    # PostgreSQL only: SQLite steps its cursor lazily, server-side cursors are PostgreSQL's.
    batches = source(pg_customers, table="customers").batches(5)
    next(batches)
    engine = sa.create_engine(pg_customers)
    with engine.connect() as conn:
        queries = (
            conn.execute(
                sa.text(
                    "SELECT query FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid()"
                )
            )
            .scalars()
            .all()
        )
    engine.dispose()
    batches.close()
    assert any(q.lstrip().upper().startswith(("FETCH", "DECLARE")) for q in queries), queries


def test_colons_in_a_query_are_sql_not_parameters(customers: str) -> None:
    query = "SELECT id, 'at 10:30 :name' AS note FROM customers WHERE id = 3"
    records = [r for b in source(customers, query=query).batches() for r in b]
    assert [(r.key, r.values["note"]) for r in records] == [("3", "at 10:30 :name")]


def test_columns_without_reading_rows(customers: str) -> None:
    assert source(customers, table="customers").columns() == [
        "id",
        "account",
        "name",
        "balance",
        "since",
    ]
    assert source(customers, query="SELECT name, id FROM customers").columns() == ["name", "id"]
    with pytest.raises(SourceError, match="no key column"):
        source(customers, query="SELECT name FROM customers").columns()


@pytest.mark.parametrize("size", [1, 5, 7, 25, 100])
@pytest.mark.parametrize("what", ["table", "query"])
def test_driver_cursor_returns_every_row_once_in_batches(
    customers: str, size: int, what: str
) -> None:
    spec: dict[str, object] = (
        {"table": "customers"} if what == "table"
        else {"query": "SELECT id, name FROM customers ORDER BY id"}
    )
    batches = list(source(customers, **spec).batches(size))
    assert all(len(b) == size for b in batches[:-1])
    assert 0 < len(batches[-1]) <= size
    records = [r for b in batches for r in b]
    assert [r.key for r in records] == [str(i) for i in range(1, 26)]
    assert [r.line for r in records] == list(range(1, 26))
    assert records[2].values["name"] == "Customer 3"


def test_driver_errors_name_the_source(customers: str) -> None:
    query = "SELECT id, nope FROM customers"
    with pytest.raises(SourceError) as err:
        list(source(customers, query=query).batches())
    assert err.value.message.startswith("SQL query of data source 'db': ")
    assert "nope" in err.value.message


def _changes(url: str) -> str:
    """`changes`: six rows, an updated-at text column (one row never set)."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE changes (id INTEGER PRIMARY KEY, name TEXT, "
                             "updated_at TIMESTAMP)"))
        conn.execute(sa.text("INSERT INTO changes VALUES (:i, :n, :u)"), [
            {"i": i, "n": f"row {i}", "u": None if i == 6 else f"2024-01-0{i} 10:00:00"}
            for i in range(1, 7)
        ])
    engine.dispose()
    return url


def test_a_cursor_column_reads_from_where_it_is_told_and_tracks_the_highest(
    database_url: str,
) -> None:
    url = _changes(database_url)
    every = SqlSource(SqlSourceSpec(name="db", table="changes", key_column="id",
                                    cursor_column="updated_at"), database(url))
    assert [r.key for b in every.batches(4) for r in b] == ["1", "2", "3", "4", "5", "6"]
    highest = every.highest
    assert str(highest).startswith("2024-01-05 10:00:00")  # as the driver gives it
    since = SqlSource(every.spec, every.database, since=every.highest)
    # the row at the highest value again (written in the same instant) and the empty one
    assert sorted(r.key for b in since.batches() for r in b) == ["5", "6"]
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE changes SET name = 'new', updated_at = :u WHERE id = 2"),
                     {"u": "2024-02-01 09:00:00"})
    engine.dispose()
    again = SqlSource(every.spec, every.database, since=highest)
    assert sorted(r.key for b in again.batches() for r in b) == ["2", "5", "6"]
    assert str(again.highest).startswith("2024-02-01 09:00:00")
    query = SqlSource(SqlSourceSpec(name="db", query="SELECT id, updated_at FROM changes "
                                    "WHERE name <> 'none:x';\n", key_column="id",
                                    cursor_column="updated_at"), database(url), since=highest)
    assert sorted(r.key for b in query.batches() for r in b) == ["2", "5", "6"]


def test_a_missing_cursor_column_is_named(customers: str) -> None:
    bad = SqlSource(SqlSourceSpec(name="db", table="customers", key_column="id",
                                  cursor_column="updated"), database(customers))
    with pytest.raises(SourceError, match="no cursor column 'updated'"):
        list(bad.batches())


def test_a_cursor_column_of_mixed_types_is_refused_by_name(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'mixed.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:  # SQLite keeps whatever type each row was given
        conn.execute(sa.text("CREATE TABLE changes (id INTEGER PRIMARY KEY, version)"))
        conn.execute(sa.text("INSERT INTO changes VALUES (1, 5), (2, 'six')"))
    engine.dispose()
    mixed = SqlSource(SqlSourceSpec(name="db", table="changes", key_column="id",
                                    cursor_column="version"), database(url))
    with pytest.raises(SourceError, match="cursor column 'version' holds values that cannot be "
                                          "compared"):
        list(mixed.batches())


@pytest.mark.parametrize("query", [
    "DELETE FROM customers RETURNING id",
    "INSERT INTO customers (id, name) VALUES (99, 'x') RETURNING id",
    "UPDATE customers SET name = 'changed' RETURNING id",
])
def test_a_query_cannot_write(customers: str, query: str) -> None:
    with pytest.raises(SourceError):
        list(source(customers, query=query).batches())
    engine = sa.create_engine(customers)
    with engine.connect() as conn:
        count, changed = conn.execute(sa.text(
            "SELECT count(*), sum(CASE WHEN name = 'changed' THEN 1 ELSE 0 END) FROM customers"
        )).one()
    engine.dispose()
    assert (count, changed or 0) == (25, 0)


def test_sqlite_cannot_attach_another_file(customers: str, tmp_path: Path) -> None:
    if not customers.startswith("sqlite"):
        pytest.skip("ATTACH is SQLite's")  # PostgreSQL has no way to open another file
    other = tmp_path / "other.db"
    with pytest.raises(SourceError, match="not authorized"):
        list(source(customers, query=f"ATTACH DATABASE '{other}' AS other").batches())
    assert not other.exists()


def test_a_read_past_the_statement_timeout_is_stopped(customers: str) -> None:
    slow = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
            "SELECT max(x) AS id FROM c" if customers.startswith("sqlite")
            else "SELECT 1 AS id, pg_sleep(30)")
    spec = SqlSourceSpec(name="db", query=slow, key_column="id")
    started = time.monotonic()
    with pytest.raises(SourceError, match=r"longer than the data source's statement timeout "
                                          r"\(0.5 s\)"):
        list(SqlSource(spec, database(customers, timeout_seconds=0.5)).batches())
    assert time.monotonic() - started < 10


def test_postgres_reads_run_as_the_role_the_operator_named(pg_customers: str) -> None:
    role = f"reader_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(pg_customers)
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE ROLE "{role}" NOLOGIN'))
    try:
        as_role = SqlSource(SqlSourceSpec(name="db", table="customers", key_column="id"),
                            database(pg_customers, role=role))
        with pytest.raises(SourceError, match="permission denied"):
            list(as_role.batches())
        with engine.begin() as conn:
            conn.execute(sa.text(f'GRANT SELECT ON customers TO "{role}"'))
        assert sum(len(b) for b in as_role.batches()) == 25
        cte = "WITH d AS (DELETE FROM customers RETURNING id) SELECT id FROM d"
        with pytest.raises(SourceError):
            list(source(pg_customers, query=cte).batches())
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP OWNED BY "{role}"'))
            conn.execute(sa.text(f'DROP ROLE "{role}"'))
        engine.dispose()
