"""The web console: server-rendered pages (Jinja2 + htmx) over the same services as the API.

Mounted at `/` by `forcebridge.api.create_app`, after the API's routes, as its own app so its
errors render as pages and its security headers cover only it.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from forcebridge.console import assets
from forcebridge.console.pages import (
    alerts,
    api_clients,
    connection_deletion,
    connections,
    events,
    home,
    integration_creation,
    integration_settings,
    integrations,
    mapping_editor,
    publishing,
    records,
    runs,
    sign_in,
)
from forcebridge.console.rendering import render
from forcebridge.console.security import SecurityHeaders
from forcebridge.console.viewer import SignInRequired, current
from forcebridge.errors import Forbidden, ForcebridgeError, NotFound
from forcebridge.http_status import status_of
from forcebridge.runtime import Runtime

__all__ = ["PAGES", "create_app"]
PAGES = (
    sign_in, home, connections, connection_deletion, integration_creation, integrations, integration_settings, mapping_editor, publishing,
    runs, events, records, api_clients, alerts,
)  # each module's `router` holds its pages


def _sign_in_redirect(request: Request, exc: SignInRequired) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    location = f"/sign-in?next={quote(target, safe='')}"
    if exc.reason:
        location += f"&reason={quote(exc.reason, safe='')}"
    if request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Redirect": location})
    return RedirectResponse(location, status_code=303)


def create_app(rt: Runtime) -> FastAPI:
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    app.state.runtime = rt
    app.state.clock = None

    @app.exception_handler(SignInRequired)
    async def _signed_out(request: Request, exc: SignInRequired) -> Response:
        return _sign_in_redirect(request, exc)

    @app.exception_handler(ForcebridgeError)
    async def _error(request: Request, exc: ForcebridgeError) -> Response:
        try:
            viewer = current(request)
        except SignInRequired:
            viewer = None
        title = {NotFound: "Not found", Forbidden: "Not allowed"}.get(type(exc), "Something is wrong")
        return render(
            request, "error.html", viewer, status_code=status_of(exc), title=title, message=exc.message
        )

    @app.exception_handler(404)
    async def _not_found(request: Request, exc: Exception) -> Response:
        try:
            viewer = current(request)
        except SignInRequired:
            viewer = None
        return render(
            request, "error.html", viewer, status_code=404, title="Not found",
            message="There is no such page.",
        )

    @app.get("/assets/vendor/{name}", include_in_schema=False)
    def vendor(name: str) -> Response:
        path = assets.vendor_file(rt.settings, name)
        if path is None:
            raise NotFound(f"{name} is not built; run make install")
        return FileResponse(path, media_type="text/javascript")

    app.mount("/assets", StaticFiles(directory=Path(__file__).parent / "static"), name="assets")
    for module in PAGES:
        app.include_router(module.router)
    app.add_middleware(SecurityHeaders)
    return app
