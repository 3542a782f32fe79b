"""Hook secrets (URL token or HMAC), rotation, size limits, and tenant isolation."""

from __future__ import annotations

from forcebridge.forms.hooks import SIGNATURE_HEADER, signature
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
    assert shown.json() == new


def test_hmac_hooks_need_a_signature_of_the_raw_body(forms: Forms) -> None:
    hook = forms.form("signed", {**LEAD_FORM, "auth": "hmac"})
    assert hook.auth == "hmac" and "token=" not in hook.url
    path = f"/hooks/{hook.hook_id}"
    body = b'{"last_name": "Turing", "company": "Bletchley"}'
    json_type = {"content-type": "application/json"}
    good = forms.api.post(path, content=body,
                          headers=json_type | {SIGNATURE_HEADER: signature(hook.secret, body)})
    assert good.status_code == 201, good.text
    assert forms.emu.org.get("Lead", good.json()["id"])["LastName"] == "Turing"
    tampered = body.replace(b"Turing", b"Mallory")
    for headers in (
        json_type,
        json_type | {SIGNATURE_HEADER: signature(hook.secret, body)},  # signs another body
        json_type | {SIGNATURE_HEADER: signature("wrong", tampered)},
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
                          headers={SIGNATURE_HEADER: signature(hook.secret, query.encode())})
    assert resp.status_code == 201, resp.text
    forged = forms.api.post(f"/hooks/{hook.hook_id}?last_name=X&company=Y",
                            headers={SIGNATURE_HEADER: signature(hook.secret, query.encode())})
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
