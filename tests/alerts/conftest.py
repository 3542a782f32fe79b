"""Alert tests start from the worlds of the runs and outbox suites: a tenant whose entity syncs
and event integrations really run against the emulated org."""

from __future__ import annotations

from tests.outbox.conftest import org  # noqa: F401
from tests.runs.conftest import world  # noqa: F401
