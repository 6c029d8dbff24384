"""突发事件, declared: the incident's actions and who may take them, the process's flows.
Everything people use (the CLI commands, the deployments, the pages, the policy table) is
derived from this module (`officeflow.actions`)."""

from __future__ import annotations

from dataclasses import replace

from models.emergency_input import AcknowledgeInput, CloseInput, FileReportInput
from officeflow import policy
from officeflow.actions import Action, OfficeObject, Process, ProcessFlow

INCIDENT = OfficeObject(
    name="incident",
    zh="突发事件",
    en="incident",
    load="officeflow.emergency.checks:get_incident",
    id_param="incident_id",
    label=lambda i: i.title[:40],
)


def _notified(ask: policy.Ask) -> bool:
    from officeflow.emergency.audience import notified_people

    return ask.actor in notified_people(ask.session, ask.obj.id)


# 确认收到: someone an alert of this incident was sent to (any rung fired so far). A person
# only: an acknowledgement names its person (the office's own steps do not acknowledge).
NOTIFIED = replace(
    policy.rule(_notified, zh="告警已发送到的人员", en="the people its alerts were sent to"),
    system=False,
)

_CLOSER_ROLES = policy.role("duty_officer", "office_director", "leader")


def _may_close(ask: policy.Ask) -> bool:
    if _CLOSER_ROLES.test(ask):
        return True
    # 值班: the officer on duty now, whom a roster may name without the duty_officer role.
    from officeflow.duty.officers import duty_officers

    return ask.actor in duty_officers(ask.session)


# 结束: the duty officers (on duty now, or anyone with the role), the office director, the leaders.
CLOSERS = policy.rule(
    _may_close,
    zh="值班员（当班或具有值班员角色）、办公室主任和领导",
    en="the duty officers (on duty now or by role), the office director and the leaders",
)


def _acknowledged(session, incident, actor):  # type: ignore[no-untyped-def]
    """Nothing left to do: this person acknowledged already (a page shows it, not the form)."""
    from sqlalchemy import select

    from models.emergency import Acknowledgement

    done = session.scalar(
        select(Acknowledgement.id).where(
            Acknowledgement.incident_id == incident.id, Acknowledgement.person_id == actor
        )
    )
    return "incident.ack.already" if done is not None else None


ACTIONS = (
    Action(
        obj=INCIDENT,
        verb="acknowledge",
        input=AcknowledgeInput,
        service="officeflow.emergency.actions:acknowledge",
        policy=NOTIFIED,
        summary="确认收到: a notified person acknowledges; the escalation ladder stops.",
        flow="flows.emergency:incident_acknowledge",
        aliases=("ack",),
        already=_acknowledged,
        after="officeflow.emergency.actions:said_acknowledged",
    ),
    Action(
        obj=INCIDENT,
        verb="file-report",
        input=FileReportInput,
        service="officeflow.emergency.actions:file_report",
        policy=policy.ANYONE,
        summary="报送续报: record a report made upward (电话报告, 初报, 续报, 终报); late ones are "
        "flagged.",
        flow="flows.emergency:incident_file_report",
        after="officeflow.emergency.actions:said_filed",
    ),
    Action(
        obj=INCIDENT,
        verb="close",
        input=CloseInput,
        service="officeflow.emergency.actions:close_incident",
        policy=CLOSERS,
        summary="结束: stop the clocks, ask for the final report (终报), open the review (复盘) "
        "and publish the timeline.",
        flow="flows.emergency:incident_close",
        cli_runs_flow=True,
    ),
)


PROCESS = Process(
    name="emergency",
    zh="突发事件",
    objects=(INCIDENT,),
    actions=ACTIONS,
    flows=(
        ProcessFlow(
            name="emergency-response",
            entrypoint="flows.emergency:emergency_response",
            description=(
                "突发事件: receive an incident report, grade it, relay it up the chain within the "
                "deadlines and escalate until each rung acknowledges."
            ),
            tags=("emergency",),
        ),
        ProcessFlow(
            name="emergency-sweep",
            entrypoint="flows.emergency:emergency_sweep",
            description=(
                "突发事件 sweep: every minute, send whatever escalation is due. Emergencies do "
                "not wait for working days."
            ),
            schedules=("* * * * *",),
            tags=("emergency", "scheduled"),
            concurrency_limit=1,
        ),
    ),
    demo=(("emergency-response", "examples/incident.yaml"),),
)
