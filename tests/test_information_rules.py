"""信息报送's pure rules: labels, numbering, weights and points, months, the issue's content."""

from __future__ import annotations

import datetime as dt

import pytest

from models.information import InfoKind, Publication
from rules.information import (
    DEFAULT_WEIGHTS,
    DigestEntry,
    DutyLine,
    build_digest,
    digest_markdown,
    entry_text,
    issue_label,
    kind_label,
    month_bounds,
    months_up_to,
    next_issue_number,
    points,
    previous_month,
    weights_from,
)

UTC = dt.UTC


def entry(n: int, kind: InfoKind, **more: object) -> DigestEntry:
    return DigestEntry(
        item_id=n, title=f"标题{n}", body=f"正文{n}。", kind=kind, department="财政局", **more
    )


def test_labels_and_numbers() -> None:
    assert [kind_label(k) for k in InfoKind] == ["动态", "问题", "建议", "经验", "紧急"]
    assert issue_label(Publication.DAILY, 3) == "每日要情 第3期"
    assert issue_label("special", 12) == "专报 第12期"
    assert (next_issue_number(None), next_issue_number(0), next_issue_number(41)) == (1, 1, 42)


def test_weights_and_points() -> None:
    assert weights_from(None) == DEFAULT_WEIGHTS
    weights = weights_from({"adopted": 4, "overdue": -3.5})
    assert (weights["adopted"], weights["overdue"], weights["submitted"]) == (4.0, -3.5, 1.0)
    counts = {"submitted": 3, "adopted": 2, "commented": 1, "overdue": 1}
    assert points(counts, DEFAULT_WEIGHTS) == 3 + 6 + 5 - 2
    assert points({}, DEFAULT_WEIGHTS) == 0
    for bad, message in [
        ({"bonus": 1}, "unknown weight 'bonus'"),
        ({"adopted": "many"}, "must be a number"),
        ({"adopted": True}, "must be a number"),
        ({"adopted": 10**6}, "between -1000 and 1000"),
    ]:
        with pytest.raises(ValueError, match=message):
            weights_from(bad)


@pytest.mark.parametrize(
    ("month", "bounds"),
    [
        ("2026-11", (dt.date(2026, 11, 1), dt.date(2026, 12, 1))),
        ("2026-12", (dt.date(2026, 12, 1), dt.date(2027, 1, 1))),
        ("2027-02", (dt.date(2027, 2, 1), dt.date(2027, 3, 1))),
    ],
)
def test_month_bounds(month: str, bounds: tuple[dt.date, dt.date]) -> None:
    assert month_bounds(month) == bounds


def test_months() -> None:
    assert previous_month(dt.date(2026, 12, 1)) == "2026-11"
    assert previous_month(dt.date(2027, 1, 15)) == "2026-12"
    assert months_up_to("2027-02", 4) == ["2026-11", "2026-12", "2027-01", "2027-02"]


def test_the_issue_orders_sections_by_urgency_and_keeps_the_duty_log() -> None:
    entries = [
        entry(1, InfoKind.NEWS),
        entry(2, InfoKind.URGENT, places=["东城区"], people=["王某"]),
        entry(3, InfoKind.PRACTICE),
        entry(4, InfoKind.NEWS),
    ]
    duty = [
        DutyLine(dt.datetime(2026, 11, 22, 14, 0, tzinfo=UTC), "何芳", "接报道路塌陷", open=True),
        DutyLine(dt.datetime(2026, 11, 21, 1, 30, tzinfo=UTC), "徐磊", "转办群众来电"),
    ]
    digest = build_digest(
        publication=Publication.DAILY,
        number=5,
        day=dt.date(2026, 11, 23),
        office="市政府办公室",
        entries=entries,
        duty=duty,
        timezone="Asia/Shanghai",
    )
    assert (digest.masthead, digest.number_line, digest.date_line) == (
        "每日要情",
        "第5期",
        "2026年11月23日",
    )
    assert [s.heading for s in digest.sections] == ["紧急信息", "工作动态", "经验做法"]
    assert [e.item_id for e in digest.entries] == [2, 1, 4, 3]
    assert digest.duty_lines == [
        "2026-11-21 09:30 徐磊：转办群众来电",
        "2026-11-22 22:00 何芳：接报道路塌陷（未办结）",
    ]
    assert entry_text(entries[1]) == "正文2。涉及地点：东城区。涉及人员：王某。（财政局报送）"
    markdown = digest_markdown(digest)
    assert markdown.startswith("# 每日要情 第5期")
    assert (
        markdown.index("## 紧急信息")
        < markdown.index("## 工作动态")
        < markdown.index("## 值班情况")
    )


def test_an_issue_without_duty_entries_says_so() -> None:
    digest = build_digest(
        publication=Publication.SPECIAL,
        number=1,
        day=dt.date(2026, 11, 23),
        office="办公室",
        entries=[entry(1, InfoKind.PROBLEM)],
        duty=[],
        timezone="Asia/Shanghai",
    )
    assert digest.masthead == "专报" and digest.duty_lines == ["值班期间无重要情况。"]
