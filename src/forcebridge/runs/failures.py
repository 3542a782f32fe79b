"""Why a run could not finish, in the words its one failure event shows.

Pure: an exception in, a `Failure` out. What a failure also sets in motion (a revoked
authorization marks the connection, an unexpected error goes to the server log) is the
engine's to do.
"""

from __future__ import annotations

from forcebridge.errors import ForcebridgeError
from forcebridge.salesforce import (
    AuthenticationError,
    AuthorizationRevoked,
    LimitExceeded,
    SalesforceError,
)
from forcebridge.services.run_lifecycle import Failure
from forcebridge.sources import SourceError
from forcebridge.sync.plan import PlanError

INTERNAL_ERROR = "internal_error"


def failure_of(exc: BaseException) -> Failure:
    """The one event of a run that `exc` stopped."""
    if isinstance(exc, PlanError):
        return Failure(f"the mapping does not fit the org: {exc.message}", exc.code,
                       sorted({p.field for p in exc.problems}))
    if isinstance(exc, AuthorizationRevoked):
        return Failure(f"Salesforce revoked the connection's authorization ({exc.code}: "
                       f"{exc.message}); authorize the connection again", exc.code)
    if isinstance(exc, AuthenticationError):
        return Failure(f"Salesforce refused the connection's credentials ({exc.code}: "
                       f"{exc.message})", exc.code)
    if isinstance(exc, LimitExceeded):
        return Failure(f"the org's API limit is used up ({exc.code}: {exc.message}); the next "
                       "run continues", exc.code)
    if isinstance(exc, SalesforceError):
        return Failure(f"Salesforce kept failing ({exc.code}: {exc.message})", exc.code)
    if isinstance(exc, SourceError):
        return Failure(f"the source cannot be read: {exc.message}", exc.code)
    if isinstance(exc, ForcebridgeError):
        return Failure(exc.message, exc.code)
    return Failure(f"unexpected error ({type(exc).__name__}); see the server log",
                   INTERNAL_ERROR)
