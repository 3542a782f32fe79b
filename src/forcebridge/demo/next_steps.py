"""What `forcebridge demo` suggests at its end: the one place that text lives.

Every suggestion must work after the demo has exited. The demo's org lived in the demo's
process and is gone, so nothing here runs an integration against it (not even a scheduler:
`serve --no-scheduler`): the suggestions read what the demo stored (runs, events,
integrations) and show the REST API and the emulator.
"""

from __future__ import annotations

from dataclasses import dataclass

from forcebridge.demo.integrations import INTEGRATIONS
from forcebridge.suggested import command


@dataclass(frozen=True)
class Suggestion:
    """`label: line`; `argv` is the `forcebridge` command when the line is one (tests run it),
    `serves` marks a command that keeps running (a server)."""

    label: str
    line: str
    argv: tuple[str, ...] = ()
    serves: bool = False


def _forcebridge(label: str, *argv: str, serves: bool = False) -> Suggestion:
    return Suggestion(label, command(*argv), argv, serves)


def closing(tenant: str, api_key: str, base_url: str) -> list[Suggestion]:
    """The demo's closing suggestions, for the demo tenant and the API key it printed."""
    first = INTEGRATIONS[0].name
    return [
        _forcebridge("what each run did", "runs", "list", first, "--tenant", tenant),
        _forcebridge("the integrations", "integrations", "list", "--tenant", tenant),
        _forcebridge("failures kept for you", "events", "list", "--tenant", tenant),
        # the org lived in the demo's process: `demo --serve` keeps it (and the console) up
        _forcebridge("keep the org and open the web console", "demo", "--serve", serves=True),
        # no scheduler: the demo's integrations are scheduled, and their org is gone
        _forcebridge("the REST API", "serve", "--no-scheduler", serves=True),
        Suggestion(
            "then, while it serves",
            f"curl -H 'Authorization: Bearer {api_key}' {base_url}/api/v1/integrations",
        ),
        _forcebridge("an org for any Salesforce client", "emulator", "serve", "--tls",
                     serves=True),
    ]  # fmt: skip
