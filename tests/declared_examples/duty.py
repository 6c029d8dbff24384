"""值班's actions, as examples for tests/test_declarations.py.

A roster of Monday 2026-09-28 (the examples' clock is that day at 10:00): the day shift
(08:30–17:30) is 徐磊's (xu.lei) with the leader 李建国 (li.jianguo), the night shift (17:30 to
08:30) 何芳's (he.fang) with 王海涛 (wang.haitao). 郑慧 (zheng.hui, finance staff) is on neither
and is not of the general office."""

from __future__ import annotations

from sqlalchemy import select

from models.duty import DutyShift
from models.duty_input import RosterSpec
from officeflow import db, duty
from officeflow.inputs import validate_model
from tests.declared_examples import Example

ROSTER = {
    "name": "2026年9月28日值班表",
    "start": "2026-09-28",
    "end": "2026-09-28",
    "shifts": [
        {"name": "day", "start": "08:30", "end": "17:30"},
        {"name": "night", "start": "17:30", "end": "08:30"},
    ],
    "pattern": "explicit",
    "slots": [
        {"date": "2026-09-28", "shift": "day", "officer": "xu.lei", "leader": "li.jianguo"},
        {"date": "2026-09-28", "shift": "night", "officer": "he.fang", "leader": "wang.haitao"},
    ],
}


def _shifts() -> dict[str, int]:
    """The roster, published by the office director 孙丽 (sun.li); its shifts' ids by name."""
    with db.session_scope() as s:
        duty.publish_roster(s, validate_model(RosterSpec, ROSTER), actor="sun.li")
        return {shift.name: shift.id for shift in s.scalars(select(DutyShift))}


def _swap_requested() -> int:
    """The night shift, whose officer 何芳 asked that 徐磊 take it."""
    night = _shifts()["night"]
    with db.session_scope() as s:
        duty.request_swap(
            s, shift_id=night, with_person="xu.lei", reason="家中有事", actor="he.fang"
        )
    return night


EXAMPLES = {
    "shift.request-swap": lambda: Example(
        _shifts()["night"], {"with_person": "xu.lei", "reason": "家中有事"}, "he.fang", "zheng.hui"
    ),
    "shift.decide-swap": lambda: Example(
        _swap_requested(), {"approve": True, "comment": "同意"}, "sun.li", "zheng.hui"
    ),
    "shift.hand-over": lambda: Example(
        _shifts()["day"], {"note": "无遗留事项"}, "xu.lei", "zheng.hui"
    ),
}
