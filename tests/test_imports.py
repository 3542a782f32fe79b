"""Every module imports on its own, in an interpreter that has imported nothing of ours.

A cycle between two modules can pass the rest of the suite unnoticed when some other import
happens to load one of them first. Here a parent process loads only third-party libraries,
then forks one child per module; each child starts with no forcebridge module loaded, so the
module under test is the first of ours it meets.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {
    "forcebridge": ROOT / "src" / "forcebridge",
    "forcebridge_emulator": ROOT / "emulator" / "src" / "forcebridge_emulator",
}

# Third-party libraries loaded once by the parent so each child only pays for our own code.
WARM = [
    "alembic", "cryptography", "fastapi", "httpx", "jinja2", "jwt", "orjson", "pydantic",
    "pydantic_settings", "rich", "sqlalchemy", "starlette", "typer", "uvicorn", "yaml",
]

CHILDREN = r"""
import importlib, os, sys, traceback
for name in sys.argv[2].split(","):
    importlib.import_module(name)
ours = sorted(m for m in sys.modules if m.split(".")[0] in sys.argv[3].split(","))
if ours:
    print("parent already loaded:", ", ".join(ours))
    sys.exit(2)
failed = 0
for name in sys.argv[1].split(","):
    pid = os.fork()
    if pid == 0:
        try:
            importlib.import_module(name)
        except BaseException:
            print(f"--- {name}")
            traceback.print_exc(limit=3, file=sys.stdout)
            sys.stdout.flush()
            os._exit(1)
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    failed += status != 0
sys.exit(1 if failed else 0)
"""


def module_names(package: str, folder: Path) -> list[str]:
    names = []
    for path in sorted(folder.rglob("*.py")):
        if "migrations" in path.parts:  # Alembic loads these by path, not as modules
            continue
        parts = path.relative_to(folder).with_suffix("").parts
        if parts[-1] == "__main__":
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names.append(".".join((package, *parts)))
    return names


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_every_module_imports_alone(package: str) -> None:
    names = module_names(package, PACKAGES[package])
    assert len(names) > 20, names
    done = subprocess.run(
        [sys.executable, "-c", CHILDREN, ",".join(names), ",".join(WARM), ",".join(PACKAGES)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
