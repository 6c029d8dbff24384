"""Benchmark: the supervision sweep's classification and reminder selection over 100,000 open
assignments, against a bare fetch of the same rows with the standard library's sqlite3.

Run: .venv/bin/python benchmarks/sweep.py [--rows N]
Prints one JSON object on its last line and writes it to benchmarks/results/sweep.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sqlite3
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import _support  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--departments", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    home = _support.scratch_home()
    os.environ["OFFICEFLOW_HOME"] = str(home)
    from officeflow import clock, db
    from officeflow.settings import reload_settings

    reload_settings()
    db.upgrade()
    now = clock.parse_instant("2026-11-18T09:00:00+08:00")  # a Wednesday
    t0 = time.perf_counter()
    fill(args.rows, args.departments, now)
    print(f"filled {args.rows} assignments in {time.perf_counter() - t0:.1f}s", file=sys.stderr)

    sweep_times, bare_times, reminders = [], [], {}
    for _ in range(args.repeat):
        # Each round starts from the same ledger: the sweep's writes are rolled back.
        s, reminders = timed_sweep(now)
        sweep_times.append(s)
        bare_times.append(bare_fetch(home / "ledger.db"))
    sweep_s, bare_s = statistics.median(sweep_times), statistics.median(bare_times)
    result = {
        "rows": args.rows,
        "sweep_s": round(sweep_s, 4),
        "bare_sql_s": round(bare_s, 4),
        "ratio": round(sweep_s / bare_s, 2),
        "reminders_selected": reminders,
        "runs": args.repeat,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "sweep.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result))


def fill(rows: int, departments: int, now: dt.datetime) -> None:
    from sqlalchemy import insert

    from models.org import Department, Person, PersonRole, Role
    from models.supervision import Assignment, Decision
    from officeflow import db
    from officeflow.workdays import get_calendar

    rng = random.Random(42)
    cal = get_calendar()
    memo: dict[tuple[dt.date, int], dt.date] = {}

    since: dict[dt.date, int] = {}

    def workdays_since(day: dt.date) -> int:
        if day not in since:
            since[day] = cal.workdays_between(day, today)
        return since[day]

    def calendar_add(day: dt.date, n: int) -> dt.date:
        if (day, n) not in memo:
            memo[(day, n)] = cal.add_workdays(day, n)
        return memo[(day, n)]

    today = cal.local_date(now)
    engine = db.get_engine()
    with engine.begin() as conn:
        conn.execute(
            insert(Department),
            [
                {"id": f"d{i:02d}", "name": f"Department {i}", "is_general_office": i == 0}
                for i in range(departments)
            ],
        )
        people = [{"id": "leader", "name": "Leader", "department_id": "d00", "active": True}]
        people += [
            {"id": f"h{i:02d}", "name": f"Head {i}", "department_id": f"d{i:02d}", "active": True}
            for i in range(departments)
        ]
        conn.execute(insert(Person), people)
        conn.execute(
            insert(PersonRole),
            [{"person_id": "leader", "role": Role.LEADER}]
            + [
                {"person_id": f"h{i:02d}", "role": Role.DEPARTMENT_HEAD} for i in range(departments)
            ],
        )
        conn.execute(
            insert(Decision),
            [
                {
                    "id": k + 1,
                    "fingerprint": f"bench-{k}",
                    "title": f"Decision {k}",
                    "source": "leader_instruction",
                    "issued_by": "leader",
                    "issued_on": today - dt.timedelta(days=60),
                    "priority": "normal",
                    "report_cycle": "none",
                    "created_at": now,
                }
                for k in range(100)
            ],
        )
        batch = []
        for i in range(rows):
            # Issued in the last ten weeks with 15–120 working days allowed: most are on track,
            # about a tenth overdue; progress roughly follows the planned pace, some lag.
            issued_on = today - dt.timedelta(days=rng.randint(1, 75))
            span = rng.randint(15, 120)
            due_on = calendar_add(issued_on, span)
            due_at = cal.end_of_office_hours(due_on)
            fed_back = rng.random() < 0.85
            done = max(workdays_since(issued_on) - 1, 0)
            planned = min(100, 100 * done // span)
            progress = int(max(0, min(100, rng.gauss(planned + 6, 8)))) if fed_back else 0
            quiet_days = rng.randint(0, 6) if rng.random() < 0.9 else rng.randint(7, 40)
            batch.append(
                {
                    "decision_id": i % 100 + 1,
                    "seq": 1,
                    "lead_department_id": f"d{i % departments:02d}",
                    "co_departments": [],
                    "owner_id": f"h{i % departments:02d}",
                    "task": f"Task {i}",
                    "acceptance_standard": "Report",
                    "issued_at": cal.end_of_office_hours(issued_on),
                    "issued_on": issued_on,
                    "due_at": due_at,
                    "original_due_at": due_at,
                    "due_on": due_on,
                    "status": "open",
                    "light": "green",
                    "red_count": 0,
                    "report_cycle": rng.choice(["none", "weekly", "monthly"]),
                    "progress": progress,
                    # Most report within the week; one in ten has gone quiet.
                    "last_feedback_at": now - dt.timedelta(days=quiet_days) if fed_back else None,
                }
            )
            if len(batch) == 10_000:
                conn.execute(insert(Assignment), batch)
                batch.clear()
        if batch:
            conn.execute(insert(Assignment), batch)


def timed_sweep(now: dt.datetime) -> tuple[float, dict[str, int]]:
    from officeflow import db
    from officeflow.supervision.sweep import classify_and_select
    from officeflow.workdays import get_calendar

    cal = get_calendar()
    engine = db.get_engine()
    with engine.connect() as conn:
        trans = conn.begin()
        start = time.perf_counter()
        _, reserved = classify_and_select(conn, now=now, calendar=cal)
        elapsed = time.perf_counter() - start
        trans.rollback()
    counts: dict[str, int] = {}
    for _, light, _ in reserved:
        counts[light] = counts.get(light, 0) + 1
    return elapsed, counts


def bare_fetch(path: Path) -> float:
    conn = sqlite3.connect(path)
    start = time.perf_counter()
    rows = conn.execute(
        "SELECT id, due_at, progress, last_feedback_at FROM assignments WHERE status = 'open'"
    ).fetchall()
    elapsed = time.perf_counter() - start
    conn.close()
    assert rows
    return elapsed


if __name__ == "__main__":
    main()
