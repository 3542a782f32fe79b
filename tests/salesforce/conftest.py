from __future__ import annotations

import pytest

from tests.salesforce.emulated import Emulated, in_process


@pytest.fixture
def emu() -> Emulated:
    """A fresh demo org, reached in-process."""
    return in_process()
