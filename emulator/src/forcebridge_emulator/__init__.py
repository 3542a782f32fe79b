"""A local Salesforce org that speaks the real wire protocol, for any Salesforce client.

The public surface is what this module exports; every `_module` is private. Serve it with
`forcebridge-emulator serve`, or in-process through `create_app` and `forcebridge_emulator.testing`.
"""

from forcebridge_emulator._app import create_app
from forcebridge_emulator._cli import main
from forcebridge_emulator._config import (
    ApexEndpointConfig,
    ConnectedAppConfig,
    FieldConfig,
    ObjectConfig,
    OrgConfig,
    UserConfig,
)
from forcebridge_emulator._faults import SPEC_HELP as FAULTS_HELP
from forcebridge_emulator._faults import FaultConfig, FaultSpecError
from forcebridge_emulator._org import Org
from forcebridge_emulator._orgfile import OrgFileError, demo_config
from forcebridge_emulator._orgfile import load as load_org_file
from forcebridge_emulator._orgfile import parse as parse_org_file
from forcebridge_emulator._server import ServeError, serve
from forcebridge_emulator._snapshot import load_state, save_state

__version__ = "0.1.0"

__all__ = [
    "FAULTS_HELP",
    "ApexEndpointConfig",
    "ConnectedAppConfig",
    "FaultConfig",
    "FaultSpecError",
    "FieldConfig",
    "ObjectConfig",
    "Org",
    "OrgConfig",
    "OrgFileError",
    "ServeError",
    "UserConfig",
    "__version__",
    "create_app",
    "demo_config",
    "load_org_file",
    "load_state",
    "main",
    "parse_org_file",
    "save_state",
    "serve",
]

# Exported names read as part of this package (as httpx does), not of their private module.
for _name in __all__:
    if not _name.startswith("__") and _name != "FAULTS_HELP":  # a str has no __module__
        globals()[_name].__module__ = "forcebridge_emulator"
del _name
