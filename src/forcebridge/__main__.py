"""`python -m forcebridge` is the `forcebridge` command."""

from forcebridge.cli import main

main()
