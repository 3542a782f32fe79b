"""Inbound-form hooks: POST /hooks/{hook_id} turns a form post into a Salesforce record.

`router` is mounted at the root, because form tools post to a bare URL with no API key: the
hook's secret (`?token=...`, or an `X-Forcebridge-Signature` HMAC) is the credential. Answers:

| status | when |
|---|---|
| 201 | the record was created: `{"post_id", "status": "created", "id", "object", "ignored"}` |
| 202 | stored, not (yet) created: Salesforce unreachable, integration disabled, or outcome unknown |
| 404 | unknown hook, or a missing or wrong secret (the same answer: nobody learns which) |
| 413 | the body is over the hook's `max_body_bytes` |
| 415 / 422 | the body cannot be read (not stored) |
| 422 | stored but refused: required fields missing (named), a value refused by a transform or by Salesforce; an event is open and the post can be replayed |

`api_router` (under /api/v1/integrations/{ref}) is the tenant's side: the fields a form may
fill, the posts received, replays, the hook (never its secret) and the rotation that makes a
secret and shows it once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import anyio
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from forcebridge.api.auth import Principal, principal, require_scope, runtime
from forcebridge.api.contract import ErrorBody
from forcebridge.api.routes.records import FieldOut
from forcebridge.errors import InvalidInput, TooLarge
from forcebridge.forms import manage, posts, sending
from forcebridge.forms.check import integration_form_fields
from forcebridge.forms.receiving import body_limit, receive
from forcebridge.kinds.hooks import SIGNATURE_HEADER, TOKEN_PARAM
from forcebridge.runtime import Runtime

router = APIRouter(tags=["hooks"])
api_router = APIRouter(prefix="/integrations/{ref}", tags=["inbound forms"])

_read = require_scope("integrations:read")
_write = require_scope("integrations:write")


class BodyTooLarge(TooLarge):
    code = "body_too_large"


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, refused as soon as it passes `limit` bytes (never read whole first)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit: int) -> BodyTooLarge:
    return BodyTooLarge(
        f"the post is larger than this hook accepts ({limit} bytes)",
        details=[{"field": "body", "reason": f"larger than {limit} bytes"}],
    )


class FormField(FieldOut):
    """A field a form can fill, with the form keys mapped to it."""

    mapped_from: list[str]


class FormPostView(BaseModel):
    """A post received: the values to send (after mapping) and the keys ignored."""

    model_config = ConfigDict(extra="forbid")  # a field the view grows must be declared

    id: str
    status: str = Field(description=", ".join(posts.STATUSES))
    salesforce_id: str | None
    error: str | None
    attempts: int
    received: dict[str, Any]
    ignored: list[str]
    received_at: datetime
    sent_at: datetime | None


class SendError(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a field the view grows must be declared

    code: str | None
    message: str | None
    details: list[dict[str, Any]]


class PostOutcome(BaseModel):
    """How one post stands after it was sent (again)."""

    model_config = ConfigDict(extra="forbid")  # a field the view grows must be declared

    post_id: str
    status: str
    id: str | None = Field(description="The Salesforce record's id once created.")
    object: str | None
    ignored: list[str]
    error: SendError | None = None


class Replayed(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a field the view grows must be declared

    posts: list[PostOutcome]


class HookOut(BaseModel):
    """The new secret, shown this once: `url` (with its token, for token hooks) and `secret`
    are the form's credential."""

    model_config = ConfigDict(extra="forbid")  # a field the view grows must be declared

    hook_id: str
    auth: str
    url: str
    secret: str


_STATUS = {"created": 201, "rejected": 422}


@router.post(
    "/hooks/{hook_id}", status_code=201, response_model=PostOutcome,
    responses={
        202: {"model": PostOutcome, "description": "Stored; Salesforce could not take it yet, "
              "it is sent again later."},
        422: {"model": PostOutcome | ErrorBody, "description": "Salesforce rejected the post "
              "(kept for replay), or a value is invalid (`details` names the field)."},
    },
)
async def post_form(hook_id: str, request: Request, rt: Runtime = Depends(runtime)) -> JSONResponse:
    """Receive a form post (form-encoded, JSON, or URL parameters) and create the record."""
    limit = await anyio.to_thread.run_sync(body_limit, rt, hook_id)
    body = await _read_body(request, limit)
    outcome = await receive(
        rt, hook_id, content_type=request.headers.get("content-type"), body=body,
        query=request.query_params.multi_items(), raw_query=request.url.query.encode(),
        token=request.query_params.get(TOKEN_PARAM),
        signature=request.headers.get(SIGNATURE_HEADER),
    )
    return JSONResponse(outcome.to_json(), _STATUS.get(outcome.status, 202))


# -- the tenant's side -----------------------------------------------------------------------
class ReplayPosts(BaseModel):
    """Send these posts again with the current mapping."""

    model_config = ConfigDict(extra="forbid")

    post_ids: list[str] = Field(min_length=1, max_length=1000)
    all_rejected: Literal[False] = False


class ReplayRejected(BaseModel):
    """Send every rejected post of the integration again."""

    model_config = ConfigDict(extra="forbid")

    all_rejected: Literal[True]
    post_ids: list[str] = Field(default_factory=list, max_length=0)


ReplayRequest = ReplayPosts | ReplayRejected


@api_router.get("/form-fields", response_model=list[FormField])
async def form_fields(
    ref: str, who: Principal = Depends(_read), rt: Runtime = Depends(runtime)
) -> list[dict[str, Any]]:
    """The fields a form can fill (createable ones only), `required` marked, with the keys
    mapped to each in `mapped_from`."""
    return await integration_form_fields(rt, who.tenant_id, ref)


@api_router.get("/form-posts", response_model=list[FormPostView])
def list_form_posts(
    ref: str,
    status: str | None = Query(default=None, description=", ".join(posts.STATUSES)),
    limit: int = Query(default=100, ge=1, le=posts.LIST_LIMIT),
    who: Principal = Depends(_read),
    rt: Runtime = Depends(runtime),
) -> list[dict[str, Any]]:
    """Posts received, newest first."""
    with rt.db.begin() as s:
        integration = manage.form_integration(s, who.tenant_id, ref)
        return [posts.view(p) for p in posts.list_posts(s, integration, status=status,
                                                         limit=limit)]


@api_router.get("/form-posts/{post_id}", response_model=FormPostView)
def get_form_post(
    ref: str, post_id: str, who: Principal = Depends(_read), rt: Runtime = Depends(runtime)
) -> dict[str, Any]:
    with rt.db.begin() as s:
        integration = manage.form_integration(s, who.tenant_id, ref)
        return posts.view(posts.get(s, who.tenant_id, post_id, integration))


@api_router.post("/form-posts/replay", response_model=Replayed)
async def replay_form_posts(
    ref: str, body: ReplayRequest, who: Principal = Depends(_write),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    """Send posts again (`post_ids`, or `all_rejected`), mapped with the current config."""
    if body.all_rejected == bool(body.post_ids):
        raise InvalidInput.field("post_ids", "give post_ids or all_rejected: true (not both)")
    if body.all_rejected:
        outcomes = await sending.replay_rejected(rt, who.tenant_id, ref, actor=who.actor)
    else:
        def check() -> None:
            with rt.db.begin() as s:
                integration = manage.form_integration(s, who.tenant_id, ref)
                for post_id in body.post_ids:
                    posts.get(s, who.tenant_id, post_id, integration)

        await anyio.to_thread.run_sync(check)
        outcomes = await sending.replay(rt, who.tenant_id, body.post_ids, actor=who.actor)
    return {"posts": [o.to_json() for o in outcomes]}


@api_router.get("/hook")
def get_hook(
    ref: str, who: Principal = Depends(principal), rt: Runtime = Depends(runtime)
) -> manage.HookView:
    """Where and how the form posts, and whether a secret is set (and when it was rotated);
    never the secret: `POST .../hook/rotate-secret` makes one and shows it that once."""
    with rt.db.begin() as s:
        integration = manage.form_integration(s, who.tenant_id, ref)
        return manage.hook_view(s, rt.settings, rt.vault, integration)


@api_router.post("/hook/rotate-secret", response_model=HookOut)
def rotate_hook_secret(
    ref: str, who: Principal = Depends(principal), rt: Runtime = Depends(runtime)
) -> dict[str, str]:
    """A new secret, valid at once and shown this once; the old one stops working now."""
    with rt.db.begin() as s:
        return manage.rotate_secret(
            s, rt.settings, rt.vault, who.tenant_id, ref, actor=who.actor
        ).to_json()
