"""Deleting parents: cascade, restriction and lookup clearing from the recorded describes.

The recorded Account describe marks Contacts/Opportunities `cascadeDelete`, Cases
`restrictedDelete` and Contracts both; Salesforce Help "Delete Accounts" (as quoted on
trailblazers.salesforce.com/answers?id=90630000000gyRjAAI) says contacts, opportunities and
non-activated contracts go to the Recycle Bin with the account, an account with associated cases
or activated contracts cannot be deleted, and undeleting the account restores related items. Lookups to a deleted record are cleared (Help: "Considerations
for Relationships", lookup relationship "Clear the value of this field").
"""

from __future__ import annotations

import pytest

from forcebridge_emulator._org import Org


@pytest.fixture
def org() -> Org:
    return Org.demo()


def new(org: Org, sobject: str, **values: object) -> str:
    result = org.insert(sobject, dict(values))
    assert result.success and result.id is not None, result.errors
    return result.id


def test_cascade_delete_and_undelete(org: Org) -> None:
    acc = new(org, "Account", Name="Acme")
    contact = new(org, "Contact", LastName="L", AccountId=acc)
    opp = new(org, "Opportunity", Name="O", StageName="Prospecting", CloseDate="2024-01-01",
              AccountId=acc)  # fmt: skip
    balance = new(org, "acme__Balance__c", acme__Account__c=acc)
    assert org.delete("Account", acc).success
    assert org.count("Contact") == 0 and org.count("Opportunity") == 0
    assert org.get("acme__Balance__c", balance)["acme__Account__c"] is None  # lookup cleared
    assert org.undelete(acc).success
    assert org.get("Contact", contact)["AccountId"] == acc
    assert org.get("Opportunity", opp)["IsDeleted"] is False
    assert org.get("acme__Balance__c", balance)["acme__Account__c"] == acc


def test_restricted_delete(org: Org) -> None:
    acc = new(org, "Account", Name="Acme")
    case = new(org, "Case", Subject="Help", AccountId=acc)
    result = org.delete("Account", acc)
    assert not result.success
    error = result.errors[0]
    assert error.status_code == "DELETE_FAILED"
    number = org.get("Case", case)["CaseNumber"]
    assert error.message == (
        "Your attempt to delete Acme could not be completed because it is associated with the "
        f"following cases.: {number}"
    )
    assert org.count("Account") == 1
    assert org.delete("Case", case).success
    assert org.delete("Account", acc).success


def test_cascade_is_refused_as_a_whole_when_a_grandchild_restricts(org: Org) -> None:
    acc = new(org, "Account", Name="Acme")
    contact = new(org, "Contact", LastName="L", AccountId=acc)
    new(org, "Case", Subject="Help", ContactId=contact)
    assert org.delete("Account", acc).errors[0].status_code == "DELETE_FAILED"
    assert org.count("Contact") == 1 and org.count("Account") == 1


def test_rollback_restores_cascaded_children(org: Org) -> None:
    acc = new(org, "Account", Name="Acme")
    contact = new(org, "Contact", LastName="L", AccountId=acc)
    with pytest.raises(RuntimeError), org.transaction():
        assert org.delete("Account", acc).success
        raise RuntimeError
    assert org.get("Contact", contact)["IsDeleted"] is False
    assert org.count("Account") == 1 and org.count("Contact") == 1


def test_activated_contracts_block_but_draft_ones_cascade(org: Org) -> None:
    acc = new(org, "Account", Name="Acme")
    draft = new(org, "Contract", AccountId=acc)
    assert org.delete("Account", acc).success
    assert org.count("Contract") == 0
    assert org.undelete(acc).success and org.count("Contract") == 1
    org.update("Contract", draft, {"Status": "Activated"})
    assert org.delete("Account", acc).errors[0].status_code == "DELETE_FAILED"


def test_master_detail_children_go_with_their_master() -> None:
    """A `masterdetail` org-file field: required, not reparentable, cascade-deleted."""
    from forcebridge_emulator._config import FieldConfig, ObjectConfig, OrgConfig
    from forcebridge_emulator._org import Org

    org = Org(
        OrgConfig(
            objects=[
                ObjectConfig("Master__c"),
                ObjectConfig(
                    "Detail__c",
                    fields=[FieldConfig("Master__c", "masterdetail", reference_to=["Master__c"])],
                ),
            ]
        )
    )
    field = org.schema.get("Detail__c").field("Master__c")  # type: ignore[union-attr]
    assert (field.type, field.nillable, field.updateable) == ("reference", False, False)
    missing = org.insert("Detail__c", {"Name": "orphan"})
    assert not missing.success and missing.errors[0].status_code == "REQUIRED_FIELD_MISSING"
    master = org.insert("Master__c", {"Name": "m"}).id
    detail = org.insert("Detail__c", {"Name": "d", "Master__c": master}).id
    assert org.delete("Master__c", master).success  # type: ignore[arg-type]
    assert [r["Id"] for r in org.iter_records("Detail__c")] == []
    assert detail in [r["Id"] for r in org.iter_records("Detail__c", include_deleted=True)]
