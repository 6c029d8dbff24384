"""The `officeflow duty` commands as a person runs them: the error text of bad input (exit 2,
nothing written), a person the policy refuses (exit 77, nothing written), who is on duty, the
week, a swap, the log and the handover (and the old spellings, which still work)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, select

from models.duty import DutyHandover, DutyLogEntry, DutyRoster, DutyShift, DutySwap
from models.duty_input import RosterSpec
from officeflow import clock, db, duty
from officeflow.mailcatcher import MailCatcher
from tests.cli_helpers import run_cli
from tests.conftest import write_yaml

ROOT = Path(__file__).resolve().parent.parent
HOLIDAY = ROOT / "examples" / "duty_roster_national_day.yaml"


def _holiday() -> dict[str, Any]:
    return yaml.safe_load(HOLIDAY.read_text(encoding="utf-8"))


def _count(table: Any) -> int:
    with db.session_scope() as s:
        return s.scalar(select(func.count()).select_from(table)) or 0


def test_bad_roster_file_is_refused_naming_the_field(org: Any, tmp_path: Path) -> None:
    data = _holiday()
    data["slots"] = data["slots"][:-1]
    result = run_cli("duty", "load", str(write_yaml(tmp_path / "r.yaml", data)), "--as", "sun.li")
    assert result.returncode == 2, result.stderr
    assert "slots: 2026-10-07 night has no duty officer and leader" in result.stderr
    data = _holiday()
    data["slots"][3]["officer"] = "ghost"
    result = run_cli("duty", "load", str(write_yaml(tmp_path / "r.yaml", data)), "--as", "sun.li")
    assert result.returncode == 2
    assert "slots[3].officer: unknown or inactive person 'ghost'" in result.stderr
    assert "Traceback" not in result.stderr
    # Someone outside the general office may not publish a roster: refused, not bad input.
    result = run_cli("duty", "load", str(HOLIDAY), "--as", "zhang.wei")
    assert result.returncode == 77, result.stderr
    assert "may not publish a duty roster: only the general office (办公室) may" in " ".join(
        result.stderr.split()
    )
    assert (_count(DutyRoster), _count(DutyShift)) == (0, 0)


def test_now_week_swap_log_and_handover(org: Any, mail_office: MailCatcher) -> None:
    clock.set_now("2026-09-25T10:00:00+08:00")
    with db.session_scope() as s:
        duty.publish_roster(s, RosterSpec.model_validate(_holiday()), actor="sun.li")
        night = duty.on_duty(s, clock.parse_instant("2026-10-03T02:00")).shift_id

    result = run_cli("duty", "now", "--at", "2026-10-03T02:00")
    assert result.returncode == 0, result.stderr
    assert "值班员 lu.feng, 带班领导 li.jianguo" in result.stdout
    result = run_cli("duty", "week", "2026-10-03")
    assert result.returncode == 0 and "陆峰 (lu.feng)" in result.stdout
    # the week Mon 09-28 to Sun 10-04 holds the roster's first four days, two shifts each
    assert result.stdout.count("2026年国庆节值班表") == 8

    before = {"OFFICEFLOW_NOW": "2026-09-25T10:00:00+08:00"}  # the shifts are days away
    result = run_cli(
        "duty", "request-swap", str(night), "--with-person", "lu.feng", "--as", "lu.feng",
        env=before,
    )  # fmt: skip
    assert result.returncode == 2
    assert "with_person: a swap with oneself changes nothing" in result.stderr
    # Only the people on the shift ask (lu.feng, li.jianguo); the old spelling still works.
    result = run_cli(
        "duty", "swap", "request", str(night), "--with", "he.fang", "--as", "xu.lei", env=before
    )
    assert result.returncode == 77, result.stderr
    assert "`duty swap request` is now `duty request-swap" in result.stderr
    assert f"may not request a swap (duty shift {night}): only its officer 陆峰" in " ".join(
        result.stderr.split()
    )
    result = run_cli(
        "duty", "request-swap", str(night), "--with-person", "he.fang", "--reason", "家中有事",
        "--as", "lu.feng", env=before,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert f"duty shift {night}: 换班申请 (request a swap) done, now pending" in result.stdout
    # The general office decides: not a department's staff; a refusal needs a reason.
    result = run_cli("duty", "decide-swap", str(night), "--refuse", "--as", "zhang.wei", env=before)
    assert result.returncode == 77, result.stderr
    result = run_cli("duty", "decide-swap", str(night), "--refuse", "--as", "sun.li", env=before)
    assert result.returncode == 2 and "comment: a refusal needs a reason" in result.stderr
    result = run_cli(
        "duty", "decide-swap", str(night), "--refuse", "--comment", "国庆人手紧", "--as", "sun.li",
        env=before,
    )  # fmt: skip
    assert result.returncode == 0 and "now refused" in result.stdout, result.stderr
    with db.session_scope() as s:
        swap = s.scalars(select(DutySwap)).one()
        assert (swap.status.value, swap.decided_by, swap.comment) == (
            "refused",
            "sun.li",
            "国庆人手紧",
        )

    at_night = {"OFFICEFLOW_NOW": "2026-10-03T02:10:00+08:00"}
    result = run_cli(
        "duty", "log", "add", "--text", "区里报告供水管爆裂", "--open", "--as", "lu.feng",
        env=at_night,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "(open)" in result.stdout
    result = run_cli("duty", "log", "add", "--text", "x", "--as", "qian.ning", env=at_night)
    assert result.returncode == 77, result.stderr
    assert "may not write the duty log: only the officer and the leader on duty now" in (
        " ".join(result.stderr.split())
    )

    morning = {"OFFICEFLOW_NOW": "2026-10-03T08:40:00+08:00"}
    # The old spelling, without the shift: the one lu.feng signs for now.
    result = run_cli("duty", "handover", "--as", "lu.feng", env=morning)
    assert result.returncode == 0, result.stderr
    assert f"`duty handover` is now `duty hand-over {night}`" in result.stderr
    assert "lu.feng handed over to xu.lei with 1 open item(s)" in result.stdout
    assert "notices: 1 of 1 delivered" in result.stdout
    assert "区里报告供水管爆裂" in mail_office.to("xu.lei@example.gov.cn")[0].text()
    result = run_cli("duty", "hand-over", str(night), "--as", "he.fang", env=morning)
    assert result.returncode == 77, result.stderr
    assert "only its officer 陆峰 or the incoming officer may" in " ".join(result.stderr.split())
    result = run_cli("duty", "hand-over", str(night), "--as", "xu.lei", env=morning)
    assert result.returncode == 0, result.stderr
    assert f"duty shift {night}: 交接班 (hand over) done, now taken over" in result.stdout
    with db.session_scope() as s:
        row = s.scalars(select(DutyHandover)).one()
        assert row.outgoing_signed_at and row.incoming_signed_at
    assert _count(DutyLogEntry) == 1
