"""A post arriving at a hook: prove the secret, read the values, store, then send.

The post is committed (`pending`) before Salesforce is called, so a crash, an unreachable org
or a refusal never loses it: `resend_pending` picks up what a crash left, and a refused post
waits, with its event, for a replay. Values that cannot even be read (a body that is neither
form-encoded nor JSON, nested objects) are refused before anything is stored: there is
nothing to replay.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

import anyio

from forcebridge.forms import parsing, posts
from forcebridge.forms.mapping import ignored_keys
from forcebridge.forms.sending import Outcome, send
from forcebridge.kinds import hooks
from forcebridge.kinds.inbound_form import DEFAULT_MAX_BODY_BYTES, InboundFormConfig
from forcebridge.runtime import Runtime
from forcebridge.services import integrations as integrations_service


def body_limit(rt: Runtime, hook_id: str) -> int:
    """The most bytes the hook accepts; the default for an unknown hook, so a big body gets
    the same 413 whether or not the hook exists."""
    with rt.db.begin() as session:
        integration = hooks.find(session, hook_id)
        limit = DEFAULT_MAX_BODY_BYTES
        if integration is not None:
            limit = int((integration.config or {}).get("max_body_bytes") or limit)
    return min(limit, rt.settings.max_body_bytes)


def _store(
    rt: Runtime, hook_id: str, *, content_type: str | None, body: bytes,
    query: list[tuple[str, str]], raw_query: bytes, token: str | None, signature: str | None,
) -> tuple[str, str]:
    """(tenant id, post id) of the stored post; NotFound for a wrong hook or secret."""
    # what an HMAC sender signs: the raw body, or the raw query string when the body is empty
    signed = body if body else raw_query
    now, tolerance = time.time(), rt.settings.hook_signature_tolerance_seconds
    with rt.db.begin() as session:
        integration, accepted = hooks.verify(
            hooks.find(session, hook_id), rt.vault, token=token, signature_header=signature,
            signed=signed, now=now, tolerance=tolerance,
        )
        values = parsing.parse(content_type, body, query, raw_query)
        if accepted is not None:
            hooks.remember(session, integration, accepted, now=now, tolerance=tolerance)
        config = integrations_service.config_of(integration, rt.vault)
        assert isinstance(config, InboundFormConfig)
        post = posts.store(session, integration, values, ignored_keys(config, list(values), None))
        return integration.tenant_id, post.id


async def receive(
    rt: Runtime, hook_id: str, *, content_type: str | None, body: bytes,
    query: Iterable[tuple[str, str]], raw_query: bytes = b"", token: str | None = None,
    signature: str | None = None,
) -> Outcome:
    """Store the post, then send it; the outcome says what became of it."""
    pairs = list(query)
    tenant_id, post_id = await anyio.to_thread.run_sync(
        lambda: _store(rt, hook_id, content_type=content_type, body=body, query=pairs,
                       raw_query=raw_query, token=token, signature=signature)
    )
    return await send(rt, tenant_id, post_id)
