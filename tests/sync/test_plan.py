"""Plan checks against the recorded Account, Contact and Lead describes (CumulusCI cassettes).

Where a check needs fields the recorded org lacks (external ids), `add_field` copies a recorded
field of the same type and changes only its name and flags.
"""

from __future__ import annotations

from typing import Any

import pytest

from forcebridge.salesforce.schema import SObjectSchema
from forcebridge.sync.mapping import MappingSpec, SyncMode
from forcebridge.sync.plan import PlanError, Problem, check, ensure_valid, referenced_objects
from forcebridge.sync.schema import DescribedObject, ObjectSchema, SchemaLookup, lookup_from
from tests.sync.recorded import add_field, described, raw_describe


def org(*objects: ObjectSchema) -> SchemaLookup:
    defaults: dict[str, ObjectSchema] = {o.name: o for o in (described("Account"), described("Contact"), described("Lead"))}
    defaults.update({o.name: o for o in objects})
    return lookup_from(defaults.values())


def spec(obj: str, ext: str | None, mappings: list[dict[str, Any]], **extra: Any) -> MappingSpec:
    return MappingSpec.model_validate({
        "target": {"object": obj, "external_id_field": ext, **extra.pop("target", {})},
        "mappings": mappings, **extra,
    })


def problems(s: MappingSpec, mode: SyncMode = SyncMode.UPSERT, lookup: SchemaLookup | None = None,
             columns: list[str] | None = None) -> list[tuple[str, str]]:
    return [(p.field, p.reason) for p in check(s, mode, lookup or org(), columns)]


def col(field: str, column: str | None = None, **transform: Any) -> dict[str, Any]:
    m: dict[str, Any] = {"field": field, "column": column or field.lower()}
    if transform:
        m["transform"] = transform
    return m


def account_with_external_id() -> DescribedObject:
    raw = raw_describe("Account")
    add_field(raw, "AccountNumber", "External_Id__c", externalId=True, idLookup=True, unique=True)
    return DescribedObject(raw)


# --- a clean plan -------------------------------------------------------------------------

def test_valid_contact_upsert_by_email() -> None:
    # Email is an idLookup field on the recorded Contact; LastName its only required field
    s = spec("Contact", "Email", [col("Email"), col("LastName"), col("FirstName"),
                                  col("Birthdate", type="date"),
                                  col("Description", type="text", truncate=True)])
    assert problems(s) == []
    ensure_valid(s, SyncMode.UPSERT, org())


def test_lead_required_fields_are_lastname_and_company() -> None:
    s = spec("Lead", "Email", [col("Email"), col("FirstName")])
    assert problems(s) == [
        ("LastName", "required to create Lead records but not mapped"),
        ("Company", "required to create Lead records but not mapped"),
    ]
    # update never creates, so nothing is required
    assert problems(s, SyncMode.UPDATE) == []


def test_account_insert_requires_name_only() -> None:
    assert problems(spec("Account", None, [col("Phone")]), SyncMode.INSERT) == [
        ("Name", "required to create Account records but not mapped")]
    assert problems(spec("Account", None, [col("Name")]), SyncMode.INSERT) == []


def test_a_non_defaulted_checkbox_is_not_required_but_a_string_is() -> None:
    # Salesforce defaults a checkbox to false, so a createable, non-nillable boolean without
    # defaultedOnCreate is never "required"; a string with the same flags still is
    raw = raw_describe("Lead")
    flags = {"createable": True, "nillable": False, "defaultedOnCreate": False}
    add_field(raw, "IsUnreadByOwner", "Opted_In__c", **flags)
    add_field(raw, "Company", "Region__c", **flags)
    lead = DescribedObject(raw)
    checkbox = lead.field("Opted_In__c")
    assert checkbox is not None and checkbox.type == "boolean"
    s = spec("Lead", "Email", [col("Email"), col("LastName"), col("Company")])
    for mode in (SyncMode.INSERT, SyncMode.UPSERT):
        assert problems(s, mode, org(lead)) == [
            ("Region__c", "required to create Lead records but not mapped")]


# --- objects and fields -------------------------------------------------------------------

def test_missing_object_is_the_only_problem_reported() -> None:
    assert problems(spec("Invoice__c", "External_Id__c", [col("Name")])) == [
        ("Invoice__c", "the org has no object Invoice__c")]


def test_missing_field() -> None:
    s = spec("Contact", "Email", [col("Email"), col("LastName"), col("Shoe_Size__c")])
    assert problems(s) == [("Shoe_Size__c", "Contact has no field Shoe_Size__c")]


def test_createable_and_updateable_per_mode() -> None:
    # Lead.IsConverted: createable, not updateable; Lead.EmailBouncedDate: the opposite
    base = [col("Email"), col("LastName"), col("Company")]
    s = spec("Lead", "Email", [*base, col("IsConverted", type="boolean"),
                               col("EmailBouncedDate", type="datetime", timezone="UTC")])
    assert problems(s, SyncMode.INSERT) == [
        ("EmailBouncedDate", "not createable, but mode insert creates records")]
    assert problems(s, SyncMode.UPDATE) == [
        ("IsConverted", "not updateable, but mode update updates records")]
    assert problems(s, SyncMode.UPSERT) == [
        ("IsConverted", "not updateable, but mode upsert updates records"),
        ("EmailBouncedDate", "not createable, but mode upsert creates records"),
    ]


def test_system_fields_are_not_writable() -> None:
    s = spec("Account", None, [col("Name"), col("CreatedDate", type="datetime", timezone="UTC")])
    assert problems(s, SyncMode.INSERT) == [
        ("CreatedDate", "not createable, but mode insert creates records")]


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        (col("Phone", type="boolean"), "a boolean transform cannot fill a phone field"),
        (col("NumberOfEmployees", type="date"), "a date transform cannot fill a int field"),
        (col("Site", type="number"), "a number transform cannot fill a string field"),
        (col("Rating", type="datetime", timezone="UTC"), "a datetime transform cannot fill a picklist field"),
        (col("AnnualRevenue", type="value_map", values={"a": "b"}),
         "a value_map transform cannot fill a currency field"),
    ],
)
def test_type_mismatch(mapping: dict[str, Any], message: str) -> None:
    s = spec("Account", None, [col("Name", "n"), mapping])
    found = problems(s, SyncMode.INSERT)
    assert [r for _, r in found] == [message]
    assert found[0][0] == mapping["field"]


def test_matching_types_pass() -> None:
    s = spec("Account", None, [
        col("Name", type="text"), col("NumberOfEmployees", type="number"),
        col("AnnualRevenue", type="number", scale=2), col("Rating", type="value_map", values={}),
        col("Description", type="text", truncate=True), col("Website", type="raw"),
    ])
    assert problems(s, SyncMode.INSERT) == []


def test_auto_datetime_needs_a_time_zone() -> None:
    s = spec("Contact", "Email", [col("Email"), col("LastName"), col("EmailBouncedDate")])
    assert problems(s) == [("EmailBouncedDate", "datetime needs a time zone: use a datetime "
                                                "transform or set the mapping's timezone")]
    assert problems(spec("Contact", "Email", [col("Email"), col("LastName"),
                                              col("EmailBouncedDate")], timezone="UTC")) == []


# --- restricted picklists -----------------------------------------------------------------

def test_restricted_picklist_values_in_a_value_map() -> None:
    # Account.CleanStatus is restricted: Matched, Different, Acknowledged, NotFound, ...
    s = spec("Account", None, [col("Name"), col(
        "CleanStatus", "status", type="value_map",
        values={"ok": "Matched", "bad": "Broken", "gone": "Deleted"}, default="Broken",
    )])
    assert problems(s, SyncMode.INSERT) == [
        ("CleanStatus", "'Broken' is not a value of the restricted picklist CleanStatus"),
        ("CleanStatus", "'Deleted' is not a value of the restricted picklist CleanStatus"),
    ]


def test_unrestricted_picklist_accepts_any_value_and_constants_are_checked() -> None:
    rating = col("Rating", type="value_map", values={"a": "Lukewarm"})  # Rating is unrestricted
    assert problems(spec("Account", None, [col("Name"), rating]), SyncMode.INSERT) == []
    constant = {"field": "CleanStatus", "constant": "Shiny"}
    assert problems(spec("Account", None, [col("Name"), constant]), SyncMode.INSERT) == [
        ("CleanStatus", "'Shiny' is not a value of the restricted picklist CleanStatus")]
    ok = {"field": "CleanStatus", "constant": "Matched"}
    assert problems(spec("Account", None, [col("Name"), ok]), SyncMode.INSERT) == []


# --- external ids -------------------------------------------------------------------------

def test_external_id_must_be_external_id_or_id_lookup() -> None:
    # the recorded Account has no external-id field; Name is not an id lookup either
    s = spec("Account", "Name", [col("Name")])
    assert problems(s) == [
        ("Name", "not an external id or id lookup field, records cannot be matched on it")]


def test_external_id_missing_unmapped_or_unnamed() -> None:
    assert problems(spec("Account", "External_Id__c", [col("Name")])) == [
        ("External_Id__c", "Account has no field External_Id__c")]
    lookup = org(account_with_external_id())
    assert problems(spec("Account", "External_Id__c", [col("Name")]), lookup=lookup) == [
        ("External_Id__c", "the external id field is not mapped, records would carry no value "
                           "to match on")]
    assert problems(spec("Account", None, [col("Name")]), SyncMode.MIRROR) == [
        ("external_id_field", "mode mirror matches records on an external id field: name one")]


# --- references ---------------------------------------------------------------------------

def test_reference_to_parent_by_external_id() -> None:
    ref = col("AccountId", "account", type="reference", external_id_field="External_Id__c")
    s = spec("Contact", "Email", [col("Email"), col("LastName"), ref])
    assert referenced_objects(s, described("Contact")) == {"Account"}
    assert problems(s) == [("AccountId", "parent object Account has no field External_Id__c")]
    assert problems(s, lookup=org(account_with_external_id())) == []
    by_number = col("Account", "account", type="reference", external_id_field="AccountNumber")
    assert problems(spec("Contact", "Email", [col("Email"), col("LastName"), by_number])) == [
        ("Account", "Account.AccountNumber is not an external id or id lookup field, so "
                    "parents cannot be matched on it")]


def test_reference_problems() -> None:
    wrong_type = col("LastName", "x", type="reference", external_id_field="Email")
    assert problems(spec("Contact", "Email", [col("Email"), wrong_type])) == [
        ("LastName", "a reference needs a lookup field, LastName is string")]
    # Lead.OwnerId refers to Group and User: the parent must be named
    owner = col("OwnerId", "owner", type="reference", external_id_field="Username")
    lead = [col("Email"), col("LastName"), col("Company")]
    assert problems(spec("Lead", "Email", [*lead, owner])) == [
        ("OwnerId", "OwnerId refers to several objects (Group, User): name the parent object")]
    wrong_parent = col("OwnerId", "owner", type="reference", external_id_field="Email",
                       object="Contact")
    assert problems(spec("Lead", "Email", [*lead, wrong_parent])) == [
        ("OwnerId", "OwnerId refers to Group, User, not Contact")]
    user = col("OwnerId", "owner", type="reference", external_id_field="Username", object="User")
    assert problems(spec("Lead", "Email", [*lead, user])) == [
        ("OwnerId", "parent object User does not exist or was not described")]
    plain = col("AccountId", "account")  # an Id string straight into a lookup is fine
    assert problems(spec("Contact", "Email", [col("Email"), col("LastName"), plain])) == []
    by_relationship = col("Account", "account")
    assert problems(spec("Contact", "Email", [col("Email"), col("LastName"), by_relationship])) == [
        ("Account", "Account is a relationship: use a reference transform")]


def test_namespaced_reference_uses_the_recorded_relationship_name() -> None:
    # the recorded Account has ns__LinkedAccount__c whose relationshipName is LinkedAccount
    raw = raw_describe("Account")
    add_field(raw, "AccountNumber", "ns__External_Id__c", externalId=True, idLookup=True)
    lookup = org(DescribedObject(raw))
    ns = {"namespace": {"kind": "managed", "prefix": "ns"}}
    linked = col("LinkedAccount__c", "linked", type="reference", external_id_field="External_Id__c")
    s = spec("Account", "External_Id__c", [col("Name"), col("External_Id__c", "id"), linked],
             target=ns)
    assert problems(s, lookup=lookup) == []
    by_number = {**linked, "transform": {"type": "reference", "external_id_field": "AccountNumber"}}
    s = spec("Account", "External_Id__c", [col("Name"), col("External_Id__c", "id"), by_number],
             target=ns)
    assert problems(s, lookup=lookup) == [
        ("ns__LinkedAccount__c", "Account.AccountNumber is not an external id or id lookup "
                                 "field, so parents cannot be matched on it")]


# --- auto-mapping and source columns ------------------------------------------------------

def test_auto_mapped_columns_count_as_mapped() -> None:
    s = spec("Lead", "Email", [col("Email")], auto_map=True)
    assert problems(s, columns=["email", "LastName", "company"]) == []
    assert problems(s, columns=["email", "LastName"]) == [
        ("Company", "required to create Lead records but not mapped")]


def test_columns_missing_from_the_source() -> None:
    s = spec("Contact", "Email", [col("Email", "mail"), col("LastName", "surname")])
    assert problems(s, columns=["mail", "name"]) == [
        ("LastName", "column 'surname' is not in the source")]


def test_mapped_twice() -> None:
    s = spec("Contact", "Email", [col("Email"), col("LastName"), col("lastname", "other")])
    assert problems(s) == [("LastName", "mapped twice (LastName and lastname)")]


# --- all at once --------------------------------------------------------------------------

def test_every_problem_at_once_in_one_plan_error() -> None:
    s = spec("Lead", "Name", [
        col("Nope__c"), col("Phone", type="boolean"), col("IsConverted", type="boolean"),
        col("CleanStatus", type="value_map", values={"x": "Nope"}),
    ])
    with pytest.raises(PlanError) as info:
        ensure_valid(s, SyncMode.UPSERT, org())
    fields = [p.field for p in info.value.problems]
    assert fields == ["Nope__c", "Phone", "IsConverted", "CleanStatus", "Name", "Name",
                      "LastName", "Company"]
    assert len(info.value.details) == 8
    assert "Nope__c: Lead has no field Nope__c" in info.value.message


def test_the_clients_describe_model_satisfies_the_protocol() -> None:
    """The runner passes `forcebridge.salesforce.schema.SObjectSchema` straight in."""
    raw = raw_describe("Lead")
    client_model: ObjectSchema = SObjectSchema.from_describe(raw)
    s = spec("Lead", "Email", [col("Email"), col("FirstName")])
    assert check(s, SyncMode.UPSERT, lookup_from([client_model])) == [
        Problem("LastName", "required to create Lead records but not mapped"),
        Problem("Company", "required to create Lead records but not mapped"),
    ]
