"""Users of the calling key's tenant."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from forcebridge.api.auth import Principal, principal, runtime
from forcebridge.api.routes.models import Email, Input, Name, UserOut
from forcebridge.runtime import Runtime
from forcebridge.services import users

router = APIRouter(prefix="/users", tags=["users"])


class UserIn(Input):
    name: Name
    email: Email
    notify: bool = True


class UserPatch(Input):
    name: Name | None = None
    email: Email | None = None
    notify: bool | None = None


@router.get("", response_model=list[UserOut])
def list_users(
    who: Principal = Depends(principal), rt: Runtime = Depends(runtime)
) -> list[UserOut]:
    with rt.db.begin() as s:
        return [UserOut.model_validate(u) for u in users.list_all(s, who.tenant_id)]


@router.post("", response_model=UserOut, status_code=201)
def create_user(
    body: UserIn, who: Principal = Depends(principal), rt: Runtime = Depends(runtime)
) -> UserOut:
    with rt.db.begin() as s:
        user = users.create(
            s, who.tenant_id, body.name, body.email, notify=body.notify, actor=who.actor
        )
        return UserOut.model_validate(user)


@router.get("/{user_id}", response_model=UserOut)
def get_user(
    user_id: str, who: Principal = Depends(principal), rt: Runtime = Depends(runtime)
) -> UserOut:
    with rt.db.begin() as s:
        return UserOut.model_validate(users.get(s, who.tenant_id, user_id))


@router.patch("/{user_id}", response_model=UserOut)
def update_user(
    user_id: str,
    body: UserPatch,
    who: Principal = Depends(principal),
    rt: Runtime = Depends(runtime),
) -> UserOut:
    with rt.db.begin() as s:
        user = users.update(
            s,
            who.tenant_id,
            user_id,
            name=body.name,
            email=body.email,
            notify=body.notify,
            actor=who.actor,
        )
        return UserOut.model_validate(user)


@router.delete("/{user_id}", status_code=204)
def delete_user(
    user_id: str, who: Principal = Depends(principal), rt: Runtime = Depends(runtime)
) -> Response:
    with rt.db.begin() as s:
        users.delete(s, who.tenant_id, user_id, actor=who.actor)
    return Response(status_code=204)
