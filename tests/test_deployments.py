"""The deployments table, the generated prefect.yaml and registration through the Prefect API."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from deployments.definitions import DEPLOYMENTS, LIMITS, POOL, Cron, Deployment
from deployments.prefect_yaml import PREFECT_YAML, render
from deployments.register import (
    DATE_PATTERN,
    DATETIME_PATTERN,
    ensure_limits,
    ensure_pool,
    missing_reason,
    register_one,
    strict_dates,
)
from tests.cli_helpers import run_cli

ROOT = Path(__file__).resolve().parent.parent

PLANNED = {
    "decision-implementation": "flows/supervision.py:decision_implementation",
    "supervision-sweep": "flows/supervision.py:supervision_sweep",
    "supervision-bulletin": "flows/supervision.py:supervision_bulletin",
    "emergency-response": "flows/emergency.py:emergency_response",
    "emergency-sweep": "flows/emergency.py:emergency_sweep",
    "meeting-preparation": "flows/meeting.py:meeting_preparation",
    "meeting-sweep": "flows/meeting.py:meeting_sweep",
}


def every_flow() -> dict[str, str]:
    """Flow name → entrypoint for every @flow in flows/*.py."""
    import importlib

    from prefect import Flow

    found = {}
    for path in sorted((ROOT / "flows").glob("*.py")):
        if path.name == "__init__.py":
            continue
        module = importlib.import_module(f"flows.{path.stem}")
        for attr, value in vars(module).items():
            if isinstance(value, Flow) and value.__module__ == module.__name__:
                found[value.name] = f"flows/{path.name}:{attr}"
    return found


def test_the_table_holds_every_planned_process() -> None:
    table = {d.name: d.entrypoint for d in DEPLOYMENTS}
    assert PLANNED.items() <= table.items()
    # Every flow has a deployment, under the flow's own name.
    assert table == every_flow()
    for d in DEPLOYMENTS:
        assert d.description.strip(), d.name
        assert re.fullmatch(r"flows/\w+\.py:\w+", d.entrypoint), d.entrypoint
        assert all(s.zone == "Asia/Shanghai" for s in d.schedules), d.name


def test_schedules_follow_the_office_time_zone_setting(office_env: Any) -> None:
    """The zone is the setting, not a constant: an office elsewhere gets its own mornings."""
    office_env.set(timezone="Asia/Urumqi")
    scheduled = [d for d in DEPLOYMENTS if d.schedules]
    assert scheduled and all(s.zone == "Asia/Urumqi" for d in scheduled for s in d.schedules)
    assert "timezone: Asia/Urumqi" in render()


def test_schedules_are_the_office_rhythm() -> None:
    crons = {d.name: [s.cron for s in d.schedules] for d in DEPLOYMENTS}
    # Every day at 09:00, so that make-up working days on weekends (调休) are not missed;
    # the flow skips days off itself.
    assert crons["supervision-sweep"] == ["0 9 * * *"]
    assert crons["supervision-bulletin"] == ["0 16 * * 5"]
    assert crons["emergency-sweep"] == ["* * * * *"]
    assert crons["meeting-sweep"] == ["*/5 * * * *"]
    assert crons["decision-implementation"] == crons["emergency-response"] == []
    assert {lim.name for lim in LIMITS} >= {"smtp"}


def test_committed_prefect_yaml_is_generated_from_the_table() -> None:
    assert PREFECT_YAML.read_text(encoding="utf-8") == render(), (
        "prefect.yaml is stale: run `officeflow deployments write-prefect-yaml`"
    )
    doc = yaml.safe_load(render())
    assert [d["name"] for d in doc["deployments"]] == [d.name for d in DEPLOYMENTS]
    sweep = next(d for d in doc["deployments"] if d["name"] == "supervision-sweep")
    assert sweep["schedules"] == [
        {
            "cron": "0 9 * * *",
            "timezone": "Asia/Shanghai",
            "day_or": True,
            "active": True,
            "slug": "supervision-sweep-0",
        }
    ]
    assert sweep["work_pool"]["name"] == POOL
    assert "pull" not in doc  # prefect deploy records the project folder itself


def test_write_prefect_yaml_check_command() -> None:
    result = run_cli("deployments", "write-prefect-yaml", "--check")
    assert result.returncode == 0, result.stderr
    assert "prefect.yaml is current" in result.stdout


def test_missing_flows_are_named(tmp_path: Path) -> None:
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "emergency.py").write_text("def other():\n    pass\n")
    absent = Deployment("x", "flows/meeting.py:meeting_preparation", "d")
    no_function = Deployment("y", "flows/emergency.py:emergency_response", "d")
    assert missing_reason(absent, tmp_path) == "flows/meeting.py does not exist yet"
    assert missing_reason(no_function, tmp_path) == (
        "flows/emergency.py has no function emergency_response yet"
    )


def test_strict_dates_adds_patterns_everywhere() -> None:
    schema: dict[str, Any] = {
        "properties": {
            "on": {"type": "string", "format": "date"},
            "at": {"anyOf": [{"type": "string", "format": "date-time"}, {"type": "null"}]},
        }
    }
    strict_dates(schema)
    assert schema["properties"]["on"]["pattern"] == DATE_PATTERN
    assert schema["properties"]["at"]["anyOf"][0]["pattern"] == DATETIME_PATTERN
    assert re.match(DATETIME_PATTERN, "2024-05-01T14:30:00.000Z")
    assert re.match(DATETIME_PATTERN, "2026-09-21T09:00:00+08:00")
    assert not re.match(DATE_PATTERN, "next tuesday")


SCHEDULED_FLOW = '''
from prefect import flow


@flow(name="probe-sweep")
def probe_sweep(limit: int = 3) -> int:
    """A scheduled probe."""
    return limit
'''


def test_register_creates_pool_limits_and_scheduled_deployments(
    prefect_api: None, tmp_path: Path
) -> None:
    from prefect import get_client

    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "probe.py").write_text(SCHEDULED_FLOW)
    probe = Deployment(
        name="probe-sweep",
        entrypoint="flows/probe.py:probe_sweep",
        description="Probe deployment with a schedule.",
        schedules=(Cron("0 9 * * *"), Cron("0 16 * * 5")),
        tags=("scheduled",),
        concurrency_limit=1,
    )
    ensure_pool()
    assert ensure_pool() is False  # already there
    ensure_limits()
    first = register_one(probe, tmp_path)
    again = register_one(probe, tmp_path)  # re-registering updates, never duplicates
    skipped = register_one(Deployment("ghost", "flows/ghost.py:ghost", "d"), tmp_path)
    assert first.registered and again.registered and not skipped.registered
    assert skipped.detail == "skipped: flows/ghost.py does not exist yet"

    with get_client(sync_client=True) as client:
        pool = client.read_work_pool(POOL)
        limit = client.read_global_concurrency_limit_by_name("smtp")
        got = client.read_deployment_by_name("probe-sweep/probe-sweep")
    assert pool.type == "process"
    assert limit.limit == LIMITS[0].limit
    assert got.work_pool_name == POOL and got.description == probe.description
    assert sorted((s.schedule.cron, s.schedule.timezone) for s in got.schedules) == [
        ("0 16 * * 5", "Asia/Shanghai"),
        ("0 9 * * *", "Asia/Shanghai"),
    ]
    assert got.pull_steps == [
        {"prefect.deployments.steps.set_working_directory": {"directory": str(tmp_path)}}
    ]
    assert got.parameter_openapi_schema["properties"]["limit"]["type"] == "integer"


@pytest.mark.parametrize("name", ["decision-implementation"])
def test_flows_in_this_tree_register_with_a_form(prefect_api: None, name: str) -> None:
    from prefect import get_client

    deployment = next(d for d in DEPLOYMENTS if d.name == name)
    assert register_one(deployment).registered
    with get_client(sync_client=True) as client:
        got = client.read_deployment_by_name(f"{name}/{name}")
    schema = got.parameter_openapi_schema
    assert schema["required"] == ["decision"]
    spec = schema["definitions"]["DecisionSpec"]["properties"]
    assert spec["issued_on"]["pattern"] == DATE_PATTERN
    assert got.enforce_parameter_schema
