"""The big proof: the unmodified `simple-salesforce` client, over HTTPS, against
`forcebridge emulator serve --tls` running as a real subprocess on a free port.

If a widely used client library works against the emulator without changes, the emulator
speaks the wire protocol, not our idea of it. simple-salesforce always uses https and builds
every URL from the instance host, so it is handed the emulator's URL and the self-signed
certificate the server printed at start-up, through a requests Session.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

import pytest
import requests
from harness.served import Served, password_grant, serve, tls_session
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest, SalesforceResourceNotFound


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with serve("--tls", "--cert-dir", str(tmp_path_factory.mktemp("tls"))) as info:
        assert info.base_url.startswith("https://127.0.0.1:")
        assert info.cert is not None and info.cert.is_file()
        yield info


@pytest.fixture(scope="module")
def sf(served: Served) -> Salesforce:
    session = requests.Session()
    assert served.cert is not None
    session.verify = str(served.cert)
    # requests lets REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE override a session's `verify`; ignore
    # the environment so the emulator's certificate is the one trusted.
    session.trust_env = False
    token = session.post(
        f"{served.base_url}/services/oauth2/token",
        data=password_grant(vars(served)),
        timeout=10,
    )
    assert token.status_code == 200, token.text
    body = token.json()
    return Salesforce(
        instance_url=body["instance_url"],
        session_id=body["access_token"],
        session=session,
        version="62.0",
    )


def test_describe(sf: Salesforce) -> None:
    names = {o["name"] for o in sf.describe()["sobjects"]}
    assert {"Account", "Contact", "Invoice__c"} <= names
    account = sf.Account.describe()
    fields = {f["name"]: f for f in account["fields"]}
    assert fields["External_Id__c"]["externalId"] is True
    assert fields["Name"]["nillable"] is False
    assert sf.limits()["DailyApiRequests"]["Max"] == 15000


def test_create_get_upsert_update_delete(sf: Salesforce) -> None:
    created = sf.Account.create({"Name": "Acme", "External_Id__c": "SS-1"})
    assert created["success"] is True and created["errors"] == []
    account_id = created["id"]
    assert sf.Account.get(account_id)["Name"] == "Acme"

    assert sf.Account.upsert("External_Id__c/SS-2", {"Name": "Beta"}) == 201
    assert sf.Account.upsert("External_Id__c/SS-2", {"Name": "Beta 2"}) == 200
    beta = sf.Account.get_by_custom_id("External_Id__c", "SS-2")
    assert beta["Name"] == "Beta 2"
    assert beta["attributes"]["type"] == "Account"

    assert sf.Account.update(account_id, {"Name": "Acme Two"}) == 204
    assert sf.Account.get(account_id)["Name"] == "Acme Two"

    assert sf.Account.delete(account_id) == 204
    with pytest.raises(SalesforceResourceNotFound):
        sf.Account.get(account_id)


def test_query_pages_past_2000_rows(sf: Salesforce) -> None:
    total = 2150
    for start in range(0, total, 200):
        chunk = [
            {"attributes": {"type": "Account"}, "Name": f"Paged {i:05d}"}
            for i in range(start, min(start + 200, total))
        ]
        results = sf.restful(
            "composite/sobjects",
            method="POST",
            data=json.dumps({"allOrNone": True, "records": chunk}),
        )
        assert all(r["success"] for r in results)

    soql = "SELECT Id, Name FROM Account WHERE Name LIKE 'Paged %'"
    first = sf.query(soql)
    assert first["totalSize"] == total
    assert first["done"] is False
    assert len(first["records"]) == 2000
    assert first["nextRecordsUrl"].startswith("/services/data/v62.0/query/01g")
    second = sf.query_more(first["nextRecordsUrl"], identifier_is_url=True)
    assert second["done"] is True and len(second["records"]) == total - 2000

    everything = sf.query_all(soql)
    names = sorted(r["Name"] for r in everything["records"])
    assert names == [f"Paged {i:05d}" for i in range(total)]


def test_bulk2_upsert(sf: Salesforce) -> None:
    records = [{"LastName": f"Bulk {i}", "External_Id__c": f"B-{i}"} for i in range(25)]
    first = sf.bulk2.Contact.upsert(records=records, external_id_field="External_Id__c", wait=1)
    assert first[0]["numberRecordsProcessed"] == 25
    assert first[0]["numberRecordsFailed"] == 0
    rows = list(
        csv.DictReader(io.StringIO(sf.bulk2.Contact.get_successful_records(first[0]["job_id"])))
    )
    assert len(rows) == 25
    assert {r["sf__Created"] for r in rows} == {"true"}

    again = [{"LastName": f"Bulk {i} v2", "External_Id__c": f"B-{i}"} for i in range(25)]
    second = sf.bulk2.Contact.upsert(records=again, external_id_field="External_Id__c", wait=1)
    rows = list(
        csv.DictReader(io.StringIO(sf.bulk2.Contact.get_successful_records(second[0]["job_id"])))
    )
    assert {r["sf__Created"] for r in rows} == {"false"}

    back = sf.query_all("SELECT LastName, External_Id__c FROM Contact WHERE LastName LIKE 'Bulk %'")
    assert back["totalSize"] == 25
    assert {r["LastName"] for r in back["records"]} == {f"Bulk {i} v2" for i in range(25)}


def test_oauth_password_login_through_its_own_token_request(served: Served) -> None:
    """`Salesforce(username=, password=, security_token=, consumer_key=, consumer_secret=,
    domain=)`: the library posts the password grant to https://{domain}.salesforce.com/services/
    oauth2/token; a domain ending in "#" makes the rest a fragment (see test_soap_login). With
    a security_token it would log in by SOAP, so the token rides on the password, as OAuth wants."""
    host = served.base_url.removeprefix("https://")
    sf = Salesforce(
        username=served.username,
        password=served.password + served.security_token,
        consumer_key=served.consumer_key,
        consumer_secret=served.consumer_secret,
        domain=f"{host}/services/oauth2/token#",
        version="62.0",
        session=tls_session(served),
    )
    assert sf.sf_instance == host
    assert sf.query("SELECT Id FROM User")["totalSize"] >= 1


def test_collections_retrieve_apex_rest_and_limits(sf: Salesforce) -> None:
    ids = [sf.Account.create({"Name": f"Several {n}"})["id"] for n in (1, 2)]
    got = sf.restful("composite/sobjects/Account", params={"ids": ",".join(ids), "fields": "Name"})
    assert [r["Name"] for r in got] == ["Several 1", "Several 2"]
    posted = sf.restful(
        "composite/sobjects/Account",
        method="POST",
        data=json.dumps({"ids": ids[::-1], "fields": ["Name"]}),
    )
    assert [r["Name"] for r in posted] == ["Several 2", "Several 1"]

    assert sf.apexecute("acme/events", method="POST", data={"event": "signed-up"}) is not None
    limits = sf.limits()
    assert limits["DailyBulkV2QueryJobs"] == {"Max": 10000, "Remaining": 10000}
    assert limits["DailyApiRequests"]["Max"] > limits["DailyApiRequests"]["Remaining"]


def test_error_bodies_reach_the_client_as_salesforce_sends_them(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as missing:
        sf.Contact.create({"FirstName": "No last name"})
    (error,) = missing.value.content
    assert error["errorCode"] == "REQUIRED_FIELD_MISSING" and error["fields"] == ["LastName"]
    with pytest.raises(SalesforceMalformedRequest) as malformed:
        sf.query("SELEC Id FROM Account")
    assert malformed.value.content[0]["errorCode"] == "MALFORMED_QUERY"
    with pytest.raises(SalesforceResourceNotFound) as unknown:
        sf.Account.get("001000000000000AAA")
    assert unknown.value.content[0]["errorCode"] == "NOT_FOUND"
