"""The layer picture in docs/architecture.md is the contract `lint-imports` checks.

The contract in `.importlinter` is what holds the layers; the docs draw it for a newcomer.
A change to either without the other fails here, with the block the docs should hold.
"""

from __future__ import annotations

import configparser
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONTRACT = "importlinter:contract:forcebridge-layers"
BLOCK = re.compile(r"<!-- layers:[^\n]*-->\n```\n(.*?)```\n<!-- /layers -->", re.S)


def contract_layers() -> list[str]:
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter")
    section = config[CONTRACT]
    assert section["type"] == "layers" and section["containers"].strip() == "forcebridge"
    return [line.strip() for line in section["layers"].strip().splitlines() if line.strip()]


def drawn_layers() -> list[str]:
    found = BLOCK.findall((ROOT / "docs" / "architecture.md").read_text())
    assert len(found) == 1, "docs/architecture.md holds one <!-- layers --> block"
    return [line.strip() for line in found[0].splitlines() if line.strip()]


def test_the_docs_draw_the_contracted_layers() -> None:
    expected = contract_layers()
    assert drawn_layers() == expected, "docs/architecture.md should draw:\n" + "\n".join(expected)


def test_every_package_has_its_layer() -> None:
    """The contract is exhaustive, so a new package must be placed; the docs name each one."""
    packages = {
        path.stem if path.is_file() else path.name
        for path in (ROOT / "src" / "forcebridge").iterdir()
        if (path.suffix == ".py" and path.stem != "__init__")
        or (path.is_dir() and (path / "__init__.py").exists())
    }
    placed = {name for line in contract_layers() for name in re.split(r"[|:]", line)}
    assert {name.strip() for name in placed} == packages
