"""forcebridge's async client for Salesforce: the only way the rest of forcebridge reaches an org.

Public surface:

- `Credentials(flow, login_url, api_version, consumer_key, consumer_secret, username, password,
  security_token, private_key, refresh_token)`; `PRODUCTION`, `SANDBOX` login URLs.
- `ConcurrencyPool(limit)`: calls in flight, shareable by several clients (borrowed concurrency);
  `RedisSlots(url)` makes pools whose limit holds across processes (leases in Redis).
- `ApiBudget(share, poll_seconds=, on_pause=, on_resume=)`: calls pause at a share of the org's
  daily allocation until the rolling window frees some (`ApiSession.budget`); `budget_of`.
- `SalesforceClient(credentials, pool=, transport=, retry=, token=, on_token=, on_call=)`, an async context
  manager: `authorize()` -> `Identity`; `describe_global()`, `describe(o)` -> `SObjectSchema`,
  `refresh()`; `create`, `get`, `get_by`, `update`, `upsert` -> `UpsertResult`, `delete`;
  `query(soql)` (async iterator over all pages), `count`; `create_many`, `update_many`,
  `upsert_many`, `delete_many` -> `list[SaveResult]` in input order; `bulk_ingest` ->
  `BulkJob`, `bulk_results`; `apex`; `limits`, `record_counts`, `versions`; `usage` (`ApiUsage`).
- Web-server flow: `authorization_url(credentials, redirect_uri, state, code_challenge)`,
  `pkce_pair()`, `new_state()`, `await exchange_code(credentials, code, redirect_uri,
  code_verifier, transport=)` -> `Token` (with `refresh_token`).
- `soql_literal(value)`: the safe way to put a value into SOQL.
- `Call`, `CallListener`: what `on_call` hears after each exchange (method, `path_template`,
  status, error code, times, usage), never a body, a query string or a token.
- Errors (all `SalesforceError` with `code`, `message`, `fields`, `status`):
  `AuthenticationError`, `AuthorizationRevoked`, `CertificateError` (the org's TLS certificate
  is not trusted: see `Credentials.ca_bundle`), `LimitExceeded`, `RetryableError`,
  `OutcomeUnknown` (a lost create: not repeated), `RecordError`.
"""

from forcebridge.salesforce.auth import (
    Pkce,
    Token,
    authorization_url,
    exchange_code,
    new_state,
    pkce_pair,
)
from forcebridge.salesforce.budget import ApiBudget, budget_of
from forcebridge.salesforce.bulk import BulkJob, csv_chunks
from forcebridge.salesforce.calls import Call, CallListener, path_template
from forcebridge.salesforce.client import Identity, SalesforceClient, UpsertResult
from forcebridge.salesforce.collections import SaveResult
from forcebridge.salesforce.credentials import (
    PRODUCTION,
    SANDBOX,
    Credentials,
    CredentialsError,
)
from forcebridge.salesforce.errors import (
    AuthenticationError,
    AuthorizationRevoked,
    CertificateError,
    ErrorDetail,
    LimitExceeded,
    OutcomeUnknown,
    RecordError,
    RetryableError,
    SalesforceError,
)
from forcebridge.salesforce.leases import RedisSlots
from forcebridge.salesforce.limiter import ConcurrencyPool
from forcebridge.salesforce.query import soql_literal
from forcebridge.salesforce.schema import FieldInfo, GlobalDescribe, SObjectSchema
from forcebridge.salesforce.session import RetryPolicy
from forcebridge.salesforce.usage import ApiUsage

__all__ = [
    "PRODUCTION",
    "SANDBOX",
    "ApiBudget",
    "ApiUsage",
    "AuthenticationError",
    "AuthorizationRevoked",
    "BulkJob",
    "Call",
    "CallListener",
    "CertificateError",
    "ConcurrencyPool",
    "Credentials",
    "CredentialsError",
    "ErrorDetail",
    "FieldInfo",
    "GlobalDescribe",
    "Identity",
    "LimitExceeded",
    "OutcomeUnknown",
    "Pkce",
    "RecordError",
    "RedisSlots",
    "RetryPolicy",
    "RetryableError",
    "SObjectSchema",
    "SalesforceClient",
    "SalesforceError",
    "SaveResult",
    "Token",
    "UpsertResult",
    "authorization_url",
    "budget_of",
    "csv_chunks",
    "exchange_code",
    "new_state",
    "path_template",
    "pkce_pair",
    "soql_literal",
]
