"""Alert tests start from the worlds of the runs and outbox suites: a tenant whose entity syncs
and event integrations really run against the emulated org."""

from __future__ import annotations

from pathlib import Path

import pytest

from forcebridge.settings import Settings
from tests.outbox.conftest import org  # noqa: F401
from tests.runs.conftest import world  # noqa: F401


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """The test receivers listen on 127.0.0.1, which the operator's allow-list lets alert
    channels reach (refused by default: tests/alerts/test_destinations.py)."""
    return Settings(data_dir=tmp_path / "data", database_url=database_url, log_format="json",
                    alert_allowed_hosts=["127.0.0.1"])
