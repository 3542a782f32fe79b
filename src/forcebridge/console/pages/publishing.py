"""Inbound forms and event publishing on an integration's page: the form's hook and its
recent posts with replay; the outbox's depth, deliveries and dead letters with replay.

The console shows a hook's secret once, on the page that answers **Rotate secret** (a POST,
never cached); the integration page shows the hook's address and how it authenticates only.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from forcebridge.console import viewer as viewers
from forcebridge.console.rendering import render
from forcebridge.forms import manage, posts, sending
from forcebridge.kinds import hooks
from forcebridge.outbox import messages
from forcebridge.runtime import Runtime
from forcebridge.services import integrations

router = APIRouter()
RECENT = 25


def form_section(rt: Runtime, tenant_id: str, integration_id: str) -> dict[str, Any]:
    """What the integration page shows of an inbound form: recent posts, newest first."""
    with rt.db.begin() as s:
        integration = manage.form_integration(s, tenant_id, integration_id)
        recent = [posts.view(p) for p in posts.list_posts(s, integration, limit=RECENT)]
        address = (rt.settings.resolved_public_url + hooks.hook_path(integration.hook_id)
                   if integration.hook_id else None)
        return {"posts": recent, "hook_id": integration.hook_id, "address": address,
                "auth": hooks.auth_of(integration), "token_param": hooks.TOKEN_PARAM}


def outbox_section(rt: Runtime, tenant_id: str, integration_id: str) -> dict[str, Any]:
    with rt.db.begin() as s:
        counts = messages.status_counts(s, tenant_id, integration_id)
        dead = messages.list_messages(s, tenant_id, integration_id, status="dead", limit=RECENT)
        return {"counts": counts, "dead": dead}


@router.post("/integrations/{ref}/hook/rotate-secret")
async def rotate_hook_secret(request: Request, ref: str) -> Response:
    """A new secret, shown this once on a page of its own; the old one stops at once."""
    who, _ = await viewers.posted(request)
    rt = viewers.runtime(request)
    with rt.db.begin() as s:
        info = manage.rotate_secret(s, rt.settings, rt.vault, who.tenant_id, ref,
                                    actor=who.actor)
        name = integrations.get(s, who.tenant_id, ref).name
    return render(request, "publishing/hook.html", who, hook=info.to_json(), name=name, ref=ref)


@router.post("/integrations/{ref}/posts/replay")
async def replay_posts(request: Request, ref: str) -> Response:
    who, form = await viewers.posted(request)
    rt = viewers.runtime(request)
    with rt.db.begin() as s:
        integration = manage.form_integration(s, who.tenant_id, ref)
        chosen = [str(v) for v in form.getlist("ids")] or posts.rejected_ids(s, integration)
        integration_id = integration.id
    if chosen:
        await sending.replay(rt, who.tenant_id, chosen, actor=who.actor)
    return RedirectResponse(f"/integrations/{integration_id}", status_code=303)


@router.post("/integrations/{ref}/outbox/replay")
async def replay_outbox(request: Request, ref: str) -> Response:
    who, form = await viewers.posted(request)
    rt = viewers.runtime(request)
    with rt.db.begin() as s:
        integration = messages.integration_for(s, who.tenant_id, ref)
        ids = [int(str(v)) for v in form.getlist("ids") if str(v).isdigit()]
        # only this integration's messages, whatever the form says
        ids = [i for i in ids if messages.get(s, who.tenant_id, i).integration_id == integration.id]
        if not form.getlist("ids"):
            ids = [m.id for m in messages.list_messages(s, who.tenant_id, integration.id,
                                                         status="dead", limit=messages.MAX_LIST)]
        if ids:
            messages.replay(s, who.tenant_id, ids, actor=who.actor)
        integration_id = integration.id
    return RedirectResponse(f"/integrations/{integration_id}", status_code=303)
