"""Issue 16, defect 7 ("smaller defects"): each test is named after the defect it reproduces and
runs the real part (the CLI in a subprocess, an SMTP server, the ledger)."""

from __future__ import annotations

import email.utils
import smtplib
import stat
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from models.ledger import Delivery, DeliveryStatus
from models.org import Channel
from officeflow import channels, db
from officeflow.mailcatcher import MailCatcher, read_outbox
from tests.cli_helpers import run_cli


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
