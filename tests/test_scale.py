"""Production scale: the Prefect server and the ledger on PostgreSQL, two workers on the
`office` pool, 50 emergency and 20 decision runs triggered at once through the Prefect API,
then two supervision sweeps at once. Every recipient gets each notice exactly once, counted at
the SMTP and HTTP servers and checked against the ledger."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from models.ledger import Delivery, DeliveryStatus
from officeflow import clock, db
from officeflow.settings import reload_settings
from officeflow.stack import LocalStack
from officeflow.workdays import get_calendar
from tests.conftest import WebhookServer, org_data, write_yaml

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.scale]
BIN = Path(sys.executable).parent
EMERGENCIES, DECISIONS, DEPARTMENTS = 50, 20, 4


class Scale:
    def __init__(self, stack: LocalStack, webhook: WebhookServer, env: dict[str, str]) -> None:
        self.stack, self.webhook, self.env = stack, webhook, env

    @property
    def mail(self) -> list[Any]:
        assert self.stack.catcher is not None
        return list(self.stack.catcher.messages)


@pytest.fixture(scope="module")
def scale(pg_cluster: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scale]:
    suffix = os.getpid()
    pg_cluster.execute(f"CREATE DATABASE prefect_scale_{suffix}")
    pg_cluster.execute(f"CREATE DATABASE ledger_scale_{suffix}")
    home = tmp_path_factory.mktemp("scale") / "office"
    org = write_yaml(
        tmp_path_factory.mktemp("org") / "org.yaml",
        org_data(departments=DEPARTMENTS, people_per_department=3),
    )
    webhook = WebhookServer()
    webhook.thread.start()
    env = {
        "OFFICEFLOW_HOME": str(home),
        "OFFICEFLOW_DATABASE_URL": pg_cluster.url(f"ledger_scale_{suffix}"),
        "OFFICEFLOW_WEBHOOK_URL": webhook.url,
        "PREFECT_SERVER_DATABASE_CONNECTION_URL": pg_cluster.url(
            f"prefect_scale_{suffix}", driver="asyncpg"
        ),
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    reload_settings()
    stack = LocalStack(
        home=home,
        port=0,
        smtp_port=0,
        org_file=org,
        workers=2,
        worker_limit=6,
        say=lambda text: print(text, file=sys.stderr),
    )
    try:
        stack.start()
        env |= stack.prefect_env() | {
            "OFFICEFLOW_SMTP_HOST": stack.catcher.host,  # type: ignore[union-attr]
            "OFFICEFLOW_SMTP_PORT": str(stack.catcher.port),
        }  # type: ignore[union-attr]
        yield Scale(stack, webhook, env)
    finally:
        stack.stop()
        webhook.httpd.shutdown()
        webhook.httpd.server_close()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        db.dispose_engines()
        reload_settings()


def incident(i: int) -> dict[str, Any]:
    occurred = clock.now().subtract(minutes=10).in_timezone("Asia/Shanghai")
    return {
        "title": f"压力测试事件 {i}",
        "category": "accident",
        "occurred_at": occurred.isoformat(),
        "location": f"测试地点 {i}",
        "reported_by": "值班室",
        "description": "并发测试",
        "deaths": 0,
        "serious_injuries": 1,
        "department": f"dept-{i % DEPARTMENTS}",
    }


def decision(i: int) -> dict[str, Any]:
    today = get_calendar().local_date(clock.now())
    d = i % DEPARTMENTS
    return {
        "title": f"压力测试决策 {i}",
        "issued_by": "boss",
        "issued_on": today.isoformat(),
        "assignments": [
            {
                "lead_department": f"dept-{d}",
                "owner": f"p{d}-1",
                "task": f"任务 {i}",
                "acceptance_standard": "报送",
                "due_in_workdays": 1,
            }
        ],
    }


def wait_for(runs: list[Any], api: str, timeout: float, auth_string: str) -> dict[str, int]:
    from prefect import get_client
    from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL, temporary_settings

    deadline = time.monotonic() + timeout
    auth = {PREFECT_API_URL: api, PREFECT_API_AUTH_STRING: auth_string}
    with temporary_settings(updates=auth), get_client(sync_client=True) as c:
        while True:
            states = Counter(c.read_flow_run(r.id).state.type.value for r in runs)  # type: ignore[union-attr]
            if states.get("COMPLETED", 0) == len(runs) or time.monotonic() > deadline:
                return dict(states)
            if states.get("FAILED") or states.get("CRASHED"):
                return dict(states)
            time.sleep(2)


def sent_rows() -> list[tuple[str, str, str, str]]:
    with db.session_scope() as s:
        statuses = Counter(s.scalars(select(Delivery.status)))
        assert set(statuses) <= {DeliveryStatus.SENT}, statuses
        return [
            tuple(r)
            for r in s.execute(  # type: ignore[misc]
                select(Delivery.channel, Delivery.address, Delivery.notice_key, Delivery.person_id)
            )
        ]


@pytest.mark.timeout(1500)
def test_70_runs_on_two_workers_deliver_each_notice_once(scale: Scale) -> None:
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL, temporary_settings

    api = scale.stack.api_url
    started = time.monotonic()
    # The stack's Prefect server is locked down: its clients present the auth string.
    auth = {PREFECT_API_URL: api, PREFECT_API_AUTH_STRING: scale.stack.auth_string}
    with temporary_settings(updates=auth):
        runs = [
            run_deployment(
                "emergency-response/emergency-response",
                parameters={"report": incident(i)},
                timeout=0,
            )
            for i in range(EMERGENCIES)
        ]
        runs += [
            run_deployment(
                "decision-implementation/decision-implementation",
                parameters={"decision": decision(i)},
                timeout=0,
            )
            for i in range(DECISIONS)
        ]
    states = wait_for(runs, api, timeout=900, auth_string=scale.stack.auth_string)
    elapsed = time.monotonic() - started
    print(f"70 runs on two workers: {states} in {elapsed:.0f} s", file=sys.stderr)
    assert states == {"COMPLETED": EMERGENCIES + DECISIONS}

    with db.session_scope() as s:
        from models.emergency import Incident
        from models.supervision import Assignment

        assert s.scalar(select(func.count()).select_from(Incident)) == EMERGENCIES
        assert s.scalar(select(func.count()).select_from(Assignment)) == DECISIONS
    rows = sent_rows()
    mail = Counter((m.rcpt_tos[0], m.notice) for m in scale.mail)
    hooks = Counter((b["recipient"], b["notice"]) for b in scale.webhook.bodies())
    assert set(mail.values()) == {1} and set(hooks.values()) == {1}  # nothing doubled
    assert set(mail) == {(a, k) for ch, a, k, _ in rows if ch == "email"}  # nothing lost
    assert set(hooks) == {(a, k) for ch, a, k, _ in rows if ch == "webhook"}
    # Every incident alerted someone and every assignment notice went out.
    assert len({k for _, k in mail if k.startswith("incident:")}) == EMERGENCIES
    assert len({k for _, k in mail if k.endswith(":issued")}) == DECISIONS

    # Two sweeps at once, each in its own process (as on two workers), two working days later:
    # every assignment is overdue and gets one red reminder, once.
    cal = get_calendar()
    later = cal.add_workdays(cal.local_date(clock.now()), 2)
    when = f"{later.isoformat()}T09:00:00+08:00"
    before = len(scale.mail)
    sweeps = [
        subprocess.Popen(
            [str(BIN / "officeflow"), "assignment", "sweep", "--now", when, "--send"],
            env={**os.environ, **scale.env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=300) for p in sweeps]
    assert [p.returncode for p in sweeps] == [0, 0], outputs
    reminders = [m for m in scale.mail[before:] if ":red:" in m.notice]
    per_notice = Counter((m.rcpt_tos[0], m.notice) for m in reminders)
    assert set(per_notice.values()) == {1}
    assert len({m.notice for m in reminders}) == DECISIONS
    # Owner, department head and the issuing leader: three emails per assignment.
    assert len(reminders) == 3 * DECISIONS
    assert len(scale.mail) == len([r for r in sent_rows() if r[0] == "email"])


def test_the_prefect_server_runs_on_postgresql(scale: Scale) -> None:
    import base64
    import json
    import urllib.request

    basic = "Basic " + base64.b64encode(scale.stack.auth_string.encode()).decode()
    version = urllib.request.Request(
        scale.stack.api_url + "/admin/version", headers={"Authorization": basic}
    )
    with urllib.request.urlopen(version, timeout=10) as r:
        assert json.loads(r.read())
    assert scale.env["PREFECT_SERVER_DATABASE_CONNECTION_URL"].startswith("postgresql+asyncpg")
    # The server's tables live in the PostgreSQL database we gave it.
    import psycopg

    url = scale.env["PREFECT_SERVER_DATABASE_CONNECTION_URL"].replace(
        "postgresql+asyncpg", "postgresql"
    )
    with psycopg.connect(url) as conn:
        n = conn.execute("SELECT count(*) FROM flow_run").fetchone()
    assert n and n[0] >= EMERGENCIES + DECISIONS
    assert sum(1 for name in scale.stack.procs if name.startswith("worker")) == 2
    assert all(p.poll() is None for p in scale.stack.procs.values())
    _ = dt
