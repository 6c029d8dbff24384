"""A simulated office year (issue 15): a generated organisation lives through 2026 on a
time-travel clock and the real working-day calendar, every scheduled process runs as the
deployments would run it, every notice travels over real SMTP and HTTP to servers on
127.0.0.1 that count them, and an independent oracle (benchmarks/office_oracle.py) says which
notices the year must produce. Missing, extra and duplicated notices are reported.

The oracle works in a process of its own, from the same seed, while the office plays; the
comparison holds each side as an array of 64-bit fingerprints (benchmarks/_year_check.py), so
that checking the full year's 1.2 million notices needs tens of megabytes, not gigabytes.
`peak_rss_mb` is the office's process; `oracle_peak_rss_mb` the oracle's.

Run:
  .venv/bin/python benchmarks/office_year.py                 # the full year: 5,000 people,
                                                             # 20,000 decisions, 100,000
                                                             # assignments, 500 incidents
  .venv/bin/python benchmarks/office_year.py --scale 0.02    # the same at 1/50 (the test)
  .venv/bin/python benchmarks/office_year.py --db postgresql # on a private PostgreSQL cluster

What happens, in simulated time (the clock is `officeflow.clock.set_now`):
  - decisions are issued at 10:00 on working days (the supervision services, as the CLI does);
  - owners report progress, ask for more time, ask to close; the office verifies; leaders
    decide extensions (14:00);
  - the supervision sweep runs at 09:00 on every working day (调休 weekends included);
  - incidents are recorded at any hour; the emergency watchdog runs at every moment something
    falls due (a rung, a reporting reminder, a deadline); some are acknowledged in time, some
    late, some never; closures ask for a final report and a review (复盘) assignment;
  - the retry (`officeflow.delivery.retry_failed`) runs every night at 23:30;
  - the further processes of `office_plan.PROCESS_MODULES` play their own steps and scheduled
    runs: meetings (`_year_meetings.py`: topics, approvals, materials, moves, cancellations,
    minutes whose action items are supervised, the meeting sweep), information items and
    documents (`_year_information.py`, `_year_documents.py`: the daily digest, the monthly
    scores, the documents sweep).
The processes are called through the same service functions the Prefect flows' tasks call;
Prefect itself is not started, unless --prefect-sample (see docs/reliability.md).

Prints one JSON line on stdout (progress goes to stderr) and writes it, with the charts
(lights by week, on-time rate per department, acknowledgement times by grade), to --out's
folder. Exit status 1 when anything is missing, extra or duplicated.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import resource
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import _support, _year_check  # noqa: E402
from benchmarks.office_plan import TZ, Step, Year, generate, processes  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"


def log(message: str) -> None:
    print(f"[office-year] {message}", file=sys.stderr, flush=True)


# --- timing -------------------------------------------------------------------------------


class Timer:
    def __init__(self) -> None:
        self.spent: Counter[str] = Counter()

    def __call__(self, name: str) -> _Span:
        return _Span(self, name)


class _Span:
    def __init__(self, timer: Timer, name: str) -> None:
        self.timer, self.name = timer, name

    def __enter__(self) -> None:
        self.start = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        self.timer.spent[self.name] += time.perf_counter() - self.start


def count_rendering(timer: Timer) -> None:
    """Time spent rendering templates, wherever the sender or a sweep renders them."""
    from rules import templates

    original = templates.render

    def render(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            timer.spent["rendering"] += time.perf_counter() - start

    templates.render = render  # type: ignore[assignment]


# --- the year, played ---------------------------------------------------------------------


class Office:
    """Plays the script's steps through the services, as the CLI and the flows' tasks do."""

    def __init__(self, year: Year, timer: Timer) -> None:
        from officeflow.emergency import load_grading_matrix, load_response_plan

        self.year = year
        self.timer = timer
        self.ids: dict[Any, int] = {}  # script reference → ledger id
        self.extensions: dict[Any, int] = {}
        self.decisions = {d.index: d for d in year.decisions}
        self.incidents = {i.index: i for i in year.incidents}
        self.matrix = load_grading_matrix()
        self.plan = load_response_plan()
        self.sent = 0
        self.failed = 0
        self.watchdog_runs = 0
        self.sweeps = 0
        self.retries = 0
        self.runs: Counter[str] = Counter()  # the further processes' sweeps, by kind
        self.play = {kind: fn for m in processes() for kind, fn in m.PLAY.items()}
        self.sweeps_of = {kind: fn for m in processes() for kind, fn in m.SWEEPS.items()}

    def send(self) -> None:
        """What `send_notices(keys)` does after a CLI action and the flows' deliver task: send
        every pending delivery (there are only the ones just planned)."""
        from officeflow.delivery import send_pending

        with self.timer("sending"):
            report = send_pending(None)
        self.sent += report.sent
        self.failed += report.failed

    def step(self, steps: list[Step]) -> None:
        """Steps at one instant: one transaction, as one CLI command or flow task would be."""
        from officeflow import clock, db

        clock.set_now(steps[0].at)
        kind = steps[0].kind
        assert kind not in ("sweep", "retry", *self.sweeps_of) or len(steps) == 1, steps
        if kind in self.sweeps_of:
            with self.timer("ledger"):
                self.sweeps_of[kind](self)
            self.runs[kind] += 1
        elif kind == "sweep":
            self.supervision_sweep()
        elif kind == "retry":
            self.retry()
            return
        else:
            with self.timer("ledger"), db.session_scope() as session:
                for s in steps:
                    if s.kind in self.play:
                        self.play[s.kind](self, session, s)
                    else:
                        getattr(self, f"_{s.kind}")(session, s)
        self.send()

    def supervision_sweep(self) -> None:
        from officeflow import supervision

        with self.timer("ledger"):
            supervision.plan_sweep()
        self.sweeps += 1

    def retry(self) -> None:
        from officeflow.delivery import retry_failed

        with self.timer("sending"):
            report = retry_failed(due_only=True)
        self.sent += report.sent
        self.failed += report.failed
        self.retries += 1

    def watchdog(self, at: dt.datetime) -> None:
        from officeflow import clock, db, emergency

        clock.set_now(at)
        with self.timer("ledger"), db.session_scope() as session:
            emergency.plan_sweep(session, now=at)
        self.watchdog_runs += 1
        self.send()

    def next_due(self) -> dt.datetime | None:
        """When the emergency watchdog must next run: the earliest unfired rung, reminder or
        report deadline in the ledger (what the deployment's schedule is there to catch)."""
        from sqlalchemy import func, select

        from models.emergency import EscalationRung, Incident, IncidentStatus, SituationReport
        from officeflow import db

        owed = (SituationReport.filed_at.is_(None), SituationReport.cancelled_at.is_(None))
        with self.timer("ledger"), db.session_scope(readonly=True) as session:
            times = [
                session.scalar(
                    select(func.min(EscalationRung.due_at))
                    .join(Incident, Incident.id == EscalationRung.incident_id)
                    .where(
                        EscalationRung.fired_at.is_(None),
                        EscalationRung.cancelled_at.is_(None),
                        EscalationRung.due_at.is_not(None),
                        Incident.status == IncidentStatus.OPEN,
                        Incident.acknowledged_at.is_(None),
                    )
                ),
                session.scalar(
                    select(func.min(SituationReport.remind_at)).where(
                        *owed, SituationReport.reminded_at.is_(None)
                    )
                ),
                session.scalar(
                    select(func.min(SituationReport.due_at)).where(
                        *owed, SituationReport.overdue_at.is_(None)
                    )
                ),
            ]
        found = [t for t in times if t is not None]
        return min(found) if found else None

    # --- supervision ---------------------------------------------------------------------

    def _decision(self, session: Any, s: Step) -> None:
        from models.supervision_input import AssignmentSpec, DecisionSpec
        from officeflow import supervision

        d = self.decisions[s.ref[1]]
        spec = DecisionSpec(
            title=d.title,
            issued_by=d.issued_by,
            issued_on=d.issued_on,
            report_cycle=d.report_cycle,
            assignments=[
                AssignmentSpec(
                    lead_department=a.lead,
                    co_departments=list(a.co),
                    owner=a.owner,
                    task=f"Task {d.index}.{seq}",
                    acceptance_standard="A written report",
                    due_in_workdays=a.due_in_workdays,
                )
                for seq, a in enumerate(d.assignments, 1)
            ],
        )
        supervision.check_decision(session, spec)
        record = supervision.record_decision(session, spec, actor=d.issued_by)
        supervision.plan_issue_notices(session, record)
        for seq, assignment_id in enumerate(record.assignment_ids, 1):
            self.ids[("a", d.index, seq)] = assignment_id

    def _assignment(self, session: Any, ref: Any) -> int:
        if ref[0] == "review" and ref not in self.ids:
            from sqlalchemy import select

            from models.supervision import Assignment

            incident_id = self.ids[("i", ref[1])]
            self.ids[ref] = session.scalar(
                select(Assignment.id).where(
                    Assignment.source_ref == f"incident:{incident_id}:review"
                )
            )
        return self.ids[ref]

    def _progress(self, session: Any, s: Step) -> None:
        from officeflow import supervision

        supervision.report_progress(
            session,
            assignment_id=self._assignment(session, s.ref),
            progress=s.args["progress"],
            note="on track",
            actor=s.args["by"],
        )

    def _complete(self, session: Any, s: Step) -> None:
        from officeflow import supervision

        supervision.request_completion(
            session,
            assignment_id=self._assignment(session, s.ref),
            evidence="report attached",
            actor=s.args["by"],
        )

    def _verify(self, session: Any, s: Step) -> None:
        from officeflow import supervision

        supervision.verify_completion(
            session,
            assignment_id=self._assignment(session, s.ref),
            approve=s.args["accept"],
            comment="" if s.args["accept"] else "the evidence is incomplete",
            actor=s.args["by"],
        )

    def _extend(self, session: Any, s: Step) -> None:
        from officeflow import supervision

        requested = supervision.request_extension(
            session,
            assignment_id=self._assignment(session, s.ref),
            new_due_date=s.args["new_due"],
            reason="waiting for another department",
            actor=s.args["by"],
        )
        self.extensions[s.ref] = requested.request_id

    def _decide(self, session: Any, s: Step) -> None:
        from officeflow import supervision

        supervision.decide_extension(
            session,
            assignment_id=self._assignment(session, s.ref),
            approve=s.args["approve"],
            comment="",
            request_id=self.extensions.pop(s.ref),
            actor=s.args["by"],
        )

    # --- emergency -----------------------------------------------------------------------

    def _incident(self, session: Any, s: Step) -> None:
        from models.emergency_input import IncidentReport
        from officeflow import emergency

        i = self.incidents[s.ref[1]]
        report = IncidentReport(
            title=i.title,
            category=i.category,
            occurred_at=i.occurred_at,
            location="Simulated district",
            reported_by="the district's duty desk",
            description="simulated",
            deaths=i.deaths,
            department=i.department,
            affected_departments=list(i.affected),
        )
        assessment = emergency.assess(report, self.matrix)
        recorded = emergency.record_incident(
            session, report=report, assessment=assessment, plan=self.plan, now=s.at
        )
        self.ids[s.ref] = recorded.incident_id

    def _ack(self, session: Any, s: Step) -> None:
        from officeflow import emergency

        emergency.acknowledge(
            session, incident_id=self.ids[s.ref], actor=s.args["person"], now=s.at
        )

    def _close(self, session: Any, s: Step) -> None:
        from officeflow import emergency

        emergency.close_incident(
            session,
            incident_id=self.ids[s.ref],
            summary="handled",
            actor=s.args["actor"],
            now=s.at,
        )


_UNKNOWN = object()


def play(year: Year, timer: Timer, limit: int | None = None) -> Office:
    office = Office(year, timer)
    timeline = year.timeline[:limit]
    i, last_report = 0, time.perf_counter()
    due: Any = _UNKNOWN
    while i < len(timeline):
        j = i
        while j < len(timeline) and timeline[j].at == timeline[i].at:
            j += 1
        # The watchdog runs first at every moment something falls due before this step. Only
        # the emergency steps and the watchdog itself change what falls due.
        while (due := office.next_due() if due is _UNKNOWN else due) is not None and (
            due < timeline[i].at
        ):
            office.watchdog(due)
            due = _UNKNOWN
        office.step(timeline[i:j])
        if any(s.kind in ("incident", "ack", "close") for s in timeline[i:j]):
            due = _UNKNOWN
        i = j
        if time.perf_counter() - last_report > 10:
            last_report = time.perf_counter()
            log(
                f"{timeline[i - 1].at:%Y-%m-%d %H:%M}  steps {i}/{len(timeline)}  "
                f"sent {office.sent}"
            )
    while (due := office.next_due()) is not None and due <= year.end:
        office.watchdog(due)
    return office


# --- comparing ----------------------------------------------------------------------------


def ledger_prints() -> tuple[Any, list[tuple[str, str, str, str]], int]:
    """The ledger's delivery rows as fingerprints (`_year_check`), read in chunks; the rows not
    ``sent``; the number of notices."""
    import numpy as np
    from sqlalchemy import func, select

    from benchmarks._year_check import fingerprint
    from models.ledger import Delivery, Notice
    from officeflow import db

    prints: list[Any] = []
    not_sent: list[tuple[str, str, str, str]] = []
    stmt = select(Delivery.notice_key, Delivery.person_id, Delivery.channel, Delivery.status)
    with db.get_engine().connect() as conn:
        result = conn.execution_options(stream_results=True).execute(stmt)
        for chunk in result.partitions(50_000):
            part = np.empty(len(chunk), dtype=np.uint64)
            for i, (k, p, c, status) in enumerate(chunk):
                c, status = str(getattr(c, "value", c)), str(getattr(status, "value", status))
                part[i] = fingerprint(k, p, c)
                if status != "sent":
                    not_sent.append((k, p, c, status))
            prints.append(part)
        notices = conn.scalar(select(func.count()).select_from(Notice)) or 0
    return (np.concatenate(prints) if prints else np.empty(0, np.uint64)), not_sent, notices


def ledger_named(prints: Any) -> list[tuple[str, str, str]]:
    """(key, person, channel) of the ledger's delivery rows with these fingerprints."""
    from sqlalchemy import select

    from benchmarks._year_check import named
    from models.ledger import Delivery
    from officeflow import db

    stmt = select(Delivery.notice_key, Delivery.person_id, Delivery.channel)
    with db.get_engine().connect() as conn:
        rows = conn.execution_options(stream_results=True).execute(stmt)
        return named(((k, p, str(getattr(c, "value", c))) for k, p, c in rows), prints)


# --- main ---------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="1 = 5,000 people, 20,000 decisions, "
        "100,000 assignments, 500 incidents; 0.02 = 100 people … (default 1)",
    )
    parser.add_argument(
        "--seed", type=int, default=2026, help="the generator's seed (default 2026)"
    )
    parser.add_argument(
        "--db",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="the ledger: SQLite (default) or a private PostgreSQL cluster",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="the JSON file (default benchmarks/results/office_year.json, "
        "office_year_scale<S>.json when --scale is not 1); charts go beside it",
    )
    parser.add_argument("--steps", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument(
        "--incidents",
        type=int,
        default=None,
        help="this many incidents instead of the scale's (an emergency-heavy year)",
    )
    parser.add_argument(
        "--until",
        type=dt.date.fromisoformat,
        default=None,
        help="stop the year at the end of this day (a quick look), e.g. 2026-03-31",
    )
    parser.add_argument(
        "--prefect-sample",
        action="store_true",
        help="after the year, run the supervision sweep and the emergency "
        "watchdog once each as real Prefect flow runs (a temporary Prefect "
        "server) and report their cost and task runs",
    )
    parser.add_argument("--no-charts", action="store_true", help="skip the PNG charts")
    args = parser.parse_args(argv)
    if not 0 < args.scale <= 1:
        parser.error("--scale must be in (0, 1]")
    suffix = "" if args.scale == 1 else f"_scale{args.scale:g}"
    suffix += "" if args.db == "sqlite" else f"_{args.db}"
    out = args.out or RESULTS / f"office_year{suffix}.json"

    wall = time.perf_counter()
    home = _support.scratch_home("officeflow-year-")
    os.environ["OFFICEFLOW_HOME"] = str(home)
    for name in [k for k in os.environ if k.startswith("OFFICEFLOW_") and k != "OFFICEFLOW_HOME"]:
        del os.environ[name]  # the shipped defaults: the oracle reads the same rules
    log(f"generating the year at scale {args.scale:g}, seed {args.seed}")
    year = generate(args.scale, args.seed, args.incidents)
    if args.until is not None:
        year = year.until(dt.datetime.combine(args.until, dt.time(23, 59, 59), tzinfo=TZ))
    log(
        f"{len(year.org['people'])} people, {len(year.decisions)} decisions, "
        f"{year.assignments} assignments, {len(year.incidents)} incidents, "
        f"{len(year.timeline)} steps"
    )

    cluster = None
    # The oracle works in a process of its own, from the seed, while the office plays: it
    # shares nothing with the office but the script (benchmarks/_year_check.py).
    oracle = _year_check.OracleProcess(
        _year_check.YearId(
            args.scale,
            args.seed,
            args.incidents,
            year.end if args.until is not None else None,
            len(year.timeline),
            year.timeline[-1].at.isoformat() if year.timeline else "",
        )
    )
    # The counting servers run in a process of their own, as real servers do: their work does
    # not compete with the senders for this process's GIL (and uses the second core).
    servers = _support.Servers(lean=True)
    try:
        if args.db == "postgresql":
            from tests.pg_cluster import PostgresCluster

            cluster = PostgresCluster().start()
            cluster.execute("CREATE DATABASE ledger")
            os.environ["OFFICEFLOW_DATABASE_URL"] = cluster.url("ledger")
        os.environ.update(
            {
                "OFFICEFLOW_SMTP_HOST": "127.0.0.1",
                "OFFICEFLOW_SMTP_PORT": str(servers.smtp_port),
                "OFFICEFLOW_WEBHOOK_URL": servers.webhook_url,
                "OFFICEFLOW_DELIVERY_ATTEMPTS": "2",
                # Servers that answer in microseconds leave no latency for parallel senders
                # to overlap (benchmarks/fanout.py measures that): one sender per run.
                "OFFICEFLOW_DELIVERY_CONCURRENCY": "1",
                "OFFICEFLOW_DELIVERY_BACKOFF_S": "0.05",
            }
        )
        figures = run(year, args, home, servers, oracle, out, wall)
    finally:
        servers.close()
        oracle.stop()
        if cluster is not None:
            from officeflow import db

            db.dispose_engines()
            cluster.stop()
    return 0 if figures["missing"] == figures["extra"] == figures["duplicates"] == 0 else 1


def run(
    year: Year,
    args: Any,
    home: Path,
    servers: _support.Servers,
    oracle: _year_check.OracleProcess,
    out: Path,
    wall: float,
) -> dict[str, Any]:
    import yaml

    from models.org_input import OrgFile
    from officeflow import clock, db
    from officeflow.inputs import load_yaml_model
    from officeflow.org import load_org
    from officeflow.settings import get_settings, reload_settings

    reload_settings()
    db.upgrade(get_settings().database_url)
    timer = Timer()
    count_rendering(timer)
    # The org file, loaded the way `officeflow org load FILE` loads it.
    org_file = home / "org.yaml"
    org_file.write_text(yaml.safe_dump(year.org, allow_unicode=True, sort_keys=False))
    org, _ = load_yaml_model(org_file, OrgFile)
    with db.session_scope() as session:
        load_org(session, org)

    log("playing 2026")
    start = time.perf_counter()
    office = play(year, timer, args.steps)
    played = time.perf_counter() - start
    clock.set_now(None)
    log(
        f"played in {played:.0f} s: {office.sweeps} sweeps, {office.watchdog_runs} watchdog "
        f"runs, {office.retries} retries, {office.sent} sent, {office.failed} failed"
    )

    log("asking the oracle")
    with timer("oracle"):  # waiting for it: it has worked beside the office all along
        expected = oracle.result()
    arrived: _support.Arrived = servers.stop()
    ledger, not_sent, notices = ledger_prints()
    diff = _year_check.compare(expected.prints, arrived.prints, ledger)
    examples = _year_check.EXAMPLES
    for name, prints, who in [
        ("missing", diff.missing, oracle.name),
        ("extra", diff.extra, servers.name),
        ("duplicated", diff.duplicated, servers.name),
        ("ledger_missing", diff.ledger_missing, oracle.name),
        ("ledger_extra", diff.ledger_extra, ledger_named),
    ]:
        if len(prints):
            log(f"{name}: {len(prints)}, e.g. {who(prints[:examples])}")
    if not_sent:
        log(f"ledger_not_sent: {len(not_sent)}, e.g. {not_sent[:examples]}")
    figures: dict[str, Any] = {
        "scale": args.scale,
        "until": year.end.date().isoformat(),
        "seed": args.seed,
        "db": args.db,
        "people": len(year.org["people"]),
        "departments": len(year.org["departments"]),
        "decisions": len(year.decisions),
        "assignments": year.assignments,
        "incidents": len(year.incidents),
        "meetings": len(year.extras.get("meetings", [])),
        "information_items": len(year.extras.get("information", [])),
        "documents": len(year.extras.get("documents", [])),
        "notices_expected": len(expected.prints),
        "notice_keys_expected": expected.keys,
        "notice_keys_in_ledger": notices,
        "notices_sent": len(ledger) - len(not_sent),
        "messages": arrived.messages,
        "digest_messages": arrived.digest_messages,
        "digest_items": arrived.digest_items,
        "missing": len(diff.missing),
        "extra": len(diff.extra),
        "duplicates": diff.duplicates,
        "ledger_missing": len(diff.ledger_missing),
        "ledger_extra": len(diff.ledger_extra),
        "ledger_not_sent": len(not_sent),
        "wall_s": 0.0,
        "time_s": {
            "sending": round(timer.spent["sending"], 1),
            "ledger": round(timer.spent["ledger"] - timer.spent["rendering"], 1),
            "prefect": 0.0,
            "rendering": round(timer.spent["rendering"], 1),
            "oracle": round(expected.seconds, 1),  # in its own process, beside the office
            "oracle_wait": round(timer.spent["oracle"], 1),
            "play": round(played, 1),
        },
        "prefect_task_runs": 0,
        "process_runs": {
            "supervision_sweep": office.sweeps,
            "emergency_watchdog": office.watchdog_runs,
            "retry": office.retries,
            **office.runs,
        },
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        # The checker's own process (the oracle and its copy of the script), not the office's.
        "oracle_peak_rss_mb": expected.peak_rss_mb,
        # The simulation's own CPU time (user + system; the servers' process not included) and
        # the load around it: on a shared machine the wall time follows the load, this much less.
        "cpu_s": round(sum(resource.getrusage(resource.RUSAGE_SELF)[:2]), 1),
        "load_1min": round(os.getloadavg()[0], 2),
        "cut": "duty rosters are not generated (see docs/reliability.md)",
    }
    if args.prefect_sample:
        log("measuring Prefect: one supervision sweep and one watchdog as real flow runs")
        try:
            figures.update(prefect_sample(year))
            figures["time_s"]["prefect"] = figures["prefect_sample"]["flow_s"]
            figures["prefect_task_runs"] = figures["prefect_sample"]["task_runs"]
        except Exception as exc:  # e.g. the temporary server did not start on a busy machine
            figures["prefect_sample"] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
    if not args.no_charts:
        from benchmarks.office_charts import draw

        with timer("charts"):
            figures["charts"] = [str(p.name) for p in draw(out.parent, suffix_of(out), year)]
    figures["wall_s"] = round(time.perf_counter() - wall, 1)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures))
    return figures


def prefect_sample(year: Year) -> dict[str, Any]:
    """Run the deployments' flows once each on a temporary Prefect server, on the year's last
    working-day morning: what Prefect adds to a process run, and how many task runs it has."""
    import asyncio as aio

    from prefect.client.orchestration import get_client
    from prefect.testing.utilities import prefect_test_harness

    from benchmarks.office_plan import SWEEP_AT, Calendar, at
    from flows.emergency import emergency_sweep
    from flows.supervision import supervision_sweep
    from officeflow import clock

    cal = Calendar()
    day = year.end.date()
    while not cal.is_workday(day):
        day -= dt.timedelta(days=1)
    morning = at(day, SWEEP_AT, 1)
    with prefect_test_harness(server_startup_timeout=600):
        clock.set_now(morning)
        start = time.perf_counter()
        supervision_sweep(now=morning)
        emergency_sweep()
        flow_s = time.perf_counter() - start
        clock.set_now(None)

        async def count() -> int:
            async with get_client() as client:
                return len(await client.read_task_runs())

        task_runs = aio.run(count())
    return {
        "prefect_sample": {
            "flow_runs": 2,
            "task_runs": task_runs,
            "flow_s": round(flow_s, 1),
            "at": morning.isoformat(),
        }
    }


def suffix_of(out: Path) -> str:
    stem = out.stem
    return stem[len("office_year") :] if stem.startswith("office_year") else f"_{stem}"


if __name__ == "__main__":
    asyncio.set_event_loop_policy(None)
    raise SystemExit(main())
