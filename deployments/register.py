"""Create the `office` work pool, the global concurrency limits and every deployment in
`deployments.definitions`, through the Prefect Python API. Safe to run again: existing objects
are updated, not duplicated.

    python -m deployments.register            # against PREFECT_API_URL
"""

from __future__ import annotations

import ast
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deployments.definitions import DEPLOYMENTS, LIMITS, POOL, POOL_TYPE, QUEUE, Deployment

PROJECT_DIR = Path(__file__).resolve().parent.parent

log = logging.getLogger("officeflow.deployments")


@dataclass(frozen=True)
class Outcome:
    name: str
    registered: bool
    detail: str


def missing_reason(deployment: Deployment, project_dir: Path = PROJECT_DIR) -> str | None:
    """Why this deployment's flow cannot be loaded yet, or None when it can."""
    path = project_dir / deployment.path
    if not path.is_file():
        return f"{deployment.path} does not exist yet"
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    defined = {
        node.name for node in tree.body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    if deployment.function not in defined:
        return f"{deployment.path} has no function {deployment.function} yet"
    return None


# The server validates parameters against the JSON schema but ignores `format`, so a date such as
# "next tuesday" would only fail inside the flow run. A pattern makes the server refuse it at
# `prefect deployment run` / UI submit time, naming the field, before a run exists.
DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
DATETIME_PATTERN = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|z|[+-]\d{2}(:?\d{2})?)?$"


def strict_dates(schema: Any) -> None:
    """Add a pattern to every ``format: date`` / ``date-time`` string in a JSON schema, in place."""
    if isinstance(schema, dict):
        if schema.get("type") == "string" and "pattern" not in schema:
            if schema.get("format") == "date":
                schema["pattern"] = DATE_PATTERN
            elif schema.get("format") == "date-time":
                schema["pattern"] = DATETIME_PATTERN
        for value in schema.values():
            strict_dates(value)
    elif isinstance(schema, list):
        for value in schema:
            strict_dates(value)


def closed(schema: Any) -> Any:
    """The deployment's parameter schema with ``additionalProperties: false`` at the top: Prefect
    builds the schema from the flow's signature but leaves it open, so a run with a parameter the
    flow does not take (a typo) would be created and then fail as it starts. Closed, the server
    refuses it when the run is created (409, naming the parameter), as it does a wrong value."""
    from prefect.utilities.callables import ParameterSchema
    from pydantic import ConfigDict

    class ClosedParameterSchema(ParameterSchema):
        model_config = ConfigDict(extra="allow")

    return ClosedParameterSchema(
        **schema.model_dump(exclude_unset=True), additionalProperties=False
    )


# The `office` pool's base job template (deployments/job-template.json). Prefect's process worker
# lets a flow run (and a deployment) set the pool's job variables: with its default template
# `command`, `env`, `working_dir`, `name`, `labels` and `stream_output`, so whoever could create a
# run could replace the command the worker starts or set OFFICEFLOW_NOW (the clock). The office
# needs none of them from a run: the worker starts `python -m prefect.engine` with its own
# environment (the office's settings), the deployment's pull step enters the release folder, and
# the output goes to the worker's log. So the template has fixed values only (`stream_output`)
# and a variables schema that admits no variable at all: the server refuses a run (422) or a
# deployment that sets one, and one that slips past that check (a bare `POST /flow_runs/`, which
# Prefect does not check) has nothing in the template to land in.
JOB_TEMPLATE_FILE = Path(__file__).resolve().parent / "job-template.json"


def job_template() -> dict[str, Any]:
    return dict(json.loads(JOB_TEMPLATE_FILE.read_text(encoding="utf-8")))


def ensure_pool(name: str = POOL) -> bool:
    """Create the process work pool with the locked job template, or lock an existing pool's
    template (a pool an older version created has Prefect's default one). Returns True when the
    pool was created."""
    from prefect import get_client
    from prefect.client.schemas.actions import WorkPoolCreate, WorkPoolUpdate
    from prefect.exceptions import ObjectAlreadyExists

    template = job_template()
    with get_client(sync_client=True) as client:
        try:
            client.create_work_pool(
                WorkPoolCreate(
                    name=name,
                    type=POOL_TYPE,
                    base_job_template=template,
                    description="The general office's processes (officeflow).",
                )
            )
        except ObjectAlreadyExists:
            if client.read_work_pool(name).base_job_template != template:
                client.update_work_pool(name, WorkPoolUpdate(base_job_template=template))
                log.info("locked the job template of the existing pool %s", name)
            return False
    return True


def ensure_limits() -> list[str]:
    from prefect import get_client

    with get_client(sync_client=True) as client:
        for limit in LIMITS:
            client.upsert_global_concurrency_limit_by_name(
                limit.name, limit.limit, slot_decay_per_second=limit.slot_decay_per_second
            )
    return [limit.name for limit in LIMITS]


def register_one(deployment: Deployment, project_dir: Path = PROJECT_DIR) -> Outcome:
    from prefect.deployments.runner import RunnerDeployment
    from prefect.runner.storage import LocalStorage
    from prefect.schedules import Cron

    reason = missing_reason(deployment, project_dir)
    if reason is not None:
        log.info("skipping deployment %s: %s", deployment.name, reason)
        return Outcome(deployment.name, False, f"skipped: {reason}")
    schedules = [
        Cron(s.cron, timezone=s.zone, day_or=s.day_or, slug=f"{deployment.name}-{i}")
        for i, s in enumerate(deployment.schedules)
    ]
    runner = RunnerDeployment.from_storage(
        storage=LocalStorage(str(project_dir)),
        entrypoint=deployment.entrypoint,
        name=deployment.name,
        schedules=schedules,
        description=deployment.description,
        tags=list(deployment.tags),
        parameters=dict(deployment.parameters),
        concurrency_limit=deployment.concurrency_limit,
        work_pool_name=POOL,
        work_queue_name=QUEUE,
        enforce_parameter_schema=True,
    )
    strict_dates(runner._parameter_openapi_schema.properties)
    strict_dates(runner._parameter_openapi_schema.definitions)
    runner._parameter_openapi_schema = closed(runner._parameter_openapi_schema)
    deployment_id = runner.apply()
    flow_name = runner.flow_name
    log.info("registered %s/%s (%s)", flow_name, deployment.name, deployment_id)
    return Outcome(deployment.name, True, f"{flow_name}/{deployment.name}")


def register_all(project_dir: Path = PROJECT_DIR) -> list[Outcome]:
    """The pool, the limits, then every deployment whose flow exists."""
    ensure_pool()
    ensure_limits()
    return [register_one(d, project_dir) for d in DEPLOYMENTS]


if __name__ == "__main__":  # pragma: no cover - thin command line
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for outcome in register_all():
        print(("registered " if outcome.registered else "") + outcome.detail)
