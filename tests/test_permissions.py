"""Who may do what (issue 11 §4): the rules of `officeflow.permissions` over the example org,
the refusals inside the services, the repro cases of the issue through the real CLI (exit code,
the sentence, nothing written, the event's door), and the door of a flow run started from a
deployment (the Prefect UI) or by the CLI."""

from __future__ import annotations

import datetime as dt
import getpass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from models.emergency import EscalationRung, Incident, IncidentStatus
from models.emergency_input import IncidentReport
from models.ledger import Event
from models.meeting import Meeting, MeetingStatus
from models.supervision import Assignment, AssignmentStatus, CompletionRequest, ExtensionRequest
from models.supervision_input import DecisionSpec
from officeflow import actors, clock, db, supervision
from officeflow import emergency as incidents
from officeflow import meeting as meetings
from officeflow.actors import NotAllowed
from officeflow.cli import NOT_ALLOWED_EXIT
from officeflow.inputs import load_yaml_model, validate_model
from rules.response_plan import ReportKind
from tests.cli_helpers import run_cli
from tests.conftest import both_backends
from tests.meeting_helpers import example_meeting

backend = both_backends  # the rules run on SQLite and on PostgreSQL

ROOT = Path(__file__).resolve().parent.parent
MONDAY = "2026-09-28T10:00:00+08:00"


def decision(lead: str = "finance", owner: str = "zheng.hui") -> tuple[int, int]:
    """A decision of wang.haitao with one assignment; returns (decision id, assignment id)."""
    spec = validate_model(
        DecisionSpec,
        {
            "title": f"预算调整 {lead}",
            "issued_by": "wang.haitao",
            "issued_on": "2026-09-28",
            "assignments": [
                {
                    "lead_department": lead,
                    "owner": owner,
                    "task": "编制预算调整方案",
                    "acceptance_standard": "报送方案",
                    "due_in_workdays": 5,
                }
            ],
        },
    )
    with db.session_scope() as s:
        supervision.check_decision(s, spec)
        record = supervision.record_decision(s, spec, actor="wang.haitao")
    return record.decision_id, record.assignment_ids[0]


def incident() -> int:
    report, _ = load_yaml_model(ROOT / "examples" / "incident.yaml", IncidentReport)
    matrix, plan = incidents.load_grading_matrix(), incidents.load_response_plan()
    with db.session_scope() as s:
        recorded = incidents.record_incident(
            s, report=report, assessment=incidents.assess(report, matrix), plan=plan
        )
    return recorded.incident_id


def meeting() -> int:
    with db.session_scope() as s:
        return meetings.create_meeting(s, example_meeting(), actor="sun.li").meeting_id


def events_count() -> int:
    with db.session_scope() as s:
        return s.scalar(select(func.count()).select_from(Event)) or 0


# --- the rules, directly ---------------------------------------------------------------------


def test_the_rules_over_the_example_org(org: Any) -> None:
    clock.set_now(MONDAY)
    _, aid = decision()
    incident_id = incident()
    mid = meeting()
    # An assignment of the general office whose completion liu.yang requested.
    _, own = decision(lead="general-office", owner="liu.yang")
    with db.session_scope() as s:
        supervision.request_completion(s, assignment_id=own, evidence="已报送", actor="liu.yang")
    with db.session_scope() as s:
        # The policy rows of officeflow/supervision/declarations.py.
        from officeflow import policy

        a = s.get_one(Assignment, aid)
        # The owner and the lead department (finance) report and request; nobody else.
        for verb in ("report-progress", "request-completion", "request-extension"):
            assert policy.may(s, "zheng.hui", f"assignment.{verb}", a)
            assert policy.may(s, "lin.tao", f"assignment.{verb}", a)
            assert not policy.may(s, "zhang.wei", f"assignment.{verb}", a)  # development-reform
            assert not policy.may(s, "nobody-at-all", f"assignment.{verb}", a)
        # The general office verifies, never the person who requested the completion.
        assert policy.may(s, "liu.yang", "assignment.verify", a)
        assert policy.may(s, "sun.li", "assignment.verify", a)
        assert not policy.may(s, "lin.tao", "assignment.verify", a)
        assert not policy.may(s, "ghost", "assignment.verify", a)
        requested = s.get_one(Assignment, own)
        assert not policy.may(s, "liu.yang", "assignment.verify", requested)
        assert policy.may(s, "sun.li", "assignment.verify", requested)
        # Only the issuing leader decides an extension (another leader does not).
        assert policy.may(s, "wang.haitao", "assignment.decide-extension", a)
        assert not policy.may(s, "zhou.guoqiang", "assignment.decide-extension", a)
        assert not policy.may(s, "sun.li", "assignment.decide-extension", a)
        # Closing an incident: duty officers, the office director, the leaders (the policy rows
        # of officeflow/emergency/declarations.py).
        i = s.get_one(Incident, incident_id)
        for person in ("xu.lei", "tang.jun", "sun.li", "zhou.guoqiang"):
            assert policy.may(s, person, "incident.close", i), person
        for person in ("liu.yang", "zheng.hui", "nobody-at-all"):
            assert not policy.may(s, person, "incident.close", i), person
        # A notified person acknowledges: the grade II alert went to the duty officers, …
        notified = incidents.notified_people(s, incident_id)
        assert "xu.lei" in notified and "zheng.hui" not in notified
        assert policy.may(s, "xu.lei", "incident.acknowledge", i)
        assert not policy.may(s, "zheng.hui", "incident.acknowledge", i)
        assert not policy.may(s, "nobody-at-all", "incident.acknowledge", i)
        # A meeting: the chair (zhou.guoqiang) and the office change it; the chair or the office
        # director approve its agenda (the policy rows of officeflow/meeting/declarations.py).
        m = s.get_one(Meeting, mid)
        for verb in ("reschedule", "cancel", "record-minutes"):
            assert policy.may(s, "zhou.guoqiang", f"meeting.{verb}", m)
            assert policy.may(s, "liu.yang", f"meeting.{verb}", m)
            assert not policy.may(s, "wang.haitao", f"meeting.{verb}", m)
            assert not policy.may(s, "ghost", f"meeting.{verb}", m)
        assert policy.may(s, "zhou.guoqiang", "meeting.approve-agenda", m)
        assert policy.may(s, "sun.li", "meeting.approve-agenda", m)
        assert not policy.may(s, "liu.yang", "meeting.approve-agenda", m)
        # `system` is the office's own steps: allowed only through the system door.
        assert policy.may(s, "system", "assignment.verify", a)
        assert policy.may(s, "system", "incident.close", i)
        assert policy.may(s, "system", "meeting.cancel", m)
        for door in (actors.CLI, actors.WEB, actors.PREFECT_UI):
            with actors.acting(door):
                assert not policy.may(s, "system", "assignment.verify", a)
                assert not policy.may(s, "system", "incident.close", i)
                assert not policy.may(s, "system", "meeting.cancel", m)


def test_the_services_refuse_with_who_what_and_who_may(org: Any) -> None:
    clock.set_now(MONDAY)
    _, aid = decision(lead="general-office", owner="liu.yang")
    incident_id = incident()
    mid = meeting()
    before = events_count()
    # An assignment's actions are refused at the door (`actions.perform`), before the service.
    from officeflow.actions import perform

    with actors.acting(actors.WEB):
        with pytest.raises(NotAllowed) as refused, db.session_scope() as s:
            perform(s, "assignment.report-progress", aid, {"progress": 10}, "lin.tao")
        assert str(refused.value) == (
            f"'lin.tao' (林涛) may not report progress (assignment {aid}): only the owner 刘洋 or "
            "the people of the lead department 市政府办公室 may"
        )
        assert refused.value.zh == (
            "林涛无权就督办事项「编制预算调整方案」办理进展反馈：只有责任人刘洋或牵头单位"
            "市政府办公室的人员可以办理。"
        )
        with db.session_scope() as s:
            perform(s, "assignment.request-completion", aid, {"evidence": "方案已报送"}, "liu.yang")
        after_request = events_count()
        # One office member requested completion; she cannot verify it herself.
        with pytest.raises(NotAllowed) as refused, db.session_scope() as s:
            perform(s, "assignment.verify", aid, {"approve": True}, "liu.yang")
        assert f"'liu.yang' (刘洋) may not verify (assignment {aid})" in str(refused.value)
        assert "other than the person who requested completion" in str(refused.value)
        # An incident's actions are refused at the door too.
        with (
            pytest.raises(NotAllowed, match=r"unknown person 'ghost' may not close \(incident"),
            db.session_scope() as s,
        ):
            perform(s, "incident.close", incident_id, {"summary": "x"}, "ghost")
        with pytest.raises(NotAllowed) as refused, db.session_scope() as s:
            perform(s, "incident.close", incident_id, {"summary": "x"}, "liu.yang")
        assert str(refused.value) == (
            f"'liu.yang' (刘洋) may not close (incident {incident_id}): only the duty officers "
            "(on duty now or by role), the office director and the leaders may"
        )
        assert refused.value.zh == (
            "刘洋无权就突发事件「港区危化品仓库火灾」办理结束：只有值班员（当班或具有值班员角色）、"
            "办公室主任和领导可以办理。"
        )
        with (
            pytest.raises(NotAllowed, match="only the people its alerts were sent to may"),
            db.session_scope() as s,
        ):
            perform(s, "incident.acknowledge", incident_id, {}, "zheng.hui")
        # A meeting's actions are refused at the door too.
        with (
            pytest.raises(NotAllowed, match=r"'wang.haitao' .* may not cancel \(meeting"),
            db.session_scope() as s,
        ):
            perform(s, "meeting.cancel", mid, {"reason": ""}, "wang.haitao")
        with (
            pytest.raises(NotAllowed, match=r"unknown person 'ghost' may not reschedule \(meeting"),
            db.session_scope() as s,
        ):
            perform(s, "meeting.reschedule", mid, {"to": dt.datetime(2026, 10, 12, 9, 30)}, "ghost")
        with (
            pytest.raises(NotAllowed, match=r"may not file a report \(incident"),
            db.session_scope() as s,
        ):
            report = {"kind": ReportKind.PHONE, "summary": "x"}
            perform(s, "incident.file-report", incident_id, report, "nobody")
    assert events_count() == after_request > before  # only the completion request's
    with db.session_scope() as s:
        assert s.get_one(Assignment, aid).status is AssignmentStatus.COMPLETION_REQUESTED
        assert s.get_one(Incident, incident_id).status is IncidentStatus.OPEN
        assert s.get_one(Meeting, mid).status is MeetingStatus.SCHEDULED
        assert (
            s.scalar(
                select(func.count())
                .select_from(EscalationRung)
                .where(EscalationRung.cancelled_at.is_not(None))
            )
            == 0
        )
    # Someone else of the office verifies; the extension is decided by the issuing leader only.
    with actors.acting(actors.WEB), db.session_scope() as s:
        perform(s, "assignment.verify", aid, {"approve": True}, "huang.jing")
    with db.session_scope() as s:
        closed = s.scalars(select(Event).where(Event.action == "assignment.closed")).one()
        assert (closed.actor, closed.via, closed.operator) == ("huang.jing", "web", None)


def test_only_the_issuing_leader_decides_even_an_answer_already_given(org: Any) -> None:
    clock.set_now(MONDAY)
    _, aid = decision()
    from officeflow.actions import perform

    with db.session_scope() as s:
        requested = supervision.request_extension(
            s,
            assignment_id=aid,
            new_due_date=dt.date(2026, 10, 16),
            reason="数据未齐",
            actor="zheng.hui",
        )
        request_id = requested.request_id
    decision_ = {"approve": True, "request_id": request_id}
    with db.session_scope() as s:
        perform(s, "assignment.decide-extension", aid, decision_, "wang.haitao")
    for person in ("zhou.guoqiang", "ghost"):
        with (
            pytest.raises(NotAllowed, match="only the issuing leader 王海涛 may"),
            db.session_scope() as s,
        ):
            perform(s, "assignment.decide-extension", aid, decision_, person)
    with db.session_scope() as s:
        assert s.get_one(ExtensionRequest, request_id).decided_by == "wang.haitao"


# --- the repro cases of the issue, through the CLI ---------------------------------------------


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_repro_cases_fail_through_the_cli(org: Any, mail_office: Any) -> None:
    clock.set_now(MONDAY)
    env = {"OFFICEFLOW_NOW": MONDAY}
    incident_id = incident()
    mid = meeting()
    _, aid = decision(lead="general-office", owner="liu.yang")
    with db.session_scope() as s:
        supervision.request_completion(s, assignment_id=aid, evidence="已报送", actor="liu.yang")
    before = events_count()

    def refused(args: list[str], sentence: str) -> None:
        result = run_cli(*args, env=env)
        assert result.returncode == NOT_ALLOWED_EXIT, result.stdout + result.stderr
        assert sentence in " ".join(result.stderr.split()), result.stderr
        assert "Traceback" not in result.stderr

    refused(
        ["incident", "close", str(incident_id), "--summary", "已处置", "--as", "nobody-at-all"],
        f"error: unknown person 'nobody-at-all' may not close (incident {incident_id}): only the "
        "duty officers (on duty now or by role), the office director and the leaders may",
    )
    refused(
        ["meeting", "cancel", str(mid), "--reason", "改期", "--as", "ghost"],
        f"unknown person 'ghost' may not cancel (meeting {mid}): only its chair 周国强 or the "
        "general office (办公室) may",
    )
    refused(  # someone outside the general office
        ["assignment", "verify", str(aid), "--approve", "--as", "zhou.guoqiang"],
        f"'zhou.guoqiang' (周国强) may not verify (assignment {aid}): only the general office "
        "(办公室) (other than the person who requested completion) may",
    )
    refused(  # the office member who requested completion
        ["assignment", "verify", str(aid), "--approve", "--as", "liu.yang"],
        f"'liu.yang' (刘洋) may not verify (assignment {aid})",
    )
    refused(
        ["assignment", "report-progress", str(aid), "--progress", "50", "--as", "zheng.hui"],
        "only the owner 刘洋 or the people of the lead department 市政府办公室 may",
    )
    # Nothing was written: no event, the incident open with its ladder, the meeting scheduled,
    # the completion still awaiting verification.
    assert events_count() == before
    with db.session_scope() as s:
        assert s.get_one(Incident, incident_id).status is IncidentStatus.OPEN
        assert s.get_one(Meeting, mid).status is MeetingStatus.SCHEDULED
        assert s.get_one(Assignment, aid).status is AssignmentStatus.COMPLETION_REQUESTED
        assert s.scalars(select(CompletionRequest.decided_by)).one() is None

    # An allowed operator action is recorded as the CLI's, with the operating-system user.
    ok = run_cli("assignment", "verify", str(aid), "--approve", "--as", "huang.jing", env=env)
    assert ok.returncode == 0, ok.stderr
    with db.session_scope() as s:
        closed = s.scalars(select(Event).where(Event.action == "assignment.closed")).one()
        assert (closed.actor, closed.via) == ("huang.jing", "cli")
        assert closed.operator == getpass.getuser()


# --- the door of a flow run --------------------------------------------------------------------


def test_door_of_a_run() -> None:
    assert actors.door_of_run(None, [], False) is None  # in-process: the caller's door
    assert actors.door_of_run("d", [], False) == actors.Door(actors.PREFECT_UI)
    assert actors.door_of_run("d", ["supervision"], True) == actors.Door(actors.SYSTEM)
    tags = actors.run_tags(actors.Door(actors.CLI, "alice"))
    assert tags == ["officeflow-via:cli", "officeflow-operator:alice"]
    assert actors.door_of_run("d", tags, False) == actors.Door(actors.CLI, "alice")


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_deployment_run_is_recorded_as_the_prefect_ui_or_the_cli(
    org: Any, prefect_api: None
) -> None:
    """A run made from a deployment (what the Prefect UI's Run button does) records its events
    as ``prefect-ui``; a run the CLI started carries its door in its tags; a refused action
    fails the run with the sentence."""
    from prefect import get_client
    from prefect.flow_engine import run_flow_sync

    from flows.supervision import assignment_report_progress, assignment_verify

    clock.set_now(MONDAY)
    _, aid = decision()

    def deployment_run(flow: Any, parameters: dict[str, Any], tags: list[str]) -> Any:
        with get_client(sync_client=True) as client:
            flow_id = client.create_flow(flow)
            deployment_id = client.create_deployment(flow_id=flow_id, name="authz-test")
            run = client.create_flow_run_from_deployment(
                deployment_id, parameters=parameters, tags=tags
            )
        return run_flow_sync(flow, flow_run=run, parameters=parameters, return_type="state")

    progress = {"assignment_id": aid, "params": {"progress": 20}, "actor": "zheng.hui"}
    assert deployment_run(assignment_report_progress, progress, []).is_completed()
    cli_tags = actors.run_tags(actors.Door(actors.CLI, "alice"))
    # A new report (the same one again the same day is already recorded, and records nothing).
    progress = {**progress, "params": {"progress": 30}}
    assert deployment_run(assignment_report_progress, progress, cli_tags).is_completed()
    with db.session_scope() as s:
        rows = s.execute(
            select(Event.via, Event.operator)
            .where(Event.action == "assignment.progress")
            .order_by(Event.id)
        ).all()
    assert [tuple(r) for r in rows] == [("prefect-ui", None), ("cli", "alice")]

    with db.session_scope() as s:
        supervision.request_completion(
            s, assignment_id=aid, evidence="方案已报送", actor="zheng.hui"
        )
    verify = {"assignment_id": aid, "params": {"approve": True}, "actor": "nobody-at-all"}
    state = deployment_run(assignment_verify, verify, [])
    assert state.is_failed()
    assert f"unknown person 'nobody-at-all' may not verify (assignment {aid})" in (
        state.message or ""
    )
    # A real person outside the general office (a department's staff) is refused the same way.
    state = deployment_run(assignment_verify, {**verify, "actor": "zhang.wei"}, [])
    assert state.is_failed()
    assert f"'zhang.wei' (张伟) may not verify (assignment {aid})" in (state.message or "")
    with db.session_scope() as s:
        assert s.get_one(Assignment, aid).status.value == "completion_requested"


# --- the embedded Prefect server is locked down -------------------------------------------------


def _http(url: str, method: str = "GET", headers: dict[str, str] | None = None) -> Any:
    import urllib.error
    import urllib.request

    data = b"{}" if method == "POST" else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_the_embedded_prefect_server_is_locked_down(tmp_path: Path) -> None:
    """The server `officeflow up` starts refuses a request without the auth string (401), a POST
    without a CSRF token (403), and a cross-origin preflight from another site; the Prefect
    client with `client_settings` (what the CLI, the worker and the web app use) gets in."""
    import base64
    import json
    import stat

    from prefect import get_client
    from prefect.settings import temporary_settings

    from officeflow.stack import AUTH_FILE, LocalStack, client_settings, pick_port

    stack = LocalStack(home=tmp_path / "office", port=0, say=lambda _text: None)
    stack.make_dirs()
    stack.port = pick_port(stack.host, 0)
    try:
        stack._start_server()
        secret = (stack.home / AUTH_FILE).read_text(encoding="utf-8").strip()
        assert len(secret) > 40 and stat.S_IMODE((stack.home / AUTH_FILE).stat().st_mode) == 0o600
        api = stack.api_url
        basic = {"Authorization": "Basic " + base64.b64encode(secret.encode()).decode()}
        wrong = {"Authorization": "Basic " + base64.b64encode(b"officeflow:guess").decode()}

        assert _http(api + "/admin/version")[0] == 401
        assert _http(api + "/admin/version", headers=wrong)[0] == 401
        assert _http(api + "/flows/filter", "POST")[0] in (401, 403)  # CSRF is checked first
        assert _http(api + "/admin/version", headers=basic)[0] == 200
        # Signed in, a POST still needs a CSRF token (the UI and the client fetch one).
        assert _http(api + "/flows/filter", "POST", basic)[0] == 403
        status, _, body = _http(api + "/csrf-token?client=t", headers=basic)
        assert status == 200
        csrf = {"Prefect-Csrf-Token": json.loads(body)["token"], "Prefect-Csrf-Client": "t"}
        assert _http(api + "/flows/filter", "POST", basic | csrf)[0] == 200

        def preflight(origin: str) -> dict[str, str]:
            headers = {
                "Origin": origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization,content-type",
            }
            _, got, _ = _http(api + "/deployments/filter", "OPTIONS", headers)
            return {k.lower(): v for k, v in got.items()}

        evil = preflight("http://attacker.example")
        assert evil.get("access-control-allow-origin") not in ("*", "http://attacker.example")
        assert preflight(stack.ui_url).get("access-control-allow-origin") == stack.ui_url

        # The Prefect client, as the CLI, the worker and the web app configure it.
        with (
            temporary_settings(updates=client_settings(stack.home, api)),
            get_client(sync_client=True) as client,
        ):
            flow_id = client.create_flow_from_name("authz-lockdown-probe")  # a POST
            assert client.read_flow(flow_id).name == "authz-lockdown-probe"
        server_log = (stack.logs / "server.log").read_text(encoding="utf-8", errors="replace")
        assert secret not in server_log
    finally:
        stack.stop()


# --- a deployment cannot move the clock ----------------------------------------------------------


def test_no_deployment_takes_a_clock_parameter() -> None:
    """Whoever can start a run (the Prefect UI) cannot replay another day: no deployed flow has
    a parameter that sets the time it runs as of."""
    import importlib
    import inspect

    from deployments.definitions import DEPLOYMENTS

    clockish = {"now", "at", "today", "as_of", "clock"}
    for d in DEPLOYMENTS:
        module = importlib.import_module(d.path.removesuffix(".py").replace("/", "."))
        flow = getattr(module, d.function)
        params = set(inspect.signature(flow.fn).parameters)
        assert not params & clockish, (d.name, params & clockish)


def test_a_replay_of_another_day_is_a_dry_run_unless_sent(org: Any) -> None:
    from models.ledger import Notice

    clock.set_now(MONDAY)
    _, aid = decision()
    with db.session_scope() as s:
        notices = s.scalar(select(func.count()).select_from(Notice))
        events = s.scalar(select(func.count()).select_from(Event))
        light = s.get_one(Assignment, aid).light
    # Two weeks later the assignment is overdue: a real sweep would send red reminders.
    result = run_cli("assignment", "sweep", "--now", "2026-10-20T09:00:00+08:00")
    assert result.returncode == 0, result.stderr
    out = " ".join(result.stdout.split())
    assert "dry run as of 2026-10-20 09:00" in out and "'red': 1" in out
    assert "nothing written or sent (add --send to run it)" in out
    with db.session_scope() as s:
        assert s.scalar(select(func.count()).select_from(Notice)) == notices
        assert s.scalar(select(func.count()).select_from(Event)) == events
        assert s.get_one(Assignment, aid).light == light
    refused = run_cli("assignment", "sweep", "--send")
    assert refused.returncode == 2 and "--send goes with --now" in refused.stderr
