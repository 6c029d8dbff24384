"""值班, declared: the duty shift's actions (换班申请, 换班审批, 交接班) and who may take them, the
rules of the duty steps that are not an action on one shift (publishing a roster, writing the
log), and the process's flows. The CLI commands, the deployments, the pages and the policy table
are derived from this module (`officeflow.actions`)."""

from __future__ import annotations

from dataclasses import replace

from models.duty_input import DecideSwapInput, HandOverInput, RequestSwapInput
from officeflow import policy
from officeflow.actions import Action, OfficeObject, Process, ProcessFlow

SHIFT = OfficeObject(
    name="shift",
    zh="值班班次",
    en="duty shift",
    load="officeflow.duty.common:get_shift",
    id_param="shift_id",
    label=lambda s: f"{s.day.isoformat()} {s.name}",
    group="duty",
)


def people_only(rule: policy.Rule) -> policy.Rule:
    """``rule`` without the office's own ``system`` door: every duty step is signed by a person
    (the ledger's rows name them: who published, asked, decided, handed over, wrote)."""
    return replace(rule, system=False)


# 换班申请: the people on the shift, its officer (值班员) or its leader (带班领导).
ON_THE_SHIFT = people_only(
    policy.person("officer_id", zh="本班值班员{name}", en="its officer {name}")
    | policy.person("leader_id", zh="带班领导{name}", en="its leader {name}")
)


def _incoming(ask: policy.Ask) -> bool:
    from officeflow.duty.common import incoming_officer

    return ask.actor == incoming_officer(ask.session, ask.obj)


# 交接班: the shift's officer signs handing it over; the incoming officer signs taking it over.
HANDS_OVER = people_only(
    policy.person("officer_id", zh="本班值班员{name}", en="its officer {name}")
    | policy.rule(_incoming, zh="接班的值班员", en="the incoming officer")
)

# 换班审批, and publishing a roster (`duty load`, the duty-roster flow): the general office.
OFFICE = people_only(policy.office())
ROSTER_PUBLISHERS = OFFICE


def _on_duty_now(ask: policy.Ask) -> bool:
    from officeflow import clock
    from officeflow.duty.common import shift_at

    shift = shift_at(ask.session, clock.now())
    return shift is not None and ask.actor in (shift.officer_id, shift.leader_id)


# 值班日志 (`duty log add`): the officer or leader on duty now, or the general office.
LOG_WRITERS = people_only(
    policy.rule(
        _on_duty_now, zh="当班的值班员和带班领导", en="the officer and the leader on duty now"
    )
    | policy.office()
)
# Closing an open item of the log (`duty log close`): anyone of the organisation.
LOG_CLOSERS = people_only(policy.ANYONE)


ACTIONS = (
    Action(
        obj=SHIFT,
        verb="request-swap",
        input=RequestSwapInput,
        service="officeflow.duty.swaps:request_swap",
        policy=ON_THE_SHIFT,
        summary="换班申请: a person on a shift asks that someone take it; the office decides.",
        flow="flows.duty:shift_request_swap",
    ),
    Action(
        obj=SHIFT,
        verb="decide-swap",
        input=DecideSwapInput,
        service="officeflow.duty.swaps:decide_swap",
        policy=OFFICE,
        summary="换班审批: the general office approves (the shift changes hands) or refuses.",
        flow="flows.duty:shift_decide_swap",
    ),
    Action(
        obj=SHIFT,
        verb="hand-over",
        input=HandOverInput,
        service="officeflow.duty.log:hand_over",
        policy=HANDS_OVER,
        summary="交接班: the outgoing officer signs and hands over the open items; the incoming "
        "signs taking over.",
        flow="flows.duty:shift_hand_over",
    ),
)


# The words of this process's events on the pages' timelines (`i18n.event_label`).
EVENT_WORDS = {
    "zh-CN": {
        "ev.duty.roster_published": "发布值班表",
        "ev.duty.roster_reinstated": "恢复值班表",
        "ev.duty.swap_requested": "申请换班",
        "ev.duty.swap_approved": "同意换班",
        "ev.duty.swap_refused": "不同意换班",
        "ev.duty.logged": "值班记录",
        "ev.duty.log_closed": "办结值班事项",
        "ev.duty.handed_over": "交班",
        "ev.duty.taken_over": "接班",
    },
    "en": {
        "ev.duty.roster_published": "roster published",
        "ev.duty.roster_reinstated": "roster reinstated",
        "ev.duty.swap_requested": "swap requested",
        "ev.duty.swap_approved": "swap approved",
        "ev.duty.swap_refused": "swap refused",
        "ev.duty.logged": "log entry",
        "ev.duty.log_closed": "log item closed",
        "ev.duty.handed_over": "handed over",
        "ev.duty.taken_over": "taken over",
    },
}


PROCESS = Process(
    name="duty",
    words=EVENT_WORDS,
    zh="值班",
    objects=(SHIFT,),
    actions=ACTIONS,
    flows=(
        ProcessFlow(
            name="duty-roster",
            entrypoint="flows.duty:duty_roster",
            description=(
                "值班: publish a duty roster (daily, weekly or explicit rotation; holiday rosters "
                "such as 春节 and 国庆 take precedence on their dates) after checking every shift "
                "is covered by known people."
            ),
            tags=("duty",),
        ),
        ProcessFlow(
            name="duty-sweep",
            entrypoint="flows.duty:duty_sweep",
            description=(
                "值班 sweep: every 15 minutes, remind whoever holds each shift the evening before "
                "and an hour before it starts, and refresh the on-duty-now and week artifacts. "
                "Duty does not wait for working days."
            ),
            schedules=("*/15 * * * *",),
            tags=("duty", "scheduled"),
            concurrency_limit=1,
        ),
        ProcessFlow(
            name="duty-board",
            entrypoint="flows.duty:duty_board",
            description=(
                "当前值班: publish who is on duty now and the roster of a week as artifacts."
            ),
            tags=("duty",),
            cli=False,
        ),
    ),
    # `officeflow demo` runs no duty flow: a roster is published by a person (`duty load`).
)
