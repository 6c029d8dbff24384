"""Credentials configured for every channel never reach logs, output or the ledger."""

import logging
from collections import Counter
from typing import Any

from sqlalchemy import MetaData, select

from models.ledger import Delivery, DeliveryStatus
from officeflow import db
from officeflow.delivery import plan_notice, retry_failed, send_pending
from officeflow.mailcatcher import MailCatcher
from tests.chat_hosts import service_of, subprocess_env
from tests.cli_helpers import run_cli

SECRETS = {
    "smtp_password": "pw-Tr0ub4dor&3",
    "dingtalk_token": "dtk0123456789abcdefSECRET",
    "dingtalk_secret": "SECdingSigningKey42",
    "wecom_key": "wecom-key-7f3a9c-SECRET",
    "feishu_token": "feishu-hook-5d1e-SECRET",
    "slack_webhook": "T0SECRET1/B0SECRET2/abcdSECRETslacktoken",
}


def ledger_dump() -> str:
    engine = db.get_engine()
    meta = MetaData()
    meta.reflect(engine)
    out = []
    with engine.connect() as conn:
        for table in meta.sorted_tables:
            out.extend(repr(tuple(row)) for row in conn.execute(select(table)))
    return "\n".join(out)


CHAT = ("dingtalk", "wecom", "feishu", "slack")


def test_secrets_stay_out_of_logs_output_and_ledger(
    make_org: Any,
    ledger: Any,
    office_env: Any,
    webhook_server: Any,
    chat_hosts: Any,
    caplog: Any,
    capfd: Any,
) -> None:
    caplog.set_level(logging.DEBUG)
    data = make_org(departments=2)
    # The chat bots' hosts (a local server) answer 500: every chat delivery fails, and its
    # error (which Apprise builds from the request) is stored, so it must come out masked.
    chat_hosts.statuses = [500] * 1000
    with MailCatcher(auth=("office", SECRETS["smtp_password"])) as smtp:
        office_env.set(
            smtp_host=smtp.host,
            smtp_port=smtp.port,
            smtp_user="office",
            smtp_allow_plain_auth=True,  # the catcher is on loopback, without TLS
            delivery_attempts=1,
            webhook_url=f"{webhook_server.url}?token=hookSECRETvalue99",
            **SECRETS,
        )
        people = [p["id"] for p in data["people"]]
        with db.session_scope() as s:
            # Give everyone chat ids so every transport is exercised.
            from models.org import Channel, ContactPoint

            for pid in people:
                for ch in (Channel.DINGTALK, Channel.WECOM, Channel.FEISHU, Channel.SLACK):
                    s.merge(ContactPoint(person_id=pid, channel=ch, address=f"{pid}-{ch.value}"))
            plan_notice(
                s,
                key="secret-check",
                template="notice",
                object_type="demo",
                object_id=1,
                recipients=people,
                context={"title": "t", "message": "m"},
            )
        report = send_pending(["secret-check"])
        retry_failed()
        cli = run_cli("notify", "test", "p0-0", env=subprocess_env(chat_hosts.base))
        assert len(smtp.messages) == len(people) + 1  # authenticated SMTP really worked
    with_webhook = [p for p in data["people"] if p.get("chat", {}).get("webhook")]
    assert len(webhook_server.posts) == len(with_webhook) + 1
    assert report.failed == 4 * len(people)

    # The deliveries actually made: one row per person and channel, email and webhook sent
    # once; each chat row failed on its one try and on the retry, its error masked.
    with db.session_scope() as s:
        rows = s.scalars(select(Delivery).where(Delivery.notice_key == "secret-check")).all()
        test_rows = s.scalars(select(Delivery).where(Delivery.notice_key.like("test:%"))).all()
    by_channel = Counter(r.channel.value for r in rows)
    assert by_channel == {
        "email": len(people),
        "webhook": len(with_webhook),
        **{ch: len(people) for ch in CHAT},
    }
    for row in rows:
        if row.channel.value in CHAT:
            assert (row.status, row.attempts) == (DeliveryStatus.FAILED, 2), row
            assert row.last_error and row.last_error.startswith(f"{row.channel.value}: "), row
            assert "500" in row.last_error, row.last_error
        else:
            assert (row.status, row.attempts, row.last_error) == (DeliveryStatus.SENT, 1, None)
    # notify test: p0-0 on every channel; the chat ones failed, and the CLI said so.
    assert sorted((r.channel.value, r.status.value) for r in test_rows) == sorted(
        [("email", "sent"), ("webhook", "sent"), *((ch, "failed") for ch in CHAT)]
    )
    assert cli.returncode == 1 and "sent 2, failed 4" in cli.stdout
    # What reached the chat hosts: every post, for each person twice (a try, a retry), plus
    # the CLI's one; each carried the credential it needs (so each could have leaked it).
    arrived = Counter(service_of(r["path"]) for r in chat_hosts.received)
    assert arrived == {ch: 2 * len(people) + 1 for ch in CHAT}
    paths = "\n".join(r["path"] for r in chat_hosts.received)
    for secret in ("dingtalk_token", "wecom_key", "feishu_token", "slack_webhook"):
        assert SECRETS[secret] in paths

    captured = capfd.readouterr()
    haystacks = {
        "logs": caplog.text,
        "stdout/stderr": captured.out + captured.err,
        "cli": cli.stdout + cli.stderr,
        "ledger": ledger_dump(),
    }
    assert "dingtalk" in haystacks["ledger"]  # the dump really holds the failed rows
    secrets = [*SECRETS.values(), "hookSECRETvalue99"]
    for where, text in haystacks.items():
        for secret in secrets:
            assert secret not in text, f"{secret!r} leaked into {where}"
