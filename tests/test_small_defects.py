"""Issue 16, defect 7 ("smaller defects"): each test is named after the defect it reproduces and
runs the real part (the CLI in a subprocess, an SMTP server, the ledger)."""

from __future__ import annotations

import datetime as dt
import email.utils
import smtplib
import stat
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from models.ledger import Delivery, DeliveryStatus
from models.org import Channel, Person
from models.supervision import Decision
from officeflow import channels, db
from officeflow.mailcatcher import MailCatcher, read_outbox
from tests.cli_helpers import run_cli
from tests.conftest import write_yaml


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --- SMTP ------------------------------------------------------------------------------------


def test_smtp_password_is_not_sent_without_tls_unless_the_operator_opts_in(
    make_org: Any, ledger: Any, office_env: Any
) -> None:
    make_org(departments=1)
    with MailCatcher(auth=("office", "pw-Pl4in-S3cret")) as smtp:
        office_env.set(
            smtp_host=smtp.host,
            smtp_port=smtp.port,
            smtp_user="office",
            smtp_password="pw-Pl4in-S3cret",
            delivery_attempts=1,
        )
        refused = run_cli("notify", "test", "p0-0")
        assert refused.returncode == 1, refused.stdout + refused.stderr
        assert "sent 0, failed 1" in refused.stdout
        assert "refusing to send the SMTP password without TLS" in refused.stdout
        assert "OFFICEFLOW_SMTP_STARTTLS" in refused.stdout
        assert "OFFICEFLOW_SMTP_ALLOW_PLAIN_AUTH" in refused.stdout
        assert smtp.auth_attempts == 0 and smtp.messages == []  # the password never left
        with db.session_scope() as s:
            row = s.scalars(select(Delivery)).one()
            assert row.status == DeliveryStatus.FAILED
            assert "OFFICEFLOW_SMTP_ALLOW_PLAIN_AUTH" in (row.last_error or "")

        # The invitation path (built with smtplib, not Apprise) refuses the same way.
        outcome = channels.send(
            office_env.set(), Channel.EMAIL, "a@example.org", "s", "b", invite="BEGIN:VCALENDAR"
        )
        assert not outcome.ok and "OFFICEFLOW_SMTP_ALLOW_PLAIN_AUTH" in (outcome.error or "")
        assert smtp.auth_attempts == 0

        office_env.set(smtp_allow_plain_auth="true")  # the operator opts in explicitly
        sent = run_cli("notify", "test", "p0-0")
        assert sent.returncode == 0, sent.stdout + sent.stderr
        assert smtp.auth_attempts == 1
        assert [m.rcpt_tos for m in smtp.messages] == [("p0-0@example.org",)]


@pytest.mark.parametrize("name", ["General Office", "市政府办公室 总值班室", "A+B & C Office"])
def test_email_display_name_arrives_as_written_not_url_encoded(
    mail_office: MailCatcher, office_env: Any, name: str
) -> None:
    settings = office_env.set(smtp_from_name=name)
    outcome = channels.send(settings, Channel.EMAIL, "p@example.org", "Subject", "Body")
    assert outcome.ok, outcome.error
    (caught,) = mail_office.messages
    display, address = email.utils.parseaddr(str(caught.message["From"]))
    assert (display, address) == (name, "office@example.org")


# --- the mail catcher -------------------------------------------------------------------------


def _raw(n: int, date: str | None) -> bytes:
    header = f"Date: {date}\r\n" if date is not None else ""
    return (
        f"From: office@example.org\r\nTo: p@example.org\r\n{header}Subject: message {n}\r\n"
        f"\r\nbody {n}\r\n"
    ).encode()


def test_mail_catcher_accepts_and_stores_a_message_with_a_bad_date_header(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    with MailCatcher(outbox=outbox) as catcher, smtplib.SMTP(catcher.host, catcher.port) as smtp:
        refused = smtp.sendmail("office@example.org", ["p@example.org"], _raw(1, "not a date"))
        assert refused == {}  # 250: accepted (it used to answer 500 and drop the message)
        smtp.sendmail(
            "office@example.org", ["p@example.org"], _raw(2, "Mon, 21 Sep 2026 10:00:00 +0800")
        )
    assert [m.subject for m in catcher.messages] == ["message 1", "message 2"]
    stored = read_outbox(outbox)
    assert sorted(p.name for p, _ in stored) == ["20260921T100000-00002.eml", "undated-00001.eml"]
    assert {str(m["Subject"]) for _, m in stored} == {"message 1", "message 2"}


def test_mail_catcher_keeps_only_a_bounded_number_of_messages_in_memory(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    with (
        MailCatcher(outbox=outbox, keep=3) as catcher,
        smtplib.SMTP(catcher.host, catcher.port) as smtp,
    ):
        for n in range(1, 8):
            smtp.sendmail("office@example.org", ["p@example.org"], _raw(n, None))
    assert catcher.received == 7
    assert [m.subject for m in catcher.messages] == ["message 5", "message 6", "message 7"]
    # The outbox folder stays the whole record.
    assert sorted(str(m["Subject"]) for _, m in read_outbox(outbox)) == [
        f"message {n}" for n in range(1, 8)
    ]
    assert MailCatcher().keep == 10_000  # bounded by default (the embedded stack's catcher)


# --- owner-only files ------------------------------------------------------------------------


def test_ledger_is_created_owner_only_not_world_readable(tmp_path: Path) -> None:
    import os

    home = tmp_path / "new-office"
    old = os.umask(0o022)  # a usual login umask: files 0644, folders 0755 unless asked
    try:
        result = run_cli("db", "upgrade", env={"OFFICEFLOW_HOME": str(home)})
    finally:
        os.umask(old)
    assert result.returncode == 0, result.stdout + result.stderr
    assert _mode(home) == 0o700
    files = sorted(home.glob("ledger.db*"))
    assert home / "ledger.db" in files
    assert {p.name: _mode(p) for p in files} == {p.name: 0o600 for p in files}


def test_outbox_and_embedded_prefect_home_are_created_owner_only(tmp_path: Path) -> None:
    import os
    import sys

    from officeflow.stack import LocalStack

    old = os.umask(0o022)
    try:
        stack = LocalStack(home=tmp_path / "office", say=lambda _: None)
        stack.make_dirs()
        # What the Prefect server (a child of the stack) creates under PREFECT_HOME.
        probe = stack._spawn(
            "probe",
            [
                sys.executable,
                "-c",
                "import sys; open(sys.argv[1], 'w').write('x')",
                str(stack.prefect_home / "prefect.db"),
            ],
            dict(os.environ),
        )
        assert probe.wait(30) == 0
        with (
            MailCatcher(outbox=stack.outbox) as catcher,
            smtplib.SMTP(catcher.host, catcher.port) as smtp,
        ):
            smtp.sendmail("office@example.org", ["p@example.org"], _raw(1, None))
    finally:
        os.umask(old)
    for folder in (stack.home, stack.logs, stack.outbox, stack.prefect_home):
        assert _mode(folder) == 0o700, folder
    (message,) = stack.outbox.glob("*.eml")
    assert _mode(message) == 0o600
    assert _mode(stack.prefect_home / "prefect.db") == 0o600
    assert _mode(stack.logs / "probe.log") == 0o600


# --- input files -----------------------------------------------------------------------------


def test_input_file_over_the_size_limit_is_refused_before_parsing(
    org: Any, tmp_path: Path, office_env: Any
) -> None:
    example = (Path(__file__).resolve().parent.parent / "examples" / "decision.yaml").read_text(
        encoding="utf-8"
    )
    big = tmp_path / "decision.yaml"
    # A valid decision, padded with a comment past 1 MiB: today it is parsed (and recorded).
    big.write_text(example + "#" + "x" * (1024 * 1024) + "\n", encoding="utf-8")
    result = run_cli("decision", "create", str(big))
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"{big}: (top level): file too large: over 1 MiB" in result.stderr
    assert "OFFICEFLOW_INPUT_MAX_BYTES" in result.stderr
    assert "Traceback" not in result.stderr
    with db.session_scope() as s:
        assert s.scalar(select(func.count()).select_from(Decision)) == 0  # nothing written

    # The limit is a setting; an endless device is refused too, without reading it all.
    office_env.set(input_max_bytes=4096)
    small = run_cli("org", "load", "/dev/zero")
    assert small.returncode == 2, small.stdout + small.stderr
    assert "/dev/zero: (top level): file too large: over 4 KiB" in small.stderr


# --- the emergency reporting clock -----------------------------------------------------------


def test_follow_up_every_below_five_minutes_is_a_config_error(
    prefect_env: dict[str, str], ledger: Any, mail_office: MailCatcher, tmp_path: Path
) -> None:
    import re

    from officeflow.emergency.recording import clock_from
    from tests.emergency_support import T0, incident_data, ledger_counts, load_emergency_org

    load_emergency_org(tmp_path)

    shipped = (
        Path(__file__).resolve().parent.parent / "officeflow" / "config" / "response_plan.yaml"
    )
    plan = tmp_path / "response_plan.yaml"
    # Every 1 s: the sweep scheduled 3,600 follow-up reports an hour per open incident.
    plan.write_text(
        re.sub(r"follow_up_every: \w+", "follow_up_every: 1s", shipped.read_text("utf-8")),
        encoding="utf-8",
    )
    report = write_yaml(tmp_path / "incident.yaml", incident_data())
    env = {**prefect_env, "OFFICEFLOW_NOW": T0, "OFFICEFLOW_RESPONSE_PLAN": str(plan)}
    result = run_cli("incident", "report", str(report), env=env)
    assert result.returncode == 2, result.stdout + result.stderr
    assert (
        "grades.I.reporting.follow_up_every: Value error, follow_up_every must be at least "
        "5 minutes (e.g. 30m, 4h), not 1 s" in result.stderr
    )
    assert str(plan) in result.stderr and "Traceback" not in result.stderr
    assert ledger_counts() == (0, 0) and mail_office.messages == []

    # An incident recorded under an older plan keeps sweeping, at the minimum interval.
    assert clock_from({"follow_up_every": 1}).follow_up_every == dt.timedelta(minutes=5)


# --- deliveries retry ------------------------------------------------------------------------


def test_deliveries_retry_has_a_cap_and_says_how_many_remain(
    make_org: Any, ledger: Any, office_env: Any
) -> None:
    from officeflow.delivery import plan_notice, send_pending

    data = make_org(departments=2)
    people = [p["id"] for p in data["people"]]  # 6, each with an email address
    catcher = MailCatcher()  # not started: the SMTP server is down
    office_env.set(smtp_host=catcher.host, smtp_port=catcher.port, delivery_attempts=1)
    with db.session_scope() as s:
        plan_notice(
            s,
            key="outage:1",
            template="notice",
            object_type="demo",
            object_id=1,
            recipients=people,
            context={"title": "Outage", "message": "Back soon."},
        )
    assert send_pending(["outage:1"]).failed == 6

    with catcher:
        first = run_cli("deliveries", "retry", "--limit", "4")
        assert first.returncode == 0, first.stdout + first.stderr
        assert "sent 4, failed 0" in first.stdout
        assert "2 more to retry (over --limit 4); run the command again" in first.stdout
        assert len(catcher.messages) == 4
        second = run_cli("deliveries", "retry", "--limit", "4")
        assert second.returncode == 0, second.stdout + second.stderr
        assert "sent 2, failed 0" in second.stdout and "more to retry" not in second.stdout
    assert sorted(m.rcpt_tos[0] for m in catcher.messages) == sorted(
        f"{p}@example.org" for p in people
    )
    with db.session_scope() as s:
        statuses = {(r.status, r.attempts) for r in s.scalars(select(Delivery))}
    assert statuses == {(DeliveryStatus.SENT, 2)}


# --- org load --------------------------------------------------------------------------------


def test_org_load_lists_who_is_deactivated_and_asks_before_deactivating_more_than_three(
    make_org: Any, ledger: Any, tmp_path: Path
) -> None:
    from tests.conftest import org_data

    make_org(departments=2)  # boss, duty and p0-0, p0-1, p1-0, p1-1

    def active() -> set[str]:
        with db.session_scope() as s:
            return set(s.scalars(select(Person.id).where(Person.active.is_(True))))

    everyone = active()
    # A file that lost both departments would deactivate 4 people: refused, listed, no write.
    shrunk = write_yaml(tmp_path / "shrunk.yaml", org_data(departments=0))
    refused = run_cli("org", "load", str(shrunk))
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert f"4 people are not in {shrunk} and would be deactivated:" in refused.stderr
    for line in (
        "p0-0 (Person 0-0)",
        "p0-1 (Person 0-1)",
        "p1-0 (Person 1-0)",
        "p1-1 (Person 1-1)",
    ):
        assert line in refused.stderr
    assert "nothing loaded: check the file, or pass --yes to deactivate them" in refused.stderr
    assert active() == everyone

    # Up to three are deactivated without asking, and named.
    one_dept = write_yaml(tmp_path / "one.yaml", org_data(departments=1))
    loaded = run_cli("org", "load", str(one_dept))
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    assert "2 deactivated:" in loaded.stdout
    assert "p1-0 (Person 1-0)" in loaded.stdout and "p1-1 (Person 1-1)" in loaded.stdout
    assert active() == everyone - {"p1-0", "p1-1"}

    # --yes confirms a larger change.
    again = write_yaml(tmp_path / "again.yaml", org_data(departments=2))
    assert run_cli("org", "load", str(again)).returncode == 0
    confirmed = run_cli("org", "load", str(shrunk), "--yes")
    assert confirmed.returncode == 0, confirmed.stdout + confirmed.stderr
    assert "4 deactivated:" in confirmed.stdout and "p0-0 (Person 0-0)" in confirmed.stdout
    assert active() == {"boss", "duty"}
