"""办会's actions, as examples for tests/test_declarations.py.

The example meeting (examples/meeting.yaml) is chaired by 周国强 (zhou.guoqiang), starts on
2026-10-09 09:30, and has finance, development-reform, emergency-management and health attend
(their heads are attendees) with li.jianguo, wang.haitao and sun.li."""

from __future__ import annotations

import json
from typing import Any

from officeflow import clock, db
from officeflow import meeting as service
from tests.declared_examples import MONDAY, Example
from tests.meeting_helpers import example_meeting

ACTION_ITEM = {
    "task": "编制预算调整方案",
    "lead_department": "finance",
    "acceptance_standard": "报送方案",
    "due_in_workdays": 5,
}


def _meeting(**overrides: Any) -> int:
    with db.session_scope() as s:
        return service.create_meeting(s, example_meeting(**overrides), actor="system").meeting_id


def _with_topic() -> tuple[int, int]:
    """The example meeting with a topic of finance (林涛 lin.tao presents)."""
    mid = _meeting()
    with db.session_scope() as s:
        topic = service.submit_topic(
            s,
            meeting_id=mid,
            department="finance",
            title="预算调整",
            presenter="lin.tao",
            actor="system",
        ).topic_id
    assert topic is not None
    return mid, topic


def _held() -> int:
    """A meeting registered a fortnight ago that was held last Thursday (minutes may follow)."""
    clock.set_now("2026-09-14T10:00:00+08:00")
    try:
        return _meeting(start="2026-09-24T09:30:00+08:00")
    finally:
        clock.set_now(MONDAY)


def _materials() -> Example:
    mid, topic = _with_topic()
    return Example(mid, {"topic": topic}, "zheng.hui", "zhang.wei")


EXAMPLES = {
    "meeting.submit-topic": lambda: Example(
        _meeting(),
        {"department": "finance", "title": "预算调整", "presenter": "lin.tao"},
        "lin.tao",
        "zhang.wei",  # development-reform
    ),
    "meeting.approve-agenda": lambda: Example(
        _meeting(),
        {"comment": "同意"},
        "zhou.guoqiang",
        "liu.yang",  # office, not its director
    ),
    "meeting.submit-materials": _materials,
    "meeting.reschedule": lambda: Example(
        _meeting(), {"to": "2026-10-12T09:30:00+08:00"}, "liu.yang", "wang.haitao"
    ),
    "meeting.cancel": lambda: Example(_meeting(), {"reason": "领导出差"}, "sun.li", "zhang.wei"),
    "meeting.record-minutes": lambda: Example(
        _held(),
        {"decisions": ["同意预算调整"], "action_items": [ACTION_ITEM]},
        "sun.li",
        "zhang.wei",
        cli={"action_items": [json.dumps(ACTION_ITEM, ensure_ascii=False)]},
    ),
    "meeting.register-attendance": lambda: Example(
        _meeting(),
        {"answer": "decline", "note": "出差"},
        "lin.tao",  # the head of finance attends
        "xie.peng",  # of finance, not an attendee
    ),
}
