"""Credentials configured for every channel never reach logs, output or the ledger."""

import logging
from typing import Any

from sqlalchemy import MetaData, select

from officeflow import db
from officeflow.delivery import plan_notice, retry_failed, send_pending
from officeflow.mailcatcher import MailCatcher
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


def test_secrets_stay_out_of_logs_output_and_ledger(
    make_org: Any, ledger: Any, office_env: Any, webhook_server: Any, caplog: Any, capfd: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    data = make_org(departments=2)
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
        cli = run_cli("notify", "test", "p0-0")
        assert len(smtp.messages) == len(people) + 1  # authenticated SMTP really worked
    # Chat bots cannot be reached from here: those rows failed, with masked errors.
    assert report.failed == 4 * len(people)
    with_webhook = [p for p in data["people"] if p.get("chat", {}).get("webhook")]
    assert len(webhook_server.posts) == len(with_webhook) + 1

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
