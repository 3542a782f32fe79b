"""The identity service: who a token belongs to, in Salesforce's two published shapes.

`identity_document` is the identity URL's answer (`/id/{orgId}/{userId}`), with exactly
the keys of the restforce-db recording (Developer Edition org, 2015). Salesforce writes
the literal `{version}` into `urls` and lets the caller substitute it (or pass
`?version=`). `userinfo_document` is the OpenID Connect UserInfo shape of
`/services/oauth2/userinfo`, per Salesforce's "UserInfo Endpoint" help page.
"""

from __future__ import annotations

from typing import Any

from forcebridge_emulator._config import UserConfig

NEWEST_VERSION = "62.0"
# A fixed, plausible LastModifiedDate for every emulated user.
USER_LAST_MODIFIED = "2024-01-01T00:00:00.000+0000"
# The org seeds its User records with this time zone (org.py); the identity agrees.
TIMEZONE = "America/Los_Angeles"
UTC_OFFSET_MS = -8 * 60 * 60 * 1000


def identity_url(base: str, org_id: str, user_id: str) -> str:
    return f"{base}/id/{org_id}/{user_id}"


def display_name(user: UserConfig) -> str:
    return " ".join(p for p in (user.first_name, user.last_name) if p) or user.username


def urls(base: str, org_id: str, user_id: str, version: str | None = None) -> dict[str, str]:
    """The `urls` map; `{version}` stays literal unless the caller asked for one."""
    v = "{version}"
    if version:
        v = NEWEST_VERSION if version == "latest" else version
    org15 = org_id[:15]
    data = f"{base}/services/data/v{v}"
    return {
        "enterprise": f"{base}/services/Soap/c/{v}/{org15}",
        "metadata": f"{base}/services/Soap/m/{v}/{org15}",
        "partner": f"{base}/services/Soap/u/{v}/{org15}",
        "rest": f"{data}/",
        "sobjects": f"{data}/sobjects/",
        "search": f"{data}/search/",
        "query": f"{data}/query/",
        "recent": f"{data}/recent/",
        "profile": f"{base}/{user_id}",
        "feeds": f"{data}/chatter/feeds",
        "groups": f"{data}/chatter/groups",
        "users": f"{data}/chatter/users",
        "feed_items": f"{data}/chatter/feed-items",
    }


def _photos(base: str) -> dict[str, str]:
    return {"picture": f"{base}/profilephoto/005/F", "thumbnail": f"{base}/profilephoto/005/T"}


def identity_document(
    base: str, org_id: str, user: UserConfig, *, version: str | None = None
) -> dict[str, Any]:
    user_id = user.user_id
    return {
        "id": identity_url(base, org_id, user_id),
        "asserted_user": True,
        "user_id": user_id,
        "organization_id": org_id,
        "username": user.username,
        "nick_name": user.username.split("@")[0],
        "display_name": display_name(user),
        "email": user.email or user.username,
        "email_verified": True,
        "first_name": user.first_name or None,
        "last_name": user.last_name,
        "timezone": TIMEZONE,
        "photos": _photos(base),
        "addr_street": None,
        "addr_city": None,
        "addr_state": None,
        "addr_country": "US",
        "addr_zip": None,
        "mobile_phone": None,
        "mobile_phone_verified": False,
        "status": {"created_date": None, "body": None},
        "urls": urls(base, org_id, user_id, version),
        "active": user.active,
        "user_type": "STANDARD",
        "language": "en_US",
        "locale": "en_US",
        "utcOffset": UTC_OFFSET_MS,
        "last_modified_date": USER_LAST_MODIFIED,
        "is_app_installed": True,
    }


def userinfo_document(
    base: str, org_id: str, user: UserConfig, *, version: str | None = None
) -> dict[str, Any]:
    user_id = user.user_id
    photos = _photos(base)
    return {
        "sub": identity_url(base, org_id, user_id),
        "user_id": user_id,
        "organization_id": org_id,
        "preferred_username": user.username,
        "nickname": user.username.split("@")[0],
        "name": display_name(user),
        "email": user.email or user.username,
        "email_verified": True,
        "given_name": user.first_name or None,
        "family_name": user.last_name,
        "zoneinfo": TIMEZONE,
        "photos": photos,
        "profile": f"{base}/{user_id}",
        "picture": photos["picture"],
        "address": {"country": "US"},
        "is_salesforce_integration_user": False,
        "urls": urls(base, org_id, user_id, version),
        "active": user.active,
        "user_type": "STANDARD",
        "language": "en_US",
        "locale": "en_US",
        "utcOffset": UTC_OFFSET_MS,
        "updated_at": "2024-01-01T00:00:00Z",
        "is_app_installed": True,
    }
