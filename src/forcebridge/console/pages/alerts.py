"""Alerts: the tenant's channels (email, Slack, signed webhook), the rules each follows, the
incidents it was told about, and a test message. A webhook's signing secret is shown once, on
the page that answers its creation."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from forcebridge.alerts import RULES
from forcebridge.console import viewer as viewers
from forcebridge.console.rendering import render
from forcebridge.console.viewer import Viewer
from forcebridge.errors import ForcebridgeError, InvalidInput
from forcebridge.http_status import status_of
from forcebridge.services import alert_channels
from forcebridge.services.alert_channels import KINDS, AlertChannelInput

router = APIRouter()


def _page(request: Request, who: Viewer, **extra: Any) -> Response:
    rt = viewers.runtime(request)
    with rt.db.begin() as s:
        channels = []
        for channel in alert_channels.list_all(s, who.tenant_id):
            view = alert_channels.public_view(s, rt.vault, channel)
            view["incidents"] = alert_channels.incidents(s, who.tenant_id, channel.id, limit=5)
            channels.append(view)
    return render(
        request, "alerts/list.html", who, status_code=extra.pop("status_code", 200),
        channels=channels, rules=RULES, kinds=KINDS, errors=extra.pop("errors", {}),
        form=extra.pop("form", {}), **extra,
    )


@router.get("/alerts")
def list_page(request: Request) -> Response:
    return _page(request, viewers.current(request))


@router.post("/alerts/new")
async def create(request: Request) -> Response:
    who, form = await viewers.posted(request)
    rt = viewers.runtime(request)
    kind = str(form.get("kind") or "")
    fields: dict[str, Any] = {
        "name": str(form.get("name") or ""), "kind": kind or None,
        "rules": [str(r) for r in form.getlist("rules")] or None,
        "failed_runs": str(form.get("failed_runs") or "3").strip(),  # pydantic checks it
    }
    if kind == "email":
        fields["recipients"] = [a.strip() for a in str(form.get("recipients") or "")
                                .replace("\n", ",").split(",") if a.strip()]
    else:
        fields["url"] = str(form.get("url") or "") or None
    try:
        try:
            data = AlertChannelInput(**fields)
        except ValidationError as exc:
            raise InvalidInput.from_pydantic(exc) from None
        with rt.db.begin() as s:
            saved = alert_channels.create(s, rt.vault, who.tenant_id, data, actor=who.actor,
                                          allowed_hosts=rt.settings.alert_allowed_hosts)
            name = saved.channel.name
    except ForcebridgeError as exc:
        errors = {str(d.get("field")).split(".")[0]: str(d.get("reason")) for d in exc.details}
        return _page(request, who, errors=errors or {"name": exc.message},
                     status_code=status_of(exc), form={k: str(form.get(k) or "") for k in form})
    if saved.signing_secret:
        return render(request, "alerts/secret.html", who, name=name,
                      secret=saved.signing_secret)
    return RedirectResponse("/alerts", status_code=303)


@router.post("/alerts/{ref}/test")
async def test(request: Request, ref: str) -> Response:
    who, _ = await viewers.posted(request)
    rt = viewers.runtime(request)
    outcome = await alert_channels.send_test(rt, who.tenant_id, ref)
    with rt.db.begin() as s:
        name = alert_channels.get(s, who.tenant_id, ref).name
    if outcome["status"] == "sent":
        notice = f"Test message sent to {name}."
    else:
        notice = f"Test message to {name} not sent: {outcome['error']}. It will be retried."
    return _page(request, who, notice=notice, notice_ok=outcome["status"] == "sent")


@router.post("/alerts/{ref}/delete")
async def delete(request: Request, ref: str) -> Response:
    who, _ = await viewers.posted(request)
    rt = viewers.runtime(request)
    with rt.db.begin() as s:
        alert_channels.delete(s, who.tenant_id, ref, actor=who.actor)
    return RedirectResponse("/alerts", status_code=303)
