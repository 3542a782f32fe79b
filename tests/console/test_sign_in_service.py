"""Passwords, throttled sign-ins and session lifetimes at the service layer, on both databases;
and the console's refusal of any state-changing request without its CSRF token."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from forcebridge import console
from forcebridge.errors import Conflict, InvalidInput, Unauthenticated
from forcebridge.runtime import Runtime
from forcebridge.services import sign_in, tenants, users
from forcebridge.services.sign_in import TooManyAttempts
from forcebridge.store.types import utcnow

LIMITS = sign_in.Limits(
    idle=timedelta(minutes=30), absolute=timedelta(hours=12), window=timedelta(minutes=15),
    per_account=3, per_address=5,
)
PASSWORD = "correct horse battery"


def _user(rt: Runtime, tenant: str, email: str) -> str:
    with rt.db.begin() as s:
        t = tenants.create(s, tenant)
        user = users.create(s, t.id, "Someone", email)
        users.set_password(s, t.id, email, PASSWORD)
        assert user.password_hash and user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash
        return user.id


def test_set_password_rules(runtime: Runtime) -> None:
    _user(runtime, "acme", "ann@acme.example")
    with runtime.db.begin() as s:
        globex = tenants.create(s, "globex")
        users.create(s, globex.id, "Ann too", "ann@acme.example")
        with pytest.raises(InvalidInput, match="password: must be at least 10 characters"):
            users.set_password(s, globex.id, "ann@acme.example", "short")
        # sign-in names no tenant, so one email signs in for one tenant only
        with pytest.raises(Conflict, match="another tenant"):
            users.set_password(s, globex.id, "ann@acme.example", PASSWORD)


def test_failures_are_throttled_per_account_then_per_address(runtime: Runtime) -> None:
    _user(runtime, "acme", "ann@acme.example")
    now = utcnow()
    for _ in range(LIMITS.per_account):
        with pytest.raises(Unauthenticated):
            sign_in.sign_in(runtime.db, "ann@acme.example", "guess", address="10.0.0.1", limits=LIMITS, now=now)
    # even the right password is refused now, from any address, until the window passes
    with pytest.raises(TooManyAttempts, match="try again in 15 minutes"):
        sign_in.sign_in(runtime.db, "Ann@Acme.example", PASSWORD, address="10.0.0.2", limits=LIMITS, now=now)
    later = now + LIMITS.window + timedelta(seconds=1)
    signed = sign_in.sign_in(runtime.db, "ann@acme.example", PASSWORD, address="10.0.0.2", limits=LIMITS, now=later)
    assert signed.token and "token=***" in repr(signed)

    # one address guessing many accounts is stopped too
    for n in range(LIMITS.per_address):
        with pytest.raises(Unauthenticated):
            sign_in.sign_in(runtime.db, f"nobody{n}@x.example", "guess", address="10.9.9.9", limits=LIMITS, now=later)
    with pytest.raises(TooManyAttempts):
        sign_in.sign_in(runtime.db, "ann@acme.example", PASSWORD, address="10.9.9.9", limits=LIMITS, now=later)


def test_sessions_end_when_idle_at_their_limit_and_on_a_new_password(runtime: Runtime) -> None:
    user_id = _user(runtime, "acme", "ann@acme.example")
    now = utcnow()
    signed = sign_in.sign_in(runtime.db, "ann@acme.example", PASSWORD, address="a", limits=LIMITS, now=now)
    at = now
    for _ in range(30):  # kept busy: every 29 minutes for 14.5 hours
        at += timedelta(minutes=29)
        with runtime.db.begin() as s:
            if at - now > LIMITS.absolute:
                with pytest.raises(Unauthenticated, match="expired"):
                    sign_in.resume(s, signed.token, limits=LIMITS, now=at)
                break
            _row, user = sign_in.resume(s, signed.token, limits=LIMITS, now=at)
            assert user.id == user_id
    else:
        pytest.fail("the session outlived its absolute limit")

    idle = sign_in.sign_in(runtime.db, "ann@acme.example", PASSWORD, address="a", limits=LIMITS, now=now)
    with runtime.db.begin() as s, pytest.raises(Unauthenticated, match="expired"):
        sign_in.resume(s, idle.token, limits=LIMITS, now=now + timedelta(minutes=31))

    fresh = sign_in.sign_in(runtime.db, "ann@acme.example", PASSWORD, address="a", limits=LIMITS, now=now)
    with runtime.db.begin() as s:
        tenant_id = users.find(s, tenants.find(s, "acme").id, user_id).tenant_id
        users.set_password(s, tenant_id, user_id, "another long password")
    with runtime.db.begin() as s, pytest.raises(Unauthenticated):
        sign_in.resume(s, fresh.token, limits=LIMITS, now=now)


def _console_posts() -> list[str]:
    """Every POST route of the console, its path parameters filled in."""
    paths = []
    for route in (r for module in console.PAGES for r in module.router.routes):
        if "POST" in getattr(route, "methods", set()) and getattr(route, "path", "") != "/sign-in":
            paths.append(re.sub(r"\{[^}]+\}", "x", route.path))  # type: ignore[attr-defined]
    return paths


def test_every_console_post_needs_the_csrf_token(runtime: Runtime, api: TestClient) -> None:
    _user(runtime, "acme", "ann@acme.example")
    page = api.get("/sign-in")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token
    signed_in = api.post(
        "/sign-in", data={"csrf": token[1], "email": "ann@acme.example", "password": PASSWORD},
        follow_redirects=False,
    )
    assert signed_in.status_code == 303
    posts = _console_posts()
    assert "/sign-out" in posts and "/connections/new" in posts
    for path in posts:
        answer = api.post(path, data={"name": "x"}, follow_redirects=False)
        assert answer.status_code == 403, path
        assert "security token" in answer.text
    # a sign-in form posted from elsewhere (no token cookie) is refused as well
    api.cookies.clear()
    assert api.post("/sign-in", data={"email": "ann@acme.example", "password": PASSWORD}).status_code == 403


def test_cookie_is_secure_when_the_public_url_is_https(runtime: Runtime) -> None:
    from forcebridge.api import create_app

    _user(runtime, "acme", "ann@acme.example")
    runtime.settings.public_url = "https://forcebridge.example"
    with TestClient(create_app(runtime), base_url="https://forcebridge.example") as client:
        token = re.search(r'name="csrf" value="([^"]+)"', client.get("/sign-in").text)
        assert token
        answer = client.post(
            "/sign-in", data={"csrf": token[1], "email": "ann@acme.example", "password": PASSWORD},
            follow_redirects=False,
        )
    cookie = answer.headers["set-cookie"]
    assert "fb_session=" in cookie and "Secure" in cookie and "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
