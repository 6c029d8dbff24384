"""Emergency response plans (应急响应预案): who is told, the acknowledgement ladder, and the
reporting clock (电话报告、初报、续报、终报). Pure rules given ``now``: no Prefect, no database.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from models.common import StrictInput
from models.org import Channel
from rules.grading import Grade

_UNITS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}


def parse_duration(value: Any) -> Any:
    """``"30m"``, ``"1h"``, ``"7d"``, ``"90s"`` or plain seconds; anything else is left to
    Pydantic (ISO 8601 ``PT30M`` works too)."""
    if isinstance(value, str):
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(s|min|m|h|d)\s*", value)
        if match:
            return dt.timedelta(seconds=float(match[1]) * _UNITS[match[2]])
    return value


Duration = Annotated[dt.timedelta, BeforeValidator(parse_duration)]

# The shortest follow-up (续报) interval a plan may set. The sweep schedules every interval since
# the initial report's deadline, so a tiny one (seconds) meant thousands of rows an hour.
MIN_FOLLOW_UP_EVERY = dt.timedelta(minutes=5)


def _bounded_follow_up(value: dt.timedelta | None) -> dt.timedelta | None:
    if value is not None and value < MIN_FOLLOW_UP_EVERY:
        raise ValueError(
            f"follow_up_every must be at least 5 minutes (e.g. 30m, 4h), not {_human(value)}"
        )
    return value


def _human(value: dt.timedelta) -> str:
    seconds = value.total_seconds()
    return f"{seconds:g} s" if seconds < 60 else f"{seconds / 60:g} min"


FollowUpEvery = Annotated[Duration | None, AfterValidator(_bounded_follow_up)]


class Audience(enum.StrEnum):
    """Who is notified, by role."""

    DUTY_OFFICER = "duty_officer"  # 值班员 of the general office (the one on duty, if rostered)
    LEADER_ON_DUTY = "leader_on_duty"  # 带班领导 on duty (the office director if not rostered)
    OFFICE_DIRECTOR = "office_director"  # 办公室主任
    LEADER_IN_CHARGE = "leader_in_charge"  # 分管领导 of the affected departments
    AFFECTED_DEPARTMENTS = "affected_departments"  # heads of the affected departments
    ALL_LEADERS = "all_leaders"  # every leader (主要领导 included)


class ReportKind(enum.StrEnum):
    PHONE = "phone"  # 电话报告
    INITIAL = "initial"  # 初报 (the first written report)
    FOLLOW_UP = "follow_up"  # 续报 n
    FINAL = "final"  # 终报


def report_label(kind: ReportKind, number: int = 0, locale: str = "zh-CN") -> str:
    if locale == "zh-CN":
        names = {"phone": "电话报告", "initial": "初报", "follow_up": "续报", "final": "终报"}
    else:
        names = {
            "phone": "phone report",
            "initial": "initial report",
            "follow_up": "follow-up report ",
            "final": "final report",
        }
    label = names[kind.value]
    return f"{label}{number}" if kind is ReportKind.FOLLOW_UP else label


class Rung(StrictInput):
    """Who is added to the group after a missed acknowledgement deadline."""

    add: list[Audience] = Field(default_factory=list)
    people: list[str] = Field(default_factory=list, description="Person ids added by name")


class ReportingClock(StrictInput):
    """Deadlines counted from the moment the office records the incident; ``None`` = not due."""

    phone_within: Duration | None = None
    written_within: Duration | None = None
    follow_up_every: FollowUpEvery = None
    final_within: Duration | None = None
    remind_before: Duration = dt.timedelta(minutes=10)


class ClockOverride(StrictInput):
    phone_within: Duration | None = None
    written_within: Duration | None = None
    follow_up_every: FollowUpEvery = None
    final_within: Duration | None = None
    remind_before: Duration | None = None


class GradePlan(StrictInput):
    notify: list[Audience] = Field(min_length=1)
    people: list[str] = Field(default_factory=list)
    channels: list[Channel] | None = Field(None, description="None: every configured channel")
    fallback: list[Channel] | None = Field(
        None,
        description="Order of channels tried, at once, when a person's channel fails; "
        "None: the plan's top-level `fallback`",
    )
    ack_within: Duration
    ladder: list[Rung] = Field(default_factory=list)
    rounds: int = Field(0, ge=0, le=10, description="Escalations at most")
    reporting: ReportingClock = Field(default_factory=ReportingClock)


class ResponsePlan(StrictInput):
    grades: dict[Grade, GradePlan]
    fallback: list[Channel] = Field(
        default_factory=lambda: [
            Channel.EMAIL,
            Channel.SMS,
            Channel.DINGTALK,
            Channel.WECOM,
            Channel.FEISHU,
            Channel.SLACK,
            Channel.WEBHOOK,
        ],
        description="When a person's channel fails for an emergency notice, the next channel "
        "of this order that the person has is tried at once",
    )
    jurisdictions: dict[str, dict[Grade, ClockOverride]] = Field(
        default_factory=dict, description="Reporting-clock overrides per jurisdiction and grade"
    )

    @model_validator(mode="after")
    def _every_grade(self) -> ResponsePlan:
        missing = [g.value for g in Grade if g not in self.grades]
        if missing:
            raise ValueError(f"no plan for grade {', '.join(missing)}")
        return self

    def for_grade(self, grade: Grade) -> GradePlan:
        return self.grades[grade]

    def fallback_for(self, grade: Grade) -> list[Channel]:
        own = self.grades[grade].fallback
        return list(own if own is not None else self.fallback)

    def clock(self, grade: Grade, jurisdiction: str | None = None) -> ReportingClock:
        base = self.grades[grade].reporting
        override = self.jurisdictions.get(jurisdiction or "", {}).get(grade)
        if override is None:
            return base
        return base.model_copy(update=override.model_dump(exclude_unset=True))


# --- the ladder ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RungSpec:
    """Rung 0 is the first notice; rung k the k-th escalation. Groups are cumulative."""

    rung: int
    audiences: tuple[Audience, ...]
    people: tuple[str, ...]


def ladder(plan: GradePlan) -> list[RungSpec]:
    """Rung 0 plus ``rounds`` escalations. Past the end of the plan's ladder, the last rung's
    group is alerted again."""
    audiences = list(dict.fromkeys(plan.notify))
    people = list(dict.fromkeys(plan.people))
    out = [RungSpec(0, tuple(audiences), tuple(people))]
    for k in range(1, plan.rounds + 1):
        if plan.ladder and k <= len(plan.ladder):
            step = plan.ladder[k - 1]
            audiences += [a for a in step.add if a not in audiences]
            people += [p for p in step.people if p not in people]
        out.append(RungSpec(k, tuple(audiences), tuple(people)))
    return out


# --- the reporting clock ----------------------------------------------------------------


@dataclass(frozen=True)
class Deadline:
    kind: ReportKind
    number: int
    due_at: dt.datetime
    remind_at: dt.datetime

    def label(self, locale: str = "zh-CN") -> str:
        return report_label(self.kind, self.number, locale)


def opening_deadlines(clock: ReportingClock, recorded_at: dt.datetime) -> list[Deadline]:
    """The phone report and the initial written report (初报), when the plan asks for them."""
    out = []
    if clock.phone_within is not None:
        out.append(_make(ReportKind.PHONE, 0, recorded_at + clock.phone_within, clock, recorded_at))
    if clock.written_within is not None:
        due = recorded_at + clock.written_within
        out.append(_make(ReportKind.INITIAL, 0, due, clock, recorded_at))
    return out


def _make(
    kind: ReportKind, number: int, due: dt.datetime, clock: ReportingClock, start: dt.datetime
) -> Deadline:
    """The reminder goes ``remind_before`` the deadline, but never before the clock starts."""
    return Deadline(kind, number, due, max(due - clock.remind_before, start))


def follow_up_anchor(clock: ReportingClock, recorded_at: dt.datetime) -> dt.datetime:
    """Follow-ups (续报) run from the initial report's deadline (or from recording)."""
    return recorded_at + (clock.written_within or dt.timedelta())


def follow_ups_to_schedule(
    clock: ReportingClock, recorded_at: dt.datetime, now: dt.datetime
) -> list[Deadline]:
    """Every follow-up whose reminder time has come, and the next one, numbered 1, 2, …"""
    if clock.follow_up_every is None or clock.follow_up_every <= dt.timedelta():
        return []
    anchor = follow_up_anchor(clock, recorded_at)
    out: list[Deadline] = []
    n = 1
    while True:
        start = anchor + (n - 1) * clock.follow_up_every
        deadline = _make(ReportKind.FOLLOW_UP, n, anchor + n * clock.follow_up_every, clock, start)
        out.append(deadline)
        if deadline.remind_at > now:
            return out
        n += 1


def final_deadline(clock: ReportingClock, closed_at: dt.datetime) -> Deadline | None:
    """The final report (终报) is due ``final_within`` after closure."""
    if clock.final_within is None:
        return None
    return _make(ReportKind.FINAL, 0, closed_at + clock.final_within, clock, closed_at)


def is_late(due_at: dt.datetime | None, filed_at: dt.datetime) -> bool:
    return due_at is not None and filed_at > due_at
