"""Issue 16, defects 1, 2, 6 and part of 7: stored and typed text is data. The CLI prints it
as plain text without terminal controls, the Markdown artifacts escape it, NUL characters and
over-long actor ids are refused at input alike on SQLite and PostgreSQL, and error messages
neither echo a huge value in full nor the content of a file given by mistake."""

from __future__ import annotations

import re
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select

from models.ledger import Event
from models.meeting import Meeting
from models.supervision_input import DecisionSpec
from officeflow import actions, clock, db, supervision
from officeflow import meeting as meetings
from officeflow.inputs import InputError, validate_model
from officeflow.mailcatcher import MailCatcher
from tests.cli_helpers import run_cli
from tests.conftest import both_backends
from tests.meeting_helpers import example_meeting

ROOT = Path(__file__).resolve().parent.parent
T0 = "2026-09-21T10:00:00+08:00"
LINK = "[link=https://evil.example]sun.li[/link]"


def decision_data(**assignment: Any) -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "examples/decision.yaml").read_text(encoding="utf-8"))
    data["assignments"][0].update(assignment)
    return data


def record(data: dict[str, Any]) -> int:
    spec = validate_model(DecisionSpec, data)
    with db.session_scope() as s:
        supervision.check_decision(s, spec)
        return supervision.record_decision(s, spec, actor="chen.zhiqiang").decision_id


def test_defect1_rich_markup_in_stored_text_is_printed_literally(
    org: Any, mail_office: MailCatcher, prefect_env: dict[str, str], tmp_path: Path
) -> None:
    data = decision_data(task="检查 [/] 和 [bold]粗体")
    data["title"] = "清屏\x1b[2J改标题\x1b]0;pwned\x07批示"
    path = tmp_path / "decision.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    env = {**prefect_env, "OFFICEFLOW_NOW": T0}
    created = run_cli("decision", "create", str(path), env=env)
    assert created.returncode == 0, created.stderr
    for args in (("decision", "list"), ("decision", "show", "1"), ("assignment", "show", "1")):
        shown = run_cli(*args)
        assert shown.returncode == 0, (args, shown.stderr)
        assert "MarkupError" not in shown.stderr
    for out in (created.stdout, shown.stdout):
        assert "检查 [/] 和 [bold]粗体" in out
        assert "\x1b" not in out and "\x07" not in out
        assert "清屏[2J改标题]0;pwned批示" in out  # the escapes lose their ESC and BEL
    listed = run_cli("decision", "list")
    assert "\x1b" not in listed.stdout and "清屏[2J改标题" in listed.stdout


def test_defect1_outbox_subject_with_markup(ledger: Any, tmp_path: Path) -> None:
    folder = tmp_path / "outbox"
    folder.mkdir()
    msg = EmailMessage()
    msg["Subject"] = "督办 [/bold] 提醒 [red]x"
    msg["From"], msg["To"] = "office@example.org", "a@example.org"
    msg["Date"] = "Mon, 21 Sep 2026 10:00:00 +0800"
    msg.set_content("正文 [/] \x1b[2J")
    (folder / "0001-00001.eml").write_bytes(bytes(msg))
    listed = run_cli("outbox", "--folder", str(folder))
    assert listed.returncode == 0, listed.stderr
    assert "督办 [/bold] 提醒 [red]x" in listed.stdout
    one = run_cli("outbox", "1", "--folder", str(folder))
    assert one.returncode == 0, one.stderr
    assert "督办 [/bold] 提醒 [red]x" in one.stdout and "正文 [/] [2J" in one.stdout
    assert "\x1b" not in one.stdout


def test_defect1_actor_with_link_markup_is_echoed_literally(org: Any) -> None:
    clock.set_now(T0)
    record(decision_data())
    result = run_cli("assignment", "report-progress", "1", "--progress", "10", "--as", LINK)
    assert result.returncode == 77  # refused: no such person (officeflow.policy)
    assert LINK in result.stderr  # shown as typed, not turned into a link labelled "sun.li"
    assert "\x1b]8;" not in result.stderr


def test_defect7_long_actor_echo_is_truncated(org: Any) -> None:
    clock.set_now(T0)
    record(decision_data())
    result = run_cli(
        "assignment", "report-progress", "1", "--progress", "10", "--as", "x" * 100_000
    )
    assert result.returncode == 2
    assert "--as" in result.stderr and len(result.stderr) < 1000
    # The door's message quoting a long value cuts it (the flows take plain actor strings).
    with pytest.raises(InputError) as info, db.session_scope() as s:
        actions.perform(
            s, "assignment.report-progress", 1, {"progress": 10}, "y" * 60 + "[z]" * 1000
        )
    # (Refused as an id no person can have, before any message could quote it.)
    assert len(str(info.value)) < 200 and "[z]" not in str(info.value)


def test_defect7_wrong_file_content_is_not_echoed(ledger: Any, tmp_path: Path) -> None:
    foreign = tmp_path / "shadow"
    foreign.write_text(
        "root:$6$SECRETHASH$abc:20263:0:99999:7:::\n"
        "daemon:*SECRETTWO:20263:0:99999:7:::\n"
        "title: ok\n",
        encoding="utf-8",
    )
    result = run_cli("decision", "create", str(foreign))
    assert result.returncode == 2
    assert "SECRET" not in result.stderr and "root:" not in result.stderr
    assert "line 1: (a key that is no field name): unknown field" in result.stderr


def test_defect2_markdown_in_artifacts_is_escaped(org: Any) -> None:
    clock.set_now(T0)
    data = decision_data(
        task="<script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>",
        acceptance_standard="**bold** | `code`",
    )
    data["title"] = "批示\r\n# 伪造的标题\n<b>"
    decision_id = record(data)
    with db.session_scope() as s:
        sheet = supervision.assignment_sheet(s, decision_id)
    lines = sheet.splitlines()
    assert lines[0] == "# 交办单 · 批示 \\# 伪造的标题 &lt;b&gt;"
    assert not any(line.startswith("# 伪造") for line in lines)
    for raw in ("<script>", "<img", "<b>", "**bold**", "`code`"):
        assert raw not in sheet
    assert not re.search(r"(?<!\\)\]\(", sheet)  # no link: every `]` is escaped
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in sheet
    assert "\\[x\\](javascript:alert(1))" in sheet
    row = next(line for line in lines if line.startswith("| 1 |"))
    assert row.count(" | ") == 7  # eight columns: the `|` in the standard is escaped


backend = both_backends  # the NUL and id-length tests run on SQLite and on PostgreSQL


def test_defect6_nul_and_long_actor_id_refused_alike_on_both_databases(
    org: Any, tmp_path: Path
) -> None:
    clock.set_now(T0)
    with pytest.raises(InputError, match=r"assignments\[0\]\.task: .*NUL"):
        validate_model(DecisionSpec, decision_data(task="a\x00b"))
    path = tmp_path / "nul.yaml"
    path.write_text(
        yaml.safe_dump({**decision_data(), "title": "a\x00b"}, allow_unicode=True),
        encoding="utf-8",
    )
    result = run_cli("decision", "create", str(path))
    assert result.returncode == 2 and "title: " in result.stderr and "NUL" in result.stderr
    assert "Traceback" not in result.stderr
    decision_id = record(decision_data())
    progress = "assignment.report-progress"
    with pytest.raises(InputError, match="note: .*NUL"), db.session_scope() as s:
        actions.perform(s, progress, 1, {"progress": 10, "note": "a\x00"}, "wu.qiang")
    with pytest.raises(InputError, match="note: .*NUL"), db.session_scope() as s:  # the last guard
        supervision.report_progress(s, assignment_id=1, progress=10, note="a\x00", actor="wu.qiang")
    with pytest.raises(InputError, match="actor: .*NUL"), db.session_scope() as s:
        actions.perform(s, progress, 1, {"progress": 10}, "r\x00")
    with db.session_scope() as s:
        meeting_id = meetings.create_meeting(s, example_meeting(), actor="system").meeting_id
    too_long = pytest.raises(InputError, match="actor: a person id has at most 64")
    with too_long, db.session_scope() as s:  # refused at the door, before the service
        actions.perform(s, "meeting.cancel", meeting_id, {"reason": ""}, "a" * 65)
    long_as = run_cli("meeting", "cancel", str(meeting_id), "--as", "a" * 65)
    assert long_as.returncode == 2 and "--as" in long_as.stderr
    assert "Traceback" not in long_as.stderr
    with db.session_scope() as s:
        assert s.get(Meeting, meeting_id).status.value == "scheduled"
        assert s.scalar(select(func.count()).select_from(Event).where(Event.actor == "a" * 65)) == 0
    assert decision_id == 1
