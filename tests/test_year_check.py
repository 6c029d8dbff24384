"""The office year's checker (benchmarks/_year_check.py) finds and names what is missing, extra
and duplicated: mail and webhook posts travel to the benchmark's lean servers for real, and the
oracle runs in its own process as in the benchmark."""

from __future__ import annotations

import json
import smtplib
import urllib.request
from email.message import EmailMessage

import numpy as np
import pytest

from benchmarks import _support, _year_check


def _mail(servers: _support.Servers, to: str, notice: str, items: str = "") -> None:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "office@example.org", to, "notice"
    msg["X-Officeflow-Notice"] = notice
    if items:
        msg["X-Officeflow-Items"] = items
    msg.set_content("body")
    with smtplib.SMTP(servers.smtp_host, servers.smtp_port, timeout=10) as smtp:
        smtp.send_message(msg)


def _post(servers: _support.Servers, notice: str, recipient: str) -> None:
    url = servers.webhook_url.replace("json://", "http://")
    body = json.dumps({"notice": notice, "recipient": recipient}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def test_the_check_finds_and_names_missing_extra_and_duplicated_notices() -> None:
    expected = {
        ("assignment:1:issued", "p1", "email"),
        ("assignment:2:reminder", "p2", "email"),
        ("assignment:3:reminder", "p2", "email"),
        ("incident:1:alert", "p4", "webhook"),
        ("assignment:5:issued", "p5", "email"),  # never sent
    }
    servers = _support.Servers(lean=True)
    try:
        _mail(servers, "p1@example.org", "assignment:1:issued")
        _mail(servers, "p1@example.org", "assignment:1:issued")  # a duplicate
        # A digest: one message naming two notices.
        _mail(servers, "p2@example.org", "digest:p2", "assignment:2:reminder assignment:3:reminder")
        _mail(servers, "p3@example.org", "assignment:9:issued")  # not expected
        _post(servers, "incident:1:alert", "p4")
        arrived = servers.stop()
        assert (arrived.messages, arrived.digest_messages, arrived.digest_items) == (5, 1, 2)
        assert len(arrived.prints) == 6  # one per notice a message carried

        # The ledger lost the alert's row and holds one the oracle does not expect.
        ledger = (expected - {("incident:1:alert", "p4", "webhook")}) | {
            ("assignment:7:closed", "p7", "email")
        }
        diff = _year_check.compare(
            np.unique(_year_check.fingerprints(expected)),
            arrived.prints,
            _year_check.fingerprints(ledger),
        )
        assert _year_check.named(expected, diff.missing) == [("assignment:5:issued", "p5", "email")]
        assert servers.name(diff.extra) == [("assignment:9:issued", "p3", "email")]
        assert diff.duplicates == 1
        assert servers.name(diff.duplicated) == [("assignment:1:issued", "p1", "email")]
        assert _year_check.named(expected, diff.ledger_missing) == [
            ("incident:1:alert", "p4", "webhook")
        ]
        assert _year_check.named(ledger, diff.ledger_extra) == [
            ("assignment:7:closed", "p7", "email")
        ]
    finally:
        servers.close()
    assert not servers._proc.is_alive()

    # Nothing differs: every array is empty.
    same = _year_check.fingerprints(sorted(expected))
    diff = _year_check.compare(np.unique(same), same, same)
    assert diff.duplicates == 0
    assert not any(
        len(a)
        for a in (diff.missing, diff.extra, diff.duplicated, diff.ledger_missing, diff.ledger_extra)
    )


def test_the_oracle_process_computes_the_oracle_of_the_same_year() -> None:
    import datetime as dt

    from benchmarks.office_oracle import expected_notices
    from benchmarks.office_plan import TZ, generate

    end = dt.datetime(2026, 2, 28, 23, 59, 59, tzinfo=TZ)
    year = generate(0.004, 7, None).until(end)
    here, oracle_here = expected_notices(year)
    last = year.timeline[-1].at.isoformat()
    oracle = _year_check.OracleProcess(
        _year_check.YearId(0.004, 7, None, end, len(year.timeline), last)
    )
    try:
        expected = oracle.result(timeout=600)
        assert len(expected.prints) == len(here) > 50
        assert expected.keys == len(oracle_here.notices)
        assert np.array_equal(expected.prints, np.unique(_year_check.fingerprints(here)))
        some = sorted(here)[:3]
        assert oracle.name(_year_check.fingerprints(some)) == some
    finally:
        oracle.stop()

    # A script that is not the one the office plays: a clear error, not a wrong comparison.
    wrong = _year_check.OracleProcess(
        _year_check.YearId(0.004, 8, None, end, len(year.timeline), last)
    )
    try:
        with pytest.raises(RuntimeError, match="the oracle generated another year"):
            wrong.result(timeout=600)
    finally:
        wrong.stop()
