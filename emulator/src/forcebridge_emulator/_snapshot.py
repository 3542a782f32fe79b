"""Saving an org's data to a SQLite file and loading it back.

Why: a long-lived emulator (`forcebridge-emulator serve --state org.db`) keeps what clients
wrote across restarts. The schema is not saved: it comes from the org file, so editing the
org file and restarting changes the schema while keeping records (fields the new schema
lacks are dropped, new fields start null). Ids, auto-numbers and replay ids continue where
they stopped.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

from forcebridge_emulator._config import OrgConfig
from forcebridge_emulator._org import Org

_FORMAT = 1


def save_state(org: Org, path: str | Path) -> None:
    """Write every record (deleted ones included) and the org's counters to `path`."""
    with org.lock:
        _save(org, Path(path))


def _save(org: Org, target: Path) -> None:
    tmp = target.with_name(target.name + ".tmp")
    tmp.unlink(missing_ok=True)
    with closing(sqlite3.connect(tmp)) as db:
        db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        db.execute(
            "CREATE TABLE records (sobject TEXT NOT NULL, id TEXT PRIMARY KEY, data TEXT NOT NULL)"
        )
        meta: dict[str, Any] = {
            "format": _FORMAT,
            "org_id": org.config.org_id,
            "users": {u.username: u.user_id for u in org.config.users},
            "id_counter": org._ids.counter,
            "replay": org._replay,
            "autonumbers": {
                t.obj.name: dict(t.autonumbers) for t in org._tables.values() if t.autonumbers
            },
        }
        db.executemany(
            "INSERT INTO meta VALUES (?, ?)", [(k, json.dumps(v)) for k, v in meta.items()]
        )
        for table in org._tables.values():
            if table.obj.name in ("User", "Organization"):
                continue  # rebuilt from the org file
            db.executemany(
                "INSERT INTO records VALUES (?, ?, ?)",
                ((table.obj.name, rid, json.dumps(rec)) for rid, rec in table.records.items()),
            )
        db.commit()
    tmp.replace(target)


def load_state(path: str | Path, config: OrgConfig) -> Org:
    """An org built from `config` holding the records saved in `path`."""
    with closing(sqlite3.connect(Path(path))) as db:
        meta = {k: json.loads(v) for k, v in db.execute("SELECT key, value FROM meta")}
        if meta.get("format") != _FORMAT:
            raise ValueError(f"{path}: not an emulator data file of format {_FORMAT}")
        config.org_id = config.org_id or meta["org_id"]
        for user in config.users:
            user.user_id = user.user_id or meta["users"].get(user.username, "")
        org = Org(config)
        org._ids.counter = max(org._ids.counter, int(meta["id_counter"]))
        org._replay = int(meta["replay"])
        for name, counters in meta["autonumbers"].items():
            table = org._tables.get(name.lower())
            if table is not None:
                for field_name, n in counters.items():
                    if field_name in table.autonumbers:
                        table.autonumbers[field_name] = int(n)
        for sobject, _rid, data in db.execute(
            "SELECT sobject, id, data FROM records ORDER BY rowid"
        ):
            table = org._tables.get(sobject.lower())
            if table is None:
                continue  # the object left the org file
            rec = table.blank()
            stored = json.loads(data)
            rec.update((k, v) for k, v in stored.items() if k in rec)
            table.put(rec)
    return org
