"""Digests, quiet hours and SMTP session reuse, against the real test SMTP server: a sweep's
five reminders to one person arrive as one email (five delivery rows, each sent once); a
routine notice planned at night waits for the next working morning, an emergency does not;
a person's preferences in the org file override the office's."""

import os
import socket
from collections import Counter
from typing import Any

from sqlalchemy import select

from models.ledger import Delivery, DeliveryStatus, Event
from models.org import Channel
from models.supervision_input import DecisionSpec
from officeflow import channels, clock, db
from officeflow.delivery import plan_notice, send_pending
from officeflow.mailcatcher import MailCatcher
from officeflow.supervision import plan_sweep, record_decision
from tests.notice_helpers import plan_demo

OWNER = "tang.jun"  # staff in emergency-management, email only in the example org


def decision(n: int) -> DecisionSpec:
    return DecisionSpec.model_validate(
        {
            "title": "节前安全检查",
            "source": "leader_instruction",
            "issued_by": "chen.zhiqiang",
            "issued_on": "2026-09-21",
            "priority": "important",
            "assignments": [
                {
                    "lead_department": "emergency-management",
                    "owner": OWNER,
                    "task": f"检查第{i + 1}片区",
                    "acceptance_standard": "报送检查报告",
                    "due_in_workdays": 5,
                }
                for i in range(n)
            ],
        }
    )


def rows(**where: Any) -> list[Delivery]:
    with db.session_scope() as s:
        stmt = select(Delivery).filter_by(**where).order_by(Delivery.id)
        return list(s.scalars(stmt))


def sweep(day: str) -> list[str]:
    clock.set_now(f"{day}T09:00:00+08:00")
    result = plan_sweep()
    report = send_pending(result.notice_keys)
    assert report.failed == 0
    return result.notice_keys


def test_five_reminders_for_one_person_go_as_one_email(
    org: Any, mail_office: MailCatcher, office_env: Any
) -> None:
    office_env.set(digests=True)
    clock.set_now("2026-09-21T10:00:00+08:00")
    with db.session_scope() as s:
        record_decision(s, decision(5), actor="chen.zhiqiang")
    mail_office.clear()

    keys = sweep("2026-09-28")
    assert len(keys) == 5  # five reminders, each to the owner (and the department head)
    owner_mail = mail_office.to(f"{OWNER}@example.gov.cn")
    per_person = Counter(m.rcpt_tos[0] for m in mail_office.messages)
    assert per_person[f"{OWNER}@example.gov.cn"] == 1 and set(per_person.values()) == {1}
    text = owner_mail[0].text()
    assert "5条提醒" in owner_mail[0].subject
    for i in range(1, 6):
        assert f"检查第{i}片区" in text
    reminders = rows(person_id=OWNER, channel="email")
    reminders = [r for r in reminders if r.notice_key in keys]
    assert len(reminders) == 5
    assert {r.status for r in reminders} == {DeliveryStatus.SENT}
    assert {r.attempts for r in reminders} == {1}
    assert len({r.digest for r in reminders}) == 1
    # The one message names the digest and, in X-Officeflow-Items, each notice it carries.
    assert owner_mail[0].notice == reminders[0].digest
    assert owner_mail[0].items == [r.notice_key for r in reminders]
    with db.session_scope() as s:
        sent = Counter(
            (e.data.get("person"), e.data.get("digest"))
            for e in s.scalars(select(Event))
            if e.action == "delivery.sent"
        )
    assert sent[(OWNER, reminders[0].digest)] == 5  # one event per row, naming the digest

    # The same day's sweep again, and a resend: nothing more goes out.
    assert sweep("2026-09-28") == []
    assert send_pending(keys).sent == 0
    assert len(mail_office.messages) == len(per_person)


def test_digest_preference_in_the_org_file_overrides_the_office(
    make_org: Any, mail_office: MailCatcher, office_env: Any
) -> None:
    office_env.set(locale="en")
    data = make_org(
        notifications={"digests": True},
        people_per_department=2,
    )
    people = [p["id"] for p in data["people"] if p["id"].startswith("p")][:2]
    # Re-load with the second person opting out of digests.
    for p in data["people"]:
        if p["id"] == people[1]:
            p["preferences"] = {"digest": False}
    _load(data)
    with db.session_scope() as s:
        for i in range(3):
            plan_notice(
                s,
                key=f"demo:{i}:reminder",
                template="notice",
                object_type="demo",
                object_id=i,
                recipients=people,
                context={"title": f"Item {i}", "message": f"Do thing {i}."},
                digest="demo:reminders",
            )
    report = send_pending([f"demo:{i}:reminder" for i in range(3)])
    assert (report.sent, report.failed) == (6, 0)
    per_person = Counter(m.rcpt_tos[0] for m in mail_office.messages)
    assert per_person == {f"{people[0]}@example.org": 1, f"{people[1]}@example.org": 3}
    digest_mail = mail_office.to(f"{people[0]}@example.org")[0]
    assert digest_mail.notice == "demo:reminders"
    assert all(f"Do thing {i}." in digest_mail.text() for i in range(3))


def _load(data: dict[str, Any]) -> None:
    from models.org_input import OrgFile
    from officeflow.org import load_org

    with db.session_scope() as s:
        load_org(s, OrgFile.model_validate(data))


def test_quiet_hours_hold_routine_notices_not_emergencies(
    make_org: Any, mail_office: MailCatcher, office_env: Any
) -> None:
    office_env.set(locale="en")
    data = make_org(notifications={"quiet_hours": True})
    person = next(p["id"] for p in data["people"] if p["id"].startswith("p"))
    night_owl = [p["id"] for p in data["people"] if p["id"].startswith("p")][1]
    for p in data["people"]:
        if p["id"] == night_owl:
            p["preferences"] = {"quiet_hours": False}
    _load(data)

    # Friday 2026-11-27, 20:00 in Shanghai: after hours, and the weekend follows.
    clock.set_now("2026-11-27T20:00:00+08:00")
    with db.session_scope() as s:
        for key, object_type in (("demo:1:routine", "demo"), ("incident:9:initial", "incident")):
            plan_notice(
                s,
                key=key,
                template="notice",
                object_type=object_type,
                object_id=1,
                recipients=[person, night_owl],
                context={"title": key, "message": "Body."},
                urgent=object_type == "incident",  # as the emergency process plans its notices
            )
    keys = ["demo:1:routine", "incident:9:initial"]
    assert send_pending(keys).sent == 3  # the emergency to both, the routine one to the owl
    got = Counter((m.rcpt_tos[0], m.notice) for m in mail_office.messages)
    assert got == {
        (f"{person}@example.org", "incident:9:initial"): 1,
        (f"{night_owl}@example.org", "incident:9:initial"): 1,
        (f"{night_owl}@example.org", "demo:1:routine"): 1,
    }
    (held,) = rows(status=DeliveryStatus.PENDING)
    assert held.person_id == person and held.notice_key == "demo:1:routine"
    assert clock.to_local(held.next_attempt_at).isoformat() == "2026-11-30T09:00:00+08:00"

    # Saturday, Sunday night: still held. Monday 09:00: it goes, once.
    for at in ("2026-11-28T11:00:00+08:00", "2026-11-30T08:59:00+08:00"):
        clock.set_now(at)
        assert send_pending(keys).sent == 0
    clock.set_now("2026-11-30T09:00:00+08:00")
    assert send_pending(keys).sent == 1
    assert send_pending(keys).sent == 0
    assert len(mail_office.to(f"{person}@example.org")) == 2


def test_many_emails_share_one_smtp_session_per_sender(
    make_org: Any, mail_office: MailCatcher, office_env: Any
) -> None:
    office_env.set(locale="en")
    make_org(departments=2, people_per_department=5)
    settings = office_env.set(delivery_concurrency=1)
    with db.session_scope() as s:
        people = [f"p{d}-{i}" for d in range(2) for i in range(5)]
        plan_notice(
            s,
            key="demo:1:all",
            template="notice",
            object_type="demo",
            object_id=1,
            recipients=people,
            context={"title": "All", "message": "Hello."},
        )
    opened = []
    real = channels.Sender._connect

    def counting(self: channels.Sender) -> Any:
        opened.append(1)
        return real(self)

    channels.Sender._connect = counting  # type: ignore[method-assign]
    try:
        assert send_pending(["demo:1:all"], settings=settings).sent == 10
    finally:
        channels.Sender._connect = real  # type: ignore[method-assign]
    assert len(opened) == 1  # one connection for ten personal messages
    assert sorted(m.rcpt_tos[0] for m in mail_office.messages) == sorted(
        f"{p}@example.org" for p in people
    )
    assert all("Dear Person" in m.text() for m in mail_office.messages)
    # The server dropped the idle session: the next message opens a new one, nothing is lost.
    sender = channels.Sender(settings)
    msg = channels.email_message(settings, "p0-0@example.org", "One", "Body")
    assert sender.send_email(msg).ok
    sender._smtp.sock.shutdown(socket.SHUT_RDWR)  # type: ignore[union-attr]
    msg2 = channels.email_message(settings, "p0-1@example.org", "Two", "Body")
    assert sender.send_email(msg2).ok
    sender.close()
    assert [m.subject for m in mail_office.messages[-2:]] == ["One", "Two"]


def test_send_runs_of_one_process_reuse_the_smtp_session(
    make_org: Any, mail_office: MailCatcher, office_env: Any
) -> None:
    """A worker sends after every action: its second run reuses the first run's session, a
    session the server dropped meanwhile is opened again with nothing lost, and other settings
    never get a kept session."""
    office_env.set(locale="en")
    make_org(departments=1, people_per_department=3)
    settings = office_env.set(delivery_concurrency=1)
    channels.close_idle()
    opened: list[int] = []
    real = channels.Sender._connect

    def counting(self: channels.Sender) -> Any:
        opened.append(self.settings.smtp_port)
        return real(self)

    channels.Sender._connect = counting  # type: ignore[method-assign]
    try:
        plan_demo("demo:run1", ["p0-0", "p0-1"])
        assert send_pending(["demo:run1"], settings=settings).sent == 2
        plan_demo("demo:run2", ["p0-2"])
        assert send_pending(["demo:run2"], settings=settings).sent == 1
        assert len(opened) == 1  # two runs, one session
        # A forked child starts with no kept sender (it must not write on this one's socket),
        # and can take one even when another thread held the pool's lock at the fork.
        with channels._IDLE_LOCK:
            child = os.fork()
            if child == 0:  # pragma: no cover (the child)
                ok = channels._IDLE == [] and channels._IDLE_LOCK.acquire(timeout=1)
                os._exit(0 if ok else 1)
        assert os.waitpid(child, 0)[1] == 0
        assert len(channels._IDLE) == 1
        # The server dropped the kept session while it was idle: the next run opens another.
        [(_at, kept)] = channels._IDLE
        kept._smtp.sock.shutdown(socket.SHUT_RDWR)  # type: ignore[union-attr]
        plan_demo("demo:run3", ["p0-0"])
        assert send_pending(["demo:run3"], settings=settings).sent == 1
        assert len(opened) == 2
        # Other settings (another From): a sender of their own, never the kept one.
        other = office_env.set(delivery_concurrency=1, smtp_from="Other <other@example.org>")
        plan_demo("demo:run4", ["p0-1"])
        assert send_pending(["demo:run4"], settings=other).sent == 1
        assert len(opened) == 3
        assert len(channels._IDLE) == 2
    finally:
        channels.Sender._connect = real  # type: ignore[method-assign]
        channels.close_idle()
    assert channels._IDLE == []
    assert sorted(m.rcpt_tos[0] for m in mail_office.messages) == sorted(
        f"{p}@example.org" for p in ["p0-0", "p0-1", "p0-2", "p0-0", "p0-1"]
    )
    assert [m.mail_from for m in mail_office.messages] == ["office@example.org"] * 4 + [
        "other@example.org"
    ]


def test_a_digest_names_its_notices_on_every_transport(
    smtp_server: MailCatcher, webhook_server: Any, office_env: Any
) -> None:
    """X-Officeflow-Items (mail) and ``items`` (JSON webhook) list a digest's notice keys, over
    the reused SMTP session (plain and built messages), over Apprise, and over the webhook."""
    keys = [f"supervision:assignment:{i}:reminder:2026-09-28:yellow" for i in range(40)]
    settings = office_env.set(
        smtp_host=smtp_server.host,
        smtp_port=smtp_server.port,
        webhook_url=webhook_server.url,
        smtp_session_reuse=True,
    )
    sender = channels.Sender(settings)
    try:
        plain = sender.send(
            Channel.EMAIL, "a@example.org", "40 reminders", "Body", key="d:1", items=keys
        )
        built = sender.send(  # a non-ASCII address: built by the email package
            Channel.EMAIL, "王@example.org", "40 reminders", "Body", key="d:2", items=keys[:3]
        )
        hook = sender.send(Channel.WEBHOOK, "u1", "3 reminders", "Body", key="d:3", items=keys[:3])
        single = sender.send(Channel.EMAIL, "b@example.org", "One", "Body", key="n:1")
    finally:
        sender.close()
    assert plain.ok and built.ok and hook.ok and single.ok
    settings = office_env.set(smtp_session_reuse=False)  # every message through Apprise
    assert channels.send(settings, Channel.WEBHOOK, "u2", "S", "B", key="d:4", items=keys[:2]).ok
    assert channels.send(
        settings, Channel.EMAIL, "c@example.org", "S", "B", key="d:5", items=keys[:2]
    ).ok

    got = {m.notice: m.items for m in smtp_server.messages}
    assert got == {"d:1": keys, "d:2": keys[:3], "n:1": [], "d:5": keys[:2]}
    long_header = [m for m in smtp_server.messages if m.notice == "d:1"][0].message
    assert all(len(line) <= 998 for line in long_header.as_string().splitlines())
    hooks = {b["notice"]: b.get("items") for b in webhook_server.bodies()}
    assert hooks == {"d:3": " ".join(keys[:3]), "d:4": " ".join(keys[:2])}
