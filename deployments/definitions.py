"""Every deployment of the office, as one table: the single source for registering them in
Python (`deployments.register`) and for the committed `prefect.yaml` (`deployments.prefect_yaml`).

A process whose flow is not written yet stays in the table; registration skips it and says so.
Cron cannot know the State Council's holiday arrangement, so scheduled flows check the working
day themselves (`officeflow.schedule_guard`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

POOL = "office"
POOL_TYPE = "process"
QUEUE = "default"


@dataclass(frozen=True)
class Cron:
    """A schedule. Without an explicit ``timezone`` it runs in the office's zone
    (``OFFICEFLOW_TIMEZONE``, Asia/Shanghai by default), read when the deployment is registered
    or prefect.yaml is written."""

    cron: str
    timezone: str | None = None
    day_or: bool = True

    @property
    def zone(self) -> str:
        from officeflow.settings import get_settings

        return self.timezone or get_settings().timezone


@dataclass(frozen=True)
class Limit:
    """A global concurrency limit. With ``slot_decay_per_second`` it is a rate limit."""

    name: str
    limit: int
    slot_decay_per_second: float | None = None
    description: str = ""


@dataclass(frozen=True)
class Deployment:
    name: str
    entrypoint: str  # flows/<file>.py:<function>, relative to the project folder
    description: str
    schedules: tuple[Cron, ...] = ()
    tags: tuple[str, ...] = ()
    concurrency_limit: int | None = None
    parameters: dict[str, object] = field(default_factory=dict)

    @property
    def path(self) -> str:
        return self.entrypoint.split(":", 1)[0]

    @property
    def function(self) -> str:
        return self.entrypoint.split(":", 1)[1]


DEPLOYMENTS: tuple[Deployment, ...] = (
    Deployment(
        name="delivery-retry",
        entrypoint="flows/delivery.py:delivery_retry",
        description=(
            "送达重试: every minute, resend failed notices with backoff and those a dead "
            "sender left (lapsed leases); routine notices give up after the retry horizon, "
            "emergencies keep trying until acknowledged; undeliverable notices and channels "
            "that are down are reported to the duty officer."
        ),
        schedules=(Cron("* * * * *"),),
        tags=("delivery", "scheduled"),
        concurrency_limit=1,
    ),
    Deployment(
        name="decision-implementation",
        entrypoint="flows/supervision.py:decision_implementation",
        description=(
            "督查督办: record a leader's decision as assignments with working-day deadlines, "
            "notify each owner and department head, and publish the assignment sheet (交办单)."
        ),
        tags=("supervision",),
    ),
    Deployment(
        name="supervision-sweep",
        entrypoint="flows/supervision.py:supervision_sweep",
        description=(
            "督查督办 morning sweep: update every open assignment's light, send reminders and "
            "overdue notices. Fires every morning at 09:00 and runs only on working days "
            "(调休 Saturdays and Sundays included); it skips holidays itself and logs so."
        ),
        # Every day, not 1-5: make-up working days (调休) fall on weekends.
        schedules=(Cron("0 9 * * *"),),
        tags=("supervision", "scheduled"),
        concurrency_limit=1,
    ),
    Deployment(
        name="supervision-bulletin",
        entrypoint="flows/supervision.py:supervision_bulletin",
        description=(
            "督查通报: the weekly supervision bulletin of every open and closed assignment, "
            "published on Friday afternoons."
        ),
        schedules=(Cron("0 16 * * 5"),),
        tags=("supervision", "scheduled"),
        concurrency_limit=1,
    ),
    Deployment(
        name="emergency-response",
        entrypoint="flows/emergency.py:emergency_response",
        description=(
            "突发事件: receive an incident report, grade it, relay it up the chain within the "
            "deadlines and escalate until each rung acknowledges."
        ),
        tags=("emergency",),
    ),
    Deployment(
        name="emergency-sweep",
        entrypoint="flows/emergency.py:emergency_sweep",
        description=(
            "突发事件 sweep: every minute, send whatever escalation is due. Emergencies do not "
            "wait for working days."
        ),
        schedules=(Cron("* * * * *"),),
        tags=("emergency", "scheduled"),
        concurrency_limit=1,
    ),
    Deployment(
        name="meeting-preparation",
        entrypoint="flows/meeting.py:meeting_preparation",
        description=(
            "办会: register a meeting (attendees, topic and materials deadlines, reminder plan) "
            "and send the call for topics; its other steps (topic reminder, agenda approval "
            "request, notice with invitation, materials reminders, reminders) follow on "
            "meeting-sweep."
        ),
        tags=("meeting",),
    ),
    Deployment(
        name="meeting-sweep",
        entrypoint="flows/meeting.py:meeting_sweep",
        description=(
            "办会 sweep: every five minutes, send the meeting reminders and step notices that "
            "are due."
        ),
        schedules=(Cron("*/5 * * * *"),),
        tags=("meeting", "scheduled"),
        concurrency_limit=1,
    ),
    Deployment(
        name="document-incoming",
        entrypoint="flows/documents.py:document_incoming",
        description=(
            "办文 收文: register an incoming document and its files (checksums), ask the office "
            "to propose (拟办) within the urgency's deadline; later steps are document-* actions."
        ),
        tags=("documents",),
    ),
    Deployment(
        name="document-outgoing",
        entrypoint="flows/documents.py:document_outgoing",
        description=(
            "办文 发文: record a department's draft and ask the office to check it (核稿); later "
            "steps (会签, 签发, 印发, 签收) are document-* actions."
        ),
        tags=("documents",),
    ),
    Deployment(
        name="documents-sweep",
        entrypoint="flows/documents.py:documents_sweep",
        description=(
            "办文 sweep: every morning at 09:00, remind whoever holds an overdue route step "
            "(拟办, 批示, 核稿, 会签, 签发, 签收); skips days off itself."
        ),
        schedules=(Cron("0 9 * * *"),),
        tags=("documents", "scheduled"),
        concurrency_limit=1,
    ),
    Deployment(
        name="duty-roster",
        entrypoint="flows/duty.py:duty_roster",
        description=(
            "值班: publish a duty roster (daily, weekly or explicit rotation; holiday rosters such "
            "as 春节 and 国庆 take precedence on their dates) after checking every shift is "
            "covered by known people."
        ),
        tags=("duty",),
    ),
    Deployment(
        name="duty-sweep",
        entrypoint="flows/duty.py:duty_sweep",
        description=(
            "值班 sweep: every 15 minutes, remind whoever holds each shift the evening before "
            "and an hour before it starts, and refresh the on-duty-now and week artifacts. "
            "Duty does not wait for working days."
        ),
        schedules=(Cron("*/15 * * * *"),),
        tags=("duty", "scheduled"),
        concurrency_limit=1,
    ),
    Deployment(
        name="information-submission",
        entrypoint="flows/information.py:information_submission",
        description=(
            "信息报送: a department submits an information item (动态, 问题, 建议, 经验, 紧急); "
            "an urgent one alerts the duty officer at once."
        ),
        tags=("information",),
    ),
    Deployment(
        name="information-request",
        entrypoint="flows/information.py:information_request",
        description=(
            "约稿: ask departments for information on a topic by a deadline in working days; "
            "each gets a supervised assignment (supervision-sweep reminders and red lights)."
        ),
        tags=("information",),
    ),
    Deployment(
        name="information-digest",
        entrypoint="flows/information.py:information_digest",
        description=(
            "每日要情: every working morning at 08:00, compile the adopted items and the duty log "
            "into the day's issue (.docx), email it to the leaders, post the link by chat and "
            "publish the artifact. Fires daily and skips days off itself (调休 included)."
        ),
        schedules=(Cron("0 8 * * *"),),
        tags=("information", "scheduled"),
        concurrency_limit=1,
    ),
    Deployment(
        name="information-scores",
        entrypoint="flows/information.py:information_scores",
        description=(
            "信息考核通报: on the 1st of each month, last month's points per department with a "
            "chart of the points and the six-month trend, emailed to the leaders and the office."
        ),
        schedules=(Cron("0 9 1 * *"),),
        tags=("information", "scheduled"),
        concurrency_limit=1,
    ),
)


# Actions an admin runs from the UI; each has a CLI twin calling the same service.
_ACTIONS: tuple[tuple[str, str, str, str], ...] = (
    (
        "document-propose",
        "flows/documents.py:document_propose",
        "documents",
        "拟办: the office proposes and names the leaders who comment.",
    ),
    (
        "document-comment",
        "flows/documents.py:document_comment",
        "documents",
        "批示: a leader comments; tasks become supervised assignments.",
    ),
    (
        "document-distribute",
        "flows/documents.py:document_distribute",
        "documents",
        "分办: hand the document to departments as assignments.",
    ),
    (
        "document-review",
        "flows/documents.py:document_review",
        "documents",
        "核稿: pass the draft on, or return it to its author.",
    ),
    (
        "document-redraft",
        "flows/documents.py:document_redraft",
        "documents",
        "修改稿: the author answers a returned draft with a new revision.",
    ),
    (
        "document-file",
        "flows/documents.py:document_file",
        "documents",
        "归档: the office files the document.",
    ),
    (
        "document-cosign",
        "flows/documents.py:document_cosign",
        "documents",
        "会签: a department that was asked co-signs.",
    ),
    (
        "document-sign-off",
        "flows/documents.py:document_sign_off",
        "documents",
        "签发: a leader signs off; the number is allocated.",
    ),
    (
        "document-issue",
        "flows/documents.py:document_issue",
        "documents",
        "印发: the .docx is kept and emailed to the recipients.",
    ),
    (
        "document-confirm-receipt",
        "flows/documents.py:document_confirm_receipt",
        "documents",
        "签收: a recipient department confirms receipt.",
    ),
    (
        "duty-swap-request",
        "flows/duty.py:duty_swap_request",
        "duty",
        "换班申请: a person on a shift asks that someone take it; the office decides.",
    ),
    (
        "duty-swap-decide",
        "flows/duty.py:duty_swap_decide",
        "duty",
        "换班审批: the general office approves (the shift changes hands) or refuses.",
    ),
    (
        "duty-handover",
        "flows/duty.py:duty_handover",
        "duty",
        "交接班: the outgoing officer signs and hands over the open items; the incoming signs.",
    ),
    (
        "duty-board",
        "flows/duty.py:duty_board",
        "duty",
        "当前值班: publish who is on duty now and the roster of a week as artifacts.",
    ),
    (
        "assignment-report-progress",
        "flows/supervision.py:assignment_report_progress",
        "supervision",
        "进展反馈: record an owner's progress (percent) and a note.",
    ),
    (
        "assignment-request-completion",
        "flows/supervision.py:assignment_request_completion",
        "supervision",
        "办结申请: the owner submits evidence; the office is asked to verify.",
    ),
    (
        "assignment-verify",
        "flows/supervision.py:assignment_verify",
        "supervision",
        "核验: accept closes the assignment (销号); reject sends it back.",
    ),
    (
        "assignment-request-extension",
        "flows/supervision.py:assignment_request_extension",
        "supervision",
        "延期申请: record the request; optionally pause for the leader's typed decision.",
    ),
    (
        "assignment-decide-extension",
        "flows/supervision.py:assignment_decide_extension",
        "supervision",
        "The issuing leader approves (the deadline moves) or refuses an extension.",
    ),
    (
        "incident-acknowledge",
        "flows/emergency.py:incident_acknowledge",
        "emergency",
        "突发事件: a notified person acknowledges; escalation stops for their group.",
    ),
    (
        "incident-close",
        "flows/emergency.py:incident_close",
        "emergency",
        "突发事件: close, stop the clocks, ask for the final report, open the review.",
    ),
    (
        "meeting-submit-topic",
        "flows/meeting.py:meeting_submit_topic",
        "meeting",
        "议题征集: a department submits an agenda topic.",
    ),
    (
        "meeting-approve-agenda",
        "flows/meeting.py:meeting_approve_agenda",
        "meeting",
        "The chair or the office approves the agenda; the notice goes out.",
    ),
    (
        "meeting-reschedule",
        "flows/meeting.py:meeting_reschedule",
        "meeting",
        "Move a meeting: updated invite (same UID, SEQUENCE+1), steps moved.",
    ),
    (
        "meeting-cancel",
        "flows/meeting.py:meeting_cancel",
        "meeting",
        "Cancel a meeting: METHOD:CANCEL to everyone, pending steps dropped.",
    ),
    (
        "meeting-record-minutes",
        "flows/meeting.py:meeting_record_minutes",
        "meeting",
        "会议纪要: record decisions; action items become supervised assignments.",
    ),
)

DEPLOYMENTS += tuple(
    Deployment(name=name, entrypoint=entrypoint, description=description, tags=(tag, "action"))
    for name, entrypoint, tag, description in _ACTIONS
)

LIMITS: tuple[Limit, ...] = (
    Limit(
        name="smtp",
        limit=10,
        slot_decay_per_second=10.0,
        description="at most about 10 messages a second to the SMTP relay, across all workers",
    ),
)


def by_name(name: str) -> Deployment:
    for deployment in DEPLOYMENTS:
        if deployment.name == name:
            return deployment
    raise KeyError(name)
