"""One reminder rule: the duty sweep's set-based SQL reserves exactly the reminders that
`rules.duty.due_reminders` says are due, for every shift in force, to whoever holds it.

Hypothesis generates shifts (some out of force, some swapped, start times and reminder settings
of every kind) and clocks on and around the reminder instants, runs the real sweep on the
ledger and compares the notice keys it reserved with the rule's."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert

from models.duty import DutyRoster, DutyShift, RosterKind
from models.ledger import Delivery, Notice
from officeflow import clock, db, duty
from rules.duty import due_reminders, reminder_instants
from tests.conftest import both_backends

backend = both_backends

ZONE = "Asia/Shanghai"
BASE = dt.datetime(2026, 10, 1, 0, 0, tzinfo=ZoneInfo(ZONE))
PEOPLE = ["xu.lei", "he.fang", "sun.li", "li.jianguo", "tang.jun"]

shift_specs = st.lists(
    st.fixed_dictionaries(
        {
            "start_min": st.integers(0, 3 * 24 * 60),  # within three days of BASE
            "hours": st.sampled_from([9, 15, 24]),
            "evening": st.sampled_from(["18:00", "20:30", "00:00", "23:59"]),
            "before": st.sampled_from([0, 30, 60, 720]),
            "officer": st.sampled_from(PEOPLE),
            "leader": st.sampled_from(PEOPLE),
            "in_force": st.booleans(),
        }
    ),
    min_size=1,
    max_size=6,
)


def _rows(specs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for spec in specs:
        start = BASE + dt.timedelta(minutes=spec["start_min"])
        eve, soon = reminder_instants(start, ZONE, spec["evening"], spec["before"])
        rows.append(
            {
                "day": start.date(),
                "name": "s",
                "holiday": False,
                "starts_at": start,
                "ends_at": start + dt.timedelta(hours=spec["hours"]),
                "officer_id": spec["officer"],
                "leader_id": spec["leader"],
                "rostered_officer_id": spec["officer"],
                "rostered_leader_id": spec["leader"],
                "eve_remind_at": eve,
                "soon_remind_at": soon,
                "in_force": spec["in_force"],
            }
        )
    return rows


@st.composite
def cases(draw: st.DrawFn) -> tuple[list[dict[str, Any]], dt.datetime]:
    rows = _rows(draw(shift_specs))
    row = draw(st.sampled_from(rows))
    anchor = draw(st.sampled_from([row["eve_remind_at"], row["soon_remind_at"], row["starts_at"]]))
    offset = draw(st.sampled_from([-1, 0, 1, -3600, 600]) | st.integers(-86400, 86400))
    return rows, anchor + dt.timedelta(seconds=offset)


def test_sweep_reserves_exactly_the_reminders_the_rule_says(org: Any, backend: str) -> None:
    with db.session_scope() as s:
        s.add(
            DutyRoster(
                id=1, fingerprint="p", name="p", kind=RosterKind.REGULAR, start_on=BASE.date(),
                end_on=BASE.date(), published_by="sun.li", published_at=BASE,
            )
        )  # fmt: skip

    @settings(
        max_examples=300 if backend == "sqlite" else 100,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(cases())
    def check(case: tuple[list[dict[str, Any]], dt.datetime]) -> None:
        rows, now = case
        with db.session_scope() as s:
            s.execute(delete(Delivery))
            s.execute(delete(Notice))
            s.execute(delete(DutyShift))
            ids = s.scalars(
                insert(DutyShift).returning(DutyShift.id), [{"roster_id": 1, **r} for r in rows]
            ).all()
        expected = set()
        for shift_id, r in zip(ids, rows, strict=True):
            if not r["in_force"]:
                continue
            for kind in due_reminders(now, r["starts_at"], r["eve_remind_at"], r["soon_remind_at"]):
                for person in (r["officer_id"], r["leader_id"]):
                    expected.add(f"duty:shift:{shift_id}:{kind}:{person}")
        clock.set_now(now)
        with db.session_scope() as s:
            result = duty.plan_sweep(s, now=now)
        assert set(result.notice_keys) == expected
        assert len(result.notice_keys) == len(expected)
        with db.session_scope() as s:  # the same moment again: nothing new
            assert duty.plan_sweep(s, now=now).notice_keys == []

    check()
