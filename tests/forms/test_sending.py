"""Posts are stored before they are sent; refused ones become events and are replayed;
posts left pending (Salesforce unreachable, a crash, a disabled integration) are resent."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import anyio
import pytest
from sqlalchemy import select

from forcebridge.errors import NotFound
from forcebridge.forms import posts, receiving, sending
from forcebridge.services import integrations
from forcebridge.store.form_posts import FormPost
from forcebridge.store.runs import Event
from forcebridge.store.types import utcnow
from tests.forms.conftest import LEAD_FORM, Forms

LEAD = {"last_name": "Lovelace", "company": "Engines"}


def _post(forms: Forms, post_id: str) -> FormPost:
    with forms.rt.db.begin() as s:
        post = s.get(FormPost, post_id)
        assert post is not None
        return post


def _events(forms: Forms, post_id: str) -> list[Event]:
    with forms.rt.db.begin() as s:
        return list(s.scalars(select(Event).where(Event.record_key == post_id)
                              .order_by(Event.created_at)))


def _resend(forms: Forms) -> int:
    return anyio.run(lambda: sending.resend_pending(forms.rt, older_than=0))


def test_a_post_is_kept_pending_while_salesforce_is_unreachable_then_resent(
    forms: Forms,
) -> None:
    hook = forms.form("web leads", LEAD_FORM)
    forms.emu.faults("error503=1")
    resp = forms.post(hook, data=LEAD)
    assert resp.status_code == 202, resp.text
    body = resp.json()
    assert body["status"] == "pending" and body["id"] is None
    assert body["error"]["code"] == "SERVER_UNAVAILABLE"
    post = _post(forms, body["post_id"])
    assert post.status == "pending" and post.received == LEAD and post.attempts == 1
    assert _events(forms, post.id) == []
    assert forms.emu.org.count("Lead") == 0

    assert _resend(forms) == 1  # still unreachable: tried, still pending
    assert _post(forms, post.id).status == "pending"
    forms.emu.faults("none")
    assert _resend(forms) == 1
    post = _post(forms, post.id)
    assert post.status == "created" and post.attempts == 3 and post.error is None
    assert forms.emu.org.get("Lead", post.salesforce_id)["LastName"] == "Lovelace"
    assert _resend(forms) == 0


def test_a_post_stored_before_a_crash_is_sent_by_resend_pending(forms: Forms) -> None:
    hook = forms.form("web leads", LEAD_FORM)
    # the hook's first half (verify, read, store) committed; the process died before sending
    _tenant, post_id = receiving._store(
        forms.rt, hook.hook_id, content_type="application/json", body=b'{"last_name": "B", '
        b'"company": "C"}', query=[("token", hook.secret)], raw_query=b"", token=hook.secret,
        signature=None,
    )
    assert _post(forms, post_id).status == "pending"
    # too young: it may still be in its own hook call
    assert anyio.run(lambda: sending.resend_pending(forms.rt)) == 0
    assert _resend(forms) == 1
    assert _post(forms, post_id).status == "created"


def test_a_sender_that_died_mid_send_leaves_an_unknown_post_and_an_event(forms: Forms) -> None:
    hook = forms.form("web leads", LEAD_FORM)
    _tenant, post_id = receiving._store(
        forms.rt, hook.hook_id, content_type=None, body=b"last_name=B&company=C",
        query=[], raw_query=b"", token=hook.secret, signature=None,
    )
    with forms.rt.db.begin() as s:
        assert posts.claim(s, post_id, ["pending"])
        s.get(FormPost, post_id).sent_at = utcnow() - timedelta(hours=1)  # type: ignore[union-attr]
    assert _resend(forms) == 0  # never resent by itself: the create may have happened
    assert _post(forms, post_id).status == "unknown"
    [event] = _events(forms, post_id)
    assert event.kind == "form_outcome_unknown" and event.status == "open"
    # a person checked the org and replays it
    [outcome] = anyio.run(lambda: sending.replay(forms.rt, forms.tenant.id, [post_id]))
    assert outcome.status == "created"
    assert [e.status for e in _events(forms, post_id)] == ["retried"]


def test_a_post_salesforce_rejects_is_an_event_and_replays_after_the_mapping_is_fixed(
    forms: Forms,
) -> None:
    config: dict[str, Any] = {**LEAD_FORM, "mappings": [
        *LEAD_FORM["mappings"], {"field": "GeocodeAccuracy", "column": "precision"}]}
    hook = forms.form("web leads", config)
    resp = forms.post(hook, data={**LEAD, "precision": "near"})
    assert resp.status_code == 422, resp.text
    body = resp.json()
    assert body["status"] == "rejected"
    assert body["error"]["code"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    assert body["error"]["details"][0]["field"] == "GeocodeAccuracy"
    post_id = body["post_id"]
    [event] = _events(forms, post_id)
    assert event.kind == "form_rejected" and event.status == "open"
    assert event.error_code == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    assert event.fields == ["GeocodeAccuracy"]
    assert event.payload is not None and event.payload["sent"]["GeocodeAccuracy"] == "near"
    assert forms.emu.org.count("Lead") == 0

    # replaying with the same mapping fails the same way, with a new event
    [again] = anyio.run(lambda: sending.replay(forms.rt, forms.tenant.id, [post_id]))
    assert again.status == "rejected"
    assert [e.status for e in _events(forms, post_id)] == ["retried", "open"]

    fixed = {**config, "mappings": [*LEAD_FORM["mappings"], {
        "field": "GeocodeAccuracy", "column": "precision",
        "transform": {"type": "value_map", "values": {"near": "NearAddress"}}}]}
    forms.save("web leads", fixed, ref="web leads")
    resp = forms.api.post("/api/v1/integrations/web leads/form-posts/replay",
                          json={"all_rejected": True}, headers=forms.tenant.headers)
    assert resp.status_code == 200, resp.text
    [done] = resp.json()["posts"]
    assert done["post_id"] == post_id and done["status"] == "created"
    assert forms.emu.org.get("Lead", done["id"])["GeocodeAccuracy"] == "NearAddress"
    assert [e.status for e in _events(forms, post_id)] == ["retried", "retried"]
    # a created post is never sent twice
    [same] = anyio.run(lambda: sending.replay(forms.rt, forms.tenant.id, [post_id]))
    assert same.status == "created" and same.salesforce_id == done["id"]
    assert same.message == "already created; not sent again"
    assert forms.emu.org.count("Lead") == 1


def test_a_post_missing_a_key_replays_once_the_key_is_mapped(forms: Forms) -> None:
    hook = forms.form("web leads", LEAD_FORM)
    body = forms.post(hook, data={"surname": "Hamilton", "company": "MIT"}).json()
    assert body["status"] == "rejected" and body["ignored"] == ["surname"]
    fixed = {**LEAD_FORM, "mappings": [{"field": "LastName", "column": "surname"},
                                       *LEAD_FORM["mappings"][1:]]}
    forms.save("web leads", fixed, ref="web leads")
    resp = forms.api.post("/api/v1/integrations/web leads/form-posts/replay",
                          json={"post_ids": [body["post_id"]]}, headers=forms.tenant.headers)
    [done] = resp.json()["posts"]
    assert done["status"] == "created" and done["ignored"] == []
    assert forms.emu.org.get("Lead", done["id"])["LastName"] == "Hamilton"


def test_a_disabled_integration_keeps_posts_until_it_is_enabled(forms: Forms) -> None:
    hook = forms.form("web leads", LEAD_FORM)
    with forms.rt.db.begin() as s:
        integrations.disable(s, forms.tenant.id, "web leads")
    resp = forms.post(hook, data=LEAD)
    assert resp.status_code == 202 and "disabled" in resp.json()["error"]["message"]
    assert _resend(forms) == 0
    with forms.rt.db.begin() as s:
        integrations.enable(s, forms.tenant.id, "web leads")
    assert _resend(forms) == 1
    assert _post(forms, resp.json()["post_id"]).status == "created"


def test_posts_are_listed_by_status(forms: Forms) -> None:
    hook = forms.form("web leads", LEAD_FORM)
    forms.post(hook, data=LEAD)
    rejected = forms.post(hook, data={"company": "x"}).json()["post_id"]
    base = "/api/v1/integrations/web leads/form-posts"
    h = forms.tenant.headers
    assert len(forms.api.get(base, headers=h).json()) == 2
    only = forms.api.get(base, params={"status": "rejected"}, headers=h).json()
    assert [p["id"] for p in only] == [rejected] and only[0]["received"] == {"company": "x"}
    bad = forms.api.get(base, params={"status": "lost"}, headers=h)
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "status"


def test_retrying_a_form_event_replays_its_post(forms: Forms) -> None:
    hook = forms.form("web leads", LEAD_FORM)
    post_id = forms.post(hook, data={"surname": "Franklin", "company": "King's"}).json()["post_id"]
    [event] = _events(forms, post_id)
    other = forms.new_tenant("globex")
    with pytest.raises(NotFound):
        anyio.run(lambda: sending.replay_events(forms.rt, other.id, [event.id]))
    fixed = {**LEAD_FORM, "mappings": [{"field": "LastName", "column": "surname"},
                                       *LEAD_FORM["mappings"][1:]]}
    forms.save("web leads", fixed, ref="web leads")
    [done] = anyio.run(lambda: sending.replay_events(forms.rt, forms.tenant.id, [event.id]))
    assert done.status == "created" and done.post_id == post_id
    assert [e.status for e in _events(forms, post_id)] == ["retried"]


def test_the_events_api_retries_a_form_event_by_replaying_its_post(forms: Forms) -> None:
    hook = forms.form("web leads", LEAD_FORM)
    post_id = forms.post(hook, data={"surname": "Franklin", "company": "King's"}).json()["post_id"]
    [event] = _events(forms, post_id)
    fixed = {**LEAD_FORM, "mappings": [{"field": "LastName", "column": "surname"},
                                       *LEAD_FORM["mappings"][1:]]}
    forms.save("web leads", fixed, ref="web leads")
    short_id = event.id[:12]  # as `events list` shows it
    resp = forms.api.post("/api/v1/events/retry", json={"ids": [short_id]},
                          headers=forms.tenant.headers)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["family"] == "form_posts"
    assert [(i["post_id"], i["status"]) for i in body["items"]] == [(post_id, "created")]
    assert forms.emu.org.count("Lead") == 1
    assert [e.status for e in _events(forms, post_id)] == ["retried"]


def test_a_replay_starts_the_count_of_attempts_afresh(forms: Forms) -> None:
    hook = forms.form("web leads", LEAD_FORM)
    post_id = forms.post(hook, data={"surname": "Franklin", "company": "King's"}).json()["post_id"]
    with forms.rt.db.begin() as s:  # as if it had been given up after every attempt
        post = s.get(FormPost, post_id)
        assert post is not None and post.status == "rejected"
        post.attempts = sending.MAX_ATTEMPTS
    forms.emu.faults("error503=1")
    [done] = anyio.run(lambda: sending.replay(forms.rt, forms.tenant.id, [post_id]))
    assert done.status == "pending"  # one transient failure does not give it up again
    assert _post(forms, post_id).attempts == 1
