"""A small billing database in SQLite, the same on every machine, and a way to change it.

Deterministic (one seeded `random.Random`, no clock) so the demo prints the same counts on
every run and tests can assert them. Four tables mirror what a billing vendor syncs: accounts,
contracts under accounts, prepayments/commitments under contracts, balances under accounts.
Dates and amounts are stored the way such systems hold them (ISO text, floats with more
decimals than the org keeps, local wall-clock timestamps) so the transforms have real work.
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

SEED = 20261123
TABLES = ("accounts", "contracts", "commitments", "balances")
CURRENCIES = ("USD", "EUR", "GBP")
FREQUENCIES = ("monthly", "quarterly", "annual")
KINDS = ("prepayment", "commitment")
EPOCH = date(2024, 1, 1)

SCHEMA = """
CREATE TABLE accounts (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, currency TEXT NOT NULL,
    credit_limit REAL NOT NULL, customer_since TEXT NOT NULL
);
CREATE TABLE contracts (
    id TEXT PRIMARY KEY, account_id TEXT NOT NULL REFERENCES accounts(id), code TEXT NOT NULL,
    name TEXT NOT NULL, start_date TEXT NOT NULL, end_date TEXT NOT NULL,
    billing_frequency TEXT NOT NULL
);
CREATE TABLE commitments (
    id TEXT PRIMARY KEY, account_id TEXT NOT NULL REFERENCES accounts(id),
    contract_id TEXT NOT NULL REFERENCES contracts(id), kind TEXT NOT NULL,
    amount REAL NOT NULL, start_date TEXT NOT NULL, end_date TEXT NOT NULL
);
CREATE TABLE balances (
    id TEXT PRIMARY KEY, account_id TEXT NOT NULL REFERENCES accounts(id),
    amount REAL NOT NULL, currency TEXT NOT NULL, as_of TEXT NOT NULL, updated_at TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class Sizes:
    """Rows per table; the defaults make a few thousand rows, seconds to sync in-process."""

    accounts: int = 400
    contracts_per_account: int = 2
    commitments_per_contract: int = 1
    balances_per_account: int = 3

    @property
    def rows(self) -> dict[str, int]:
        contracts = self.accounts * self.contracts_per_account
        return {
            "accounts": self.accounts,
            "contracts": contracts,
            "commitments": contracts * self.commitments_per_contract,
            "balances": self.accounts * self.balances_per_account,
        }


def url(path: Path) -> str:
    """The SQLAlchemy URL an integration's SQL source uses for the database at `path`."""
    return f"sqlite:///{path}"


@contextmanager
def _connect(path: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(path)
    try:
        with conn:
            yield conn
    finally:
        conn.close()


def _day(offset: int) -> str:
    return (EPOCH + timedelta(days=offset)).isoformat()


def seed(path: Path, sizes: Sizes = Sizes()) -> dict[str, int]:
    """(Re)create the database at `path`; rows per table.

    Rebuilt from scratch each time: the demo starts from a known state whatever an earlier
    run changed, and two calls give byte-for-byte the same rows.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    rnd = random.Random(SEED)
    with _connect(path) as conn:
        conn.executescript(SCHEMA)
        accounts, contracts, commitments, balances = [], [], [], []
        for a in range(1, sizes.accounts + 1):
            acc = f"ACC-{a:05d}"
            accounts.append((
                acc, f"Customer {a:05d} Ltd", rnd.choice(CURRENCIES),
                round(rnd.uniform(1_000, 250_000), 3), _day(-rnd.randint(30, 3_000)),
            ))  # fmt: skip
            for c in range(1, sizes.contracts_per_account + 1):
                con = f"CON-{a:05d}-{c}"
                start = rnd.randint(-700, 0)
                contracts.append((
                    con, acc, f"C{a:05d}{c}", f"Contract {c} of customer {a:05d}", _day(start),
                    _day(start + 365 * rnd.randint(1, 3)), rnd.choice(FREQUENCIES),
                ))  # fmt: skip
                for m in range(1, sizes.commitments_per_contract + 1):
                    commitments.append((
                        f"COM-{a:05d}-{c}-{m}", acc, con, rnd.choice(KINDS),
                        round(rnd.uniform(500, 100_000), 3), _day(start), _day(start + 365),
                    ))  # fmt: skip
            for b in range(1, sizes.balances_per_account + 1):
                as_of = _day(300 + b * 30)
                balances.append((
                    f"BAL-{a:05d}-{b}", acc, round(rnd.uniform(-5_000, 50_000), 3),
                    accounts[-1][2], as_of,
                    f"{as_of} {rnd.randint(0, 23):02d}:{rnd.randint(0, 59):02d}:00",
                ))  # fmt: skip
        conn.executemany("INSERT INTO accounts VALUES (?, ?, ?, ?, ?)", accounts)
        conn.executemany("INSERT INTO contracts VALUES (?, ?, ?, ?, ?, ?, ?)", contracts)
        conn.executemany("INSERT INTO commitments VALUES (?, ?, ?, ?, ?, ?, ?)", commitments)
        conn.executemany("INSERT INTO balances VALUES (?, ?, ?, ?, ?, ?)", balances)
    return counts(path)


def counts(path: Path) -> dict[str, int]:
    """Rows per table as they are now."""
    with _connect(path) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}  # noqa: S608


# Per table: the statement that changes one row (by id) in a field the integration maps, so
# the changed row's payload differs and the next run must send it.
_CHANGES = {
    "accounts": "UPDATE accounts SET credit_limit = credit_limit + 1000 WHERE id = ?",
    "contracts": "UPDATE contracts SET end_date = date(end_date, '+1 year') WHERE id = ?",
    "commitments": "UPDATE commitments SET amount = amount + 250.5 WHERE id = ?",
    "balances": "UPDATE balances SET amount = amount - 99.99, "
    "updated_at = datetime(updated_at, '+1 day') WHERE id = ?",
}


def change_rows(path: Path, per_table: int = 5, *, generation: int = 1) -> dict[str, list[str]]:
    """Change `per_table` rows of every table (a billing day's work); their ids by table.

    Which rows is deterministic per `generation`, so calling it again with another generation
    touches other rows and a test knows exactly what the next run must send.
    """
    rnd = random.Random(SEED + generation)
    changed: dict[str, list[str]] = {}
    with _connect(path) as conn:
        for table in TABLES:
            ids = [row[0] for row in conn.execute(f"SELECT id FROM {table} ORDER BY id")]  # noqa: S608
            picked = sorted(rnd.sample(ids, min(per_table, len(ids))))
            for row_id in picked:
                conn.execute(_CHANGES[table], (row_id,))
            changed[table] = picked
    return changed


def snapshot(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table in key order: what "the same database" means in tests."""
    with _connect(path) as conn:
        return {
            t: conn.execute(f"SELECT * FROM {t} ORDER BY id").fetchall()  # noqa: S608
            for t in TABLES
        }

