"""Benchmark: the office's web pages over a ledger of 100,000 open assignments and 500 open
incidents, under 20 concurrent clients.

Fills a private SQLite ledger with bulk inserts, starts the web app with uvicorn on 127.0.0.1
(in a subprocess, wrapped in a middleware that reports each request's server time in a
``Server-Timing`` header), then drives it with 20 concurrent httpx clients:

- an action page: GET of an assignment's signed ``report-progress`` link (a different
  assignment each);
- the board: GET /board signed in as the office director (charts inline; its aggregates are
  cached for 15 s and recomputed by one request while the others get the previous board);
- an acknowledgement POST: each client opens an incident's ``acknowledge`` page (CSRF cookie,
  form state) and posts it; every POST is a new acknowledgement (a write).

Server time is the time from the request reaching the app to its response (queueing for the
worker thread and the ledger included); the client's round trip is reported beside it.

Run: .venv/bin/python benchmarks/web.py [--assignments N] [--incidents N] [--clients N]
Prints one JSON line and writes benchmarks/results/web.json.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import _support  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
NOW = "2026-11-18T09:00:00+08:00"  # a Wednesday
DEPARTMENTS = 50
HIDDEN = re.compile(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">')


def environment(home: Path) -> dict[str, str]:
    return {
        "OFFICEFLOW_HOME": str(home),
        "OFFICEFLOW_NOW": NOW,
        "OFFICEFLOW_WEB_SECRET_KEY": "benchmark-key-" + "x" * 32,
        "OFFICEFLOW_PUBLIC_URL": "http://127.0.0.1",
        "PREFECT_HOME": str(home / "prefect"),
    }


# --- the ledger ------------------------------------------------------------------------------


def fill(n_assignments: int, n_incidents: int) -> dict[str, Any]:
    from decimal import Decimal

    from sqlalchemy import insert

    from models.emergency import EscalationRung, Incident, SituationReport
    from models.ledger import Event
    from models.org import ContactPoint, Department, Organisation, Person, PersonRole, Role
    from models.supervision import Assignment, Decision
    from officeflow import clock, db
    from officeflow.workdays import get_calendar

    rng = random.Random(11)
    cal = get_calendar()
    now = clock.now()
    today = cal.local_date(now)
    ends: dict[dt.date, dt.datetime] = {}

    def end_of(day: dt.date) -> dt.datetime:
        if day not in ends:
            ends[day] = cal.end_of_office_hours(day)
        return ends[day]

    depts = [f"d{i:02d}" for i in range(DEPARTMENTS)]
    people: list[dict[str, Any]] = [
        {"id": "leader", "name": "市长", "department_id": "office", "active": True},
        {"id": "director", "name": "办公室主任", "department_id": "office", "active": True},
    ]
    roles = [
        {"person_id": "leader", "role": Role.LEADER},
        {"person_id": "director", "role": Role.OFFICE_DIRECTOR},
    ]
    for i in range(5):
        people.append({"id": f"duty{i}", "name": f"值班员{i}", "department_id": "office"})
        roles.append({"person_id": f"duty{i}", "role": Role.DUTY_OFFICER})
    staff: dict[str, list[str]] = {}
    for d in depts:
        staff[d] = [f"{d}-h"] + [f"{d}-s{k}" for k in range(3)]
        for k, pid in enumerate(staff[d]):
            people.append({"id": pid, "name": f"{d} 人员{k}", "department_id": d})
            roles.append({"person_id": pid, "role": Role.DEPARTMENT_HEAD if k == 0 else Role.STAFF})
    for p in people:
        p.setdefault("active", True)

    engine = db.get_engine()
    with engine.begin() as conn:
        conn.execute(
            insert(Organisation), [{"id": 1, "name": "某市人民政府", "office_name": "市政府办公室"}]
        )
        conn.execute(
            insert(Department),
            [{"id": "office", "name": "市政府办公室", "is_general_office": True}]
            + [
                {"id": d, "name": f"第{i}局", "is_general_office": False}
                for i, d in enumerate(depts)
            ],
        )
        conn.execute(insert(Person), people)
        conn.execute(insert(PersonRole), roles)
        conn.execute(
            insert(ContactPoint),
            [
                {"person_id": p["id"], "channel": "email", "address": f"{p['id']}@example.org"}
                for p in people
            ],
        )
        n_decisions = max(1, n_assignments // 100)
        conn.execute(
            insert(Decision),
            [
                {
                    "id": k + 1,
                    "fingerprint": f"bench-{k}",
                    "title": f"关于重点工作的批示 {k}",
                    "source": "leader_instruction",
                    "issued_by": "leader",
                    "issued_on": today - dt.timedelta(days=70),
                    "priority": "normal",
                    "report_cycle": "weekly",
                    "created_at": now,
                }
                for k in range(n_decisions)
            ],
        )

        def row(i: int, *, closed: bool) -> dict[str, Any]:
            d = depts[i % DEPARTMENTS]
            # Issued in the last ten weeks with 3 weeks to 4 months allowed: about one in
            # eight overdue (as in benchmarks/sweep.py).
            issued_on = today - dt.timedelta(days=rng.randint(1, 75))
            due_on = issued_on + dt.timedelta(days=rng.randint(21, 170))
            if closed:
                due_on = today - dt.timedelta(days=rng.randint(0, 55))
                issued_on = due_on - dt.timedelta(days=rng.randint(5, 30))
            due_at = end_of(due_on)
            light = (
                "red"
                if due_at < now
                else rng.choices(["green", "blue", "yellow"], weights=[70, 15, 15])[0]
            )
            return {
                "decision_id": i % n_decisions + 1,
                "seq": 1,
                "lead_department_id": d,
                "co_departments": [],
                "owner_id": staff[d][i % 4],
                "task": f"任务 {i}：落实重点工作，按期报送进展",
                "acceptance_standard": "报送工作报告",
                "issued_at": end_of(issued_on),
                "issued_on": issued_on,
                "due_at": due_at,
                "original_due_at": due_at,
                "due_on": due_on,
                "status": "closed"
                if closed
                else ("completion_requested" if i % 20 == 0 else "open"),
                "light": light,
                "red_count": 0,
                "report_cycle": "weekly",
                "progress": 100 if closed else rng.randint(0, 90),
                "last_feedback_at": now - dt.timedelta(days=rng.randint(0, 10)),
                "closed_at": due_at + dt.timedelta(days=rng.choice([-3, -1, 0, 2]))
                if closed
                else None,
            }

        batch: list[dict[str, Any]] = []
        n_closed = n_assignments // 20
        for i in range(n_assignments + n_closed):
            batch.append(row(i, closed=i >= n_assignments))
            if len(batch) == 10_000:
                conn.execute(insert(Assignment), batch)
                batch.clear()
        if batch:
            conn.execute(insert(Assignment), batch)

        # 60 days of supervision sweeps, for the lights-over-time chart.
        conn.execute(
            insert(Event),
            [
                {
                    "at": end_of(today - dt.timedelta(days=k)) - dt.timedelta(hours=9),
                    "actor": "system",
                    "action": "sweep.ran",
                    "object_type": "sweep",
                    "object_id": (today - dt.timedelta(days=k)).isoformat(),
                    "data": {
                        "changed": 0,
                        "reminders": {},
                        "lights": {
                            "green": 70_000 - 100 * k,
                            "blue": 12_000,
                            "yellow": 10_000,
                            "red": 8_000 + 100 * k,
                        },
                    },
                    "via": "system",
                }
                for k in range(60)
                if cal.is_workday(today - dt.timedelta(days=k))
            ],
        )

        incidents, rungs, reports, ackers = [], [], [], []
        for i in range(n_incidents):
            d = depts[i % DEPARTMENTS]
            recorded = now - dt.timedelta(minutes=rng.randint(5, 600))
            incidents.append(
                {
                    "id": i + 1,
                    "title": f"突发事件 {i}",
                    "category": "accident",
                    "occurred_at": recorded - dt.timedelta(minutes=10),
                    "location": "开发区",
                    "reported_by": "值班电话",
                    "description": "情况说明",
                    "deaths": 0,
                    "serious_injuries": 3,
                    "direct_loss_cny": Decimal("0"),
                    "computed_grade": "III",
                    "grade": rng.choice(["II", "III", "IV"]),
                    "department_id": d,
                    "affected_departments": [],
                    "status": "open",
                    "response": {"ack_within_s": 900},
                    "recorded_at": recorded,
                }
            )
            recipients = [f"duty{i % 5}", staff[d][0], staff[d][1]]
            rungs.append(
                {
                    "incident_id": i + 1,
                    "rung": 0,
                    "recipients": recipients,
                    "notice_key": f"incident:{i + 1}:alert:0",
                    "fired_at": recorded,
                    "due_at": None,
                }
            )
            rungs.append(
                {
                    "incident_id": i + 1,
                    "rung": 1,
                    "recipients": ["director"],
                    "notice_key": f"incident:{i + 1}:alert:1",
                    "fired_at": None,
                    "due_at": now + dt.timedelta(minutes=rng.randint(1, 15)),
                }
            )
            reports.append(
                {
                    "incident_id": i + 1,
                    "kind": "initial",
                    "number": 0,
                    "due_at": recorded + dt.timedelta(hours=2),
                    "late": False,
                }
            )
            ackers.append((i + 1, staff[d][0]))
        conn.execute(insert(Incident), incidents)
        conn.execute(insert(EscalationRung), rungs)
        conn.execute(insert(SituationReport), reports)
    return {"staff": staff, "ackers": ackers}


# --- the server ------------------------------------------------------------------------------


class Timing:
    """ASGI middleware: the app's time for each request as ``Server-Timing: app;dur=<ms>``."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()

        async def timed(message: Any) -> None:
            if message["type"] == "http.response.start":
                ms = (time.perf_counter() - start) * 1000
                message["headers"] = [
                    *message.get("headers", []),
                    (b"server-timing", f"app;dur={ms:.3f}".encode()),
                ]
            await send(message)

        await self.app(scope, receive, timed)


def serve(port: int) -> None:
    import uvicorn

    from officeflow.web.app import create_app

    uvicorn.run(
        Timing(create_app()),
        host="127.0.0.1",
        port=port,
        access_log=False,
        log_level="warning",
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_up(base: str, proc: subprocess.Popen[bytes], timeout: float = 120) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the web server exited with {proc.returncode}")
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit("the web server did not start")


# --- the clients -----------------------------------------------------------------------------


def server_ms(response: Any) -> float:
    value = response.headers.get("server-timing", "")
    return float(value.split("dur=")[1]) if "dur=" in value else float("nan")


def p95(values: list[float]) -> float:
    return round(statistics.quantiles(values, n=20, method="inclusive")[18], 2)


async def run_phase(clients: int, jobs: list[Any], work: Any) -> tuple[list[float], list[float]]:
    """Run ``work(client, job)`` for every job with ``clients`` concurrent httpx clients (each
    its own cookie jar); returns (server ms, round-trip ms) of the timed requests."""
    import httpx

    queue: asyncio.Queue[Any] = asyncio.Queue()
    for job in jobs:
        queue.put_nowait(job)
    server: list[float] = []
    trip: list[float] = []
    errors: list[str] = []

    async def worker(client: httpx.AsyncClient) -> None:
        while True:
            try:
                job = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            try:
                s, t = await work(client, job)
            except (AssertionError, httpx.HTTPError) as exc:
                errors.append(str(exc)[:200])
                continue
            server.append(s)
            trip.append(t)

    async with asyncio.TaskGroup() as group:
        pool = [httpx.AsyncClient(base_url=BASE, timeout=60) for _ in range(clients)]
        for c in pool:
            group.create_task(worker(c))
    for c in pool:
        await c.aclose()
    ERRORS.extend(errors)
    return server, trip


ERRORS: list[str] = []


BASE = ""


async def timed_get(client: Any, path: str, **kw: Any) -> tuple[float, float, Any]:
    start = time.perf_counter()
    response = await client.get(path, **kw)
    trip = (time.perf_counter() - start) * 1000
    assert response.status_code == 200, (path, response.status_code, response.text[:300])
    return server_ms(response), trip, response


def main() -> None:
    global BASE
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--assignments", type=int, default=100_000)
    parser.add_argument("--incidents", type=int, default=500)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--pages", type=int, default=600, help="action page requests")
    parser.add_argument("--boards", type=int, default=200, help="board requests")
    parser.add_argument("--results", default="web", help="results/<name>.json to write")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return

    home = _support.scratch_home("officeflow-bench-web-")
    env = environment(home)
    os.environ.update(env)
    from officeflow import db
    from officeflow.settings import reload_settings
    from officeflow.web import session, tokens

    reload_settings()
    db.upgrade()
    t0 = time.perf_counter()
    facts = fill(args.assignments, args.incidents)
    fill_s = time.perf_counter() - t0
    print(
        f"filled {args.assignments} open assignments and {args.incidents} incidents "
        f"in {fill_s:.1f}s",
        file=sys.stderr,
    )

    port = free_port()
    BASE = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(port)],
        env={**os.environ, **env},
        cwd=ROOT,
    )
    try:
        wait_up(BASE, proc)
        figures = asyncio.run(measure(args, facts, tokens, session))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    result = {
        "assignments": args.assignments,
        **figures,
        "incidents": args.incidents,
        "clients": args.clients,
        "ledger": "sqlite",
        "fill_s": round(fill_s, 1),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{args.results}.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result))


async def measure(args: Any, facts: dict[str, Any], tokens: Any, session: Any) -> dict[str, Any]:
    rng = random.Random(5)
    staff = facts["staff"]
    # Action pages: the owner's "report-progress" link of random open assignments.
    from sqlalchemy import select

    from models.supervision import Assignment, AssignmentStatus
    from officeflow import db

    with db.read_scope() as s:
        owners = s.execute(
            select(Assignment.id, Assignment.owner_id).where(
                Assignment.status == AssignmentStatus.OPEN
            )
        ).all()
    picks = rng.sample(owners, min(args.pages, len(owners)))
    links = [
        "/a/" + tokens.sign(tokens.Claim(owner, "assignment", str(aid), "report-progress", "bench"))
        for aid, owner in picks
    ]

    async def page(client: Any, path: str) -> tuple[float, float]:
        s, t, _ = await timed_get(client, path)
        return s, t

    # Warm up: the first requests import templates and fill caches.
    await run_phase(args.clients, links[:40], page)
    page_server, page_trip = await run_phase(args.clients, links, page)

    cookie = session.cookie_value("director", "bench")

    async def board(client: Any, _: int) -> tuple[float, float]:
        s, t, response = await timed_get(client, "/board", cookies={session.COOKIE: cookie})
        assert response.text.count("<svg") == 2
        return s, t

    cold_start = time.perf_counter()
    await run_phase(1, [0], board)
    board_cold_ms = (time.perf_counter() - cold_start) * 1000
    board_server, board_trip = await run_phase(args.clients, list(range(args.boards)), board)

    async def ack(client: Any, job: tuple[int, str]) -> tuple[float, float]:
        incident_id, person = job
        path = "/a/" + tokens.sign(
            tokens.Claim(person, "incident", str(incident_id), "acknowledge", "bench")
        )
        _, _, shown = await timed_get(client, path)
        form = dict(HIDDEN.findall(shown.text))
        start = time.perf_counter()
        response = await client.post(path, data=form)
        trip = (time.perf_counter() - start) * 1000
        assert response.status_code == 200 and 'id="outcome"' in response.text, (
            response.status_code,
            response.text[:500],
        )
        return server_ms(response), trip

    ack_server, ack_trip = await run_phase(args.clients, facts["ackers"], ack)
    del staff
    return {
        "action_page_p95_ms": p95(page_server),
        "board_p95_ms": p95(board_server),
        "ack_post_p95_ms": p95(ack_server),
        "action_page_median_ms": round(statistics.median(page_server), 2),
        "board_median_ms": round(statistics.median(board_server), 2),
        "ack_post_median_ms": round(statistics.median(ack_server), 2),
        "board_uncached_ms": round(board_cold_ms, 1),
        "round_trip_p95_ms": {
            "action_page": p95(page_trip),
            "board": p95(board_trip),
            "ack_post": p95(ack_trip),
        },
        "requests": {
            "action_page": len(page_server),
            "board": len(board_server),
            "ack_post": len(ack_server),
        },
        "errors": len(ERRORS),
        "first_errors": ERRORS[:3],
        "load_average_1m": round(os.getloadavg()[0], 1),
    }


if __name__ == "__main__":
    main()
