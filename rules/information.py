"""信息报送's pure rules: the kinds and publications with their Chinese names, issue numbering,
the score of a department and the content and order of an issue (每日要情). No database, no
Prefect, no settings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from models.information import InfoKind, Publication
from rules.calendar import format_instant

KIND_LABELS: dict[InfoKind, str] = {
    InfoKind.NEWS: "动态",
    InfoKind.PROBLEM: "问题",
    InfoKind.SUGGESTION: "建议",
    InfoKind.PRACTICE: "经验",
    InfoKind.URGENT: "紧急",
}

# The order of an issue's sections: what needs the leaders first.
KIND_ORDER: tuple[InfoKind, ...] = (
    InfoKind.URGENT,
    InfoKind.PROBLEM,
    InfoKind.NEWS,
    InfoKind.SUGGESTION,
    InfoKind.PRACTICE,
)

SECTION_TITLES: dict[InfoKind, str] = {
    InfoKind.URGENT: "紧急信息",
    InfoKind.PROBLEM: "问题反映",
    InfoKind.NEWS: "工作动态",
    InfoKind.SUGGESTION: "意见建议",
    InfoKind.PRACTICE: "经验做法",
}

PUBLICATION_LABELS: dict[Publication, str] = {
    Publication.DAILY: "每日要情",
    Publication.SPECIAL: "专报",
}

DUTY_SECTION = "值班情况"


def kind_label(kind: InfoKind | str) -> str:
    return KIND_LABELS[InfoKind(kind)]


def issue_label(publication: Publication | str, number: int) -> str:
    """``每日要情 第3期``."""
    return f"{PUBLICATION_LABELS[Publication(publication)]} 第{number}期"


def next_issue_number(highest: int | None) -> int:
    """Issue numbers of a publication run 1, 2, 3, … and never repeat."""
    return (highest or 0) + 1


# --- scores (信息考核) ------------------------------------------------------------------------

DEFAULT_WEIGHTS: dict[str, float] = {
    "submitted": 1.0,  # each item submitted
    "adopted": 3.0,  # each item adopted into an issue
    "commented": 5.0,  # each adopted item a leader commented on (批示)
    "overdue": -2.0,  # each commissioned report (约稿) answered late or not at all
}


def weights_from(mapping: Mapping[str, object] | None) -> dict[str, float]:
    """The defaults overridden by ``mapping``; an unknown name or a non-number is refused with
    a ValueError naming it."""
    weights = dict(DEFAULT_WEIGHTS)
    for name, value in (mapping or {}).items():
        if name not in DEFAULT_WEIGHTS:
            known = ", ".join(DEFAULT_WEIGHTS)
            raise ValueError(f"unknown weight {name!r}; the weights are {known}")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"weight {name!r} must be a number, not {value!r}")
        if not -1000 <= value <= 1000:
            raise ValueError(f"weight {name!r} must lie between -1000 and 1000")
        weights[name] = float(value)
    return weights


def points(counts: Mapping[str, int], weights: Mapping[str, float]) -> float:
    """A department's points: each count times its weight."""
    return round(sum(weights[name] * counts.get(name, 0) for name in DEFAULT_WEIGHTS), 2)


def overdue(due_at: dt.datetime, closed_at: dt.datetime | None, now: dt.datetime) -> bool:
    """A commissioned report (约稿) counts against its department when it was answered after
    its deadline, or is past it and still unanswered. (`officeflow.information.scores` counts
    the same in SQL; a property test holds it to this rule.)"""
    if closed_at is not None:
        return closed_at > due_at
    return due_at < now


def month_bounds(month: str) -> tuple[dt.date, dt.date]:
    """``2026-11`` → (2026-11-01, 2026-12-01): the first day and the first day after."""
    year, mon = (int(part) for part in month.split("-"))
    start = dt.date(year, mon, 1)
    end = dt.date(year + (mon == 12), mon % 12 + 1, 1)
    return start, end


def month_of(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def previous_month(day: dt.date) -> str:
    """The month before the one ``day`` falls in: the monthly bulletin reports on it."""
    return month_of(day.replace(day=1) - dt.timedelta(days=1))


def months_up_to(month: str, count: int) -> list[str]:
    """The ``count`` months ending with ``month``, oldest first (the trend's x axis)."""
    start, _ = month_bounds(month)
    out = [month]
    for _ in range(count - 1):
        start = (start - dt.timedelta(days=1)).replace(day=1)
        out.append(month_of(start))
    return out[::-1]


# --- the issue's content --------------------------------------------------------------------


@dataclass(frozen=True)
class DigestEntry:
    item_id: int
    title: str
    body: str
    kind: InfoKind
    department: str  # the department's name
    people: Sequence[str] = ()
    places: Sequence[str] = ()


@dataclass(frozen=True)
class DutyLine:
    """One duty-log entry (值班日志) as the issue prints it."""

    at: dt.datetime
    officer: str
    text: str
    open: bool = False


@dataclass(frozen=True)
class DigestSection:
    heading: str
    entries: list[DigestEntry] = field(default_factory=list)


@dataclass(frozen=True)
class Digest:
    masthead: str  # 每日要情
    number_line: str  # 第3期
    date_line: str  # 2026年11月23日
    office: str
    sections: list[DigestSection]
    duty_heading: str
    duty_lines: list[str]

    @property
    def entries(self) -> list[DigestEntry]:
        return [e for s in self.sections for e in s.entries]


def chinese_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def entry_text(entry: DigestEntry) -> str:
    """The body as printed, ending with the department (报送单位) and what it concerns."""
    tail = [f"（{entry.department}报送）"]
    if entry.people:
        tail.insert(0, f"涉及人员：{'、'.join(entry.people)}。")
    if entry.places:
        tail.insert(0, f"涉及地点：{'、'.join(entry.places)}。")
    return entry.body + "".join(tail)


def duty_text(line: DutyLine, timezone: str) -> str:
    state = "（未办结）" if line.open else ""
    return f"{format_instant(line.at, timezone)} {line.officer}：{line.text}{state}"


def build_digest(
    *,
    publication: Publication,
    number: int,
    day: dt.date,
    office: str,
    entries: Sequence[DigestEntry],
    duty: Sequence[DutyLine],
    timezone: str,
) -> Digest:
    """An issue's content: sections by kind in `KIND_ORDER` (items in the order given within a
    section, empty sections left out), then the duty log (值班情况) in time order, with a line
    saying so when there was nothing to report."""
    sections = []
    for kind in KIND_ORDER:
        of_kind = [e for e in entries if e.kind is kind]
        if of_kind:
            sections.append(DigestSection(SECTION_TITLES[kind], of_kind))
    lines = [duty_text(line, timezone) for line in sorted(duty, key=lambda d: d.at)]
    return Digest(
        masthead=PUBLICATION_LABELS[publication],
        number_line=f"第{number}期",
        date_line=chinese_date(day),
        office=office,
        sections=sections,
        duty_heading=DUTY_SECTION,
        duty_lines=lines or ["值班期间无重要情况。"],
    )


def digest_markdown(digest: Digest, escape: object = None) -> str:
    """The issue as Markdown (the Prefect artifact). ``escape`` makes stored text safe (the
    caller passes `officeflow.text.md`); the identity when None."""
    esc = escape if callable(escape) else (lambda s: s)
    out = [
        f"# {digest.masthead} {digest.number_line}",
        "",
        f"{esc(digest.office)} · {digest.date_line}",
        "",
    ]
    n = 0
    for section in digest.sections:
        out += [f"## {section.heading}", ""]
        for entry in section.entries:
            n += 1
            out += [f"**{n}. {esc(entry.title)}**", "", esc(entry_text(entry)), ""]
    out += [f"## {digest.duty_heading}", ""]
    out += [f"- {esc(line)}" for line in digest.duty_lines]
    return "\n".join(out) + "\n"
