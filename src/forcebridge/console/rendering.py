"""Jinja2 templates and the few filters pages share (times, durations, statuses)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.responses import HTMLResponse

from forcebridge.console.viewer import Viewer

_env = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def when(value: datetime | str | None) -> Markup:
    """A time in UTC; console.js rewrites it into the viewer's zone, UTC stays on hover."""
    if value is None or value == "":
        return Markup('<span class="muted">—</span>')
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    utc = value.strftime("%Y-%m-%d %H:%M:%S UTC")
    return Markup('<time datetime="{}" title="{}">{}</time>').format(value.isoformat(), utc, utc)


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes} min {rest:02d} s"


_env.filters["when"] = when
_env.filters["duration"] = duration


def render(
    request: Request,
    template: str,
    viewer: Viewer | None = None,
    *,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    html = _env.get_template(template).render(
        request=request, viewer=viewer, path=request.url.path, **context
    )
    return HTMLResponse(html, status_code=status_code)
