"""信息报送: items from the departments, the office's and the leaders' actions on them (编辑,
采用, 退回, 批示), the leaders' daily issue (每日要情), commissioned reports (约稿) and the
monthly scores (信息考核)."""

from __future__ import annotations

from typing import Annotated

from prefect import flow
from prefect.logging import get_run_logger
from prefect.runtime import flow_run
from pydantic import Field

from models.information import Publication
from models.information_input import (
    AdoptInput,
    CommentInput,
    DigestResult,
    EditInput,
    InfoItemSpec,
    ItemResult,
    RejectInput,
    RequestResult,
    RequestSpec,
    ScoresResult,
)
from officeflow import clock
from officeflow.schedule_guard import skip_if_not_workday
from officeflow.workdays import get_calendar
from rules.information import previous_month
from tasks.actions import take_action
from tasks.delivery import deliver_notices
from tasks.information import plan_scores, publish_issue, record_item, record_request


def run_link() -> str | None:
    """The Prefect UI page of this flow run, where the issue's artifact is: the link chat
    messages carry (the office has no web app of its own yet)."""
    from prefect.settings import PREFECT_UI_URL

    ui = PREFECT_UI_URL.value()
    run_id = flow_run.id
    return f"{str(ui).rstrip('/')}/runs/flow-run/{run_id}" if ui and run_id else None


def _delivered(result: ItemResult) -> ItemResult:
    """Send the notices the step planned; the result says what went out."""
    if not result.notice_keys:
        return result
    report = deliver_notices(result.notice_keys)
    return result.model_copy(update={"notices_sent": report.sent, "notices_failed": report.failed})


@flow(name="information-submission")
def information_submission(item: InfoItemSpec) -> ItemResult:
    """信息报送: a department submits an item (动态, 问题, 建议, 经验 or 紧急); an urgent one
    alerts the duty officer at once."""
    return _delivered(record_item(item))


# --- the item actions (officeflow/information/declarations.py), each through the door ---------


@flow(name="info-item-edit")
def info_item_edit(item_id: int, params: EditInput, actor: str) -> ItemResult:
    """编辑: the office changes an item's text; the earlier versions stay as revisions."""
    return _delivered(take_action("info_item.edit", item_id, params, actor))


@flow(name="info-item-adopt")
def info_item_adopt(item_id: int, params: AdoptInput, actor: str) -> ItemResult:
    """采用: into an open issue (每日要情 or 专报); the submitter is told."""
    return _delivered(take_action("info_item.adopt", item_id, params, actor))


@flow(name="info-item-reject")
def info_item_reject(item_id: int, params: RejectInput, actor: str) -> ItemResult:
    """退回: reject the item with a reason; the submitter is told."""
    return _delivered(take_action("info_item.reject", item_id, params, actor))


@flow(name="info-item-comment")
def info_item_comment(item_id: int, params: CommentInput, actor: str) -> ItemResult:
    """批示: a leader's comment on an adopted item; its tasks become a supervised decision."""
    return _delivered(take_action("info_item.comment", item_id, params, actor))


@flow(name="information-request")
def information_request(request: RequestSpec) -> RequestResult:
    """约稿: ask departments for information on a topic by a deadline in working days; each
    department gets a supervised assignment (reminders and red lights of the supervision
    sweep)."""
    result = record_request(request)
    report = deliver_notices(result.notice_keys)
    return result.model_copy(update={"notices_sent": report.sent})


@flow(name="information-digest")
def information_digest(
    publication: Publication = Publication.DAILY,
    number: Annotated[int | None, Field(ge=1, le=100000)] = None,
) -> DigestResult:
    """每日要情: on a working morning, compile the adopted items and the duty log into the
    day's issue, render it as a .docx, send it to the leaders (email with the document, chat
    with a link) and publish it as an artifact. With ``number``, publish that issue (a 专报)."""
    if (
        publication is Publication.DAILY
        and number is None
        and skip_if_not_workday(get_run_logger(), clock.now(), what="the daily issue")
    ):
        return DigestResult(skipped=True, reason="not a working day")
    result = publish_issue(publication, number, run_link())
    if result.skipped:
        return result
    report = deliver_notices(result.notice_keys)
    return result.model_copy(update={"sent": report.sent, "failed": report.failed})


@flow(name="information-scores")
def information_scores(
    month: Annotated[str | None, Field(pattern=r"^20\d\d-(0[1-9]|1[0-2])$")] = None,
    weights: dict[str, float] | None = None,
) -> ScoresResult:
    """信息考核通报: each department's points for the month (the previous month by default),
    with a chart of the points and the six-month trend, emailed to the leaders and the office.
    Sent once per month, however often it runs."""
    month = month or previous_month(get_calendar().local_date(clock.now()))
    result = plan_scores(month, weights)
    if result.skipped:
        return result
    report = deliver_notices(result.notice_keys)
    return result.model_copy(update={"sent": report.sent, "failed": report.failed})
