"""The four entity-sync integrations of the billing demo, as a user would write them.

Each is plain configuration (the dict an API call or a YAML file gives), so the demo goes
through the same validation and save path as every other face. Together they show what a
billing vendor needs: the managed-package namespace (`acme`), custom field mappings, parents
referenced by external id (balance -> account, commitment -> contract -> account), and the
transforms real data needs (dates, amounts with scale, a datetime from a local time zone,
picklist value maps).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from forcebridge.services.integrations import IntegrationInput

NAMESPACE = {"kind": "managed", "prefix": "acme"}
SOURCE_TIMEZONE = "Europe/London"
ACCOUNT_KEY = "Account_Id__c"  # acme__Account_Id__c once the namespace is applied


@dataclass(frozen=True)
class DemoIntegration:
    """One integration of the demo: its name, the table it reads and its mapping."""

    name: str
    table: str
    object: str
    external_id: str
    mappings: list[dict[str, Any]]

    def config(self, source: str) -> dict[str, Any]:
        """The EntitySyncConfig (as a dict) reading `self.table` of the data source `source`."""
        return {
            "source": {"kind": "sql", "name": source, "table": self.table,
                       "key_column": "id",
                       "account_column": "id" if self.table == "accounts" else "account_id"},
            "mapping": {
                "target": {"object": self.object, "external_id_field": self.external_id,
                           "namespace": NAMESPACE},
                "mappings": self.mappings,
            },
        }  # fmt: skip

    def input(self, source: str, *, connection: str, notify: list[str]) -> IntegrationInput:
        return IntegrationInput(
            name=self.name, kind="entity_sync", connection=connection,
            config=self.config(source), notify=notify,
        )  # fmt: skip


def _account_ref(column: str = "account_id") -> dict[str, Any]:
    return {"field": "Account__c", "column": column,
            "transform": {"type": "reference", "external_id_field": ACCOUNT_KEY}}  # fmt: skip


_AMOUNT = {"type": "number", "scale": 2}
_DATE = {"type": "date"}

# In dependency order: parents first, so every reference by external id finds its record.
INTEGRATIONS: tuple[DemoIntegration, ...] = (
    DemoIntegration("Billing accounts", "accounts", "Account", ACCOUNT_KEY, [
        {"field": ACCOUNT_KEY, "column": "id"},
        {"field": "Name", "column": "name"},
        # custom field mappings: the package's fields on the standard Account
        {"field": "Billing_Currency__c", "column": "currency"},
        {"field": "Credit_Limit__c", "column": "credit_limit", "transform": _AMOUNT},
        {"field": "Customer_Since__c", "column": "customer_since", "transform": _DATE},
    ]),
    DemoIntegration("Billing contracts", "contracts", "Contract__c", "External_Id__c", [
        {"field": "External_Id__c", "column": "id"},
        {"field": "Name", "column": "name"},
        _account_ref(),
        {"field": "Code__c", "column": "code"},
        {"field": "Start_Date__c", "column": "start_date", "transform": _DATE},
        {"field": "End_Date__c", "column": "end_date", "transform": _DATE},
        {"field": "Billing_Frequency__c", "column": "billing_frequency",
         "transform": {"type": "value_map", "values": {
             "monthly": "Monthly", "quarterly": "Quarterly", "annual": "Annually"}}},
    ]),
    DemoIntegration("Billing commitments", "commitments", "Commitment__c", "External_Id__c", [
        {"field": "External_Id__c", "column": "id"},
        {"field": "Name", "column": "id"},
        _account_ref(),
        {"field": "Contract__c", "column": "contract_id",
         "transform": {"type": "reference", "external_id_field": "External_Id__c"}},
        {"field": "Type__c", "column": "kind", "transform": {"type": "value_map", "values": {
            "prepayment": "Prepayment", "commitment": "Commitment"}}},
        {"field": "Amount__c", "column": "amount", "transform": _AMOUNT},
        {"field": "Start_Date__c", "column": "start_date", "transform": _DATE},
        {"field": "End_Date__c", "column": "end_date", "transform": _DATE},
    ]),
    DemoIntegration("Billing balances", "balances", "Balance__c", "External_Id__c", [
        {"field": "External_Id__c", "column": "id"},
        {"field": "Name", "column": "id"},
        _account_ref(),
        {"field": "Amount__c", "column": "amount", "transform": _AMOUNT},
        {"field": "Currency__c", "column": "currency"},
        {"field": "As_Of__c", "column": "as_of", "transform": _DATE},
        {"field": "Updated_At__c", "column": "updated_at",
         "transform": {"type": "datetime", "timezone": SOURCE_TIMEZONE}},
    ]),
)  # fmt: skip
