"""The office year's further processes (information items, documents): their oracle halves
stay independent of the product, and their scripts are what their docstrings promise. Fast: no
ledger, no servers (the year itself is played by tests/test_office_year.py)."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_oracle_with_every_process_imports_nothing_of_officeflow_or_prefect() -> None:
    code = (
        "import sys\n"
        "from benchmarks.office_plan import generate, processes\n"
        "from benchmarks.office_oracle import expected_notices\n"
        "expected, _ = expected_notices(generate(0.004, 7))\n"
        "assert expected\n"
        "names = [m.__name__ for m in processes()]\n"
        "assert 'benchmarks._year_information' in names, names\n"
        "assert 'benchmarks._year_documents' in names, names\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('officeflow', 'prefect'))\n"
        "assert not bad, bad\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]


def test_the_scripts_volumes_scale_and_their_routes_are_all_there() -> None:
    sys.path.insert(0, str(ROOT))
    from benchmarks.office_plan import generate

    year = generate(0.02, 2026)
    assert len(year.extras["information"]) == 200  # 10,000 at scale 1
    assert len(year.extras["documents"]) == 80  # 4,000: 2,400 incoming, 1,600 outgoing
    assert Counter(d.direction for d in year.extras["documents"]) == {
        "incoming": 48,
        "outgoing": 32,
    }
    kinds = Counter(s.kind for s in year.timeline)
    for kind in (
        "info_submit",
        "info_edit",
        "info_adopt",
        "info_reject",
        "info_special",
        "info_comment",
        "info_request",
        "info_digest",
        "info_scores",
        "doc_receive",
        "doc_propose",
        "doc_comment",
        "doc_distribute",
        "doc_file",
        "doc_draft",
        "doc_review",
        "doc_redraft",
        "doc_cosign",
        "doc_signoff",
        "doc_issue",
        "doc_confirm",
        "doc_sweep",
    ):
        assert kinds[kind] > 0, kind
    assert kinds["info_digest"] == kinds["doc_sweep"] == kinds["sweep"]  # every working day
    assert kinds["info_scores"] == 12
    # Leaders' comments that become supervised decisions are in the script.
    assert any(s.kind == "doc_comment" and s.args["tasks"] for s in year.timeline)
    assert any(s.kind == "info_comment" and s.args["tasks"] for s in year.timeline)
    # The same seed makes the same year.
    again = generate(0.02, 2026)
    assert [(s.at, s.kind, s.ref) for s in again.timeline] == [
        (s.at, s.kind, s.ref) for s in year.timeline
    ]
