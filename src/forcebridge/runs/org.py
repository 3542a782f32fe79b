"""Which org a run's sync state belongs to: the org id the connection reaches right now.

The sync state is a cache of what one org confirmed, so before a run or a plan reads it, the
token's identity URL says which org the connection's credentials land in (asked, one API call,
only when the token does not name it in the 18-character form). A connection
moved to another org, or a sandbox refreshed under it (which gives it a new org id), finds no
state there and sends everything; an org synced before finds its own state again.

State from before state was kept per org, whose org could not be told (the integration had
no authorized connection when the store was upgraded), is kept under the org id ''. The first
run or plan that reaches an org with no state of its own adopts it; a reconciling run then
checks it against that org.
"""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from forcebridge import log
from forcebridge.salesforce import SalesforceClient
from forcebridge.store.db import Database
from forcebridge.store.sync_state import SyncCursor, SyncState

UNKNOWN = ""
_logger = log.get("runs.org")


async def reached(client: SalesforceClient) -> str:
    """The 18-character id of the org the client's credentials reach."""
    return await client.org_id()


def _has(session: Session, integration_id: str, org_id: str) -> bool:
    found = session.scalar(select(SyncState.key).where(
        SyncState.integration_id == integration_id, SyncState.org_id == org_id).limit(1))
    return found is not None


def adoptable(db: Database, integration_id: str, org_id: str) -> bool:
    """Whether a run reaching `org_id` would adopt the unknown org's state (a plan asks)."""
    with db.session() as session:
        return bool(org_id) and _has(session, integration_id, UNKNOWN) \
            and not _has(session, integration_id, org_id)


def adopt(db: Database, integration_id: str, org_id: str) -> bool:
    """Give the state kept under the unknown org to `org_id` when that org has none; True when
    it did."""
    if not org_id:
        return False
    with db.begin() as session:
        if not _has(session, integration_id, UNKNOWN) or _has(session, integration_id, org_id):
            return False
        session.execute(update(SyncState).where(
            SyncState.integration_id == integration_id, SyncState.org_id == UNKNOWN,
        ).values(org_id=org_id))
        if session.get(SyncCursor, (integration_id, org_id)) is None:
            session.execute(update(SyncCursor).where(
                SyncCursor.integration_id == integration_id, SyncCursor.org_id == UNKNOWN,
            ).values(org_id=org_id))
    log.event(_logger, "sync state of an unknown org adopted", integration_id=integration_id,
              org_id=org_id)
    return True


def records(db: Database, integration_id: str, org_id: str) -> int:
    """How many keys the state of `org_id` holds for the integration."""
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(SyncState).where(
            SyncState.integration_id == integration_id, SyncState.org_id == org_id)) or 0)
