"""The test tree's own layout: every folder of tests is a package.

Several folders hold a module of the same name (`test_api.py`, `test_cli.py`); pytest imports
them apart only as `tests.<folder>.<module>`, which needs each folder's `__init__.py`. Without
it, a second `test_api` collides with the first at collection.
"""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parent


def test_every_folder_of_tests_is_a_package() -> None:
    folders = {p.parent for p in TESTS.rglob("*.py") if "__pycache__" not in p.parts}
    assert sorted(str(f.relative_to(TESTS)) for f in folders
                  if not (f / "__init__.py").exists()) == []
