"""Commands the product suggests (in the CLI, in emails): complete, quoted, runnable as pasted."""

from __future__ import annotations

import shlex


def command(*argv: str) -> str:
    """A complete `forcebridge ...` command line, quoted for a POSIX shell."""
    return shlex.join(["forcebridge", *argv])
