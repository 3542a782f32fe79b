"""Hook secrets (URL token or HMAC), rotation, size limits, and tenant isolation."""

from __future__ import annotations

import time
from typing import Any

from forcebridge.kinds.hooks import SIGNATURE_HEADER, signature
from tests.forms.conftest import LEAD_FORM, Forms

LEAD = {"last_name": "Lovelace", "company": "Engines"}
NO_HOOK = {"error": {"code": "not_found", "message": "no hook here, or its secret does not match",
                     "details": []}}


def test_a_missing_or_wrong_token_gets_the_same_404_as_an_unknown_hook(forms: Forms) -> None:
    hook = forms.form("web leads", LEAD_FORM)
    path = f"/hooks/{hook.hook_id}"
    for resp in (
        forms.api.post(path, data=LEAD),
        forms.api.post(path, params={"token": hook.secret[:-1] + "x"}, data=LEAD),
        forms.api.post("/hooks/fh_doesnotexist", params={"token": hook.secret}, data=LEAD),
        forms.api.post("/hooks/anything", data=LEAD),
    ):
        assert resp.status_code == 404 and resp.json() == NO_HOOK
    assert forms.post(hook, data=LEAD).status_code == 201


def test_rotating_the_secret_ends_the_old_one_at_once(forms: Forms) -> None:
    old = forms.form("web leads", LEAD_FORM)
    resp = forms.api.post("/api/v1/integrations/web leads/hook/rotate-secret",
                          headers=forms.tenant.headers)
    assert resp.status_code == 200, resp.text
    new = resp.json()
    assert new["hook_id"] == old.hook_id and new["secret"] != old.secret
    assert new["url"].endswith(f"/hooks/{old.hook_id}?token={new['secret']}")
    assert forms.post(old, data=LEAD).status_code == 404
    assert forms.post(forms.hook("web leads"), data=LEAD).status_code == 201
    shown = forms.api.get("/api/v1/integrations/web leads/hook", headers=forms.tenant.headers)
    assert new["secret"] not in shown.text  # shown once, by the rotation
    assert shown.json()["secret"] == "set" and shown.json()["secret_rotated_at"] is not None
    assert shown.json()["url"] == new["url"].partition("?")[0]


def test_hmac_hooks_need_a_signature_of_the_raw_body(forms: Forms) -> None:
    hook = forms.form("signed", {**LEAD_FORM, "auth": "hmac"})
    assert hook.auth == "hmac" and "token=" not in hook.url
    path = f"/hooks/{hook.hook_id}"
    body = b'{"last_name": "Turing", "company": "Bletchley"}'
    json_type = {"content-type": "application/json"}
    good = forms.api.post(path, content=body,
                          headers=json_type | {SIGNATURE_HEADER: signature(hook.secret, body, int(time.time()))})
    assert good.status_code == 201, good.text
    assert forms.emu.org.get("Lead", good.json()["id"])["LastName"] == "Turing"
    tampered = body.replace(b"Turing", b"Mallory")
    for headers in (
        json_type,
        json_type | {SIGNATURE_HEADER: signature(hook.secret, body, int(time.time()))},  # signs another body
        json_type | {SIGNATURE_HEADER: signature("wrong", tampered, int(time.time()))},
    ):
        resp = forms.api.post(path, content=tampered, headers=headers)
        assert resp.status_code == 404 and resp.json() == NO_HOOK
    # a token does not open an HMAC hook
    assert forms.api.post(path, params={"token": hook.secret}, content=body,
                          headers=json_type).status_code == 404


def test_hmac_url_parameter_posts_sign_the_query_string(forms: Forms) -> None:
    hook = forms.form("signed", {**LEAD_FORM, "auth": "hmac"})
    query = "last_name=Noether&company=Erlangen"
    resp = forms.api.post(f"/hooks/{hook.hook_id}?{query}",
                          headers={SIGNATURE_HEADER: signature(hook.secret, query.encode(), int(time.time()))})
    assert resp.status_code == 201, resp.text
    forged = forms.api.post(f"/hooks/{hook.hook_id}?last_name=X&company=Y",
                            headers={SIGNATURE_HEADER: signature(hook.secret, query.encode(), int(time.time()))})
    assert forged.status_code == 404


def test_posts_over_the_size_limit_get_413(forms: Forms) -> None:
    hook = forms.form("small", {**LEAD_FORM, "max_body_bytes": 512})
    big = {**LEAD, "notes": "x" * 600}
    resp = forms.post(hook, data=big)
    assert resp.status_code == 413 and resp.json()["error"]["code"] == "body_too_large"
    # streamed without a length, it is cut off as it arrives
    chunked = forms.post(hook, content=iter([b"last_name=A&company=B&notes=", b"x" * 600]),
                         headers={"content-type": "application/x-www-form-urlencoded"})
    assert chunked.status_code == 413
    assert forms.post(hook, data=LEAD).status_code == 201
    # an unknown hook answers a body over the default limit the same way
    assert forms.api.post("/hooks/fh_unknown", content=b"x" * 70_000).status_code == 413


def test_a_tenant_sees_and_replays_only_its_own_forms(forms: Forms) -> None:
    hook = forms.form("web leads", LEAD_FORM)
    post_id = forms.post(hook, data={"company": "no name"}).json()["post_id"]
    other = forms.new_tenant("globex")
    other_hook = forms.form("web leads", LEAD_FORM, tenant=other)
    assert other_hook.hook_id != hook.hook_id
    h = other.headers
    base = "/api/v1/integrations/web leads"
    listed = forms.api.get(f"{base}/form-posts", headers=h)
    assert listed.status_code == 200 and listed.json() == []
    assert forms.api.get(f"{base}/form-posts/{post_id}", headers=h).status_code == 404
    replay = forms.api.post(f"{base}/form-posts/replay", json={"post_ids": [post_id]}, headers=h)
    assert replay.status_code == 404
    # the other tenant's secret does not open the first tenant's hook
    assert forms.api.post(f"/hooks/{hook.hook_id}", params={"token": other_hook.secret},
                          data=LEAD).status_code == 404
    mine = forms.api.get(f"{base}/form-posts", headers=forms.tenant.headers).json()
    assert [p["id"] for p in mine] == [post_id]


def test_integration_ids_of_other_kinds_are_not_forms(forms: Forms) -> None:
    resp = forms.api.get("/api/v1/integrations/nope/form-posts", headers=forms.tenant.headers)
    assert resp.status_code == 404


def _signed_post(forms: Forms, hook_id: str, body: bytes, header: str) -> Any:
    return forms.api.post(f"/hooks/{hook_id}", content=body, headers={
        "content-type": "application/json", SIGNATURE_HEADER: header,
    })


def test_a_signed_post_is_refused_outside_the_tolerance_or_replayed(forms: Forms) -> None:
    hook = forms.form("signed", {**LEAD_FORM, "auth": "hmac"})
    body = b'{"last_name": "Hopper", "company": "Navy"}'
    now = int(time.time())
    first = _signed_post(forms, hook.hook_id, body, signature(hook.secret, body, now))
    assert first.status_code == 201, first.text
    replayed = _signed_post(forms, hook.hook_id, body, signature(hook.secret, body, now))
    assert replayed.status_code == 409 and replayed.json()["error"]["details"] == [
        {"field": SIGNATURE_HEADER, "reason": "signature already used"}]
    for skew in (-330, 330):  # the default tolerance is 300 s, either way (slow-machine margin)
        late = _signed_post(forms, hook.hook_id, body, signature(hook.secret, body, now + skew))
        assert late.status_code == 401, late.text
        assert late.json()["error"]["code"] == "signature_expired"
    again = _signed_post(forms, hook.hook_id, body, signature(hook.secret, body, now + 1))
    assert again.status_code == 201  # the same body, signed anew, is a new post
    assert forms.emu.org.count("Lead") == 2
    # the old scheme (no timestamp) and a signature without the secret say nothing more
    old = "sha256=" + signature(hook.secret, body, now).split("v1=")[1]
    for header in (old, signature("wrong", body, now + 2), f"t={now + 3},v1=" + "0" * 64):
        refused = _signed_post(forms, hook.hook_id, body, header)
        assert refused.status_code == 404 and refused.json() == NO_HOOK


def test_the_tolerance_is_a_setting(forms: Forms) -> None:
    forms.rt.settings.hook_signature_tolerance_seconds = 10
    hook = forms.form("signed", {**LEAD_FORM, "auth": "hmac"})
    body = b'{"last_name": "Hopper", "company": "Navy"}'
    stale = signature(hook.secret, body, int(time.time()) - 30)
    assert _signed_post(forms, hook.hook_id, body, stale).status_code == 401


def test_invalid_percent_encoding_is_refused_and_nothing_stored(forms: Forms) -> None:
    hook = forms.form("web leads", LEAD_FORM)
    form = {"content-type": "application/x-www-form-urlencoded"}
    bad_body = forms.post(hook, content=b"last_name=%ZZ%&company=%%%", headers=form)
    assert bad_body.status_code == 400, bad_body.text
    assert bad_body.json()["error"]["code"] == "malformed_post"
    assert "'%ZZ'" in bad_body.json()["error"]["message"]
    not_utf8 = forms.post(hook, content=b"last_name=%FF%FE&company=x", headers=form)
    assert not_utf8.status_code == 400
    bad_query = forms.api.post(f"/hooks/{hook.hook_id}?token={hook.secret}&last_name=%G1",
                               data={"company": "x"})
    assert bad_query.status_code == 400 and bad_query.json()["error"]["details"][0]["field"] \
        == "query"
    listed = forms.api.get("/api/v1/integrations/web leads/form-posts",
                           headers=forms.tenant.headers)
    assert listed.json() == [] and forms.emu.org.count("Lead") == 0


def test_control_characters_are_refused_naming_the_field(forms: Forms) -> None:
    hook = forms.form("web leads", LEAD_FORM)
    nul = forms.post(hook, data={"last_name": "Love\x00lace", "company": "Engines"})
    assert nul.status_code == 422
    assert nul.json()["error"]["details"] == [
        {"field": "last_name", "reason": "contains a control character (U+0000)"}]
    as_json = forms.post(hook, content=b'{"last_name": "x", "company": "a\\u0007b"}',
                         headers={"content-type": "application/json"})
    assert as_json.status_code == 422
    assert as_json.json()["error"]["details"][0]["field"] == "company"
    lines = forms.post(hook, data={"last_name": "Lovelace", "company": "Engines\r\nLtd\t1"})
    assert lines.status_code == 201  # line breaks and tabs are text


def test_json_values_are_converted_by_the_fields_type_or_refused_with_the_reason(
    forms: Forms,
) -> None:
    config = {**LEAD_FORM, "mappings": [
        *LEAD_FORM["mappings"], {"field": "NumberOfEmployees", "column": "employees"}]}
    hook = forms.form("typed", config)
    json_type = {"content-type": "application/json"}
    made = forms.post(hook, headers=json_type,
                      content=b'{"last_name": 42, "company": true, "employees": "12"}')
    assert made.status_code == 201, made.text
    lead = forms.emu.org.get("Lead", made.json()["id"])
    assert (lead["LastName"], lead["Company"], lead["NumberOfEmployees"]) == ("42", "true", 12)
    for value, reason in ((b'"many"', "not a number: 'many'"), (b"true", "not a number: True")):
        refused = forms.post(hook, headers=json_type,
                             content=b'{"last_name": "x", "company": "y", "employees": ' + value + b"}")
        assert refused.status_code == 422
        assert refused.json()["error"]["details"] == [
            {"field": "NumberOfEmployees", "reason": reason}]
