"""Rotating the key that seals secrets at rest, without losing a single value.

Every column typed `SealedText`, on every table, is opened with whichever configured key
sealed it and sealed again with the new primary key. Rows already under the new key are
skipped, so an interrupted rotation can simply be run again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import MetaData, Table, select, update

import forcebridge.store.all_models  # noqa: F401  (every table registered)
from forcebridge.store.db import Database
from forcebridge.store.models import Base
from forcebridge.store.types import SealedText
from forcebridge.vault import Vault

if TYPE_CHECKING:
    from forcebridge.runtime import Runtime


@dataclass
class RotationReport:
    tables: int = 0
    values: int = 0
    already_current: int = 0


def sealed_columns(metadata: MetaData = Base.metadata) -> list[tuple[Table, list[str]]]:
    found = []
    for table in metadata.sorted_tables:
        cols = [c.name for c in table.columns if isinstance(c.type, SealedText)]
        if cols:
            found.append((table, cols))
    return found


def reseal_all(db: Database, vault: Vault, metadata: MetaData = Base.metadata) -> RotationReport:
    """Reseal every sealed value under `vault`'s primary key (old keys must be in the vault)."""
    report = RotationReport()
    for table, cols in sealed_columns(metadata):
        report.tables += 1
        pk = list(table.primary_key.columns)
        with db.begin() as session:
            rows = session.execute(select(*pk, *(table.c[c] for c in cols))).all()
            for row in rows:
                changes = {}
                for name in cols:
                    value = row._mapping[name]
                    if value is None:
                        continue
                    if vault.is_current(value):
                        report.already_current += 1
                        continue
                    changes[name] = vault.seal(vault.open(value))
                    report.values += 1
                if changes:
                    cond = [col == row._mapping[col.name] for col in pk]
                    session.execute(update(table).where(*cond).values(**changes))
    return report


def rotate_file_key(runtime: Runtime) -> RotationReport:
    """Rotate a key kept in the data directory: new key, reseal everything, then swap files.

    The new key is written before any value is resealed and the old one kept until the
    end, so a crash at any point leaves every value openable and a rerun finishes the job.
    """
    from forcebridge.vault import generate_key, write_key

    key_file = runtime.settings.secret_key_file
    old = runtime.primary_key()
    pending = runtime.pending_key_file
    new = pending.read_text().strip() if pending.exists() else generate_key()
    write_key(pending, new)
    fallbacks = [old] + [k.get_secret_value() for k in runtime.settings.secret_key_fallbacks]
    report = reseal_all(runtime.db, Vault(new, fallbacks))
    write_key(runtime.previous_key_file, old)
    write_key(key_file, new)
    pending.unlink()
    runtime.previous_key_file.unlink()
    runtime.reset_vault()
    return report
