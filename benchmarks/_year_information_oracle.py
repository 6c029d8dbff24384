"""The oracle's rules for 信息报送 in the office year (see `benchmarks/_year_information.py`).

From the script, the org and the oracle's own calendar alone (nothing of `rules/`, `models/`
or `officeflow/`, never the ledger), what each step must notify:

- a submission: an urgent item alerts the duty officers (``info:<id>:urgent``); an answer to a
  约稿 closes its department's assignment (no notice; the supervision sweep stops reminding);
- an adoption tells the submitter (``info:<id>:adopted``) and puts the item into the open
  每日要情 issue (a new number when none is open) or a new 专报 issue; a rejection tells the
  submitter (``info:<id>:rejected``); an edit tells nobody;
- a 专报 published: ``info-issue:special:<N>:published`` to the leaders;
- a comment (批示): ``info:<id>:comment:<n>`` to the submitter and the department's heads; with
  tasks, a decision whose assignments are predicted by `Oracle._new_assignment` (交办通知, lights
  and reminders of the supervision sweep);
- a 约稿: a decision issued by the general office's leader, one assignment per department;
- the 08:00 digest of a working day: ``info-issue:daily:<N>:published`` to the leaders when the
  open issue has items;
- the scores on the 1st: ``info-scores:<last month>`` to the leaders and everyone in the general
  office, when last month had any submission, adoption, comment or late 约稿 answer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from benchmarks.office_plan import Step


def month_of(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def previous_month(day: dt.date) -> str:
    """The month before ``day``'s: the monthly scores report on it."""
    return month_of(day.replace(day=1) - dt.timedelta(days=1))


def month_bounds(month: str) -> tuple[dt.date, dt.date]:
    """``2026-11`` → (2026-11-01, 2026-12-01)."""
    year, mon = (int(part) for part in month.split("-"))
    return dt.date(year, mon, 1), dt.date(year + mon // 12, mon % 12 + 1, 1)


@dataclass
class _Info:
    items: dict[Any, dict[str, Any]] = field(default_factory=dict)
    daily_open: int | None = None  # the open 每日要情 issue's number
    daily_last: int = 0
    special_last: int = 0
    specials: dict[Any, int] = field(default_factory=dict)  # item ref → its 专报 number
    active: set[str] = field(default_factory=set)  # months with anything the scores count
    # 约稿: (request index, department) → [assignment, answered at]
    asked: dict[tuple[int, str], list[Any]] = field(default_factory=dict)


def _state(oracle: Any) -> _Info:
    if not hasattr(oracle, "_information"):
        oracle._information = _Info()
    return oracle._information  # type: ignore[no-any-return]


def _month(oracle: Any, at: dt.datetime) -> str:
    return month_of(oracle.cal.local_date(at))


def _submit(oracle: Any, s: Step) -> None:
    st = _state(oracle)
    item_id = oracle.next_id("info_items")
    st.items[s.ref] = {"id": item_id, "by": s.args["by"], "dept": s.args["department"]}
    st.active.add(_month(oracle, s.at))
    if s.args["kind"] == "urgent":
        oracle.notify(f"info:{item_id}:urgent", oracle.duty_officers())
    request = s.args["request"]
    if request is not None:
        entry = st.asked[(request, s.args["department"])]
        if entry[1] is None:  # the department's answer closes its assignment (销号)
            entry[1] = s.at
            entry[0].status = "closed"


def _edit(oracle: Any, s: Step) -> None:
    pass


def _adopt(oracle: Any, s: Step) -> None:
    st = _state(oracle)
    item = st.items[s.ref]
    st.active.add(_month(oracle, s.at))
    if s.args["publication"] == "daily":
        if st.daily_open is None:
            st.daily_last += 1
            st.daily_open = st.daily_last
    else:
        st.special_last += 1
        st.specials[s.ref] = st.special_last
    oracle.notify(f"info:{item['id']}:adopted", [item["by"]])


def _reject(oracle: Any, s: Step) -> None:
    item = _state(oracle).items[s.ref]
    oracle.notify(f"info:{item['id']}:rejected", [item["by"]])


def _special(oracle: Any, s: Step) -> None:
    number = _state(oracle).specials.pop(s.ref)
    oracle.notify(f"info-issue:special:{number}:published", oracle.with_role("leader"))


def _comment(oracle: Any, s: Step) -> None:
    st = _state(oracle)
    item = st.items[s.ref]
    comment_id = oracle.next_id("info_comments")
    st.active.add(_month(oracle, s.at))
    day = oracle.cal.local_date(s.at)
    if s.args["tasks"]:
        oracle.next_id("decisions")
        for seq, (lead, days) in enumerate(s.args["tasks"], 1):
            oracle._new_assignment(
                ("info-a", s.ref[1], seq),
                lead=lead,
                owner=None,
                issuer=s.args["by"],
                co=(),
                issued_on=day,
                issued_at=s.at,
                due_on=oracle.cal.add_workdays(day, days),
                cycle="none",
            )
    oracle.notify(
        f"info:{item['id']}:comment:{comment_id}", [item["by"], *oracle.heads(item["dept"])]
    )


def _request(oracle: Any, s: Step) -> None:
    st = _state(oracle)
    oracle.next_id("info_requests")
    oracle.next_id("decisions")
    day = oracle.cal.local_date(s.at)
    issuer = oracle.leader_of[oracle.office]
    for dept in s.args["departments"]:
        a = oracle._new_assignment(
            ("info-ra", s.ref[1], dept),
            lead=dept,
            owner=None,
            issuer=issuer,
            co=(),
            issued_on=day,
            issued_at=s.at,
            due_on=oracle.cal.add_workdays(day, s.args["due"]),
            cycle="none",
        )
        st.asked[(s.ref[1], dept)] = [a, None]


def _digest(oracle: Any, s: Step) -> None:
    st = _state(oracle)
    if not oracle.cal.is_workday(oracle.cal.local_date(s.at)) or st.daily_open is None:
        return
    oracle.notify(f"info-issue:daily:{st.daily_open}:published", oracle.with_role("leader"))
    st.daily_open = None


def _scores(oracle: Any, s: Step) -> None:
    st = _state(oracle)
    month = previous_month(oracle.cal.local_date(s.at))
    first, after = month_bounds(month)
    late = False
    for a, answered in st.asked.values():
        if first <= oracle.cal.local_date(a.due_at) < after:
            late = late or (answered > a.due_at if answered else a.due_at < s.at)
    if month not in st.active and not late:
        return  # the bulletin is skipped: nothing to count
    office = sorted(p for p, d in oracle.dept_of.items() if d == oracle.office)
    oracle.notify(f"info-scores:{month}", [*oracle.with_role("leader"), *office])


ORACLE = {
    "info_submit": _submit,
    "info_edit": _edit,
    "info_adopt": _adopt,
    "info_reject": _reject,
    "info_special": _special,
    "info_comment": _comment,
    "info_request": _request,
    "info_digest": _digest,
    "info_scores": _scores,
}
