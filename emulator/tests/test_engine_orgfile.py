"""Org files: YAML/JSON into OrgConfig, with errors that name the bad key; the demo org."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from forcebridge_emulator._org import Org
from forcebridge_emulator._orgfile import OrgFileError, demo_config, load, parse

YAML_ORG = """
name: test org
daily_api_requests: 500
users:
  - username: a@example.com
    password: pw
    security_token: tok
connected_apps:
  - name: app
    consumer_key: key
    consumer_secret: secret
    callback_urls: [http://localhost/cb]
objects:
  - name: Account
    fields:
      - {name: Ext__c, type: string, external_id: true, unique: true}
  - name: ns__Thing__c
    label: Thing
    fields:
      - {name: ns__Account__c, type: reference, reference_to: [Account]}
      - {name: ns__Kind__c, type: picklist, picklist_values: [A, B], restricted_picklist: true}
apex_endpoints:
  - path: /ns/hook
    methods: [POST, GET]
"""


def test_yaml_org_file(tmp_path: Path) -> None:
    path = tmp_path / "org.yaml"
    path.write_text(YAML_ORG)
    cfg = load(path)
    assert cfg.daily_api_requests == 500
    assert cfg.users[0].username == "a@example.com"
    assert cfg.connected_apps[0].callback_urls == ["http://localhost/cb"]
    assert cfg.objects[1].fields[1].picklist_values == ["A", "B"]
    assert cfg.apex_endpoints[0].methods == ["POST", "GET"]
    org = Org(cfg)
    thing = org.schema.get("ns__Thing__c")
    assert thing is not None and thing.fields["ns__Account__c"].relationship_name == (
        "ns__Account__r"
    )
    assert org.schema.objects["Account"].fields["Ext__c"].external_id
    assert cfg.users[0].user_id.startswith("005")


def test_json_org_file(tmp_path: Path) -> None:
    path = tmp_path / "org.json"
    path.write_text(json.dumps({"users": [{"username": "u", "password": "p",
                                           "security_token": "t"}]}))  # fmt: skip
    assert load(path).users[0].username == "u"


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"userz": []}, "unknown key 'userz'"),
        ({"users": [{"username": "u", "password": "p"}]}, "missing key 'users[0].security_token'"),
        (
            {"users": [{"username": "u", "password": "p", "security_token": "t", "role": "x"}]},
            "unknown key 'users[0].role'",
        ),
        (
            {"objects": [{"name": "X__c", "fields": [{"name": "F__c", "tpye": "string"}]}]},
            "unknown key 'objects[0].fields[0].tpye'",
        ),
        (
            {"objects": [{"name": "X__c", "fields": [{"name": "F__c", "type": "strnig"}]}]},
            "'objects[0].fields[0].type' is 'strnig'",
        ),
        (
            {"objects": [{"name": "X__c", "fields": [{"name": "F", "type": "string"}]}]},
            "'objects[0].fields[0].name' must be a custom field name",
        ),
        (
            {"objects": [{"name": "X__c", "fields": [{"name": "R__c", "type": "reference"}]}]},
            "'objects[0].fields[0].reference_to' is required",
        ),
        ({"objects": [{"name": "Widget"}]}, "'objects[0].name' 'Widget' is not a custom object"),
        ({"apex_endpoints": [{"path": "x"}]}, "'apex_endpoints[0].path' must start with '/'"),
        ({"daily_api_requests": 0}, "'daily_api_requests' must be a positive integer"),
        ({"users": "nope"}, "'users' must be a list"),
        ({"users": {}}, "'users' must be a list"),
        (
            {"users": [{"username": 5, "password": "p", "security_token": "t"}]},
            "'users[0].username' must be a string, got 5",
        ),
        (
            {
                "objects": [
                    {
                        "name": "X__c",
                        "fields": [{"name": "F__c", "type": "string", "length": "long"}],
                    }
                ]
            },
            "'objects[0].fields[0].length' must be an integer",
        ),
        ({"daily_api_requests": "many"}, "'daily_api_requests' must be an integer"),
        ({"objects": [{"name": "X__c", "fields": {}}]}, "'objects[0].fields' must be a list"),
        ([], "the top level must be a mapping"),
    ],
)
def test_errors_name_the_bad_key(data: object, fragment: str) -> None:
    with pytest.raises(OrgFileError) as exc:
        parse(data, source="my.yaml")
    assert fragment in str(exc.value)
    assert str(exc.value).startswith("my.yaml: ")


def test_unreadable_and_invalid_files(tmp_path: Path) -> None:
    with pytest.raises(OrgFileError, match="cannot read org file"):
        load(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("users: [unclosed")
    with pytest.raises(OrgFileError, match="not valid"):
        load(bad)


def test_demo_config_has_what_the_product_needs() -> None:
    cfg = demo_config()
    assert cfg.users[0].username == "demo@forcebridge.example"
    app = cfg.connected_apps[0]
    assert "http://localhost:8000/api/v1/oauth/callback" in app.callback_urls
    assert "http://127.0.0.1:8000/api/v1/oauth/callback" in app.callback_urls
    assert cfg.apex_endpoints[0].path == "/acme/events"
    org = Org.demo()
    for name in ("acme__Balance__c", "Invoice__c", "Acme_Event__e"):
        assert org.schema.get(name) is not None
    assert org.schema.objects["Account"].fields["acme__Account_Id__c"].external_id
    assert org.schema.objects["Contact"].fields["External_Id__c"].external_id
    balance = org.schema.objects["acme__Balance__c"]
    assert balance.fields["acme__Amount__c"].type == "currency"
    assert balance.fields["acme__As_Of__c"].type == "date"
    # Prefixes are stable between two builds of the same config.
    assert Org.demo().schema.objects["acme__Balance__c"].key_prefix == balance.key_prefix
