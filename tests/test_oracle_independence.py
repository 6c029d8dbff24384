"""The office year's oracle shares nothing with the product (issue 30, finding 12).

The oracle (benchmarks/office_oracle.py and the `_year_*_oracle.py` halves) computes lights,
grades, ladders, reporting and document deadlines and meeting steps with its own code and its
own copy of the State Council's holiday table, so that a wrong rule in `rules/` shows up as a
difference in the office year (tests/test_office_year.py) instead of being wrong on both sides.
Fast: no ledger, no servers."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The product's packages, and the library its calendar is read from.
PRODUCT = ("rules", "officeflow", "models", "flows", "tasks", "holidays", "prefect")
ORACLE_FILES = sorted((ROOT / "benchmarks").glob("*oracle*.py"))
ORACLE_MODULES = [f"benchmarks.{p.stem}" for p in ORACLE_FILES]


def _run(code: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]


def test_no_oracle_file_imports_the_product() -> None:
    assert len(ORACLE_FILES) >= 5, ORACLE_FILES
    pattern = re.compile(r"^\s*(from|import)\s+(rules|officeflow|models)\b", re.M)
    for path in ORACLE_FILES:
        assert not pattern.search(path.read_text(encoding="utf-8")), path.name


def test_importing_the_oracle_pulls_in_nothing_of_the_product() -> None:
    """In a fresh interpreter: the oracle modules, and what they import, load no module of
    rules/, officeflow/, models/ (nor the ``holidays`` package the product's calendar reads)."""
    _run(
        "import importlib, sys\n"
        f"for name in {ORACLE_MODULES!r}:\n"
        "    importlib.import_module(name)\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {PRODUCT!r})\n"
        "assert not bad, bad\n"
    )


def test_the_oracle_runs_a_year_with_the_product_unimportable() -> None:
    """The script is generated as the benchmark does (with the product's calendar); then every
    product module is dropped and made unimportable, and the oracle, imported afresh, computes
    the year's notices: nothing it does, even lazily, reaches the product."""
    _run(
        "import sys\n"
        "from benchmarks.office_plan import generate\n"
        "year = generate(0.02, 2026)\n"
        f"PRODUCT = {PRODUCT!r}\n"
        "for name in list(sys.modules):\n"
        "    if name.split('.')[0] in PRODUCT or name.startswith('benchmarks.'):\n"
        "        del sys.modules[name]\n"
        "class Refuse:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in PRODUCT:\n"
        "            raise ImportError(f'the oracle imported {name}')\n"
        "        return None\n"
        "sys.meta_path.insert(0, Refuse())\n"
        "from benchmarks.office_oracle import expected_notices\n"
        "expected, oracle = expected_notices(year)\n"
        "keys = {k.split(':')[0] for k, _, _ in expected}\n"
        "assert {'assignment', 'incident', 'meeting', 'info', 'document'} <= keys, keys\n"
        "assert any(':red:' in k for k, _, _ in expected)\n"
        "assert any(':rung:' in k for k, _, _ in expected)\n"
    )


def test_the_oracles_holiday_table_is_the_state_councils_and_the_products() -> None:
    """The oracle's 2026 is typed from 国务院办公厅关于2026年部分节假日安排的通知; the product
    reads its calendar from the ``holidays`` package. They agree on every day the year's
    deadlines can reach (2025 to 2027; 2027 has no notice yet: the law's statutory days and
    days in lieu on both sides)."""
    sys.path.insert(0, str(ROOT))
    from benchmarks._year_calendar_oracle import OracleCalendar
    from rules.calendar import WorkCalendar

    oracle, product = OracleCalendar(), WorkCalendar()
    days = [dt.date(2025, 1, 1) + dt.timedelta(days=i) for i in range(3 * 365)]
    differ = [d for d in days if oracle.is_workday(d) != product.is_workday(d)]
    assert differ == []
    # The notice: 248 working days; the make-up days are worked, the holidays are off.
    in_2026 = [d for d in days if d.year == 2026]
    assert sum(oracle.is_workday(d) for d in in_2026) == 248
    for worked in ("01-04", "02-14", "02-28", "05-09", "09-20", "10-10"):
        assert oracle.is_workday(dt.date.fromisoformat(f"2026-{worked}")), worked
    for off in ("01-02", "02-16", "02-20", "02-23", "04-06", "05-05", "06-19", "09-25", "10-07"):
        assert not oracle.is_workday(dt.date.fromisoformat(f"2026-{off}")), off
    # Its arithmetic is the working-day arithmetic the product's deadlines use.
    for day in days[200:900:7]:
        for n in (0, 1, 3, 5, 20, 60):
            assert oracle.add_workdays(day, n) == product.add_workdays(day, n), (day, n)
            assert oracle.subtract_workdays(day, n) == product.subtract_workdays(day, n)
        other = day + dt.timedelta(days=45)
        assert oracle.workdays_between(day, other) == product.workdays_between(day, other)
        assert oracle.workdays_between(other, day) == product.workdays_between(other, day)
