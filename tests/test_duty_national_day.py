"""The National Day week, time-travelled against the real test SMTP and HTTP (webhook) servers
and a real Prefect API: a holiday roster is published over the regular one, a swap is approved
the day before, a grade III incident at 02:00 on 10-03 pages that night's duty officer only,
the ladder then adds the office director, and the reporting reminder goes to the officer on
duty. Exact message counts per person at every step.

The shipped response plan also alerts the affected departments' heads at once for grade III;
this test uses a copy of the shipped plan whose grade III alerts the duty officer alone first
(rung 0); its ladder, as shipped, adds the office director at the first missed acknowledgement
(docs/duty.md explains)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select

from flows.duty import duty_roster, duty_sweep, shift_decide_swap, shift_request_swap
from flows.emergency import emergency_response, emergency_sweep, incident_acknowledge
from models.duty import DutyShift, DutySwap, SwapStatus
from models.duty_input import DecideSwapInput, RequestSwapInput
from models.emergency_input import AcknowledgeInput, IncidentReport
from officeflow import clock, db
from officeflow.emergency.config import _CONFIG
from officeflow.mailcatcher import MailCatcher
from rules.grading import Grade
from tests.conftest import both_backends
from tests.duty_support import load_duty_org, national_day_roster, regular_roster
from tests.emergency_support import hook_counts, incident_data, mail_counts

backend = both_backends


def _plan(tmp_path: Path) -> Path:
    plan = yaml.safe_load((_CONFIG / "response_plan.yaml").read_text(encoding="utf-8"))
    plan["grades"]["III"]["notify"] = ["duty_officer"]  # the shipped ladder is kept
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(plan, allow_unicode=True), encoding="utf-8")
    return path


def _counts(mail: MailCatcher, hooks: Any) -> Counter[str]:
    by_mail, by_hook = mail_counts(mail), hook_counts(hooks)
    assert by_mail == by_hook  # everyone has both channels: each message went both ways
    return by_mail


def test_national_day_week(
    prefect_api: None,
    ledger: Any,
    office_env: Any,
    mail_office: MailCatcher,
    webhook_server: Any,
    tmp_path: Path,
) -> None:
    office_env.set(webhook_url=webhook_server.url, locale="en", response_plan=_plan(tmp_path))
    load_duty_org(tmp_path)

    # The office publishes the regular roster (officer `duty` every shift) and the 国庆 roster
    # (day shifts duty3, night shifts duty2), through the Prefect flow.
    clock.set_now("2026-09-25T10:00:00+08:00")
    regular = duty_roster(regular_roster(), "director")
    holiday = duty_roster(national_day_roster(), "director")
    assert (regular.shifts, holiday.shifts, holiday.kind) == (28, 14, "holiday")
    with db.session_scope() as s:
        night = s.scalars(
            select(DutyShift).where(
                DutyShift.roster_id == holiday.roster_id,
                DutyShift.day == dt.date(2026, 10, 2),
                DutyShift.name == "night",
            )
        ).one()
        night_id, night_leader = night.id, night.leader_id
    assert night_leader == "boss"

    # The day before: duty2 asks duty3 to take the night of 10-02; the office director approves.
    clock.set_now("2026-10-02T10:00:00+08:00")
    asked = shift_request_swap(
        night_id, RequestSwapInput(with_person="duty3", reason="a family matter"), "duty2"
    )
    assert asked.status == "pending" and asked.notices_sent == 4
    clock.set_now("2026-10-02T10:30:00+08:00")
    approved = shift_decide_swap(night_id, DecideSwapInput(approve=True), "director")
    assert (approved.status, approved.officer_id, approved.notices_sent) == ("approved", "duty3", 4)
    with db.session_scope() as s:
        swap = s.get_one(DutySwap, asked.swap_id)
        assert (swap.status, swap.decided_by, swap.requested_by) == (
            SwapStatus.APPROVED,
            "director",
            "duty2",
        )
    swaps = Counter({"director": 1, "duty3": 2, "duty2": 1})
    assert _counts(mail_office, webhook_server) == swaps

    # An hour before the night shift the duty sweep reminds the swapped-in officer and the
    # leader on duty, not duty2.
    clock.set_now("2026-10-02T16:35:00+08:00")
    swept = duty_sweep()
    assert swept.tally("reminder") == {"eve": 0, "soon": 2} and swept.sent == 4
    reminders = Counter({"duty3": 1, "boss": 1})
    assert _counts(mail_office, webhook_server) == swaps + reminders
    assert duty_sweep().sent == 0

    # 02:00 on 10-03: a grade III incident pages that night's duty officer only: not the
    # regular roster's `duty`, not the rostered duty2, not the other officers.
    clock.set_now("2026-10-03T02:00:00+08:00")
    report = IncidentReport.model_validate(
        incident_data(
            occurred_at="2026-10-03T01:50:00+08:00",
            deaths=4,
            serious_injuries=0,
            direct_loss_cny=0,
            title="Gas explosion in a residential block",
        )
    )
    response = emergency_response(report)
    assert (response.grade, response.alerted, response.notices_sent) == (Grade.III, ["duty3"], 2)
    before = swaps + reminders
    assert _counts(mail_office, webhook_server) - before == Counter({"duty3": 1})
    assert mail_office.to("duty3@example.org")[-1].subject.startswith(
        "[General Office] Grade III emergency: Gas explosion"
    )

    # No acknowledgement within 15 minutes: the ladder adds the office director.
    clock.set_now("2026-10-03T02:14:00+08:00")
    assert emergency_sweep().sent == 0
    clock.set_now("2026-10-03T02:15:00+08:00")
    escalated = emergency_sweep()
    assert (escalated.counts["escalations"], escalated.sent) == (1, 4)
    assert _counts(mail_office, webhook_server) - before == Counter({"duty3": 2, "director": 1})

    # The director acknowledges; the next rung never goes out. At 03:45 (15 minutes before the
    # written report is due) the officer on duty, duty3, is reminded.
    clock.set_now("2026-10-03T02:20:00+08:00")
    incident_acknowledge(response.incident_id, AcknowledgeInput(), "director")
    clock.set_now("2026-10-03T03:46:00+08:00")
    reminded = emergency_sweep()
    assert (reminded.counts["reminders"], reminded.sent) == (1, 2)
    assert _counts(mail_office, webhook_server) == before + Counter({"duty3": 3, "director": 1})
    final = _counts(mail_office, webhook_server)
    assert (final["duty"], final["duty2"], final["p0-0"], final["mayor"]) == (0, 1, 0, 0)
    assert final == Counter({"duty3": 6, "director": 2, "duty2": 1, "boss": 1})
