"""信息报送's actions, as examples for tests/test_declarations.py."""

from __future__ import annotations

from models.information_input import InfoItemSpec
from officeflow import db, information
from tests.declared_examples import Example

OFFICE = "liu.yang"


def _submitted() -> int:
    """An item of finance, submitted by 郑慧 (zheng.hui)."""
    spec = InfoItemSpec(
        title="前十月全市一般公共预算收入同比增长",
        body="前十月全市一般公共预算收入同比增长5.2%。",
        kind="news",
        department="finance",
        submitted_by="zheng.hui",
    )
    with db.session_scope() as s:
        return information.submit_item(s, spec).item_id


def _adopted() -> int:
    item = _submitted()
    with db.session_scope() as s:
        information.adopt_item(s, item_id=item, actor=OFFICE)
    return item


EXAMPLES = {
    "info_item.edit": lambda: Example(
        _submitted(), {"title": "前十月财政收入稳步增长", "note": "改标题"}, OFFICE, "zheng.hui"
    ),
    "info_item.adopt": lambda: Example(_submitted(), {"publication": "daily"}, OFFICE, "zheng.hui"),
    "info_item.reject": lambda: Example(
        _submitted(), {"reason": "已在上周编发，内容重复"}, OFFICE, "zheng.hui"
    ),
    # liu.yang edits and adopts, but only a leader comments (批示).
    "info_item.comment": lambda: Example(
        _adopted(),
        {"text": "请财政局持续跟踪。", "tasks": ["finance:5:按月报送收入情况"]},
        "wang.haitao",
        OFFICE,
    ),
}
