"""The monthly scores count late 约稿 answers in SQL; this holds the SQL to the pure rule
`rules.information.overdue` and to the month's bounds in the office's zone."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pendulum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from models.supervision import Assignment, AssignmentStatus, Decision
from officeflow import clock, db, information
from rules.information import month_bounds, overdue

ZONE = "Asia/Shanghai"
START = pendulum.datetime(2026, 10, 25, tz=ZONE)
instants = st.integers(0, 45 * 24 * 60).map(lambda m: START.add(minutes=m))
rows = st.lists(
    st.tuples(
        st.sampled_from(["finance", "health"]),
        instants,  # due
        st.one_of(st.none(), instants),  # closed
        st.sampled_from(["info-request:1", "info:7", None]),  # only 约稿 count
    ),
    max_size=12,
)


def expected(data: list[Any], now: dt.datetime, month: str) -> dict[str, int]:
    first, after = month_bounds(month)
    out: dict[str, int] = {}
    for dept, due, closed, ref in data:
        local = due.in_timezone(ZONE).date()
        if ref == "info-request:1" and first <= local < after and overdue(due, closed, now):
            out[dept] = out.get(dept, 0) + 1
    return out


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=rows, now=instants)
def test_overdue_counts_follow_the_rule(org: Any, data: list[Any], now: dt.datetime) -> None:
    clock.set_now(now)
    with db.session_scope() as s:
        s.execute(delete(Assignment))
        s.execute(delete(Decision))
        decision = Decision(
            fingerprint="x" * 64,
            title="约稿",
            source="information",
            issued_by="li.jianguo",
            issued_on=dt.date(2026, 10, 26),
            created_at=START,
        )
        s.add(decision)
        s.flush()
        for dept, due, closed, ref in data:
            s.add(
                Assignment(
                    decision_id=decision.id,
                    lead_department_id=dept,
                    owner_id="lin.tao",
                    task="约稿",
                    acceptance_standard="报送",
                    issued_at=START,
                    due_at=due,
                    original_due_at=due,
                    issued_on=START.date(),
                    due_on=due.in_timezone(ZONE).date(),
                    status=AssignmentStatus.CLOSED if closed else AssignmentStatus.OPEN,
                    closed_at=closed,
                    source_ref=ref,
                )
            )
    with db.session_scope() as s:
        counts = information.month_counts(s, "2026-11")
    got = {d: c["overdue"] for d, c in counts.items() if c.get("overdue")}
    assert got == expected(data, now, "2026-11")
