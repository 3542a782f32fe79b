"""Sending one message to one channel: a mail, a Slack incoming webhook, a signed webhook.

A channel that fails raises `ChannelFailed` with a reason fit for a person (the HTTP status or
the error's type, never the URL, which may itself be a credential); the delivery pass keeps
the reason and tries again later.

The webhook body is the stored JSON, signed as forcebridge's inbound hooks are:
`X-Forcebridge-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>." + body>` with the
channel's signing secret; `X-Forcebridge-Delivery` is the message id, the same on every try,
so a receiver can drop a repeat.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import anyio
import httpx
import orjson

from forcebridge import notifications
from forcebridge.alerts import destinations, messages
from forcebridge.kinds.hooks import signature
from forcebridge.settings import Settings

TIMEOUT_SECONDS = 10.0


class ChannelFailed(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Target:
    """A channel as the sender needs it, secrets opened."""

    kind: str
    url: str | None
    signing_secret: str | None
    recipients: tuple[str, ...]


async def send(settings: Settings, target: Target, message_id: int, body: dict[str, Any],
               http: httpx.AsyncClient) -> None:
    if target.kind == "email":
        await _mail(settings, target, body)
    elif target.kind == "slack":
        await _post(http, target, orjson.dumps(messages.slack(body)), {},
                    settings.alert_allowed_hosts)
    elif target.kind == "webhook":
        raw = orjson.dumps(body)
        headers = {
            "X-Forcebridge-Signature": signature(target.signing_secret or "", raw,
                                                 int(time.time())),
            "X-Forcebridge-Event": str(body.get("event", "")),
            "X-Forcebridge-Delivery": str(message_id),
        }
        await _post(http, target, raw, headers, settings.alert_allowed_hosts)
    else:
        raise ChannelFailed(f"unknown channel kind {target.kind!r}")


async def _post(http: httpx.AsyncClient, target: Target, raw: bytes,
                headers: dict[str, str], allowed_hosts: Sequence[str]) -> None:
    if not target.url:
        raise ChannelFailed("the channel has no URL")
    refused = await destinations.resolved_refusal(target.url, allowed_hosts)
    if refused is not None:  # where the name resolves now, not only when it was saved
        raise ChannelFailed(f"not sent: {refused}")
    try:
        response = await http.post(target.url, content=raw, timeout=TIMEOUT_SECONDS, headers={
            "Content-Type": "application/json", "User-Agent": "forcebridge-alerts", **headers})
    except httpx.HTTPError as exc:
        raise ChannelFailed(f"no answer ({type(exc).__name__})") from None
    if response.status_code >= 300:
        raise ChannelFailed(f"answered HTTP {response.status_code}")


async def _mail(settings: Settings, target: Target, body: dict[str, Any]) -> None:
    if not settings.smtp_host:
        raise ChannelFailed("no SMTP server is configured (FORCEBRIDGE_SMTP_HOST)")
    subject, text = messages.email(body)
    sent = await anyio.to_thread.run_sync(
        notifications.send, settings, list(target.recipients), subject, text)
    if not sent:
        raise ChannelFailed("the SMTP server did not take the mail (see the server log)")
