"""What an org is made of, as declared in an org file (YAML or JSON) or the demo org.

These are plain declarations. `forcebridge_emulator._org.Org` turns them into a live org;
the OAuth endpoints read users and connected apps from here. Nothing here is set through
the Salesforce paths: the org file and `/__emulator__/` are the only ways in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class UserConfig:
    username: str
    password: str
    security_token: str
    email: str = ""
    first_name: str = ""
    last_name: str = "User"
    user_id: str = ""  # assigned (005...) when the org is built if empty
    active: bool = True


@dataclass
class ConnectedAppConfig:
    name: str
    consumer_key: str
    consumer_secret: str
    callback_urls: list[str] = field(default_factory=list)
    certificate_pem: str | None = None  # X.509 PEM used to verify JWT bearer assertions
    client_credentials_user: str | None = None  # "run as" user for the client credentials flow
    scopes: list[str] = field(default_factory=lambda: ["api", "refresh_token", "id"])


@dataclass
class FieldConfig:
    """A custom field: `name` is the full API name (`acme__Balance__c`, `External_Id__c`)."""

    name: str
    type: str  # string, textarea, email, phone, url, picklist, multipicklist, boolean, int, double, currency, percent, date, datetime, reference, masterdetail, id
    label: str | None = None
    length: int | None = None
    precision: int | None = None
    scale: int | None = None
    required: bool = False
    unique: bool = False
    external_id: bool = False
    case_sensitive: bool = False
    picklist_values: list[str] = field(default_factory=list)
    restricted_picklist: bool = False
    reference_to: list[str] = field(default_factory=list)
    relationship_name: str | None = None
    default_value: Any = None


@dataclass
class ObjectConfig:
    """A custom object (`Invoice__c`, `acme__Balance__c`), a platform event (`X__e`), or
    extra custom fields on a standard object (`Account` with `fields` only)."""

    name: str
    label: str | None = None
    fields: list[FieldConfig] = field(default_factory=list)


@dataclass
class ApexEndpointConfig:
    """A registered Apex REST resource: `path` under /services/apexrest (e.g. `/acme/events`)."""

    path: str
    methods: list[str] = field(default_factory=lambda: ["POST"])
    status: int = 200
    response: Any = None


@dataclass
class OrgConfig:
    org_id: str = ""  # assigned (00D...) if empty
    name: str = "forcebridge emulator org"
    instance_url: str = ""  # filled with the server's base URL if empty
    daily_api_requests: int = 15000
    users: list[UserConfig] = field(default_factory=list)
    connected_apps: list[ConnectedAppConfig] = field(default_factory=list)
    objects: list[ObjectConfig] = field(default_factory=list)
    apex_endpoints: list[ApexEndpointConfig] = field(default_factory=list)
