"""The emulator's own tests: no forcebridge, no database; async tests run on asyncio."""

from __future__ import annotations

import pytest

# The fixtures forcebridge_emulator.testing offers, as a user's conftest would take them.
from forcebridge_emulator.testing import salesforce_org, salesforce_server  # noqa: F401


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
