"""The console's front-end packages, installed from npm by `make` into a git-ignored folder.

Only the files named here are served, under /assets/vendor/<name>.
"""

from __future__ import annotations

from pathlib import Path

from forcebridge.settings import Settings

VENDOR_FILES = {
    "htmx.min.js": "htmx.org/dist/htmx.min.js",
    "chart.umd.js": "chart.js/dist/chart.umd.js",
}
# src/forcebridge/console/assets.py -> the checkout's build/console/node_modules
_CHECKOUT_MODULES = Path(__file__).resolve().parents[3] / "build" / "console" / "node_modules"


def modules_dir(settings: Settings) -> Path:
    return settings.console_assets_dir or _CHECKOUT_MODULES


def vendor_file(settings: Settings, name: str) -> Path | None:
    """The installed file served as `name`, or None when unknown or not built."""
    relative = VENDOR_FILES.get(name)
    if relative is None:
        return None
    path = modules_dir(settings) / relative
    return path if path.is_file() else None
