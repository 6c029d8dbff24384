"""`officeflow web`: serve the office's web pages (the pages that signed links in notices open)."""

from __future__ import annotations

from typing import Any

import typer

from officeflow.web.tokens import DEFAULT_WEB_PORT


def web(
    host: str = typer.Option(
        "127.0.0.1", help="Address to listen on (127.0.0.1: only this machine, e.g. behind a proxy)"
    ),
    port: int = typer.Option(DEFAULT_WEB_PORT, min=1, max=65535, help="Port to listen on"),
    root_path: str = typer.Option(
        "",
        help="The path prefix the reverse proxy serves the pages under, e.g. /office "
        "(OFFICEFLOW_PUBLIC_URL must then end with it too)",
    ),
    forwarded_allow_ips: str = typer.Option(
        "",
        help="Proxies whose X-Forwarded-For/-Proto headers are trusted (comma-separated "
        "addresses or networks, e.g. 127.0.0.1 for a proxy on this machine). Default: none, "
        "the connecting address is the client's",
    ),
    access_log: bool = typer.Option(
        True, help="Write an access log (tokens in paths are always redacted)"
    ),
    warm_flows: bool = typer.Option(
        False,
        help="Import Prefect and the CLI's flows at start, so the first CLI command that runs "
        "its flow here does not wait for them (`officeflow up` sets it)",
    ),
) -> None:
    """Serve the office's web pages: the page each signed link in a notice opens (acknowledge an
    incident, report progress, verify, decide an extension …), against the configured ledger
    (OFFICEFLOW_DATABASE_URL, SQLite or PostgreSQL).

    Behind a reverse proxy (nginx, Caddy) that terminates HTTPS:

      officeflow web --host 127.0.0.1 --port 8300

    with --forwarded-allow-ips 127.0.0.1 (the proxy's address: only then is its X-Forwarded-For
    read), and set OFFICEFLOW_PUBLIC_URL=https://office.example.org so links in notices point at
    the proxy (cookies are then marked Secure). Set OFFICEFLOW_WEB_SECRET_KEY on every machine that
    sends notices or serves the pages; without it a key is generated once under the officeflow
    home and shared by the processes on this machine. `officeflow up` starts these pages by
    itself."""
    import uvicorn

    from officeflow.cli.common import console
    from officeflow.settings import get_settings
    from officeflow.web.app import create_app
    from officeflow.web.security import log_config, remember_access_log
    from officeflow.web.tokens import public_url, secret_key

    settings = get_settings()
    secret_key(settings)  # create the shared key before the first link is signed
    console.print(
        f"office web pages on http://{host}:{port}{root_path} "
        f"(links in notices start with {public_url(settings)})",
        highlight=False,
    )
    trusted = forwarded_allow_ips.strip()
    config = uvicorn.Config(
        _naming_instance(create_app(settings)),
        host=host,
        port=port,
        root_path=root_path,
        proxy_headers=bool(trusted),  # no named proxy: no forwarding header is read
        forwarded_allow_ips=trusted or None,
        access_log=access_log,
        log_config=log_config(),
        server_header=False,
    )
    remember_access_log()  # as uvicorn just set it up: loading Prefect later must not change it
    if warm_flows:
        from officeflow.web.flowruns import warm

        warm()
    uvicorn.Server(config).run()


def _naming_instance(app: Any) -> Any:
    """The app, whose /healthz answers carry the id `officeflow up` gave this process (nothing
    changes when it gave none), so that the stack knows its own web process answers."""
    import os

    from officeflow.stackfile import INSTANCE_ENV, INSTANCE_HEADER

    instance = os.environ.get(INSTANCE_ENV, "")
    if not instance:
        return app

    async def named(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] != "/healthz":
            await app(scope, receive, send)
            return

        async def send_named(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    *message.get("headers", []),
                    (INSTANCE_HEADER.encode(), instance.encode()),
                ]
                message = {**message, "headers": headers}
            await send(message)

        await app(scope, receive, send_named)

    return named
