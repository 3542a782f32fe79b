"""Writes emulator/docs/fidelity.md from the recordings and a replay run's JUnit XML.

Why: the doc is the reader's view of the proof: every recorded interaction, whether it is in
the emulator's surface (and why not), and whether its replay passes. Regenerate with:

    .venv/bin/pytest emulator/tests/test_replay.py -q --junitxml=/tmp/replay.xml
    PYTHONPATH=emulator/tests .venv/bin/python -m recorded.fidelity_doc /tmp/replay.xml
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

from recorded.recordings import RECORDINGS_DIR, load_interactions

DOC = Path(__file__).resolve().parents[2] / "docs" / "fidelity.md"


def replay_results(junit_xml: Path) -> tuple[dict[str, str], dict[str, list[str]]]:
    """test id -> pass | fail | skip, and test id -> the differences of each failing replay,
    from pytest's JUnit XML."""
    out: dict[str, str] = {}
    failures: dict[str, list[str]] = {}
    for case in ET.parse(junit_xml).getroot().iter("testcase"):
        name = case.get("name", "")
        if not name.startswith("test_replay["):
            continue
        test_id = name[len("test_replay[") : -1]
        failed = case.find("failure") is not None or case.find("error") is not None
        out[test_id] = (
            "fail" if failed else ("skip" if case.find("skipped") is not None else "pass")
        )
        node = case.find("failure") if case.find("failure") is not None else case.find("error")
        if node is not None:
            message = node.get("message", "")
            failures[test_id] = [
                line.strip()
                for line in message.splitlines()[1:]
                if line.strip() and not line.strip().startswith(("assert ", "[+", "emulator body"))
            ] or [message.splitlines()[0] if message else "(error)"]
    return out, failures


def _failing_section(failures: dict[str, list[str]]) -> list[str]:
    if not failures:
        return []
    lines = ["## Replays that fail", ""]
    for test_id, diffs in failures.items():
        lines.append(f"- `{test_id}`")
        lines += [f"  - {d}" for d in diffs[:6]]
    return [*lines, ""]


def render(results: dict[str, str], failures: dict[str, list[str]] | None = None) -> str:
    failures = failures or {}
    its = load_interactions()
    inside = [it for it in its if it.in_surface]
    passing = sum(results.get(it.test_id) == "pass" for it in inside)
    reasons = Counter(it.reason for it in its if not it.in_surface)
    lines = [
        "# Emulator fidelity: every recorded Salesforce interaction, replayed",
        "",
        "The emulator's ground truth is real Salesforce traffic recorded by public projects",
        f"(`{RECORDINGS_DIR.name}/`, see its README). `emulator/tests/recorded/recordings.py` loads every cassette",
        "and fixture; `emulator/tests/test_replay.py` replays each interaction inside the",
        "emulator's surface against an emulator org put in the recorded state",
        "(`emulator/tests/harness/replay_org.py`: the records the recording refers to, its custom objects",
        "and fields) and compares:",
        "",
        "- the status;",
        "- the headers that matter: Content-Type (with its charset), Sforce-Limit-Info on every",
        "  versioned REST answer, WWW-Authenticate on 401, Location where recorded;",
        "- the body's shape (`emulator/tests/recorded/recording_shapes.py`): the same keys, JSON types, error codes,",
        "  `success`/`created`/`done`/`httpStatusCode` values, datetime/date/REST-path formats and",
        "  18-character ids; lists element by element, tolerant of the record count (describe",
        "  lists pair by `name`, and for describe fields the attributes a client relies on — type,",
        "  nillable, createable, updateable, defaultedOnCreate, externalId, idLookup, length ... —",
        "  must be equal);",
        "- for live recordings, the wording of every error message.",
        "",
        "Interactions outside the surface are listed with the reason. Fixtures carry no request:",
        "the request each one answers is declared in `emulator/tests/recorded/recording_fixtures.py`.",
        "Regenerate this file with:",
        "",
        "    .venv/bin/pytest emulator/tests/test_replay.py -q --junitxml=/tmp/replay.xml",
        "    PYTHONPATH=emulator/tests .venv/bin/python -m recorded.fidelity_doc /tmp/replay.xml",
        "",
        f"- interactions: **{len(its)}**",
        f"- inside the emulator surface (replayed): **{len(inside)}**",
        f"- replays passing: **{passing}** of {len(inside)}"
        + ("" if results else " (no replay results were given when this file was written)"),
        "",
        *_failing_section(failures),
        "## Outside the surface",
        "",
        "| reason | interactions |",
        "|---|---|",
        *[f"| {reason} | {count} |" for reason, count in reasons.most_common()],
        "",
        "## Every interaction",
        "",
        "Evidence: recorded (VCR from a live org), captured (real bodies, ids masked), fixture",
        "(real shapes, values edited by hand), hand-edited (a cassette edited after recording).",
        "",
        "| interaction | evidence | status | in surface | replay |",
        "|---|---|---|---|---|",
    ]
    for it in its:
        surface = "yes" if it.in_surface else f"no: {it.reason}"
        replay = results.get(it.test_id, "not run") if it.in_surface else "-"
        test_id = it.test_id.replace("|", "\\|")
        lines.append(
            f"| `{test_id}` | {it.evidence} | {it.response.status} | {surface} | {replay} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> None:
    results, failures = replay_results(Path(argv[1])) if len(argv) > 1 else ({}, {})
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(render(results, failures), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv)
