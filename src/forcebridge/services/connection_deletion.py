"""Deleting a connection, which must never disconnect integrations behind their users' backs.

A connection that integrations use is refused (`ConnectionInUse`, naming each by name and id)
unless the caller forces it. Forced, every such integration is left unconnected (it does not
run until a connection is attached), gets an open `connection_deleted` event saying which
connection went and who deleted it, and its notification users get one email listing the
integrations of theirs that lost it. A connection others borrow concurrency from, or one whose
integration is running, is refused even when forced: those have to be changed or finish first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from forcebridge import log, notifications
from forcebridge.errors import Conflict
from forcebridge.runtime import Runtime
from forcebridge.services import audit, connections, events, integrations
from forcebridge.store.connections import Connection
from forcebridge.store.integrations import Integration
from forcebridge.store.models import User

EVENT_KIND = "connection_deleted"
EVENT_CODE = "CONNECTION_DELETED"

_logger = log.get("connections")


class ConnectionInUse(Conflict):
    """Integrations use the connection; deleting it needs `force`."""

    code = "connection_in_use"


@dataclass(frozen=True)
class Disconnected:
    """An integration a forced delete left without its connection."""

    id: str
    name: str
    notify: list[str] = field(default_factory=list)


def _attached_to(session: Session, conn: Connection) -> list[Integration]:
    """The integrations attached to `conn`, by name."""
    return list(session.scalars(
        select(Integration).where(Integration.connection_id == conn.id).order_by(Integration.name)
    ))


def _refuse_unless_forced(conn: Connection, using: list[Integration], force: bool) -> None:
    running = [i for i in using if i.running_run_id is not None]
    if running:
        raise Conflict(
            f"connection {conn.name!r} is in use by a running integration: "
            f"{', '.join(i.name for i in running)}; delete it when the run has ended",
            details=[{"field": "connection", "reason": f"integration {i.name!r} is running",
                      "integration": i.name, "id": i.id} for i in running],
        )
    if using and not force:
        names = ", ".join(i.name for i in using)
        raise ConnectionInUse(
            f"connection {conn.name!r} is used by {len(using)} integration(s): {names}; attach "
            "them to another connection first, or force the delete (they are then "
            "disconnected and stop running, and their notification users are emailed)",
            details=[{"field": f"integrations.{n}",
                      "reason": f"integration {i.name!r} ({i.id}) uses this connection",
                      "integration": i.name, "id": i.id} for n, i in enumerate(using)],
        )


def _emails(session: Session, integration: Integration) -> list[str]:
    found = [session.get(User, uid) for uid in integration.notify_user_ids or []]
    return [u.email for u in found if u is not None and u.tenant_id == integration.tenant_id]


def delete(
    rt: Runtime, tenant_id: str, ref: str, *, actor: str = "system", force: bool = False
) -> list[Disconnected]:
    """Delete the tenant's connection `ref` (name or id); returns the integrations a forced
    delete disconnected (empty when none used it), whose users have been emailed."""
    with rt.db.begin() as session:
        conn = connections.get(session, tenant_id, ref)
        borrowers = connections.borrowers_of(session, conn)
        if borrowers:
            names = ", ".join(b.name for b in borrowers)
            raise Conflict(
                f"connection {conn.name!r} lends its concurrency to: {names}; change them first",
                details=[{"field": "borrow_from", "reason": f"used by {b.name}"}
                         for b in borrowers],
            )
        # through the integrations' front door: a run whose process died is ended on the way
        using = [integrations.get(session, tenant_id, i.id) for i in _attached_to(session, conn)]
        _refuse_unless_forced(conn, using, force)
        name = conn.name
        message = (f"connection {name!r} ({conn.id}) was deleted by {actor}: the integration "
                   "is not connected and does not run until a connection is attached")
        gone: list[Disconnected] = []
        for integration in using:
            integration.connection_id = None
            events.record(session, integration=integration, run_id=None, kind=EVENT_KIND,
                          message=message, error_code=EVENT_CODE)
            gone.append(Disconnected(integration.id, integration.name,
                                     _emails(session, integration)))
        audit.record(
            session, actor=actor, action="connection.delete", target_type="connection",
            target_id=conn.id, tenant_id=tenant_id,
            detail={"name": name, "forced": force, "integrations": [g.id for g in gone]},
        )
        session.delete(conn)
    if gone:
        log.event(_logger, "connection deleted with its integrations disconnected",
                  connection=name, integrations=len(gone))
        _notify(rt, name, actor, gone)
    return gone


def _notify(rt: Runtime, connection: str, actor: str, gone: list[Disconnected]) -> None:
    """One email per person, listing the integrations of theirs that lost the connection."""
    by_person: dict[str, list[str]] = {}
    for integration in gone:
        for email in integration.notify:
            by_person.setdefault(email, []).append(integration.name)
    for email, names in by_person.items():
        listed = "\n".join(f"  - {n}" for n in names)
        notifications.send(
            rt.settings,
            [email],
            f"[forcebridge] Connection {connection!r} was deleted: "
            f"{len(names)} integration(s) stopped",
            f"Connection {connection!r} was deleted by {actor}. These integrations used it;\n"
            f"they are no longer connected and do not run until a connection is attached:\n\n"
            f"{listed}\n\nAttach one to each with\n"
            f"  forcebridge integrations connect <integration> <connection> --tenant <tenant>\n",
        )
