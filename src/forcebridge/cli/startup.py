"""The cyclic garbage collector held off while the CLI starts, and its last pass at exit skipped.

Starting a command imports typer, pydantic and SQLAlchemy: a few hundred thousand long-lived
objects, none of them garbage, which the collector scans again and again while they are being
made, and once more in full when the interpreter exits (together about a quarter of the time
`forcebridge runs list` takes). So `main` turns the collector off; just before a command's own
code runs, everything alive is frozen out of collection and the collector is turned on again (a
long command, `run` or `serve`, collects its garbage as usual); and at exit what is alive is
frozen once more, so the interpreter's final pass has almost nothing to scan.

Nothing is lost at exit: the interpreter still flushes stdout and stderr, atexit handlers (log
handlers, temporary directories) still run, and objects freed by reference counting are still
finalized. Only cycles still alive at exit are not collected; the operating system takes the
whole process back anyway. A caller that never went through `main` (a test invoking the app)
keeps its collector as it was.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable
from typing import Any

from typer import _click


def starting() -> None:
    """The process is starting a command: no collections until its code runs."""
    gc.disable()


def command_runs() -> None:
    """A command's own code runs now: what startup made is kept, the collector comes back."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def exiting() -> None:
    """Leave what is alive to the process's end rather than to a final full collection."""
    gc.freeze()


def collect_when_run(command: _click.Command) -> None:
    """Have `command` (and every command of a group) turn the collector on as it starts."""
    subcommands = getattr(command, "commands", None)
    if subcommands is not None:  # a group: its callback runs before a subcommand is parsed
        for sub in subcommands.values():
            collect_when_run(sub)
        return
    callback = command.callback
    if callback is None or getattr(callback, "_collects", False):
        return

    @functools.wraps(callback)
    def run(*args: Any, **kwargs: Any) -> Any:
        command_runs()
        return callback(*args, **kwargs)

    marked: Callable[..., Any] = run
    marked._collects = True  # type: ignore[attr-defined]
    command.callback = marked
