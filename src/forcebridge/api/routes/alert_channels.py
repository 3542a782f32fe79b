"""Alert channels of the calling key's tenant: email, Slack incoming webhook, signed webhook.

A channel's URL is never returned (a Slack URL is a credential): only its scheme and host. A
webhook's signing secret is returned once, by the call that made it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Response
from pydantic import Field

from forcebridge import alerts
from forcebridge.api.auth import Principal, principal, runtime
from forcebridge.api.routes.models import Email, Input, Name, Output
from forcebridge.runtime import Runtime
from forcebridge.services import alert_channels
from forcebridge.services.alert_channels import AlertChannelInput, RuleName, SavedChannel

router = APIRouter(prefix="/alert-channels", tags=["alerts"])

Url = Annotated[str, Field(min_length=8, max_length=2000, pattern=r"^https?://[^/\s]+",
                           description="An http(s) URL.")]
Rules = Annotated[list[RuleName], Field(default_factory=list, description=(
    "Rules this channel hears of; empty: all. " + "; ".join(f"{k}: {v}" for k, v in
                                                           alerts.RULES.items())))]
FailedRuns = Annotated[int, Field(default=3, ge=1, le=1000, description=(
    "How many failed runs in a row raise failed_runs."))]


class _ChannelIn(Input):
    name: Name
    rules: Rules
    failed_runs: FailedRuns
    enabled: bool = True


class EmailChannelIn(_ChannelIn):
    kind: Literal["email"]
    recipients: list[Email] = Field(min_length=1, max_length=50)


class SlackChannelIn(_ChannelIn):
    kind: Literal["slack"]
    url: Url = Field(description="The Slack incoming-webhook URL.")


class WebhookChannelIn(_ChannelIn):
    kind: Literal["webhook"]
    url: Url = Field(description="Where the signed JSON is posted.")
    signing_secret: str | None = Field(default=None, min_length=16, max_length=200,
                                       description="The HMAC secret; default: one is made.")


ChannelIn = Annotated[EmailChannelIn | SlackChannelIn | WebhookChannelIn,
                      Field(discriminator="kind")]


class ChannelUpdate(Input):
    """Only the fields given change."""

    name: Name | None = None
    url: Url | None = None
    recipients: list[Email] | None = Field(default=None, min_length=1, max_length=50)
    rules: list[RuleName] | None = None
    failed_runs: int | None = Field(default=None, ge=1, le=1000)
    signing_secret: str | None = Field(default=None, min_length=16, max_length=200)
    enabled: bool | None = None


class LastMessage(Output):
    kind: str
    status: str
    attempts: int
    error: str | None
    created_at: datetime
    sent_at: datetime | None


class ChannelOut(Output):
    id: str
    name: str
    kind: str
    url: str | None = Field(description="Scheme and host only; the rest is hidden.")
    recipients: list[str]
    rules: list[str]
    failed_runs: int
    signing_secret: str = Field(description="'set' or 'not set'; never the secret.")
    enabled: bool
    open_incidents: int
    last_message: LastMessage | None
    created_at: datetime
    updated_at: datetime


class ChannelSaved(ChannelOut):
    new_signing_secret: str | None = Field(description=(
        "A webhook's signing secret, shown this once when this call made or set it."))


class IncidentOut(Output):
    id: str
    rule: str
    subject_type: str
    subject_id: str
    subject_name: str
    summary: str
    opened_at: datetime
    resolved_at: datetime | None


class TestOutcome(Output):
    status: str = Field(description="sent, or pending (it will be retried) with the error.")
    attempts: int
    error: str | None


def _out(rt: Runtime, session: Any, saved: SavedChannel) -> ChannelSaved:
    view = alert_channels.public_view(session, rt.vault, saved.channel)
    return ChannelSaved(**view, new_signing_secret=saved.signing_secret)


@router.get("", response_model=list[ChannelOut])
def list_channels(
    who: Principal = Depends(principal), rt: Runtime = Depends(runtime)
) -> list[ChannelOut]:
    with rt.db.begin() as s:
        return [ChannelOut(**alert_channels.public_view(s, rt.vault, c))
                for c in alert_channels.list_all(s, who.tenant_id)]


@router.post("", response_model=ChannelSaved, status_code=201)
def create_channel(
    body: ChannelIn, who: Principal = Depends(principal), rt: Runtime = Depends(runtime)
) -> ChannelSaved:
    with rt.db.begin() as s:
        saved = alert_channels.create(s, rt.vault, who.tenant_id,
                                      AlertChannelInput(**body.model_dump()),
                                      allowed_hosts=rt.settings.alert_allowed_hosts,
                                      actor=who.actor)
        return _out(rt, s, saved)


@router.get("/{ref}", response_model=ChannelOut)
def get_channel(
    ref: str, who: Principal = Depends(principal), rt: Runtime = Depends(runtime)
) -> ChannelOut:
    with rt.db.begin() as s:
        return ChannelOut(**alert_channels.public_view(
            s, rt.vault, alert_channels.get(s, who.tenant_id, ref)))


@router.patch("/{ref}", response_model=ChannelSaved)
def update_channel(
    ref: str, body: ChannelUpdate, who: Principal = Depends(principal),
    rt: Runtime = Depends(runtime),
) -> ChannelSaved:
    data = AlertChannelInput(**body.model_dump(exclude_unset=True))
    with rt.db.begin() as s:
        return _out(rt, s, alert_channels.update(
            s, rt.vault, who.tenant_id, ref, data,
            allowed_hosts=rt.settings.alert_allowed_hosts, actor=who.actor))


@router.delete("/{ref}", status_code=204)
def delete_channel(
    ref: str, who: Principal = Depends(principal), rt: Runtime = Depends(runtime)
) -> Response:
    with rt.db.begin() as s:
        alert_channels.delete(s, who.tenant_id, ref, actor=who.actor)
    return Response(status_code=204)


@router.get("/{ref}/incidents", response_model=list[IncidentOut])
def list_incidents(
    ref: str, who: Principal = Depends(principal), rt: Runtime = Depends(runtime)
) -> list[IncidentOut]:
    with rt.db.begin() as s:
        return [IncidentOut.model_validate(i)
                for i in alert_channels.incidents(s, who.tenant_id, ref)]


@router.post("/{ref}/test", response_model=TestOutcome)
async def test_channel(
    ref: str, who: Principal = Depends(principal), rt: Runtime = Depends(runtime)
) -> TestOutcome:
    """Send a test message now; a channel that fails says why (and the message is retried)."""
    outcome = await alert_channels.send_test(rt, who.tenant_id, ref)
    return TestOutcome(**outcome)
