"""The HTTP status of each error, for the two web faces (the API and the console).

The errors say what went wrong (`forcebridge.errors`); which status that is belongs to HTTP,
so it is decided here, once, by the error's meaning: the first class of the error's MRO found
in `STATUSES` wins, so a module's own error (a mapping problem, a refused form post) answers
the status of the meaning it subclasses.
"""

from __future__ import annotations

from forcebridge.errors import (
    AuthorizationFailed,
    Conflict,
    Forbidden,
    ForcebridgeError,
    Internal,
    InvalidInput,
    Malformed,
    NotFound,
    TooLarge,
    TooManyRequests,
    Unauthenticated,
    Unavailable,
    UnsupportedMedia,
)

__all__ = ["STATUSES", "status_of"]

STATUSES: dict[type[ForcebridgeError], int] = {
    Malformed: 400,
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    TooLarge: 413,
    UnsupportedMedia: 415,
    InvalidInput: 422,
    TooManyRequests: 429,
    Internal: 500,
    AuthorizationFailed: 502,
    Unavailable: 503,
}
_OTHERWISE = 400  # an error of no listed meaning is still the request's


def status_of(exc: ForcebridgeError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUSES:
            return STATUSES[cls]
    return _OTHERWISE
