"""forcebridge's async client for Salesforce: the only way the rest of forcebridge reaches an org.

Everything other packages use is named here; the modules behind it are private to the client.
A `SalesforceClient` holds one org's credentials, a token shared by its calls and a slot in a
`ConcurrencyPool` per call in flight (clients of connections that borrow concurrency share the
lender's pool; `ConnectionPools` keeps one per connection in a process, `RedisSlots` makes
its limit hold across processes; an `ApiBudget` pauses calls at a share of the org's daily
allocation). Errors are sorted by what the caller should do: log in again or ask a person
(`AuthenticationError`, `AuthorizationRevoked`), wait (`LimitExceeded`), retry
(`RetryableError`), never repeat a create whose answer was lost (`OutcomeUnknown`), or fix one
record (`RecordError`). What each call does and answers is in its own docstring;
docs/connections.md tells the flows.
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
from forcebridge.salesforce.bulk import BULK_CHUNK_BYTES, BulkJob, JobWatch, csv_chunks
from forcebridge.salesforce.bulk_query import BULK_QUERY_PAGE_RECORDS
from forcebridge.salesforce.calls import Call, CallListener, path_template
from forcebridge.salesforce.certificates import jwt_keypair
from forcebridge.salesforce.client import Identity, SalesforceClient, UpsertResult
from forcebridge.salesforce.collections import MAX_RECORDS_PER_COLLECTION, SaveResult
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
from forcebridge.salesforce.pools import ConnectionPools
from forcebridge.salesforce.query import soql_literal, soql_name
from forcebridge.salesforce.schema import FieldInfo, GlobalDescribe, SObjectSchema
from forcebridge.salesforce.session import RetryPolicy
from forcebridge.salesforce.usage import ApiUsage

__all__ = [
    "BULK_CHUNK_BYTES",
    "BULK_QUERY_PAGE_RECORDS",
    "MAX_RECORDS_PER_COLLECTION",
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
    "ConnectionPools",
    "Credentials",
    "CredentialsError",
    "ErrorDetail",
    "FieldInfo",
    "GlobalDescribe",
    "Identity",
    "JobWatch",
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
    "jwt_keypair",
    "new_state",
    "path_template",
    "pkce_pair",
    "soql_literal",
    "soql_name",
]
