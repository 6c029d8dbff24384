"""`prefect.yaml`, generated from `deployments.definitions` so that `prefect deploy --all` and
`deployments.register` register the same thing. Regenerate with
`officeflow deployments write-prefect-yaml`; a test checks the committed file is current."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from deployments.definitions import DEPLOYMENTS, LIMITS, POOL, QUEUE

PREFECT_YAML = Path(__file__).resolve().parent.parent / "prefect.yaml"

HEADER = """\
# GENERATED from deployments/definitions.py by `officeflow deployments write-prefect-yaml`.
# Do not edit by hand; a test checks this file matches the table.
#
#   prefect work-pool create office --type process --base-job-template deployments/job-template.json
#   prefect --no-prompt deploy --all          # from this folder, against PREFECT_API_URL
#   prefect worker start --pool office
#
# The pool's job template (deployments/job-template.json) admits no job variable: a run cannot
# set the worker's command or environment (docs/permissions.md). An existing pool made with
# Prefect's default template: `prefect work-pool update office --base-job-template` the same file
# (`officeflow deployments register` does both). Unlike deployments/register.py, `prefect deploy`
# leaves each deployment's parameter schema open at the top: a run with a parameter the flow
# does not take is created, then fails as it starts, before any office code runs.
# No `pull` section: `prefect deploy` then records this folder (the working directory at deploy
# time) as each deployment's working directory, like deployments/register.py does.
# Global concurrency limits are not part of prefect.yaml; create them once with
#   {limits}
"""


def render() -> str:
    limits = "\n#   ".join(
        f"prefect gcl create {lim.name} --limit {lim.limit}"
        + (
            f" --slot-decay-per-second {lim.slot_decay_per_second:g}"
            if lim.slot_decay_per_second is not None
            else ""
        )
        for lim in LIMITS
    )
    doc: dict[str, Any] = {
        "name": "officeflow",
        "prefect-version": "3.9",
        "build": None,
        "push": None,
        "deployments": [],
    }
    for d in DEPLOYMENTS:
        entry: dict[str, Any] = {
            "name": d.name,
            "description": d.description,
            "entrypoint": d.entrypoint,
            "tags": list(d.tags),
            "parameters": dict(d.parameters),
            "enforce_parameter_schema": True,
            "work_pool": {"name": POOL, "work_queue_name": QUEUE, "job_variables": {}},
        }
        if d.schedules:  # an empty list would be read as "keep what the server has"
            # Slugs match deployments/register.py, so either path updates the same schedules.
            entry["schedules"] = [
                {
                    "cron": s.cron,
                    "timezone": s.zone,
                    "day_or": s.day_or,
                    "active": True,
                    "slug": f"{d.name}-{i}",
                }
                for i, s in enumerate(d.schedules)
            ]
        if d.concurrency_limit is not None:
            entry["concurrency_limit"] = d.concurrency_limit
        doc["deployments"].append(entry)
    body = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=100)
    return HEADER.format(limits=limits) + "\n" + body


def write(path: Path = PREFECT_YAML) -> Path:
    path.write_text(render(), encoding="utf-8")
    return path
