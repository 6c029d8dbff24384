"""信息报送, declared: the information item's actions and who may take them, who may submit an
item or commission a report (约稿), and the process's flows. Everything people use (the CLI
commands, the deployments, the pages, the policy table) is derived from this module
(`officeflow.actions`)."""

from __future__ import annotations

from models.information_input import AdoptInput, CommentInput, EditInput, RejectInput
from officeflow import policy
from officeflow.actions import Action, OfficeObject, Process, ProcessFlow

INFO_ITEM = OfficeObject(
    name="info_item",
    zh="信息",
    en="information item",
    load="officeflow.information.common:get_item",
    id_param="item_id",
    label=lambda item: item.title[:40],
    group="info",
)

# 编辑, 采用, 退回 and 约稿 (information-request): the general office.
OFFICE = policy.office()

# 批示: a leader.
LEADERS = policy.role("leader")

# 报送 (information-submission): the people of the submitting department, or the office.
SUBMITTERS = (
    policy.department(
        "department",
        zh="报送单位{department}的人员",
        en="the people of the submitting department {department}",
    )
    | OFFICE
)


def _action(verb: str, model: type, service: str, rule: policy.Rule, summary: str) -> Action:
    return Action(
        obj=INFO_ITEM,
        verb=verb,
        input=model,
        service=f"officeflow.information.{service}",
        policy=rule,
        summary=summary,
        flow=f"flows.information:info_item_{verb.replace('-', '_')}",
    )


ACTIONS: tuple[Action, ...] = (
    _action(
        "edit",
        EditInput,
        "items:edit_item",
        OFFICE,
        "编辑: the office changes an item's text; the earlier versions stay as revisions.",
    ),
    _action(
        "adopt",
        AdoptInput,
        "items:adopt_item",
        OFFICE,
        "采用: put the item into an open issue (每日要情 or 专报); the submitter is told.",
    ),
    _action(
        "reject",
        RejectInput,
        "items:reject_item",
        OFFICE,
        "退回: reject the item with a reason; the submitter is told.",
    ),
    _action(
        "comment",
        CommentInput,
        "comments:comment_item",
        LEADERS,
        "批示: a leader comments on an adopted item; with tasks it becomes a supervised decision "
        "whose assignments name the item.",
    ),
)


FLOWS = (
    ProcessFlow(
        name="information-submission",
        entrypoint="flows.information:information_submission",
        description=(
            "信息报送: a department submits an information item (动态, 问题, 建议, 经验, 紧急); "
            "an urgent one alerts the duty officer at once."
        ),
        tags=("information",),
    ),
    ProcessFlow(
        name="information-request",
        entrypoint="flows.information:information_request",
        description=(
            "约稿: ask departments for information on a topic by a deadline in working days; "
            "each gets a supervised assignment (supervision-sweep reminders and red lights)."
        ),
        tags=("information",),
    ),
    ProcessFlow(
        name="information-digest",
        entrypoint="flows.information:information_digest",
        description=(
            "每日要情: every working morning at 08:00, compile the adopted items and the duty "
            "log into the day's issue (.docx), email it to the leaders, post the link by chat "
            "and publish the artifact. Fires daily and skips days off itself (调休 included)."
        ),
        schedules=("0 8 * * *",),
        tags=("information", "scheduled"),
        concurrency_limit=1,
    ),
    ProcessFlow(
        name="information-scores",
        entrypoint="flows.information:information_scores",
        description=(
            "信息考核通报: on the 1st of each month, last month's points per department with a "
            "chart of the points and the six-month trend, emailed to the leaders and the "
            "office."
        ),
        schedules=("0 9 1 * *",),
        tags=("information", "scheduled"),
        concurrency_limit=1,
    ),
)


# The words of this process's events on the pages' timelines (`i18n.event_label`).
EVENT_WORDS = {
    "zh-CN": {
        "ev.info_item.submitted": "报送信息",
        "ev.info_item.edited": "编辑信息",
        "ev.info_item.adopted": "采用",
        "ev.info_item.rejected": "不予采用",
        "ev.info_item.commented": "领导批示",
        "ev.info_issue.published": "编发信息刊物",
        "ev.info_request.issued": "约稿",
    },
    "en": {
        "ev.info_item.submitted": "item submitted",
        "ev.info_item.edited": "item edited",
        "ev.info_item.adopted": "item adopted",
        "ev.info_item.rejected": "item rejected",
        "ev.info_item.commented": "leader's comment",
        "ev.info_issue.published": "issue published",
        "ev.info_request.issued": "request issued",
    },
}


PROCESS = Process(
    name="information",
    words=EVENT_WORDS,
    zh="信息报送",
    objects=(INFO_ITEM,),
    actions=ACTIONS,
    flows=FLOWS,
    demo=(("information-submission", "examples/info_item.yaml"),),
)
