"""Secrets, across every process: with SMTP credentials and a bot token for every chat channel
configured, each office process runs in-process against the Prefect API, and no secret turns up
in the logs, the Prefect artifacts, the Prefect logs, the flow runs' parameters or the ledger."""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select

from flows.documents import document_incoming, document_outgoing
from flows.duty import duty_roster, duty_sweep
from flows.emergency import (
    emergency_response,
    emergency_sweep,
    incident_acknowledge,
    incident_close,
)
from flows.information import information_digest, information_scores, information_submission
from flows.meeting import meeting_preparation, meeting_sweep
from flows.supervision import decision_implementation, supervision_bulletin, supervision_sweep
from models.documents_input import IncomingDocumentSpec, OutgoingDocumentSpec
from models.duty_input import RosterSpec
from models.emergency import EscalationRung
from models.emergency_input import AcknowledgeInput, CloseInput, IncidentReport
from models.information_input import InfoItemSpec
from models.ledger import Delivery, DeliveryStatus
from models.meeting_input import MeetingSpec
from models.org import Channel, ContactPoint, Person
from models.supervision_input import DecisionSpec
from officeflow import clock, db, information
from officeflow.delivery import send_pending
from officeflow.mailcatcher import MailCatcher
from tests.chat_hosts import service_of
from tests.test_secrets import ledger_dump

ROOT = Path(__file__).resolve().parent.parent
SECRETS = {
    "smtp_password": "pw-Everywhere-Tr0ub4dor&3",
    "dingtalk_token": "dtkEVERYWHERE0123456789abcdef",
    "dingtalk_secret": "SECdingEverywhereSigningKey42",
    "wecom_key": "wecom-key-everywhere-7f3a9c",
    "feishu_token": "feishu-hook-everywhere-5d1e",
    "slack_webhook": "T0EVERY1/B0WHERE2/abcdEVERYWHEREslacktoken",
}
HOOK_TOKEN = "hookEVERYWHEREsecret77"


def example(name: str) -> Any:
    return yaml.safe_load((ROOT / "examples" / name).read_text(encoding="utf-8"))


def prefect_haystacks() -> dict[str, str]:
    """Every artifact, every log line and every flow run's parameters the Prefect API holds."""
    from prefect import get_client

    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts()
        runs = client.read_flow_runs()
        logs = client.read_logs()
    return {
        "prefect artifacts": "\n".join(f"{a.key} {a.description} {a.data}" for a in artifacts),
        "prefect flow run parameters": "\n".join(f"{r.name} {r.parameters!r}" for r in runs),
        "prefect logs": "\n".join(log.message for log in logs),
        "_counts": f"{len(artifacts)} {len(runs)} {len(logs)}",
    }


def test_no_secret_leaks_from_any_process(
    org: Any,
    office_env: Any,
    webhook_server: Any,
    chat_hosts: Any,
    prefect_api: None,
    caplog: Any,
    capfd: Any,
) -> None:
    caplog.set_level(logging.DEBUG)
    chat_hosts.statuses = [500] * 10_000  # the chat bots' hosts (local) refuse every post
    with MailCatcher(auth=("office", SECRETS["smtp_password"])) as smtp:
        office_env.set(
            smtp_host=smtp.host,
            smtp_port=smtp.port,
            smtp_user="office",
            smtp_allow_plain_auth=True,  # the catcher is on loopback, without TLS
            delivery_attempts=1,
            webhook_url=f"{webhook_server.url}?token={HOOK_TOKEN}",
            **SECRETS,
        )
        with db.session_scope() as s:  # every person reachable on every channel
            for pid in s.scalars(select(Person.id)):
                for ch in (Channel.DINGTALK, Channel.WECOM, Channel.FEISHU, Channel.SLACK):
                    # No dot: Apprise refuses a Slack target like @wu.qiang-slack unsent.
                    address = f"{pid.replace('.', '-')}-{ch.value}"
                    s.merge(ContactPoint(person_id=pid, channel=ch, address=address))
                s.merge(ContactPoint(person_id=pid, channel=Channel.WEBHOOK, address=pid))

        # Monday morning: a decision, an emergency, a meeting.
        clock.set_now("2026-09-21T10:00:00+08:00")
        decision = decision_implementation(DecisionSpec.model_validate(example("decision.yaml")))
        assert decision.newly_recorded and decision.notices_sent > 0
        incident_id = emergency_response(
            IncidentReport.model_validate(example("incident.yaml"))
        ).incident_id
        meeting = meeting_preparation(MeetingSpec.model_validate(example("meeting.yaml")))
        assert meeting.newly_recorded
        incoming = document_incoming(
            IncomingDocumentSpec.model_validate(example("incoming_document.yaml"))
        )
        assert incoming.notices_sent > 0
        assert document_outgoing(
            OutgoingDocumentSpec.model_validate(example("outgoing_document.yaml"))
        ).notices_sent
        roster = duty_roster(RosterSpec.model_validate(example("duty_roster.yaml")), "sun.li")
        assert roster.newly_published and roster.shifts > 0

        # Nobody acknowledges: the emergency sweep escalates and reminds of the reporting clock.
        clock.set_now("2026-09-21T12:30:00+08:00")
        watched = emergency_sweep()
        assert watched.sent > 0
        with db.session_scope() as s:
            fired = s.scalars(
                select(EscalationRung)
                .where(EscalationRung.incident_id == incident_id)
                .where(EscalationRung.fired_at.is_not(None))
                .order_by(EscalationRung.rung)
            ).all()
            assert len(fired) >= 2  # the alert and at least one escalation
            first_alerted = fired[0].recipients[0]
        assert incident_acknowledge(incident_id, AcknowledgeInput(), first_alerted).first is True
        incident_close(incident_id, CloseInput(summary="火已扑灭，现场清理完毕"), "sun.li")

        # Later: the supervision sweep lights and reminds; the bulletin goes to the leaders;
        # the meeting's steps (the topic reminder) fall due.
        clock.set_now("2026-09-29T10:00:00+08:00")
        swept = supervision_sweep()
        assert swept.tally("reminder"), swept
        bulletin = supervision_bulletin()
        assert bulletin.sent > 0
        clock.set_now("2026-09-29T18:30:00+08:00")
        steps = meeting_sweep()
        assert steps.steps_done, steps
        reminded = duty_sweep()  # the evening reminders of tomorrow's duty shifts
        assert reminded.tally("reminder")["eve"] > 0 and reminded.sent > 0

        # 信息报送: an urgent item, adopted, then the next morning's 每日要情 (.docx attached)
        # and the month's scores (chart attached).
        urgent = information_submission(
            InfoItemSpec.model_validate(
                {**example("info_item.yaml"), "kind": "urgent", "submitted_by": "zheng.hui"}
            )
        )
        assert urgent.notices_sent > 0
        with db.session_scope() as s:
            adopted = information.adopt_item(s, item_id=urgent.item_id, actor="liu.yang")
        send_pending(adopted.notice_keys)
        clock.set_now("2026-09-30T08:30:00+08:00")
        assert information_digest().sent > 0
        assert information_scores(month="2026-09").sent > 0
        mails = len(smtp.messages)
    assert mails > 20  # authenticated SMTP really delivered
    assert webhook_server.posts  # the reachable webhook really received posts

    # The chat hosts refused every post: those rows failed, with masked errors, after one
    # post per attempt, each carrying the credential it needs.
    with db.session_scope() as s:
        deliveries = s.scalars(select(Delivery)).all()
    states = Counter((d.channel, d.status) for d in deliveries)
    arrived = Counter(service_of(r["path"]) for r in chat_hosts.received)
    for channel in (Channel.DINGTALK, Channel.WECOM, Channel.FEISHU, Channel.SLACK):
        rows = [d for d in deliveries if d.channel == channel]
        assert rows and all(d.status == DeliveryStatus.FAILED for d in rows), states
        assert all(d.last_error and "500" in d.last_error for d in rows)
        assert arrived[channel.value] == sum(d.attempts for d in rows), (channel, arrived)
    paths = "\n".join(r["path"] for r in chat_hosts.received)
    for name in ("dingtalk_token", "wecom_key", "feishu_token", "slack_webhook"):
        assert SECRETS[name] in paths
    assert states[(Channel.EMAIL, DeliveryStatus.SENT)] == mails
    assert states[(Channel.WEBHOOK, DeliveryStatus.SENT)] > 0

    captured = capfd.readouterr()
    prefect = prefect_haystacks()
    counts = prefect.pop("_counts").split()
    assert all(int(n) > 0 for n in counts), counts  # the API really holds what we search
    haystacks = {
        "logs (caplog)": caplog.text,
        "stdout/stderr": captured.out + captured.err,
        "ledger": ledger_dump(),
        **prefect,
    }
    ledger = haystacks["ledger"]
    assert "dingtalk" in ledger and "failed" in ledger  # the dump holds the failed rows
    assert f"incident-{incident_id}" in haystacks["prefect artifacts"]
    assert "duty-week" in haystacks["prefect artifacts"]
    assert "关于做好国庆假期安全生产工作的批示" in haystacks["prefect flow run parameters"]
    secrets = [*SECRETS.values(), HOOK_TOKEN]
    for where, text in haystacks.items():
        for secret in secrets:
            assert secret not in text, f"{secret!r} leaked into {where}"
