"""`python -m forcebridge_emulator serve ...`."""

from forcebridge_emulator._cli import run

run()
