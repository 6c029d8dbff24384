"""The Prefect server `officeflow up` starts: `prefect server start`'s application (the API, the
UI and the server's services, configured by the same ``PREFECT_SERVER_*`` settings) without the
API's documentation pages.

Prefect serves Swagger UI (``/docs``), ReDoc (``/redoc``) and the OpenAPI schema
(``/openapi.json``) at the root, outside the API's auth-string check, and again under ``/api``;
no setting turns them off. Here every one of them answers 404, with or without the auth string.

    python -m officeflow.prefect_server [--host 127.0.0.1] [--port 4200]
"""

from __future__ import annotations

import argparse
from typing import Any

# The pages FastAPI adds to an application (its `docs_url`, `redoc_url`, `openapi_url` and the
# Swagger OAuth redirect), at the root and under the API's mount point.
DOC_PAGES = ("/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json")


class WithoutDocs:
    """An ASGI wrapper that answers 404 for the documentation pages and hands everything else
    (every other request, the lifespan that runs the server's services) to Prefect's app."""

    def __init__(self, app: Any, api_prefix: str = "/api") -> None:
        self.app = app
        prefix = "/" + api_prefix.strip("/") if api_prefix.strip("/") else ""
        self.closed = frozenset(DOC_PAGES) | {prefix + page for page in DOC_PAGES}

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and self.is_closed(scope["path"]):
            from starlette.responses import JSONResponse

            await JSONResponse({"detail": "Not Found"}, status_code=404)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def is_closed(self, path: str) -> bool:
        # "/docs/", "//docs" and "/api//docs" reach the same pages through Starlette's routing.
        parts = [part for part in path.split("/") if part]
        return "/" + "/".join(parts) in self.closed


def create_app() -> Any:
    """Prefect's server application (as `prefect server start` builds it), its own
    documentation routes removed and the rest wrapped in `WithoutDocs`."""
    from prefect.server.api.server import create_app as prefect_app
    from prefect.settings import PREFECT_SERVER_API_BASE_PATH

    app = prefect_app(final=True)
    for application in (app, getattr(app, "api_app", None)):
        if application is None:
            continue
        application.router.routes[:] = [
            route
            for route in application.router.routes
            if getattr(route, "path", None) not in DOC_PAGES
        ]
        application.openapi_url = application.docs_url = application.redoc_url = None
    return WithoutDocs(app, PREFECT_SERVER_API_BASE_PATH.value() or "/api")


def main(argv: list[str] | None = None) -> None:
    import uvicorn
    from prefect.settings import get_current_settings

    server = get_current_settings().server
    parser = argparse.ArgumentParser(prog="python -m officeflow.prefect_server")
    parser.add_argument("--host", default=server.api.host)
    parser.add_argument("--port", type=int, default=server.api.port)
    args = parser.parse_args(argv)
    uvicorn.run(
        create_app(),
        host=args.host,
        port=args.port,
        timeout_keep_alive=server.api.keepalive_timeout,
        log_level=server.logging_level.lower(),
    )


if __name__ == "__main__":  # pragma: no cover - the process `officeflow up` starts
    main()
