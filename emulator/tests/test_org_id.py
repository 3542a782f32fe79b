"""The org file chooses the org id: identity, userinfo, SOAP login, the Organization record and
the pod of every record id follow it, so two emulated orgs are told apart like two real ones."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from harness.http_client import emulator_client
from test_soap_login import PARTNER, docs_envelope, post_login

from forcebridge_emulator._org import Org
from forcebridge_emulator._orgfile import OrgFileError, demo_config, parse

pytestmark = pytest.mark.anyio
ORG_A = "00D7x000000AbCdEAK"


def org_with(org_id: str) -> Org:
    config = demo_config()
    config.org_id = parse({"org_id": org_id}).org_id
    return Org(config)


@pytest.mark.parametrize("key", ["org_id", "id"])
def test_the_org_file_sets_the_org_id_in_its_18_character_form(key: str) -> None:
    assert parse({key: "00D7x000000AbCd"}).org_id == ORG_A
    assert parse({key: ORG_A}).org_id == ORG_A


@pytest.mark.parametrize(("data", "fragment"), [
    ({"org_id": "001000000000001"}, "'org_id' must be an organization id"),
    ({"org_id": "00D7x000000AbCdAAA"}, "'org_id' must be an organization id"),
    ({"org_id": "00D-bad"}, "'org_id' must be an organization id"),
    ({"org_id": 5}, "'org_id' must be a string"),
    ({"org_id": "00D7x000000AbCd", "id": "00D7x000000AbCd"}, "'org_id' or 'id', not both"),
])
def test_a_bad_org_id_is_refused_naming_the_key(data: dict[str, object], fragment: str) -> None:
    with pytest.raises(OrgFileError, match=fragment):
        parse(data)


async def test_every_face_of_the_org_answers_the_chosen_id() -> None:
    org = org_with(ORG_A)
    async with emulator_client(org=org) as client:
        userinfo = (await client.get("/services/oauth2/userinfo")).json()
        assert userinfo["organization_id"] == ORG_A
        identity = (await client.get(userinfo["sub"].removeprefix("https://emulator.test"))).json()
        assert identity["organization_id"] == ORG_A
        rows = (await client.get("/services/data/v62.0/query",
                                 params={"q": "SELECT Id FROM Organization"})).json()["records"]
        assert [r["Id"] for r in rows] == [ORG_A]
        user = org.config.users[0]
        login = await post_login(client, docs_envelope(user.username,
                                                       user.password + user.security_token))
        found = ET.fromstring(login.content).find(f".//{{{PARTNER}}}organizationId")
        assert found is not None and found.text == ORG_A
        created = await client.post("/services/data/v62.0/sobjects/Account",
                                    json={"Name": "Pod check"})
        assert created.json()["id"][3:5] == ORG_A[3:5]


def test_two_orgs_with_different_ids_never_share_record_ids() -> None:
    first, second = org_with("00D7x000000AbCd"), org_with("00D9z000000AbCd")
    one = first.insert("Account", {"Name": "A"}).id
    two = second.insert("Account", {"Name": "A"}).id
    assert one != two and one[3:5] == "7x" and two[3:5] == "9z"
