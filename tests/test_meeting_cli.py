"""`officeflow meeting` as a user runs it: a real subprocess talking to the test Prefect API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select

from models.meeting import Meeting, MeetingTopic
from officeflow import db
from officeflow.cli import NOT_ALLOWED_EXIT
from officeflow.mailcatcher import MailCatcher
from tests.cli_helpers import run_cli
from tests.meeting_helpers import EXAMPLE_MEETING, EXAMPLE_MINUTES


def count(model: Any) -> int:
    with db.session_scope() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def clean_error(result: Any, text: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    assert text in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.slow
def test_meeting_cli_from_create_to_minutes(
    prefect_api: None, org: Any, mail_office: MailCatcher, tmp_path: Path
) -> None:
    from prefect.settings import PREFECT_API_URL

    env = {"PREFECT_API_URL": str(PREFECT_API_URL.value())}

    def cli(*args: str, now: str) -> Any:
        return run_cli("meeting", *args, env={**env, "OFFICEFLOW_NOW": now})

    # A start in the past: refused with the field named, nothing written.
    past = yaml.safe_load(EXAMPLE_MEETING.read_text(encoding="utf-8"))
    past["start"] = "2026-09-01T09:30:00+08:00"
    bad = tmp_path / "past.yaml"
    bad.write_text(yaml.safe_dump(past, allow_unicode=True), encoding="utf-8")
    clean_error(cli("create", str(bad), now="2026-09-28T10:00:00+08:00"), "start: the start")
    assert count(Meeting) == 0

    created = cli("create", str(EXAMPLE_MEETING), now="2026-09-28T10:00:00+08:00")
    assert created.returncode == 0, created.stderr
    assert "meeting 1 registered" in created.stdout
    assert "reminder:1h" in created.stdout and "2026-10-09 08:30" in created.stdout
    assert len(mail_office.messages) == 4

    late = ("submit-topic", "1", "--department", "health", "--title", "疫苗", "--presenter",
            "yang.fan")  # fmt: skip
    on = "2026-09-30T09:00:00+08:00"
    clean_error(cli(*late, "--as", "yang.fan", now=on), "topic deadline passed")
    assert count(MeetingTopic) == 0
    # Only the general office accepts a late topic: anyone else is refused (exit 77).
    not_office = cli(*late, "--accept-late", "--as", "yang.fan", now=on)
    assert not_office.returncode == NOT_ALLOWED_EXIT, not_office.stdout + not_office.stderr
    assert "a late topic only the general office accepts" in " ".join(not_office.stderr.split())
    assert count(MeetingTopic) == 0
    accepted = cli(*late, "--accept-late", "--as", "sun.li", now=on)
    assert accepted.returncode == 0, accepted.stderr

    approved = cli("approve-agenda", "1", "--as", "zhou.guoqiang", now="2026-09-30T10:00:00+08:00")
    assert approved.returncode == 0, approved.stderr
    assert "approve the agenda" in approved.stdout
    assert len([m for m in mail_office.messages if "会议通知" in m.subject]) == 8

    shown = run_cli("meeting", "show", "1")
    assert "approved" in shown.stdout and "疫苗 (late, accepted)" in shown.stdout

    # The minutes, as options (each action item a JSON object); the recorder is --as.
    data = yaml.safe_load(EXAMPLE_MINUTES.read_text(encoding="utf-8"))
    options = [arg for d in data["decisions"] for arg in ("--decisions", d)]
    for item in data["action_items"]:
        options += ["--action-items", json.dumps(item, ensure_ascii=False, default=str)]
    after = "2026-10-09T12:00:00+08:00"
    minutes = cli("record-minutes", "1", *options, "--as", data["recorded_by"], now=after)
    assert minutes.returncode == 0, minutes.stderr
    # The leader can trace each assignment back to the meeting and the minutes item.
    decision = run_cli("decision", "show", "1")
    assert decision.returncode == 0, decision.stderr
    assert "meeting_minutes, meeting:1" in decision.stdout
    assert "meeting:1:item:1" in decision.stdout and "meeting:1:item:2" in decision.stdout
    # The old spelling, from the minutes file, says the new one; the same minutes again are
    # the same decision, nothing new.
    again = cli("minutes", "1", str(EXAMPLE_MINUTES), now=after)
    assert again.returncode == 0, again.stderr
    assert "is now `meeting record-minutes`" in again.stderr
    assert "decision 1, assignments 1, 2" in again.stdout

    cancelled = cli("cancel", "1", "--as", "sun.li", now="2026-10-09T12:30:00+08:00")
    clean_error(cancelled, "has been held and minuted")
