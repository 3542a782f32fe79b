"""`forcebridge emulator serve` is the forcebridge-emulator package's own `serve`, unchanged."""

from __future__ import annotations

from typer.testing import CliRunner

from forcebridge.cli import app


def test_emulator_serve_is_the_packages_command() -> None:
    shown = CliRunner().invoke(app, ["emulator", "serve", "--help"])
    assert shown.exit_code == 0
    assert "usage: forcebridge emulator serve" in shown.output
    assert "--keep-alive SECONDS" in shown.output  # an option only the package defines


def test_a_bad_option_names_itself_and_exits_2() -> None:
    result = CliRunner().invoke(app, ["emulator", "serve", "--faults", "jitter=3"])
    assert result.exit_code == 2
    assert "--faults: unknown fault 'jitter'" in result.output
