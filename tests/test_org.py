from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from models.org import ContactPoint, Department, Organisation, Person, PersonRole, Role
from officeflow import db
from officeflow.inputs import InputError
from officeflow.org import department_heads, load_org, parse_org_file, people_with_role
from tests.cli_helpers import run_cli
from tests.conftest import EXAMPLE_ORG, both_backends, org_data, write_yaml

backend = both_backends  # these tests run on SQLite and on PostgreSQL


def _org_rows() -> dict[str, list[str]]:
    """Every row of the org tables, for "nothing written" checks on a loaded ledger."""
    with db.session_scope() as s:
        return {
            t.__tablename__: sorted(repr(tuple(row)) for row in s.execute(select(t.__table__)))
            for t in (Organisation, Department, Person, PersonRole, ContactPoint)
        }


def test_example_org_is_realistic(org: Any) -> None:
    assert len(org.departments) >= 8
    assert len(org.people) >= 30
    with db.session_scope() as s:
        assert people_with_role(s, Role.DUTY_OFFICER)
        assert len(people_with_role(s, Role.LEADER)) >= 3
        assert department_heads(s, "finance") == ["lin.tao"]
        assert s.get(Department, "finance").leader_id == "wang.haitao"
        zhang = s.get(Person, "zhang.wei")
        assert {c.channel.value for c in zhang.contacts} >= {"email"}


def test_reload_updates_in_place_and_deactivates_the_missing(make_org: Any, tmp_path: Path) -> None:
    data = make_org(departments=2)
    data["people"][2]["name"] = "Renamed"
    data["people"][2]["email"] = "new@example.org"
    data["people"].pop()  # p1-1 leaves
    with db.session_scope() as s:
        result = load_org(s, parse_org_file(write_yaml(tmp_path / "again.yaml", data)))
    assert result.deactivated == 1
    with db.session_scope() as s:
        p = s.get(Person, "p0-0")
        assert p.name == "Renamed"
        assert [c.address for c in p.contacts if c.channel == "email"] == ["new@example.org"]
        assert s.get(Person, "p1-1").active is False
        assert s.scalar(select(func.count()).select_from(Person)) == 6


def _broken(tmp_path: Path, mutate: Any) -> Path:
    data = org_data()
    mutate(data)
    return write_yaml(tmp_path / "bad.yaml", data)


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda d: d["people"][2].update(department="nowhere"),
            r"line 2\d: people\[2\]\.department: unknown department 'nowhere'",
        ),
        (
            lambda d: d["people"][3].update(id="p0-0"),
            r"line \d+: people\[3\]\.id: duplicate person id 'p0-0'",
        ),
        (
            lambda d: d["people"][2].update(email="not-an-address"),
            r"line \d+: people\[2\]\.email: value is not a valid email address",
        ),
        (
            lambda d: d["people"][2].update(roles=["staff", "emperor"]),
            r"line \d+: people\[2\]\.roles\[1\]: Input should be 'staff', 'department_head'",
        ),
        (
            lambda d: d["departments"][1].update(leader="p0-1"),
            r"departments\[1\]\.leader: 'p0-1' does not have the role 'leader'",
        ),
        (lambda d: d["people"][0].update(nickname="x"), r"people\[0\]\.nickname: unknown field"),
    ],
)
def test_bad_org_file_names_field_and_line_and_writes_nothing(
    make_org: Any, tmp_path: Path, mutate: Any, expected: str
) -> None:
    # A loaded ledger (three departments; the bad file has two), so a partial load would show:
    # changed people, new or moved contact points, deactivated people.
    make_org(departments=3)
    before = _org_rows()
    assert len(before["people"]) == 8
    path = _broken(tmp_path, mutate)
    with pytest.raises(InputError, match=expected), db.session_scope() as s:
        load_org(s, parse_org_file(path))
    assert _org_rows() == before


def test_line_number_points_at_the_offending_line(ledger: Any, tmp_path: Path) -> None:
    path = _broken(tmp_path, lambda d: d["people"][2].update(department="nowhere"))
    lines = path.read_text().splitlines()
    with pytest.raises(InputError) as info:
        parse_org_file(path)
    line = info.value.problems[0].line
    assert line is not None
    assert "nowhere" in lines[line - 1]


def test_cli_load_and_show(ledger: Any) -> None:
    loaded = run_cli("org", "load", str(EXAMPLE_ORG))
    assert loaded.returncode == 0, loaded.stderr
    assert "9 departments, 30 people" in loaded.stdout
    shown = run_cli("org", "show")
    assert shown.returncode == 0
    assert "李建国" in shown.stdout and "财政局" in shown.stdout and "duty_officer" in shown.stdout


def test_cli_rejects_bad_file_cleanly(make_org: Any, tmp_path: Path) -> None:
    make_org(departments=3)  # loaded: the refused file must change none of it
    before = _org_rows()
    path = _broken(tmp_path, lambda d: d["people"][2].update(email="nope@"))
    result = run_cli("org", "load", str(path))
    assert result.returncode == 2
    assert "people[2].email" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert _org_rows() == before
    missing = run_cli("org", "load", str(tmp_path / "absent.yaml"))
    assert missing.returncode == 2 and "cannot read file" in missing.stderr


def test_malformed_yaml_reports_its_line(ledger: Any, tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("organisation: x\ndepartments:\n  - id: a\n   name: b\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"line \d+: \(top level\): not valid YAML"):
        parse_org_file(path)
