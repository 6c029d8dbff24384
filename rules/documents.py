"""办文 rules: urgency labels and step deadlines, document numbers, the route's state machine
and the documents sweep's reminder rule. Pure functions: no Prefect, no database, no settings.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pendulum

from models.documents import Direction, DocumentStatus, StepKind, Urgency
from rules.calendar import WorkCalendar
from rules.supervision import red_period

URGENCY_LABELS: dict[Urgency, str] = {
    Urgency.EXTRA_URGENT: "特急",
    Urgency.URGENT: "加急",
    Urgency.NORMAL: "平件",
}
_BY_LABEL = {label: u for u, label in URGENCY_LABELS.items()}

STEP_LABELS: dict[StepKind, str] = {
    StepKind.PROPOSE: "拟办",
    StepKind.COMMENT: "批示",
    StepKind.DISTRIBUTE: "分办",
    StepKind.REVIEW: "核稿",
    StepKind.COSIGN: "会签",
    StepKind.SIGNOFF: "签发",
    StepKind.RECEIPT: "签收",
    StepKind.FILE: "归档",
}


def parse_urgency(value: object) -> Urgency:
    """特急/加急/平件 or extra_urgent/urgent/normal; ValueError naming the choices otherwise."""
    if isinstance(value, Urgency):
        return value
    text = str(value).strip()
    if text in _BY_LABEL:
        return _BY_LABEL[text]
    try:
        return Urgency(text)
    except ValueError:
        raise ValueError(
            f"unknown urgency {text!r}; use 特急, 加急 or 平件 (extra_urgent, urgent, normal)"
        ) from None


def step_deadline(
    calendar: WorkCalendar,
    now: dt.datetime,
    urgency: Urgency,
    *,
    normal_workdays: int = 5,
    urgent_workdays: int = 2,
) -> pendulum.DateTime:
    """When a step started at ``now`` is due. 特急: within the day (the end of office hours
    today, or of the next working day when the office is closed); 加急 and 平件: the end of
    office hours on the N-th working day after today."""
    today = calendar.local_date(now)
    if urgency is Urgency.EXTRA_URGENT:
        end_today = calendar.end_of_office_hours(today)
        if calendar.is_workday(today) and now < end_today:
            return end_today
        return calendar.end_of_office_hours(calendar.add_workdays(today, 1))
    days = urgent_workdays if urgency is Urgency.URGENT else normal_workdays
    return calendar.deadline(today, days)


def assignment_workdays(urgency: Urgency, *, normal_workdays: int, urgent_workdays: int) -> int:
    """Default working days of an assignment a leader's comment creates (a decision's deadline
    is after its issue day, so 特急 gets one working day)."""
    if urgency is Urgency.EXTRA_URGENT:
        return 1
    return urgent_workdays if urgency is Urgency.URGENT else normal_workdays


# --- numbers ----------------------------------------------------------------------------------

# A series (发文字号 without year and number): Chinese or ASCII letters, e.g. X府办发, 某政发.
SERIES_PATTERN = re.compile(r"^[A-Za-z\u4e00-\u9fff]{2,20}$")
# A full number as printed: X政发〔2026〕12号.
NUMBER_PATTERN = re.compile(
    r"^(?P<series>[^〔〕\s]{1,40})〔(?P<year>\d{4})〕(?P<seq>[1-9]\d{0,5})号$"
)


def format_number(series: str, year: int, seq: int) -> str:
    """GB/T 9704: the year in 六角括号 〔〕, the number without leading zeros, then 号."""
    return f"{series}〔{year}〕{seq}号"


def number_problem(number: str) -> str | None:
    """Why ``number`` is not a document number like X政发〔2026〕12号, or None."""
    if NUMBER_PATTERN.match(number):
        return None
    return (
        f"{number!r} is not a document number like X政发〔2026〕12号 (series, the year in "
        "〔〕, the number without leading zeros, 号)"
    )


def series_problem(series: str) -> str | None:
    if SERIES_PATTERN.match(series):
        return None
    return f"{series!r} is not a number series like X府办发 (2–20 letters, no year or number)"


# --- the route ----------------------------------------------------------------------------------

# Which status allows which step, per direction: the state machine of the route.
ALLOWED: dict[StepKind, set[DocumentStatus]] = {
    StepKind.PROPOSE: {DocumentStatus.REGISTERED},
    StepKind.COMMENT: {DocumentStatus.PROPOSED},
    StepKind.DISTRIBUTE: {DocumentStatus.COMMENTED, DocumentStatus.PROPOSED},
    StepKind.REVIEW: {DocumentStatus.DRAFTED},
    StepKind.COSIGN: {DocumentStatus.COSIGNING},
    StepKind.SIGNOFF: {DocumentStatus.AWAITING_SIGNOFF},
    StepKind.RECEIPT: {DocumentStatus.ISSUED},
}

ISSUABLE = {DocumentStatus.SIGNED}
FILABLE = {
    Direction.INCOMING: {DocumentStatus.DISTRIBUTED, DocumentStatus.COMMENTED},
    Direction.OUTGOING: {DocumentStatus.ISSUED},
}


def step_refusal(kind: StepKind, status: DocumentStatus) -> str | None:
    """Why step ``kind`` cannot be taken on a document in ``status``, or None."""
    if status in ALLOWED.get(kind, set()):
        return None
    return (
        f"{STEP_LABELS[kind]} ({kind.value}) is not possible while the document is {status.value}"
    )


# --- reminders ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class StepFacts:
    id: int
    document_id: int
    due_on: dt.date
    due_at: dt.datetime


def step_reminder_key(
    calendar: WorkCalendar, now: dt.datetime, step: StepFacts, *, red_repeat_workdays: int = 1
) -> str | None:
    """The reminder an open step is owed at ``now`` (a working day): the supervision light
    rule's red, once per red period after the deadline passed; nothing before."""
    if now <= step.due_at:
        return None
    today = calendar.local_date(now)
    period = red_period(calendar.workdays_between(step.due_on, today), red_repeat_workdays)
    return f"document:{step.document_id}:step:{step.id}:red:{step.due_on}:{period}"
