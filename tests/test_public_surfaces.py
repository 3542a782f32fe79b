"""Each package face exports exactly the names it means to, as httpx pins its own.

A name added to or dropped from a face's `__all__` is a change to what other packages (and
users) may rely on; this makes it a deliberate one. Behind a face, modules are private to it
(`.importlinter` holds the front-door contracts).
"""

from __future__ import annotations

import importlib

import pytest

pytestmark = pytest.mark.anyio

SURFACES = {
    "forcebridge.api": {"create_app"},
    "forcebridge.console": {"PAGES", "create_app"},
    "forcebridge.runs": {
        "AlreadyRunning", "DEFAULT_PLAN_RECORDS", "FAILURE_STREAK_LIMIT", "MAX_PLAN_RECORDS",
        "PlanReport", "RunProgress", "check_config",
        "plan_integration", "retry_events", "run_integration",
    },
    "forcebridge.salesforce": {
        "ApiBudget", "ApiUsage", "AuthenticationError", "AuthorizationRevoked", "BULK_CHUNK_BYTES",
        "BULK_QUERY_PAGE_RECORDS", "BulkJob", "Call", "CallListener", "CertificateError",
        "ConcurrencyPool", "ConnectionPools", "Credentials", "CredentialsError", "ErrorDetail",
        "FieldInfo", "GlobalDescribe", "Identity", "JobWatch", "LimitExceeded",
        "MAX_RECORDS_PER_COLLECTION", "OutcomeUnknown", "PRODUCTION", "Pkce", "RecordError",
        "RedisSlots", "budget_of",
        "RetryPolicy", "RetryableError", "SANDBOX", "SObjectSchema", "SalesforceClient",
        "SalesforceError", "SaveResult", "Token", "UpsertResult", "authorization_url",
        "csv_chunks", "exchange_code", "jwt_keypair", "new_state", "path_template", "pkce_pair",
        "soql_literal", "soql_name",
    },
    "forcebridge.scheduling": {"Scheduler", "attach", "tick"},
    "forcebridge.sources": {
        "CsvSource", "CsvSourceSpec", "DEFAULT_BATCH_SIZE", "JsonlSource", "JsonlSourceSpec",
        "MissingColumn", "Source", "SourceError", "SourceRecord", "SourceRefused", "SourceSpec",
        "SqlDatabase", "SqlSource", "SqlSourceSpec", "open_source",
    },
    "forcebridge.store": {"ApiKey", "AuditEntry", "Base", "Database", "Tenant", "User"},
    "forcebridge.sync": {
        "AccountFilter", "AccountGate", "Change", "DescribedObject", "DictState", "Diffed",
        "Differ", "FieldMapping", "MappedRecord", "Mapper", "MappingError", "MappingSpec",
        "Namespace", "ObjectSchema", "PlanError", "PreparedBatch", "Problem", "SyncMode",
        "SyncedState", "Target", "check", "compile_mapping", "ensure_valid", "lookup_from",
        "payload_hash", "prepare", "prepare_all", "referenced_objects",
    },
    "forcebridge.telemetry": {"call_listener", "tracing"},
}


@pytest.mark.parametrize("name", sorted(SURFACES))
def test_a_face_exports_what_it_means_to(name: str) -> None:
    module = importlib.import_module(name)
    assert set(module.__all__) == SURFACES[name]
    assert len(module.__all__) == len(set(module.__all__)), "a name listed twice"
    namespace: dict[str, object] = {}
    exec(f"from {name} import *", namespace)
    assert set(namespace) - {"__builtins__"} == SURFACES[name]


async def test_the_salesforce_client_gives_what_callers_need() -> None:
    """Callers count calls, back off like the client and make raw calls through the client
    itself; the session behind it is private."""
    from forcebridge.salesforce import Credentials, RetryPolicy, SalesforceClient

    policy = RetryPolicy(attempts=2)
    credentials = Credentials("client_credentials", consumer_key="k", consumer_secret="s")
    async with SalesforceClient(credentials, retry=policy) as client:
        assert client.calls == 0 and client.retry is policy and client.token is None
        assert callable(client.request) and callable(client.log_in)
        public = {name for name in vars(client) if not name.startswith("_")}
        assert public == {"credentials"}
