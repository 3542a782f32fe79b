"""One authenticated line to an org: every call goes through here, and only through here.

Around each HTTP exchange this adds, in order: a token (fetched once, shared), a slot of the
concurrency pool (held while the answer is read), the API usage of the answer, and the error
policy. A dead session (401 INVALID_SESSION_ID) logs in again and repeats the call (at most
`MAX_LOGINS_PER_CALL` times, for sessions that expire again while the call waits).
Transient failures (503, UNABLE_TO_LOCK_ROW, timeouts, dropped connections) are retried with
exponential backoff and full jitter, a bounded number of times. A call whose answer was lost
after it was sent is repeated only when it is idempotent; a lost create raises
`OutcomeUnknown` instead, because repeating it could create the record twice.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncIterable, AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from forcebridge.salesforce.auth import Token, TokenCache, TokenListener, fetch_token
from forcebridge.salesforce.budget import ApiBudget
from forcebridge.salesforce.calls import Call, CallListener, path_template
from forcebridge.salesforce.credentials import Credentials
from forcebridge.salesforce.errors import (
    AuthenticationError,
    CertificateError,
    OutcomeUnknown,
    RetryableError,
    SalesforceError,
    certificate_error,
    error_from_response,
)
from forcebridge.salesforce.limiter import ConcurrencyPool
from forcebridge.salesforce.usage import ApiUsage, parse_limit_info, usage_from_limits

log = logging.getLogger("forcebridge.salesforce")

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"})
# Errors raised before a single byte reached the server: always safe to repeat.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_SESSION_DEAD = frozenset({"INVALID_SESSION_ID", "Bad_OAuth_Token", "Missing_OAuth_Token"})
MAX_LOGINS_PER_CALL = 3

Body = bytes | str | Callable[[], AsyncIterable[bytes]] | AsyncIterable[bytes] | None


@dataclass(frozen=True)
class RetryPolicy:
    """`attempts` tries in all; the wait before try n+1 is uniform in [0, base * 2**n] capped."""

    attempts: int = 4
    base_delay: float = 0.25
    max_delay: float = 8.0

    def delay(self, retry: int) -> float:
        return random.uniform(0.0, min(self.max_delay, self.base_delay * (2**retry)))


class ApiSession:
    """HTTP to one org with auth, pooling, usage tracking and the retry policy."""

    def __init__(
        self,
        credentials: Credentials,
        *,
        pool: ConcurrencyPool | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        retry: RetryPolicy | None = None,
        token: Token | None = None,
        on_token: TokenListener | None = None,
        timeout: float = 60.0,
        on_call: CallListener | None = None,
        budget: ApiBudget | None = None,
    ) -> None:
        self.credentials = credentials
        self.on_call = on_call
        self.budget = budget
        self.pool = pool or ConcurrencyPool(1)
        self.retry = retry or RetryPolicy()
        self.http = httpx.AsyncClient(
            transport=transport, timeout=timeout, verify=credentials.verify()
        )
        self.tokens = TokenCache(credentials, self._login, token=token, on_token=on_token)
        self.usage: ApiUsage | None = None
        self.calls = 0

    async def aclose(self) -> None:
        await self.http.aclose()

    def data_path(self, path: str) -> str:
        """`/services/data/vNN.0/<path>` for the credentials' API version."""
        return f"/services/data/v{self.credentials.api_version}/{path.lstrip('/')}"

    async def token(self) -> Token:
        return await self.tokens.get()

    # -- login -------------------------------------------------------------------------
    async def _login(self) -> Token:
        retry = 0
        while True:
            try:
                async with self.pool.slot():
                    self.calls += 1
                    started = time.time_ns()
                    try:
                        token = await fetch_token(self.http, self.tokens.credentials)
                    except SalesforceError as exc:
                        self._tell("POST", "/services/oauth2/token", exc.status, exc.code, started)
                        raise
                    self._tell("POST", "/services/oauth2/token", 200, None, started)
                    return token
            except RetryableError:
                if retry + 1 >= self.retry.attempts:
                    raise
            await asyncio.sleep(self.retry.delay(retry))
            retry += 1

    # -- calls -------------------------------------------------------------------------
    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        content: Body = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> httpx.Response:
        """One call, its answer read in full. Raises a SalesforceError for an error answer."""
        response = await self._send(_Call.of(
            method, path, params=params, json=json, content=content, headers=headers,
            idempotent=idempotent,
        ))
        try:
            await response.aread()
        finally:
            await response.aclose()
        return response

    @asynccontextmanager
    async def stream(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> AsyncIterator[httpx.Response]:
        """A call whose (successful) answer is read piece by piece; the pool slot is held
        until the block ends."""
        response = await self._send(_Call.of(method, path, params=params, headers=headers))
        try:
            yield response
        finally:
            await response.aclose()

    # The send path, outermost first: `_send` waits for the org's API budget (if any) and logs
    # in again when the session died, `_retried`
    # backs off and repeats transient failures, `_exchange` is one HTTP exchange. The answer
    # comes back unread and holds its pool slot until it is closed.

    async def _send(self, call: _Call) -> httpx.Response:
        if call.budgeted and self.budget is not None:
            await self.budget.wait(lambda: self.usage, self.refresh_usage)
        while True:
            try:
                return await self._retried(call)
            except AuthenticationError as error:
                # Other calls in flight may see the new session die too before this one is
                # repeated; a few logins in a row are still bounded, a dead login is not.
                dead = _session_dead(error) and call.repeatable
                if not dead or call.token is None or call.logins >= MAX_LOGINS_PER_CALL:
                    raise
                log.info("salesforce: session expired, logging in again")
                call.logins += 1
                await self.tokens.invalidate(call.token)

    async def _retried(self, call: _Call) -> httpx.Response:
        while True:
            call.token = None  # a failed login is final: it has retried on its own
            token = await self.tokens.get()
            try:
                return await self._exchange(call, token)
            except RetryableError as error:
                final = isinstance(error, OutcomeUnknown) or not call.repeatable
                if final or call.retries + 1 >= self.retry.attempts:
                    raise
                log.info("salesforce: %s: %s, retrying", call.where, error.code)
                await asyncio.sleep(self.retry.delay(call.retries))
                call.retries += 1

    async def _exchange(self, call: _Call, token: Token) -> httpx.Response:
        """One exchange: its answer when it succeeded (unread, holding a pool slot until it
        is closed), else the error it amounts to."""
        call.token = token
        path = call.path
        url = path if path.startswith(("http://", "https://")) else token.instance_url + path
        request = self.http.build_request(
            call.method,
            url,
            params=call.params,
            json=call.json,
            content=call.content() if callable(call.content) else call.content,
            headers={
                "Accept": "application/json",
                **(call.headers or {}),
                "Authorization": f"Bearer {token.access_token}",
            },
        )
        await self.pool.acquire()
        self.calls += 1
        started = time.time_ns()
        try:
            response = await self.http.send(request, stream=True)
        except httpx.TransportError as exc:
            self.pool.release()
            lost = _lost(exc, call.where, sent=not isinstance(exc, _NOT_SENT), safe=call.safe)
            self._tell(call.method, path, None, lost.code, started)
            raise lost from None
        except BaseException:
            self.pool.release()
            raise
        if response.is_closed:  # read in full already (an in-memory transport): nothing holds
            self.pool.release()
        else:
            assert isinstance(response.stream, httpx.AsyncByteStream)
            response.stream = _SlotHeld(response.stream, self.pool)
        self._note_usage(response)
        if response.status_code < 400:
            self._tell(call.method, path, response.status_code, None, started)
            return response
        try:
            await response.aread()
        finally:
            await response.aclose()
        error = error_from_response(response.status_code, response.content)
        self._tell(call.method, path, response.status_code, error.code, started)
        raise error

    def _tell(
        self, method: str, path: str, status: int | None, code: str | None, started: int
    ) -> None:
        """Tell the listener about one exchange; a listener that fails never fails the call."""
        if self.on_call is None:
            return
        call = Call(method, path_template(path), status, code, started, time.time_ns(),
                    self.usage)
        try:
            self.on_call(call)
        except Exception:  # metrics or tracing must never cost a write
            log.exception("salesforce: the call listener failed")

    async def refresh_usage(self) -> ApiUsage | None:
        """Ask the org's `/limits` how much of its allocation is used (outside the budget:
        it is how a paused caller learns the window moved); None when it cannot say."""
        call = _Call.of("GET", self.data_path("limits"))
        call.budgeted = False
        try:
            response = await self._send(call)
        except SalesforceError:
            return None
        try:
            await response.aread()
        finally:
            await response.aclose()
        found = usage_from_limits(response.json())
        if found is not None:
            self.usage = found
        return self.usage

    def _note_usage(self, response: httpx.Response) -> None:
        usage = parse_limit_info(response.headers.get("Sforce-Limit-Info"))
        if usage is not None:
            self.usage = usage


@dataclass
class _Call:
    """One call across its tries: what it sends, what may be repeated, and the tries and
    logins spent."""

    method: str
    path: str
    params: Mapping[str, Any] | None
    json: Any
    content: Body
    headers: Mapping[str, str] | None
    where: str  # method and path without the query string: what errors and logs name
    safe: bool  # a lost answer may be asked again (idempotent)
    repeatable: bool  # the body can be sent again (not a one-shot stream)
    retries: int = 0
    logins: int = 0
    token: Token | None = None  # the token of the latest try
    budgeted: bool = True  # waits for the API budget first (not the call that refreshes it)

    @classmethod
    def of(
        cls,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        content: Body = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> _Call:
        method = method.upper()
        return cls(
            method=method, path=path, params=params, json=json, content=content,
            headers=headers,
            where=f"{method} {path.split('?', 1)[0]}",
            safe=method in IDEMPOTENT_METHODS if idempotent is None else idempotent,
            # A one-shot stream cannot be sent twice; a callable makes a fresh one per try.
            repeatable=not isinstance(content, AsyncIterable),
        )


class _SlotHeld(httpx.AsyncByteStream):
    """An answer's body that gives its pool slot back when the answer is closed, once."""

    def __init__(self, body: httpx.AsyncByteStream, pool: ConcurrencyPool) -> None:
        self._body = body
        self._pool: ConcurrencyPool | None = pool

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._body.__aiter__()

    async def aclose(self) -> None:
        try:
            await self._body.aclose()
        finally:
            pool, self._pool = self._pool, None
            if pool is not None:
                pool.release()


def _session_dead(error: SalesforceError) -> bool:
    return isinstance(error, AuthenticationError) and (
        error.code in _SESSION_DEAD or error.status == 401
    )


def _lost(
    exc: httpx.TransportError, where: str, *, sent: bool, safe: bool
) -> RetryableError | CertificateError:
    """The error for a call that got no answer. Names only the method and path."""
    untrusted = certificate_error(exc, where)
    if untrusted is not None:
        return untrusted
    kind = "TIMEOUT" if isinstance(exc, httpx.TimeoutException) else "CONNECTION_LOST"
    if sent and not safe:
        return OutcomeUnknown(
            "OUTCOME_UNKNOWN",
            f"{where}: the answer was lost ({type(exc).__name__}); the write may have been "
            "applied, so it was not repeated",
        )
    return RetryableError(kind, f"{where}: no answer ({type(exc).__name__})")
