"""save_state / load_state: records, deletions and counters survive a restart."""

from __future__ import annotations

from pathlib import Path

from forcebridge_emulator import load_state, save_state
from forcebridge_emulator._org import Org
from forcebridge_emulator._orgfile import demo_config


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    org = Org.demo()
    acc = org.insert("Account", {"Name": "Acme", "External_Id__c": "A1", "BillingCity": "Oslo"}).id
    gone = org.insert("Account", {"Name": "Gone"}).id
    case = org.insert("Case", {"Subject": "s"}).id
    assert acc and gone and case
    org.delete("Account", gone)
    path = tmp_path / "org.db"
    save_state(org, path)

    again = load_state(path, demo_config())
    assert again.config.org_id == org.config.org_id
    assert again.config.users[0].user_id == org.config.users[0].user_id
    assert again.get("Account", acc) == org.get("Account", acc)
    assert again.count("Account") == 1
    assert [r["Id"] for r in again.iter_records("Account", include_deleted=True)] == [acc, gone]
    assert again.find_by_external_id("Account", "External_Id__c", "a1") == [acc]
    # Counters continue: no id or case number is handed out twice.
    new_case = again.insert("Case", {"Subject": "t"}).id
    assert new_case and new_case != case
    assert (
        int(again.get("Case", new_case)["CaseNumber"])
        == int(org.get("Case", case)["CaseNumber"]) + 1
    )
    assert again.upsert("Account", "External_Id__c", "A1", {"Name": "Renamed"}).created is False
