"""督查督办, declared: the assignment's actions and who may take them, the process's flows.
Everything people use (the CLI commands, the deployments, the pages, the policy table) is
derived from this module (`officeflow.actions`)."""

from __future__ import annotations

from models.supervision_input import (
    DecideExtensionInput,
    ReportProgressInput,
    RequestCompletionInput,
    RequestExtensionInput,
    VerifyInput,
)
from officeflow import policy
from officeflow.actions import Action, OfficeObject, Process, ProcessFlow

ASSIGNMENT = OfficeObject(
    name="assignment",
    zh="督办事项",
    en="assignment",
    load="officeflow.supervision.views:get_assignment",
    id_param="assignment_id",
    label=lambda a: a.task[:40],
)
# 进展反馈, 办结申请, 延期申请: the owner and the people of the lead department.
LEAD_DEPARTMENT = policy.person(
    "owner_id", zh="责任人{name}", en="the owner {name}"
) | policy.department(
    "lead_department_id",
    zh="牵头单位{department}的人员",
    en="the people of the lead department {department}",
)


def _requested_completion(ask: policy.Ask) -> bool:
    from sqlalchemy import select

    from models.supervision import CompletionRequest, RequestStatus

    requester = ask.session.scalar(
        select(CompletionRequest.requested_by)
        .where(
            CompletionRequest.assignment_id == ask.obj.id,
            CompletionRequest.status == RequestStatus.PENDING,
        )
        .order_by(CompletionRequest.id.desc())
    )
    return requester is not None and requester == ask.actor


# 核验: the general office, never the person who requested this completion.
VERIFIERS = policy.office().but_not(
    policy.rule(_requested_completion, zh="", en=""),
    zh="申请办结的本人除外",
    en="other than the person who requested completion",
)

# 延期审批: only the leader who issued the decision.
ISSUING_LEADER = policy.person(
    lambda a: a.decision.issued_by,
    zh="交办领导{name}",
    en="the issuing leader {name}",
)


ACTIONS = (
    Action(
        obj=ASSIGNMENT,
        verb="report-progress",
        input=ReportProgressInput,
        service="officeflow.supervision.actions:report_progress",
        policy=LEAD_DEPARTMENT,
        summary="进展反馈: record the owner's progress (percent) and a note.",
        flow="flows.supervision:assignment_report_progress",
        aliases=("report",),
    ),
    Action(
        obj=ASSIGNMENT,
        verb="request-completion",
        input=RequestCompletionInput,
        service="officeflow.supervision.actions:request_completion",
        policy=LEAD_DEPARTMENT,
        summary="办结申请: the owner submits evidence; the supervising office is asked to verify.",
        flow="flows.supervision:assignment_request_completion",
        aliases=("complete",),
    ),
    Action(
        obj=ASSIGNMENT,
        verb="verify",
        input=VerifyInput,
        service="officeflow.supervision.actions:verify_completion",
        policy=VERIFIERS,
        summary="核验: approve closes the assignment (销号); refuse sends it back with a comment.",
        flow="flows.supervision:assignment_verify",
    ),
    Action(
        obj=ASSIGNMENT,
        verb="request-extension",
        input=RequestExtensionInput,
        service="officeflow.supervision.actions:request_extension",
        policy=LEAD_DEPARTMENT,
        summary="延期申请: ask the issuing leader to move the deadline to a later working day.",
        flow="flows.supervision:assignment_request_extension",
    ),
    Action(
        obj=ASSIGNMENT,
        verb="decide-extension",
        input=DecideExtensionInput,
        service="officeflow.supervision.actions:decide_extension",
        policy=ISSUING_LEADER,
        summary="延期审批: the issuing leader approves (the deadline moves) or refuses.",
        flow="flows.supervision:assignment_decide_extension",
        after="officeflow.supervision.actions:resume_waiting_run",
    ),
)


# The words of this process's events on the pages' timelines (`i18n.event_label`).
EVENT_WORDS = {
    "zh-CN": {
        "ev.decision.issued": "领导决策交办",
    },
    "en": {
        "ev.decision.issued": "decision issued",
    },
}


PROCESS = Process(
    name="supervision",
    words=EVENT_WORDS,
    zh="督查督办",
    objects=(ASSIGNMENT,),
    actions=ACTIONS,
    flows=(
        ProcessFlow(
            name="decision-implementation",
            entrypoint="flows.supervision:decision_implementation",
            description=(
                "督查督办: record a leader's decision as assignments with working-day deadlines, "
                "notify each owner and department head, and publish the assignment sheet (交办单)."
            ),
            tags=("supervision",),
        ),
        ProcessFlow(
            name="supervision-sweep",
            entrypoint="flows.supervision:supervision_sweep",
            description=(
                "督查督办 morning sweep: update every open assignment's light, send reminders and "
                "overdue notices. Fires every morning at 09:00 and runs only on working days "
                "(调休 Saturdays and Sundays included); it skips holidays itself and logs so."
            ),
            # Every day, not 1-5: make-up working days (调休) fall on weekends.
            schedules=("0 9 * * *",),
            tags=("supervision", "scheduled"),
            concurrency_limit=1,
        ),
        ProcessFlow(
            name="supervision-bulletin",
            entrypoint="flows.supervision:supervision_bulletin",
            description=(
                "督查通报: the weekly supervision bulletin of every open and closed assignment, "
                "published on Friday afternoons."
            ),
            schedules=("0 16 * * 5",),
            tags=("supervision", "scheduled"),
            concurrency_limit=1,
        ),
    ),
    demo=(("decision-implementation", "examples/decision.yaml"),),
)
