"""`officeflow info …` as an office uses it: submit the example through the flow, edit, adopt,
comment with an assignment, show and list."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from models.information import InfoItem, ItemStatus
from models.supervision import Assignment
from officeflow import clock, db
from tests.cli_helpers import run_cli
from tests.conftest import ROOT


def test_an_item_through_the_cli(prefect_env: dict[str, str], org: Any, office_env: Any) -> None:
    office_env.set(now="2026-11-20T10:00:00+08:00")
    clock.set_now("2026-11-20T10:00:00+08:00")
    example = ROOT / "examples" / "info_item.yaml"
    out = run_cli("info", "submit", str(example), "--as", "zheng.hui", env=prefect_env)
    assert out.returncode == 0, out.stderr
    assert "item submitted as 1" in out.stdout
    out = run_cli(
        "info",
        "edit",
        "1",
        "--title",
        "前十月财政收入稳步增长",
        "--note",
        "改标题",
        "--as",
        "liu.yang",
    )
    assert out.returncode == 0 and "information item 1: 修改 (edit) done" in out.stdout, out.stderr
    out = run_cli("info", "adopt", "1", "--as", "liu.yang")
    assert out.returncode == 0 and "now adopted" in out.stdout, out.stderr
    out = run_cli(
        "info",
        "comment",
        "1",
        "--text",
        "请财政局持续跟踪。",
        "--tasks",
        "finance:5:按月报送收入情况",
        "--as",
        "wang.haitao",
    )
    assert out.returncode == 0 and "批示 (comment) done" in out.stdout, out.stderr
    out = run_cli("info", "show", "1")
    assert out.returncode == 0, out.stderr
    assert "前十月财政收入稳步增长" in out.stdout and "revision 2 by liu.yang" in out.stdout
    assert "批示 wang.haitao: 请财政局持续跟踪。 → decision 1" in out.stdout
    out = run_cli("info", "list", "--status", "adopted")
    assert out.returncode == 0 and "每日要情 第1期" in out.stdout, out.stderr
    out = run_cli(
        "info", "comment", "1", "--text", "阅", "--tasks", "finance-5", "--as", "zhao.min"
    )
    assert out.returncode == 2 and "write DEPARTMENT:TASK" in out.stderr, out.stderr
    assert "tasks" in out.stderr.split("write")[0]  # the field is named
    # The office may not comment (批示 is a leader's): exit 77, nothing written.
    out = run_cli("info", "comment", "1", "--text", "阅", "--as", "liu.yang")
    assert out.returncode == 77 and "only the leaders may" in out.stderr, out.stderr
    with db.session_scope() as s:
        item = s.get(InfoItem, 1)
        assert (item.status, item.revision, item.submitted_by) == (
            ItemStatus.ADOPTED,
            2,
            "zheng.hui",
        )
        (assignment,) = s.scalars(select(Assignment))
        assert (assignment.lead_department_id, assignment.source_ref) == ("finance", "info:1")
