"""Console sign-in: checking a password, throttling failures, and the sessions that follow.

A session is a random token in a signed cookie; the store keeps its SHA-256 with the times
that bound it (idle and absolute expiry) and the CSRF token of that browser. Failed sign-ins
are counted per account and per address over a sliding window; past the limit, sign-in is
refused before the password is even checked, so guessing gains nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from forcebridge.errors import TooManyRequests, Unauthenticated
from forcebridge.services import audit
from forcebridge.services.users import hasher
from forcebridge.store.console import ConsoleSession, SignInFailure
from forcebridge.store.db import Database
from forcebridge.store.models import User

# Checked against when no account matches, so an unknown email costs as long as a wrong password.
_DUMMY_HASH = hasher.hash("not a password anyone has")


class TooManyAttempts(TooManyRequests):
    code = "too_many_attempts"


@dataclass(frozen=True)
class Limits:
    idle: timedelta
    absolute: timedelta
    window: timedelta
    per_account: int
    per_address: int


@dataclass(frozen=True)
class SignedIn:
    """A new session; `token` goes into the cookie and is never stored."""

    token: str
    session: ConsoleSession

    def __repr__(self) -> str:
        return f"SignedIn(user_id={self.session.user_id!r}, token=***)"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _failures(session: Session, column: Any, value: str, since: datetime) -> int:
    query = select(func.count()).where(column == value, SignInFailure.at >= since)
    return session.scalar(query) or 0


def sign_in(
    db: Database, email: str, password: str, *, address: str, limits: Limits, now: datetime
) -> SignedIn:
    """Check `email`/`password`; a new session, or `Unauthenticated` / `TooManyAttempts`.

    Takes the database rather than a session: a failure must be kept although it raises.
    """
    account = email.strip().lower()
    since = now - limits.window
    with db.begin() as session:
        session.execute(delete(SignInFailure).where(SignInFailure.at < since))
        if (
            _failures(session, SignInFailure.account, account, since) >= limits.per_account
            or _failures(session, SignInFailure.address, address, since) >= limits.per_address
        ):
            minutes = max(1, int(limits.window.total_seconds() // 60))
            raise TooManyAttempts(
                f"too many failed sign-ins; try again in {minutes} minutes",
                details=[{"field": "email", "reason": "too many failed sign-ins"}],
            )
        user = session.scalar(
            select(User).where(User.email == account, User.password_hash.is_not(None))
        )
        try:
            hasher.verify(user.password_hash if user and user.password_hash else _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            user = None
        if user is None:
            session.add(SignInFailure(account=account, address=address[:64], at=now))
        else:
            return _start(session, user, password, account, now)
    raise Unauthenticated(
        "wrong email or password",
        details=[{"field": "password", "reason": "wrong email or password"}],
    )


def _start(session: Session, user: User, password: str, account: str, now: datetime) -> SignedIn:
    if user.password_hash and hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    session.execute(delete(SignInFailure).where(SignInFailure.account == account))
    token = secrets.token_urlsafe(32)
    row = ConsoleSession(
        id=_digest(token),
        user_id=user.id,
        tenant_id=user.tenant_id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        last_seen_at=now,
    )
    session.add(row)
    audit.record(
        session,
        actor=f"user:{user.id}",
        action="user.sign_in",
        target_type="user",
        target_id=user.id,
        tenant_id=user.tenant_id,
    )
    return SignedIn(token=token, session=row)


def resume(session: Session, token: str, *, limits: Limits, now: datetime) -> tuple[ConsoleSession, User]:
    """The live session of `token`, its idle clock restarted; `Unauthenticated` once expired."""
    row = session.get(ConsoleSession, _digest(token))
    if row is None:
        raise Unauthenticated("not signed in")
    if now - row.last_seen_at > limits.idle or now - row.created_at > limits.absolute:
        session.delete(row)
        raise Unauthenticated("your session expired; sign in again")
    user = session.get(User, row.user_id)
    if user is None or user.password_hash is None:
        session.delete(row)
        raise Unauthenticated("not signed in")
    row.last_seen_at = now
    return row, user


def sign_out(session: Session, token: str) -> None:
    row = session.get(ConsoleSession, _digest(token))
    if row is not None:
        session.delete(row)


def csrf_matches(row: ConsoleSession, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(row.csrf_token, given or "")
