"""API clients of the calling key's tenant, and `whoami` for testing a Named Credential.

Managing clients needs an API key: an API client's token cannot create or rotate clients.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from forcebridge.api.auth import Principal, authenticated, principal, runtime
from forcebridge.api.routes.models import Input, Name, Output, Scope
from forcebridge.runtime import Runtime
from forcebridge.services import api_clients
from forcebridge.services.api_clients import IssuedClient

router = APIRouter(prefix="/api-clients", tags=["api clients"])
whoami_router = APIRouter(tags=["api clients"])

TOKEN_PATH = "/oauth/token"  # noqa: S105  (a URL path, not a secret)


class ApiClientIn(Input):
    name: Name
    scopes: list[Scope] = Field(min_length=1, description=f"Any of: {', '.join(api_clients.SCOPES)}.")


class ApiClientOut(Output):
    id: str
    name: str
    client_id: str
    scopes: list[str]
    created_at: datetime
    rotated_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiClientCreated(ApiClientOut):
    """The only time the client secret is shown, with the URL Salesforce asks for tokens."""

    client_secret: str
    token_url: str

    @classmethod
    def of(cls, issued: IssuedClient, rt: Runtime) -> ApiClientCreated:
        base = ApiClientOut.model_validate(issued.client).model_dump()
        token_url = f"{rt.settings.resolved_public_url}{TOKEN_PATH}"
        return cls(**base, client_secret=issued.secret, token_url=token_url)


class WhoAmI(BaseModel):
    tenant_id: str
    kind: str
    scopes: list[str]
    client_id: str | None = None


@router.get("", response_model=list[ApiClientOut])
def list_clients(
    who: Principal = Depends(principal), rt: Runtime = Depends(runtime)
) -> list[ApiClientOut]:
    with rt.db.begin() as s:
        return [ApiClientOut.model_validate(c) for c in api_clients.list_all(s, who.tenant_id)]


@router.post("", response_model=ApiClientCreated, status_code=201)
def create_client(
    body: ApiClientIn, who: Principal = Depends(principal), rt: Runtime = Depends(runtime)
) -> ApiClientCreated:
    with rt.db.begin() as s:
        issued = api_clients.create(s, who.tenant_id, body.name, body.scopes, actor=who.actor)
        return ApiClientCreated.of(issued, rt)


@router.get("/{client_ref}", response_model=ApiClientOut)
def get_client(
    client_ref: str, who: Principal = Depends(principal), rt: Runtime = Depends(runtime)
) -> ApiClientOut:
    with rt.db.begin() as s:
        return ApiClientOut.model_validate(api_clients.get(s, who.tenant_id, client_ref))


_END_TOKENS = Query(
    default=False,
    description="Also end every access token issued so far, at once (for a leaked secret).",
)


@router.post("/{client_ref}/rotate", response_model=ApiClientCreated)
def rotate_client(
    client_ref: str,
    end_tokens: bool = _END_TOKENS,
    who: Principal = Depends(principal),
    rt: Runtime = Depends(runtime),
) -> ApiClientCreated:
    """A new secret, shown once. The old secret fails at once; issued tokens live on until
    they expire, unless `?end_tokens=true`."""
    with rt.db.begin() as s:
        return ApiClientCreated.of(
            api_clients.rotate(
                s, who.tenant_id, client_ref, actor=who.actor, end_tokens=end_tokens
            ),
            rt,
        )


@router.post("/{client_ref}/revoke", response_model=ApiClientOut)
def revoke_client(
    client_ref: str,
    end_tokens: bool = _END_TOKENS,
    who: Principal = Depends(principal),
    rt: Runtime = Depends(runtime),
) -> ApiClientOut:
    """The secret fails at once; tokens already issued live until they expire, unless
    `?end_tokens=true`."""
    with rt.db.begin() as s:
        return ApiClientOut.model_validate(
            api_clients.revoke(
                s, who.tenant_id, client_ref, actor=who.actor, end_tokens=end_tokens
            )
        )


@whoami_router.get("/whoami", response_model=WhoAmI)
def whoami(
    scope: Scope | None = Query(default=None, description="Answer 403 unless this is granted."),
    who: Principal = Depends(authenticated),
    rt: Runtime = Depends(runtime),
) -> WhoAmI:
    """Which tenant and scopes a credential has: for checking a Named Credential works."""
    if scope is not None:
        api_clients.validate_scopes([scope], field="scope")
        who.check_scope(scope)
    scopes = sorted(api_clients.SCOPES) if who.scopes is None else sorted(who.scopes)
    client_id = None
    if who.kind == "api_client":
        with rt.db.begin() as s:
            client_id = api_clients.get(s, who.tenant_id, who.key_id).client_id
    return WhoAmI(tenant_id=who.tenant_id, kind=who.kind, scopes=scopes, client_id=client_id)
