"""The live org: records in memory, written and read with a real org's rules and errors.

Everything the HTTP layers (REST, composite, bulk, SOQL) do to data goes through `Org`.
It is built for volume: per-object write plans are computed once (`table.Table`), unique and
external-id values live in dict indexes, and transactions keep an undo log of shallow
record copies instead of snapshotting the org.

Stored records are plain dicts holding every field of the object (nulls included), so a
GET or a SOQL projection never has to fill gaps. Callers must treat them as read-only.
"""

from __future__ import annotations

import functools
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Concatenate, ParamSpec, TypeVar

from forcebridge_emulator import _cascade as cascade
from forcebridge_emulator import _ids as ids
from forcebridge_emulator._assign import assign
from forcebridge_emulator._config import OrgConfig
from forcebridge_emulator._errors import ApiError, SaveError, SaveResult
from forcebridge_emulator._orgfile import demo_config
from forcebridge_emulator._schema import Schema, SObjectDef
from forcebridge_emulator._standard import build_schema
from forcebridge_emulator._table import Table
from forcebridge_emulator._values import format_datetime, required_missing

_NOT_FOUND = "The requested resource does not exist"

# Per table: its records and auto-number counters (Org.checkpoint).
Checkpoint = dict[str, tuple[list[dict[str, Any]], dict[str, int]]]
P = ParamSpec("P")
R = TypeVar("R")


def _locked(method: Callable[Concatenate[Org, P], R]) -> Callable[Concatenate[Org, P], R]:
    """Run an Org method under `org.lock`."""

    @functools.wraps(method)
    def wrapper(self: Org, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with self.lock:
            return method(self, *args, **kwargs)

    return wrapper


class Org:
    """One org: schema, records, users and the counters that make ids and auto-numbers."""

    def __init__(self, config: OrgConfig, *, clock: Callable[[], float] = time.time) -> None:
        """Build the org from `config`; `clock` (epoch seconds) lets tests control time."""
        self.config = config
        self._clock = clock
        # Writes and the reads that walk tables hold this (re-entrant) lock, and a transaction
        # holds it throughout, so a bulk job running in a worker thread cannot interleave with
        # REST writes on the event loop.
        self.lock = threading.RLock()
        self.schema: Schema = build_schema(config.objects)
        # an org file's org id chooses the pod (its 4th-5th characters) of every record id,
        # as a real org's instance does; two orgs with different ids then never share ids
        self._ids = ids.IdFactory(config.org_id[3:5]) if config.org_id else ids.IdFactory()
        self._tables: dict[str, Table] = {}
        self._undo: list[tuple[Table, str, dict[str, Any] | None]] | None = None
        self._stamp_second = -1
        self._stamp = ""
        # Published platform events, per event object, in publish order.
        self.events: dict[str, list[dict[str, Any]]] = {}
        # Per deleted root id: (table, child id, cleared lookup or None if cascaded).
        self._effects: dict[str, list[tuple[Table, str, str | None]]] = {}
        self._child_links: dict[str, list[cascade.ChildLink]] = {}
        self._replay = 0
        for obj in self.schema:
            self._tables[obj.name.lower()] = Table(obj)
        if not config.org_id:
            config.org_id = self._ids.new("00D")
        for user in config.users:
            if not user.user_id:
                user.user_id = self._ids.new("005")
        self.acting_user: str = (
            config.users[0].user_id if config.users else ids.to18("005000000000000")
        )
        self._seed()

    @classmethod
    def demo(cls) -> Org:
        """The ready-to-use demo org (see `orgfile.demo_config`)."""
        return cls(demo_config())

    # --- seeding ------------------------------------------------------------------------

    def _seed(self) -> None:
        """The Organization record and one User record per configured user."""
        now = self._now()
        org_rec = self._tables["organization"].blank()
        first = self.acting_user
        org_rec.update(
            Id=self.config.org_id, Name=self.config.name, Country="US",
            OrganizationType="Developer Edition", InstanceName="EMU1", IsSandbox=False,
            TimeZoneSidKey="America/Los_Angeles", LanguageLocaleKey="en_US",
            DefaultLocaleSidKey="en_US", CreatedDate=now, CreatedById=first,
            LastModifiedDate=now, LastModifiedById=first, SystemModstamp=now, IsDeleted=False,
        )  # fmt: skip
        self._tables["organization"].put(org_rec)
        users = self._tables["user"]
        for u in self.config.users:
            rec = users.blank()
            name = f"{u.first_name} {u.last_name}".strip()
            rec.update(
                Id=u.user_id, Username=u.username, LastName=u.last_name,
                FirstName=u.first_name or None, Name=name, Email=u.email or u.username,
                Alias=(u.first_name[:1] + u.last_name[:4]).lower() or "user",
                IsActive=u.active, TimeZoneSidKey="America/Los_Angeles", LocaleSidKey="en_US",
                LanguageLocaleKey="en_US", UserType="Standard", CreatedDate=now,
                CreatedById=first, LastModifiedDate=now, LastModifiedById=first,
                SystemModstamp=now, IsDeleted=False,
            )  # fmt: skip
            users.put(rec)

    # --- helpers ------------------------------------------------------------------------

    def _now(self) -> str:
        """Salesforce timestamps have whole seconds; cache the string per second."""
        sec = int(self._clock())
        if sec != self._stamp_second:
            self._stamp_second = sec
            self._stamp = format_datetime(datetime.fromtimestamp(sec, UTC))
        return self._stamp

    def table(self, sobject: str) -> Table:
        """The table of `sobject`; ApiError 404 NOT_FOUND if the org has no such object."""
        t = self._tables.get(sobject.lower())
        if t is None:
            raise ApiError(404, "NOT_FOUND", _NOT_FOUND)
        return t

    def sobject(self, name: str) -> SObjectDef:
        return self.table(name).obj

    def _log(self, table: Table, record_id: str, before: dict[str, Any] | None) -> None:
        if self._undo is not None:
            self._undo.append((table, record_id, before))

    # --- writes -------------------------------------------------------------------------

    @_locked
    def insert(
        self, sobject: str, values: dict[str, Any], *, user_id: str | None = None
    ) -> SaveResult:
        """Create one record; a failed SaveResult (never an exception) for bad data."""
        table = self.table(sobject)
        if table.is_event:
            return self._publish(table, values, user_id)
        if not table.obj.createable:
            return SaveResult.failed(
                SaveError("INVALID_TYPE", f"entity type cannot be inserted: {table.obj.name}")
            )
        rec = table.template.copy()
        errors = assign(self._tables, self.schema, table, rec, values, creating=True)
        if errors:
            return SaveResult(id=None, success=False, errors=errors)
        missing = [n for n in table.required if rec[n] is None]
        if missing:
            return SaveResult.failed(required_missing(missing))
        dup = table.find_duplicate(rec, None)
        if dup is not None:
            return SaveResult.failed(dup)
        record_id = self._ids.new(table.prefix)
        now = self._now()
        actor = user_id or self.acting_user
        rec["Id"] = record_id
        rec["CreatedDate"] = rec["LastModifiedDate"] = rec["SystemModstamp"] = now
        rec["CreatedById"] = rec["LastModifiedById"] = actor
        if table.has_owner and rec["OwnerId"] is None:
            rec["OwnerId"] = actor
        table.finish(rec, creating=True)
        table.put(rec)
        self._log(table, record_id, None)
        return SaveResult(id=record_id, success=True, errors=[], created=True)

    @_locked
    def update(
        self, sobject: str, record_id: str, values: dict[str, Any], *, user_id: str | None = None
    ) -> SaveResult:
        """Change fields of one live record."""
        table = self.table(sobject)
        if table.is_event or not table.obj.updateable:
            return SaveResult.failed(
                SaveError("INVALID_TYPE", f"entity type cannot be updated: {table.obj.name}"),
                record_id,
            )
        rec, error = self._live(table, record_id)
        if rec is None:
            return SaveResult.failed(error or SaveError("NOT_FOUND", _NOT_FOUND), record_id)
        return self._update_record(table, rec, values, user_id)

    def _update_record(
        self, table: Table, rec: dict[str, Any], values: dict[str, Any], user_id: str | None
    ) -> SaveResult:
        record_id = rec["Id"]
        changes: dict[str, Any] = {}
        errors = assign(
            self._tables, self.schema, table, changes, values, creating=False, record_id=record_id
        )
        if errors:
            return SaveResult(id=record_id, success=False, errors=errors)
        missing = [n for n in table.required_on_update if n in changes and changes[n] is None]
        if missing:
            return SaveResult.failed(required_missing(missing), record_id)
        dup = None
        if table.unique and any(name in changes for name, _ in table.unique):
            merged = dict(rec)
            merged.update(changes)
            dup = table.find_duplicate(merged, record_id)
        if dup is not None:
            return SaveResult.failed(dup, record_id)
        if self._undo is not None:
            self._undo.append((table, record_id, dict(rec)))
        table.unindex(rec)
        rec.update(changes)
        now = self._now()
        rec["LastModifiedDate"] = rec["SystemModstamp"] = now
        rec["LastModifiedById"] = user_id or self.acting_user
        table.finish(rec, creating=False)
        table.index(rec)
        return SaveResult(id=record_id, success=True, errors=[], created=False)

    @_locked
    def upsert(
        self,
        sobject: str,
        ext_field: str,
        ext_value: Any,
        values: dict[str, Any],
        *,
        user_id: str | None = None,
    ) -> SaveResult:
        """Insert or update by an external-id (or idLookup, or Id) field.

        A bad key field is a request-level problem and raises ApiError (404 NOT_FOUND when the
        field does not exist, 400 INVALID_FIELD when it cannot key an upsert); several matches
        give a failed SaveResult DUPLICATE_EXTERNAL_ID, and `find_by_external_id` lists them
        so REST can answer 300.
        """
        table = self.table(sobject)
        key = table.key_field(ext_field)
        if key.type == "id":
            if ext_value is None or ext_value == "":
                return self.insert(table.obj.name, _without(values, key.name), user_id=user_id)
            return self.update(table.obj.name, str(ext_value), _without(values, key.name),
                               user_id=user_id)  # fmt: skip
        if ext_value is None or ext_value == "":
            return self.insert(table.obj.name, values, user_id=user_id)
        matches = table.lookup(key, ext_value)
        if not matches:
            if key.name not in values:
                values = {**values, key.name: ext_value}
            return self.insert(table.obj.name, values, user_id=user_id)
        if len(matches) > 1:
            return SaveResult.failed(
                SaveError(
                    "DUPLICATE_EXTERNAL_ID",
                    f"{key.label}: more than one record found for external id field: "
                    f"[{', '.join(matches)}]",
                    [key.name],
                )
            )
        return self._update_record(table, table.records[matches[0]], values, user_id)

    @_locked
    def delete(
        self, sobject: str | None, record_id: str, *, user_id: str | None = None
    ) -> SaveResult:
        """Move a record to the recycle bin (IsDeleted = true; queryAll still sees it).

        Children follow the recorded child relationships (see `cascade`): cascaded ones are
        deleted too, restricted ones make the delete fail, other lookups are cleared.
        """
        table = self._table_for(sobject, record_id)
        if table is None:
            return SaveResult.failed(
                SaveError("MALFORMED_ID", f"malformed id {record_id}", []), record_id
            )
        if table.is_event or not table.obj.deletable:
            return SaveResult.failed(
                SaveError("INVALID_TYPE", f"entity type cannot be deleted: {table.obj.name}"),
                record_id,
            )
        rec, error = self._live(table, record_id)
        if rec is None:
            return SaveResult.failed(error or SaveError("NOT_FOUND", _NOT_FOUND), record_id)
        root = rec["Id"]
        plan = cascade.plan(table, rec, self._links)
        if isinstance(plan, SaveError):
            return SaveResult.failed(plan, root)
        now = self._now()
        actor = user_id or self.acting_user
        effects: list[tuple[Table, str, str | None]] = []
        for t, r in plan:
            self._set_deleted(t, r, True, now, actor)
            if r is not rec:
                effects.append((t, r["Id"], None))
        for t, r in plan:
            for link in self._links(t):
                if link.cascade or link.restricted:
                    continue
                for cid in link.child.referencing(link.field, r["Id"]):
                    self._set_field(link.child, link.child.records[cid], link.field, None, now)
                    effects.append((link.child, cid, link.field))
        if effects:
            self._effects[root] = effects
        return SaveResult(id=root, success=True, errors=[])

    @_locked
    def undelete(self, record_id: str, *, user_id: str | None = None) -> SaveResult:
        """Bring a record back from the recycle bin (fails if a unique value is now taken),
        with the children its delete cascaded to and the lookups it cleared."""
        table = self._table_for(None, record_id)
        norm = ids.normalize(record_id)
        rec = table.records.get(norm) if table is not None and norm else None
        if table is None or rec is None:
            return SaveResult.failed(SaveError("NOT_FOUND", _NOT_FOUND), record_id)
        if not rec["IsDeleted"]:
            return SaveResult.failed(
                SaveError("UNDELETE_FAILED", "Entity is not in the recycle bin"), rec["Id"]
            )
        dup = table.find_duplicate(rec, rec["Id"])
        if dup is not None:
            return SaveResult.failed(dup, rec["Id"])
        now = self._now()
        actor = user_id or self.acting_user
        self._set_deleted(table, rec, False, now, actor)
        for t, cid, field in self._effects.pop(rec["Id"], []):
            child = t.records.get(cid)
            if child is None:
                continue
            if field is None:
                if child["IsDeleted"] and t.find_duplicate(child, cid) is None:
                    self._set_deleted(t, child, False, now, actor)
            elif not child["IsDeleted"] and child[field] is None:
                self._set_field(t, child, field, rec["Id"], now)
        return SaveResult(id=rec["Id"], success=True, errors=[])

    def _links(self, table: Table) -> list[cascade.ChildLink]:
        found = self._child_links.get(table.obj.name)
        if found is None:
            found = self._child_links[table.obj.name] = cascade.links(table, self._tables)
        return found

    def _set_deleted(
        self, table: Table, rec: dict[str, Any], deleted: bool, now: str, actor: str
    ) -> None:
        if self._undo is not None:
            self._undo.append((table, rec["Id"], dict(rec)))
        if deleted:
            table.unindex(rec)
            table.live -= 1
        rec["IsDeleted"] = deleted
        rec["LastModifiedDate"] = rec["SystemModstamp"] = now
        rec["LastModifiedById"] = actor
        if not deleted:
            table.index(rec)
            table.live += 1

    def _set_field(
        self, table: Table, rec: dict[str, Any], field: str, value: Any, now: str
    ) -> None:
        """A system-side change (lookup cleared or restored): no LastModified change."""
        if self._undo is not None:
            self._undo.append((table, rec["Id"], dict(rec)))
        table.unindex(rec)
        rec[field] = value
        rec["SystemModstamp"] = now
        table.index(rec)

    def _publish(self, table: Table, values: dict[str, Any], user_id: str | None) -> SaveResult:
        """Platform events accept inserts only; they are kept for inspection, not queried."""
        rec = table.template.copy()
        errors = assign(self._tables, self.schema, table, rec, values, creating=True)
        if errors:
            return SaveResult(id=None, success=False, errors=errors)
        missing = [n for n in table.required if rec[n] is None]
        if missing:
            return SaveResult.failed(required_missing(missing))
        self._replay += 1
        event_id = self._ids.new(table.prefix)
        rec.update(
            ReplayId=str(self._replay), EventUuid=str(uuid.uuid4()),
            CreatedDate=self._now(), CreatedById=user_id or self.acting_user,
        )  # fmt: skip
        self.events.setdefault(table.obj.name, []).append(rec)
        return SaveResult(id=event_id, success=True, errors=[], created=True)

    # --- reads --------------------------------------------------------------------------

    def _table_for(self, sobject: str | None, record_id: str) -> Table | None:
        if sobject is not None:
            return self.table(sobject)
        obj = self.schema.by_prefix(record_id[:3]) if isinstance(record_id, str) else None
        return self._tables[obj.name.lower()] if obj is not None else None

    def _live(self, table: Table, record_id: str) -> tuple[dict[str, Any] | None, SaveError | None]:
        norm = ids.normalize(record_id)
        if norm is None or norm[:3] != table.prefix:
            return None, SaveError(
                "MALFORMED_ID", f"{table.obj.name} ID: id value of incorrect type: {record_id}",
                ["Id"],
            )  # fmt: skip
        rec = table.records.get(norm)
        if rec is None:
            return None, SaveError("NOT_FOUND", _NOT_FOUND, [])
        if rec["IsDeleted"]:
            return None, SaveError("ENTITY_IS_DELETED", "entity is deleted", [])
        return rec, None

    @_locked
    def get(self, sobject: str, record_id: str) -> dict[str, Any]:
        """A copy of one live record. Errors as a real GET /sobjects/{O}/{id} answers them."""
        table = self.table(sobject)
        norm = ids.normalize(record_id)
        if norm is None:
            raise ApiError(
                404, "NOT_FOUND",
                f"Provided external ID field does not exist or is not accessible: {record_id}",
            )  # fmt: skip
        rec, error = self._live(table, norm)
        if rec is None:
            assert error is not None
            status = 400 if error.status_code == "MALFORMED_ID" else 404
            raise error.as_api_error(status)
        return dict(rec)

    @_locked
    def iter_records(
        self, sobject: str, *, include_deleted: bool = False
    ) -> Iterator[dict[str, Any]]:
        """Stored records in creation order (read-only!); deleted ones only when asked."""
        table = self.table(sobject)
        if include_deleted:
            return iter(list(table.records.values()))
        return iter([r for r in table.records.values() if not r["IsDeleted"]])

    def record_by_id(self, record_id: str) -> tuple[str, dict[str, Any]] | None:
        """(object name, stored record) for any id, deleted records included."""
        norm = ids.normalize(record_id)
        if norm is None:
            return None
        obj = self.schema.by_prefix(norm[:3])
        if obj is None:
            return None
        rec = self._tables[obj.name.lower()].records.get(norm)
        return (obj.name, rec) if rec is not None else None

    @_locked
    def find_by_external_id(self, sobject: str, field: str, value: Any) -> list[str]:
        """Ids of live records whose `field` matches `value` (case rules of the field)."""
        table = self.table(sobject)
        key = table.key_field(field)
        if key.type == "id":
            hit = self.record_by_id(str(value))
            return [hit[1]["Id"]] if hit and not hit[1]["IsDeleted"] else []
        return list(table.lookup(key, value))

    def count(self, sobject: str) -> int:
        """Live (not deleted) records of `sobject`, as limits/recordCount reports."""
        return self.table(sobject).live

    # --- starting over ------------------------------------------------------------------

    def checkpoint(self) -> Checkpoint:
        """The org's records and auto-number counters as they are now (see `rewind`)."""
        with self.lock:
            return {
                name: ([dict(rec) for rec in t.records.values()], dict(t.autonumbers))
                for name, t in self._tables.items()
            }

    def rewind(self, checkpoint: Checkpoint) -> None:
        """Put the records back as they were at `checkpoint`, dropping everything written
        since (published events included). Ids handed out are never reused, as in a real org."""
        with self.lock:
            tables = {obj.name.lower(): Table(obj) for obj in self.schema}
            for name, (records, autonumbers) in checkpoint.items():
                table = tables.get(name)
                if table is None:
                    continue
                for rec in records:
                    table.put(dict(rec))
                table.autonumbers.update(autonumbers)
            self._tables = tables
            self._child_links.clear()
            self._effects.clear()
            self.events.clear()

    # --- transactions -------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All-or-none: if an exception escapes, every change made inside is undone.

        Nested use is a savepoint. Ids and auto-numbers handed out are not reused, as in a
        real org.
        """
        with self.lock:
            outer = self._undo
            log: list[tuple[Table, str, dict[str, Any] | None]] = []
            self._undo = log
            try:
                yield
            except BaseException:
                self._undo = None
                for table, record_id, before in reversed(log):
                    table.restore(record_id, before)
                raise
            finally:
                self._undo = outer
            if outer is not None:
                outer.extend(log)


def _without(values: dict[str, Any], name: str) -> dict[str, Any]:
    low = name.lower()
    return {k: v for k, v in values.items() if k.lower() != low}


__all__ = ["Org"]
