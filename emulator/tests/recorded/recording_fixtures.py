"""The request each plain JSON fixture answers (fixtures keep only a response body).

Why: restforce, NetCoreForce, ReVoman and camel stored the bodies Salesforce sent but not the
requests. To replay one against the emulator we must say which request it answered: method, path
(`{v}` becomes `v<version>`), status, and the body for writes, read from the fixture's own test
suite and its content. `exclude` gives the reason a fixture cannot be replayed; `setup` gives
replay hints that emulator/tests/test_replay.py understands. Fixtures carry no headers: their
Content-Type is synthesised as `application/json;charset=UTF-8` (every Salesforce JSON answer).
"""

from __future__ import annotations

from typing import Any

_RF = "restforce/spec/fixtures/"
_NCF = "NetCoreForce/src/NetCoreForce.Client.Tests/responses/"
_RV = "ReVoman/src/test/resources/composite/"
_CML = (
    "camel/components/camel-salesforce/camel-salesforce-component/src/test/resources/"
    "org/apache/camel/component/salesforce/api/dto/"
)

_WHIZBANG = "hand-edited fixture of the fictional object `Whizbang` (no valid API name to replay)"
_CLIENT = "client_id={client_id}&client_secret={client_secret}"
_PASSWORD = (
    f"grant_type=password&{_CLIENT}&username={{username}}&password={{password}}{{security_token}}"
)
_NONE_Q = "/services/data/v61.0/query?q=SELECT+Id+FROM+Account+WHERE+Name+%3D+%27none%27"
_REF_URL = "/services/data/v61.0/sobjects/Account/@{billingScheduleForOrderId.records[0].Id}"
_FORM = {"Content-Type": "application/x-www-form-urlencoded"}
_JSON = {"Content-Type": "application/json"}
_CASE_Q = (
    "SELECT Id, CaseNumber, SystemModstamp, Account.Name, Account.SystemModstamp, "
    "Contact.Name, Contact.SystemModstamp FROM Case"
)



def _asked(method: str, path: str, status: int, **more: Any) -> dict[str, Any]:
    """The request a fixture answered: method, path (`{v}`: the version), answer status and
    what else the replay needs (body, headers, version, setup, exclude, extra_keys_ok)."""
    return dict(method=method, path=path, status=status, **more)


def _billing_composite(all_or_none: bool, items_url: str) -> dict[str, Any]:
    """ReVoman's composite of three GETs: a query, a record by the query's first Id, and one
    more (`items_url`) by the second's."""
    return {
        "allOrNone": all_or_none,
        "compositeRequest": [
            {"method": "GET", "referenceId": "billingScheduleForOrderId", "url": _NONE_Q},
            {"method": "GET", "referenceId": "billingMilestonePlan", "url": _REF_URL},
            {"method": "GET", "referenceId": "billingMilestonePlanItems", "url": items_url},
        ],
    }


FIXTURES: dict[str, dict[str, Any]] = {
    # ---- restforce (v20-v26 era, values hand-edited; keys trusted unless extra_keys_ok) ----
    # Older than `token_type` (restforce-db's 2015 recording has it) and `scope` on refresh.
    _RF + "auth_success_response.json": _asked(
        "POST", "/services/oauth2/token", 200,
        body=_PASSWORD,
        headers=_FORM,
        extra_keys_ok=True,
    ),
    _RF + "reauth_success_response.json": _asked(
        "POST", "/services/oauth2/token", 200,
        body=_PASSWORD,
        headers=_FORM,
        extra_keys_ok=True,
    ),
    _RF + "refresh_success_response.json": _asked(
        "POST", "/services/oauth2/token", 200,
        headers=_FORM,
        body="grant_type=refresh_token&client_id={client_id}&client_secret={client_secret}&refresh_token={refresh_token}",
        setup={"refresh_token": True},
        extra_keys_ok=True,
    ),
    _RF + "auth_error_response.json": _asked(
        "POST", "/services/oauth2/token", 400,
        headers=_FORM,
        body="grant_type=password&client_id={client_id}&client_secret={client_secret}&username={username}&password=wrong",
    ),
    _RF + "refresh_error_response.json": _asked(
        "POST", "/services/oauth2/token", 400,
        headers=_FORM,
        body="grant_type=refresh_token&client_id={client_id}&client_secret={client_secret}&refresh_token=expired",
    ),
    _RF + "expired_session_response.json": _asked(
        "GET", "/services/data/{v}/sobjects", 401, setup={"token": "expired"}
    ),
    _RF + "services_data_success_response.json": _asked(
        "GET", "/services/data", 200
    ),
    _RF + "sobject/create_success_response.json": _asked(
        "POST", "/services/data/{v}/sobjects/Account", 201,
        body={"Name": "Foobar"},
        headers=_JSON,
    ),
    _RF + "sobject/upsert_created_success_response.json": _asked(
        "PATCH", "/services/data/{v}/sobjects/Account/SLASerialNumber__c/1234", 201,
        body={"Name": "Foobar"},
        headers=_JSON,
        version="30.0",
        extra_keys_ok=False,
    ),
    _RF + "sobject/upsert_updated_success_response.json": _asked(
        "PATCH", "/services/data/{v}/sobjects/Account/SLASerialNumber__c/1234", 204,
        body={"Name": "Foobar"},
        headers=_JSON,
        version="30.0",
        setup={"seed": [{"sobject": "Account", "SLASerialNumber__c": "1234"}]},
    ),
    _RF + "sobject/upsert_multiple_error_response.json": _asked(
        "PATCH", "/services/data/{v}/sobjects/Account/SLASerialNumber__c/1234", 300,
        body={"Name": "Foobar"},
        headers=_JSON,
        setup={
            "seed": [
                {"sobject": "Account", "SLASerialNumber__c": "1234"},
                {"sobject": "Account", "SLASerialNumber__c": "1234"},
            ]
        },
    ),
    _RF + "sobject/upsert_error_response.json": _asked(
        "PATCH", "/services/data/{v}/sobjects/Account/Namez/foo", 404,
        body={"Name": "Foobar"},
        headers=_JSON,
    ),
    _RF + "sobject/sobject_find_error_response.json": _asked(
        "GET", "/services/data/{v}/sobjects/Account/23foo", 404
    ),
    _RF + "sobject/delete_error_response.json": _asked(
        "DELETE", "/services/data/{v}/sobjects/Account/rid", 404
    ),
    _RF + "sobject/sobject_describe_error_response.json": _asked(
        "GET", "/services/data/{v}/sobjects/Whizbang__c/describe", 404
    ),
    _RF + "sobject/write_error_response.json": _asked(
        "POST", "/services/data/{v}/sobjects/Account", 400,
        body={"Name": "Foobar", "foo": "bar"},
        headers=_JSON,
    ),
    _RF + "sobject/query_error_response.json": _asked(
        "GET", "/services/data/{v}/query?q=SELECT+foo+FROM+Account", 400
    ),
    _RF + "sobject/search_error_response.json": _asked(
        "GET", "/services/data/{v}/search?q=foo", 400
    ),
    _RF + "sobject/search_success_response.json": _asked(
        "GET", "/services/data/{v}/search?q=FIND+%7Bbar%7D", 200
    ),
    _RF + "sobject/recent_success_response.json": _asked(
        "GET", "/services/data/{v}/recent", 200
    ),
    _RF + "sobject/list_view_results_success_response.json": _asked(
        "GET", "/services/data/{v}/sobjects/Account/listviews/00Bx0000001RwmmEAC/results", 200,
    ),
    _RF + "sobject/get_updated_success_response.json": _asked(
        "GET", "/services/data/{v}/sobjects/Contact/updated/?start=2015-08-18T00%3A00%3A00%2B00%3A00&end=2015-08-19T00%3A00%3A00%2B00%3A00", 200,
    ),
    _RF + "sobject/get_deleted_success_response.json": _asked(
        "GET", "/services/data/{v}/sobjects/Whizbang/deleted/?start=2013-05-03T00%3A00%3A00%2B00%3A00&end=2013-05-08T00%3A00%3A00%2B00%3A00", 200,
    ),
    # v23-era describe global: later versions added keys (deepCloneable, mruEnabled, ...).
    _RF + "sobject/describe_sobjects_success_response.json": _asked(
        "GET", "/services/data/{v}/sobjects", 200,
        version="30.0",
        extra_keys_ok=True,
    ),
    _RF + "sobject/list_sobjects_success_response.json": _asked(
        "GET", "/services/data/{v}/sobjects", 200,
        version="30.0",
        extra_keys_ok=True,
    ),
    _RF + "sobject/sobject_describe_success_response.json": _asked(
        "GET", "/services/data/{v}/sobjects/Whizbang/describe", 200,
        exclude=_WHIZBANG,
    ),
    _RF + "sobject/sobject_find_success_response.json": _asked(
        "GET", "/services/data/{v}/sobjects/Whizbang/23foo", 200,
        exclude=_WHIZBANG,
    ),
    _RF + "sobject/sobject_select_success_response.json": _asked(
        "GET", "/services/data/{v}/sobjects/Whizbang/23foo?fields=External_Field__c", 200,
        exclude=_WHIZBANG,
    ),
    _RF + "sobject/query_success_response.json": _asked(
        "GET", "/services/data/{v}/query?q=SELECT+Text_Label+FROM+Whizbang", 200,
        exclude=_WHIZBANG,
    ),
    _RF + "sobject/query_paginated_first_page_response.json": _asked(
        "GET", "/services/data/{v}/query?q=SELECT+Text_Label+FROM+Whizbang", 200,
        exclude=_WHIZBANG,
    ),
    _RF + "sobject/query_paginated_last_page_response.json": _asked(
        "GET", "/services/data/{v}/query/01gD", 200, exclude=_WHIZBANG
    ),
    _RF + "sobject/query_aggregate_success_response.json": _asked(
        "GET", "/services/data/{v}/query?q=SELECT+CampaignId%2C+AVG%28Amount%29+FROM+Opportunity+GROUP+BY+CampaignId", 200,
        exclude="GROUP BY aggregate over Campaign: outside the emulator's SOQL subset "
        "(COUNT() only)",
    ),
    _RF + "sobject/query_empty_response.json": _asked(
        "GET", "/services/data/{v}/query?q=SELECT+Id+FROM+Account", 200
    ),
    _RF + "sobject/org_query_response.json": _asked(
        "GET", "/services/data/{v}/query?q=SELECT+Id+FROM+Organization", 200
    ),
    _RF + "sobject/composite_sobjects_success_response.json": _asked(
        "PATCH", "/services/data/{v}/composite/sobjects", 200,
        headers=_JSON,
        body={
            "allOrNone": False,
            "records": [
                {"attributes": {"type": "Account"}, "Id": "001000000000001AAA", "Name": "Foobar"}
            ],
        },
        setup={"seed": [{"sobject": "Account", "Id": "001000000000001AAA"}]},
    ),
    _RF + "sobject/composite_sobjects_error_response.json": _asked(
        "PATCH", "/services/data/{v}/composite/sobjects", 400,
        headers=_JSON,
        body='{"allOrNone": false, "records": [null]}',
        exclude="the malformed request this 400 answers is not known (fixture without request)",
    ),
    _RF + "sobject/composite_sobjects_destroy_success_response.json": _asked(
        "DELETE", "/services/data/{v}/composite/sobjects?ids=001000000000001AAA&allOrNone=false", 200,
        setup={"seed": [{"sobject": "Account", "Id": "001000000000001AAA"}]},
    ),
    _RF + "sobject/composite_sobjects_destroy_bad_request_response.json": _asked(
        "DELETE", "/services/data/{v}/composite/sobjects?allOrNone=false", 400
    ),
    # Bulk API 2.0 ingest (fork branch, v46): each step replayed after the steps before it.
    _RF + "bulk/create_job_success_response.json": _asked(
        "POST", "/services/data/{v}/jobs/ingest", 200,
        headers=_JSON,
        version="46.0",
        body={"object": "Account", "operation": "insert", "contentType": "CSV", "lineEnding": "LF"},
        setup={"bulk": "create"},
    ),
    _RF + "bulk/upload_csv_success_response.json": _asked(
        "PUT", "/services/data/{v}/jobs/ingest/{job_id}/batches", 201,
        version="46.0",
        headers={"Content-Type": "text/csv"},
        body="Name\nFoo Bar\nBizz Buzz\n",
        setup={"bulk": "upload"},
    ),
    _RF + "bulk/close_job_success_response.json": _asked(
        "PATCH", "/services/data/{v}/jobs/ingest/{job_id}", 200,
        headers=_JSON,
        version="46.0",
        body={"state": "UploadComplete"},
        setup={"bulk": "close"},
        extra_keys_ok=True,  # trimmed by hand to the state; a real close answers the job info
    ),
    _RF + "bulk/check_status_success_response.json": _asked(
        "GET", "/services/data/{v}/jobs/ingest/{job_id}", 200,
        version="46.0",
        setup={"bulk": "status"},
        extra_keys_ok=True,  # trimmed by hand to {state, id}
    ),
    _RF + "bulk/success_results_success_response.json": _asked(
        "GET", "/services/data/{v}/jobs/ingest/{job_id}/successfulResults", 200,
        version="46.0",
        csv=True,
        setup={"bulk": "results"},
    ),
    _RF + "bulk/failed_results_success_response.json": _asked(
        "GET", "/services/data/{v}/jobs/ingest/{job_id}/failedResults", 200,
        version="46.0",
        csv=True,
        setup={"bulk": "results", "csv": "Name\n" + "x" * 300 + "\n"},
    ),
    # ---- NetCoreForce (captured, ids masked) ----
    _NCF + "account.json": _asked(
        "GET", "/services/data/{v}/sobjects/Account/001i000002C8QTIAA3", 200,
        version="57.0",
        setup={"seed_response": True},
    ),
    _NCF + "contact.json": _asked(
        "GET", "/services/data/{v}/sobjects/Contact/003i000004cs62sAAA", 200,
        version="57.0",
        setup={"seed_response": True},
    ),
    _NCF + "user.json": _asked(
        "GET", "/services/data/{v}/sobjects/User/005i0000008yJDWAA2", 200,
        version="57.0",
        setup={"user_id": "005i0000008yJDWAA2"},
    ),
    _NCF + "count_query.json": _asked(
        "GET", "/services/data/{v}/query?q=SELECT+COUNT%28%29+FROM+Case", 200,
        version="57.0",
        setup={"seed": [{"sobject": "Case"}] * 3},
    ),
    _NCF + "query_case_result.json": dict(
        method="GET",
        path="/services/data/{v}/query?q=" + _CASE_Q.replace(" ", "+"),
        status=200,
        version="57.0",
        setup={"seed_response": True},
    ),
    _NCF + "query_case_single_result.json": dict(
        method="GET",
        path="/services/data/{v}/query?q=" + (_CASE_Q + " LIMIT 1").replace(" ", "+"),
        status=200,
        version="57.0",
        setup={"seed_response": True},
    ),
    _NCF + "query_empty_result.json": _asked(
        "GET", "/services/data/{v}/query?q=SELECT+Id+FROM+Case+WHERE+Subject+%3D+%27none%27", 200,
        version="57.0",
    ),
    _NCF + "versions.json": _asked("GET", "/services/data", 200, version="57.0"),
    **{
        _NCF + f"querybatch/batch-{n}.json": _asked(
            "GET", "/services/data/{v}/query?q=SELECT+Id+FROM+Contact", 200,
            version="57.0",
            headers={"Sforce-Query-Options": "batchSize=200"},
            setup={"seed": [{"sobject": "Contact"}] * 800, "follow_pages": n - 1},
        )
        for n in (1, 2, 3, 4)
    },
    # ---- ReVoman (Salesforce-internal orgs, ids masked) ----
    _RV + "graph/req/graph-request.json": _asked(
        "POST", "/services/data/{v}/composite/graph", 200,
        version="61.0",
        exclude="a request body, no response (composite graph)",
    ),
    _RV + "graph/resp/graph-response-success.json": _asked(
        "POST", "/services/data/{v}/composite/graph", 200, version="61.0"
    ),
    _RV + "graph/resp/graph-response-error.json": _asked(
        "POST", "/services/data/{v}/composite/graph", 200, version="61.0"
    ),
    _RV + "query/resp/query-response-all-success.json": _asked(
        "POST", "/services/data/{v}/composite", 200,
        version="61.0",
        exclude="queries Quote/QuoteLineItem and billing objects, not emulated (composite query "
        "sub-requests are covered by CumulusCI TestCompositeParallelSalesforce)",
    ),
    _RV + "query/resp/query-response-partial-success.json": _asked(
        "POST", "/services/data/{v}/composite", 200,
        version="61.0",
        headers=_JSON,
        body=_billing_composite(False, "/services/data/v61.0/sobjects/Account/@{billingMilestonePlan.Id}"),
    ),
    _RV + "query/resp/query-response-all-error.json": _asked(
        "POST", "/services/data/{v}/composite", 200,
        version="61.0",
        headers=_JSON,
        body=_billing_composite(True, "/services/data/v61.0/query?q=SELECT+Id+FROM+Account"),
    ),
    # ---- camel (captured, v41) ----
    _CML + "limits.json": _asked(
        "GET", "/services/data/{v}/limits", 200,
        version="41.0",
        extra_keys_ok=True,
    ),
    _CML + "composite_response_example_success.json": _asked(
        "POST", "/services/data/{v}/composite", 200,
        version="41.0",
        headers=_JSON,
        body={
            "allOrNone": True,
            "compositeRequest": [
                {
                    "method": "POST",
                    "referenceId": "NewPayment1",
                    "url": "/services/data/v41.0/sobjects/Account",
                    "body": {"Name": "Payment 1"},
                },
                {
                    "method": "POST",
                    "referenceId": "NewPayment2",
                    "url": "/services/data/v41.0/sobjects/Account",
                    "body": {"Name": "Payment 2"},
                },
            ],
        },
    ),
    _CML + "composite_response_example_failure.json": _asked(
        "POST", "/services/data/{v}/composite", 200,
        version="41.0",
        headers=_JSON,
        body={
            "allOrNone": True,
            "compositeRequest": [
                {
                    "method": "POST",
                    "referenceId": "NewPayment1",
                    "url": "/services/data/v41.0/sobjects/Contact",
                    "body": {"LastName": "Payment 1"},
                },
                {
                    "method": "POST",
                    "referenceId": "NewPayment2",
                    "url": "/services/data/v41.0/sobjects/Contact",
                    "body": {"LastName": "Payment 2", "Account": {"SLASerialNumber__c": "0116"}},
                },
            ],
        },
    ),
}
