"""What a call listener may see of a path: its template, never the data in it (pure)."""

from __future__ import annotations

import pytest

from forcebridge.salesforce import path_template


@pytest.mark.parametrize(("path", "template"), [
    ("/services/data/v60.0/sobjects/Account/001000000000001AAA",
     "/services/data/v{version}/sobjects/Account/{id}"),
    ("/services/data/v60.0/sobjects/Invoice__c/Invoice_Number__c/INV-000001",
     "/services/data/v{version}/sobjects/Invoice__c/Invoice_Number__c/{value}"),
    ("/services/data/v60.0/sobjects/Account/describe",
     "/services/data/v{version}/sobjects/Account/describe"),
    ("https://org.my.salesforce.com/id/00D000000000001AAA/005000000000001AAA",
     "/id/{org}/{user}"),
    ("/services/data/v60.0/query?q=SELECT+Id+FROM+Account+WHERE+Name='secret'",
     "/services/data/v{version}/query"),
    ("/services/data/v60.0/query/01g000000000001-2000", "/services/data/v{version}/query/{id}"),
    ("/services/data/v60.0/composite/sobjects/Account",
     "/services/data/v{version}/composite/sobjects/Account"),
    ("/services/data/v60.0/jobs/ingest/750000000000001AAA/successfulResults",
     "/services/data/v{version}/jobs/ingest/{id}/successfulResults"),
    ("/services/oauth2/token", "/services/oauth2/token"),
    ("/services/apexrest/acme/events/42", "/services/apexrest/{path}"),
    ("/services/data/v60.0/limits", "/services/data/v{version}/limits"),
])
def test_templates_keep_structure_and_drop_data(path: str, template: str) -> None:
    assert path_template(path) == template
