"""``POST /internal/flow-runs``: a CLI command's flow, run in this warm process
(`officeflow.flowcalls` describes the exchange and who may use it).

Refused with nothing run: 403 from anywhere but the loopback address or through a proxy (a
forwarding header), 401 without the home's auth string, 404 for a flow that is not a CLI
command's, 409 when the caller writes to another ledger or this process runs on a set clock
(the CLI then runs the flow itself). Each request runs in its own thread of the pool, inside its
own copy of the context (the door), so concurrent runs share nothing but the ledger.
"""

from __future__ import annotations

import ipaddress
import logging
import threading

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from officeflow import flowcalls

log = logging.getLogger("officeflow.web.flowruns")
router = APIRouter()

FORWARDING_HEADERS = ("forwarded", "x-forwarded-for", "x-forwarded-host", "x-real-ip")


def _loopback(request: Request) -> bool:
    host = request.client.host if request.client else ""
    try:
        if not ipaddress.ip_address(host).is_loopback:
            return False
    except ValueError:
        return False
    return not any(h in request.headers for h in FORWARDING_HEADERS)


def _refuse(status: int, why: str) -> JSONResponse:
    return JSONResponse({"ok": False, "refused": why}, status_code=status)


@router.post(flowcalls.PATH, include_in_schema=False)
async def run_flow(request: Request) -> JSONResponse:
    from officeflow import clock

    settings = request.app.state.settings
    if not _loopback(request):
        return _refuse(403, "only from this machine")
    if not flowcalls.authorised(request.headers.get("authorization"), settings.home.resolve()):
        return _refuse(401, "the officeflow home's auth string is required")
    try:
        payload = await request.json()
    except ValueError:
        return _refuse(400, "a JSON body is required")
    if not isinstance(payload, dict):
        return _refuse(400, "a JSON object is required")
    target, params = payload.get("flow"), payload.get("params")
    if not isinstance(target, str) or target not in flowcalls.FLOWS:
        return _refuse(404, "not a flow the CLI runs")
    if not isinstance(params, dict):
        return _refuse(400, "params must be an object")
    if payload.get("ledger") != flowcalls.ledger_id(settings.database_url):
        return _refuse(409, "another ledger")
    if clock._frozen is not None or settings.now is not None:
        return _refuse(409, "this process runs on a set clock")
    operator = payload.get("operator")
    answer = await run_in_threadpool(
        flowcalls.run_here, target, params, operator if isinstance(operator, str) else ""
    )
    return JSONResponse(answer)


def warm() -> None:
    """Import Prefect and every flow a CLI command runs, in the background, so that the first
    command does not wait for it (`officeflow web --warm-flows`, which `officeflow up` uses)."""

    def load() -> None:
        for module in flowcalls.FLOW_MODULES:
            try:
                __import__(module)
            except Exception:  # the request that names it reports the error
                log.exception("could not import %s", module)
        # Loading Prefect reconfigured logging: the access log is put back at once.
        from officeflow.web.security import keep_access_log

        keep_access_log()
        logging.getLogger("uvicorn.error").info("loaded Prefect and the CLI's flows")

    threading.Thread(target=load, name="warm-flows", daemon=True).start()
