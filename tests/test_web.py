"""The office's web pages behind the signed links in notices: the link comes out of a real email
(the test SMTP server), a GET shows the page and changes nothing, the POST from that page acts as
the link's person through the services, and every bad request is refused with nothing changed.
The browser version of the same journeys is tests/test_web_browser.py."""

from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from models.ledger import Delivery, Event, StoredFile
from officeflow import clock, db, emergency, files, links, supervision
from officeflow.mailcatcher import MailCatcher, free_port
from officeflow.stack import LocalStack
from officeflow.web import security, tokens
from officeflow.web.app import create_app
from tests.cli_helpers import OFFICEFLOW
from tests.emergency_support import T0
from tests.web_support import issue_assignment, link_of, links_of, raise_incident, snapshot

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
STATE = re.compile(r'name="state" value="([^"]+)"')


@pytest.fixture
def client(office_env: Any) -> TestClient:
    return TestClient(create_app(), base_url="http://testserver")


def form_of(page: str) -> dict[str, str]:
    """The hidden fields of the page's form (CSRF token and signed state)."""
    csrf, state = CSRF.search(page), STATE.search(page)
    assert csrf and state, page
    return {"csrf_token": csrf.group(1), "state": state.group(1)}


def web_events(action: str) -> list[Event]:
    with db.read_scope() as s:
        return list(s.scalars(select(Event).where(Event.action == action)))


# --- incidents ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_the_alert_link_acknowledges_as_its_person_and_stops_the_ladder(
    mail_office: MailCatcher, tmp_path: Path, client: TestClient
) -> None:
    incident_id = raise_incident(tmp_path)
    alert = mail_office.to("duty@example.org")[0]
    assert "officeflow incident" not in alert.text()  # no CLI syntax, a link instead
    link = link_of(alert)
    before = snapshot()

    page = client.get(link)
    assert page.status_code == 200
    assert "Warehouse fire in the port district" in page.text and 'id="submit"' in page.text
    assert snapshot() == before  # a GET (a mail gateway's preview) changes nothing
    client.get(link)
    assert snapshot() == before

    done = client.post(link, data=form_of(page.text))
    assert done.status_code == 200, done.text
    assert 'id="outcome"' in done.text
    [ack] = web_events("incident.acknowledged")
    assert (ack.actor, ack.via, ack.object_id) == ("duty", "web", str(incident_id))

    # The watchdog ten minutes on: the ladder is stopped, no escalation goes out.
    sent_before = len(mail_office.messages)
    clock.set_now("2026-09-21T10:10:00+08:00")
    swept = emergency.run_sweep()
    assert swept.sent == 0 and len(mail_office.messages) == sent_before

    # Acting twice says it is already done, and changes nothing.
    after = snapshot()
    again = client.get(link)
    assert "已确认过" in again.text and 'id="submit"' not in again.text
    replay = client.post(link, data=form_of(page.text))
    assert replay.status_code == 409 and snapshot() == after


def test_the_duty_officer_files_the_reports_and_everyone_sees_the_timeline(
    mail_office: MailCatcher, tmp_path: Path, client: TestClient
) -> None:
    raise_incident(tmp_path)
    link = link_of(mail_office.to("duty@example.org")[0])
    page = client.get(f"{link}/file-report")
    assert page.status_code == 200 and 'name="kind"' in page.text
    for kind, text in (("phone", "电话报告市应急局"), ("initial", "初报已报送")):
        page = client.get(f"{link}/file-report")
        done = client.post(
            f"{link}/file-report", data={**form_of(page.text), "kind": kind, "summary": text}
        )
        assert done.status_code == 200, done.text
    filed = web_events("incident.report_filed")
    assert [(e.actor, e.via, e.data["report"]) for e in filed] == [
        ("duty", "web", "电话报告"),
        ("duty", "web", "初报"),
    ]
    # Another person alerted sees the timeline with the filed reports.
    other = client.get(link_of(mail_office.to("director@example.org")[0]))
    assert "初报已报送" in other.text and "incident.report_filed" in other.text


def test_refusals_change_nothing(
    mail_office: MailCatcher, tmp_path: Path, client: TestClient, office_env: Any
) -> None:
    raise_incident(tmp_path)
    link = link_of(mail_office.to("duty@example.org")[0])
    page = client.get(link)
    fields = form_of(page.text)
    before = snapshot()

    # Tampered: one character of the signature changed.
    token = link.removeprefix("/a/")
    bad = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    for response in (client.get(f"/a/{bad}"), client.post(f"/a/{bad}", data=fields)):
        assert response.status_code == 400 and "链接无效" in response.text
    # Signed by another office (another key): refused the same way.
    claim = tokens.verify(token)
    foreign = tokens.URLSafeTimedSerializer("another office's key", salt=tokens.ACTION_SALT)
    assert client.get(f"/a/{foreign.dumps(claim.dump())}").status_code == 400
    # Another person's link: the mayor was not alerted, so the mayor may not acknowledge.
    mayor = tokens.Claim("mayor", "incident", claim.object_id, "acknowledge", claim.notice_key)
    mayor_link = f"/a/{tokens.sign(mayor)}"
    mayor_page = client.get(mayor_link)
    refused = client.post(mayor_link, data=form_of(mayor_page.text))
    assert refused.status_code == 403
    assert "办理确认收到：只有告警已发送到的人员可以办理。" in refused.text  # with names, not ids
    # No CSRF token, or one that is not the cookie's.
    assert client.post(link, data={"state": fields["state"]}).status_code == 403
    assert client.post(link, data={**fields, "csrf_token": "x" * 43}).status_code == 403
    stranger = TestClient(create_app())  # a cross-site form: no cookie at all
    assert stranger.post(link, data=fields).status_code == 403
    assert snapshot() == before

    # Expired: the incident link lives 3 days (OFFICEFLOW_WEB_INCIDENT_LINK_DAYS).
    clock.set_now("2026-09-24T10:01:00+08:00")
    for response in (client.get(link), client.post(link, data=fields)):
        assert response.status_code == 410 and "已过期" in response.text
    assert snapshot() == before


# --- assignments -------------------------------------------------------------------------------


def test_an_assignment_from_progress_to_closure_and_an_extension(
    org: Any, mail_office: MailCatcher, client: TestClient, office_env: Any
) -> None:
    assignment_id = issue_assignment()
    owner_mail = mail_office.to("lin.tao@example.gov.cn")[0]
    link = link_of(owner_mail)

    # Progress.
    page = client.get(link)
    assert page.status_code == 200 and "编制预算调整方案" in page.text
    done = client.post(link, data={**form_of(page.text), "progress": "40", "note": "初稿完成"})
    assert done.status_code == 200 and "40%" in done.text
    # Bad input: the field is named, nothing changes, the page keeps its form.
    before = snapshot()
    page = client.get(link)
    bad = client.post(link, data={**form_of(page.text), "progress": "140"})
    assert bad.status_code == 400 and "「进展（%）」不能大于 100" in bad.text
    assert snapshot() == before

    # Extension requested from the same link, decided by the leader from the leader's link.
    page = client.get(f"{link}/request-extension")
    asked = client.post(
        f"{link}/request-extension",
        data={**form_of(page.text), "new_due_date": "2026-10-16", "reason": "等待审计结果"},
    )
    assert asked.status_code == 200, asked.text
    leader_mail = [
        m for m in mail_office.to("li.jianguo@example.gov.cn") if "延期申请待审批" in m.subject
    ]
    leader_link = link_of(leader_mail[0])
    # The owner's link cannot open the leader's page (not one of its actions).
    assert client.get(f"{link}/decide-extension").status_code == 404
    page = client.get(leader_link)
    assert "等待审计结果" in page.text
    decided = client.post(leader_link, data={**form_of(page.text), "approve": "true"})
    assert decided.status_code == 200 and "已同意延期" in decided.text
    with db.read_scope() as s:
        a = supervision.get_assignment(s, assignment_id)
        assert clock.to_local(a.due_at).date().isoformat() == "2026-10-16"

    # A link sent before the actions were declared names the old action ("complete"): it
    # still opens the completion page.
    claim = tokens.verify(link.removeprefix("/a/"))
    old = tokens.Claim("lin.tao", "assignment", claim.object_id, "complete", claim.notice_key)
    assert 'name="evidence"' in client.get(f"/a/{tokens.sign(old)}").text

    # Completion with an attached file; a file of a refused type changes nothing.
    page = client.get(f"{link}/request-completion")
    before = snapshot()
    refused = client.post(
        f"{link}/request-completion",
        data={**form_of(page.text), "evidence": "方案已报送"},
        files=[("files", ("run.exe", b"MZ...", "application/octet-stream"))],
    )
    assert refused.status_code == 400 and "不是可接受的文件类型" in refused.text
    assert snapshot() == before
    page = client.get(f"{link}/request-completion")
    completed = client.post(
        f"{link}/request-completion",
        data={**form_of(page.text), "evidence": "方案已报送"},
        files=[("files", ("方案.pdf", b"%PDF-1.4 budget", "application/pdf"))],
    )
    assert completed.status_code == 200, completed.text
    with db.read_scope() as s:
        [stored] = s.scalars(select(StoredFile)).all()
        assert (stored.filename, stored.created_by, stored.purpose) == (
            "方案.pdf",
            "lin.tao",
            "evidence",
        )
        assert files.read(stored) == b"%PDF-1.4 budget"  # checksum kept and checked

    # The office verifies from its link; the evidence file downloads from it.
    office = [m for m in mail_office.to("sun.li@example.gov.cn") if "办结" in m.subject]
    office_link = link_of(office[-1])
    page = client.get(office_link)
    assert "方案已报送" in page.text and "方案.pdf" in page.text
    download = client.get(f"{office_link}/files/{stored.id}")
    assert download.status_code == 200 and download.content == b"%PDF-1.4 budget"
    verified = client.post(office_link, data={**form_of(page.text), "approve": "true"})
    assert verified.status_code == 200 and "销号" in verified.text
    with db.read_scope() as s:
        assert supervision.get_assignment(s, assignment_id).status.value == "closed"
    by = {(e.action, e.actor, e.via) for e in web_events("assignment.closed")}
    assert by == {("assignment.closed", "sun.li", "web")}
    for action, actor in (
        ("assignment.progress", "lin.tao"),
        ("assignment.extension_requested", "lin.tao"),
        ("assignment.extension_approved", "li.jianguo"),
        ("assignment.completion_requested", "lin.tao"),
    ):
        assert [(e.actor, e.via) for e in web_events(action)] == [(actor, "web")], action
    # Replaying the verification changes nothing.
    after = snapshot()
    assert (
        client.post(office_link, data={**form_of(page.text), "approve": "true"}).status_code == 409
    )
    assert snapshot() == after


def test_someone_outside_the_office_cannot_verify(
    org: Any, mail_office: MailCatcher, client: TestClient
) -> None:
    issue_assignment()
    link = link_of(mail_office.to("lin.tao@example.gov.cn")[0])
    page = client.get(f"{link}/request-completion")
    client.post(f"{link}/request-completion", data={**form_of(page.text), "evidence": "已完成"})
    office_mail = [m for m in mail_office.to("sun.li@example.gov.cn") if "办结" in m.subject][-1]
    claim = tokens.verify(link_of(office_mail).removeprefix("/a/"))
    # The owner with a verify link minted for her (as if forwarded): the policy refuses.
    mine = tokens.Claim("lin.tao", "assignment", claim.object_id, "verify", claim.notice_key)
    forged = f"/a/{tokens.sign(mine)}"
    page = client.get(forged)
    before = snapshot()
    refused = client.post(forged, data={**form_of(page.text), "approve": "true"})
    assert refused.status_code == 403
    assert "林涛无权就督办事项「编制预算调整方案」办理核验" in refused.text
    assert snapshot() == before


# --- the links themselves ----------------------------------------------------------------------


def test_no_token_in_the_ledger_or_the_access_log(
    mail_office: MailCatcher, tmp_path: Path, client: TestClient
) -> None:
    raise_incident(tmp_path)
    token = link_of(mail_office.to("duty@example.org")[0]).removeprefix("/a/")
    with db.read_scope() as s:
        bodies = [d.body for d in s.scalars(select(Delivery))]
    assert bodies and all("[[officeflow-link:acknowledge]]" in b for b in bodies)
    assert not any(token in b for b in bodies)
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        "",
        0,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5", "GET", f"/a/{token}/file-report?lang=en", "1.1", 200),
        None,
    )
    security.RedactTokens().filter(record)
    assert token not in record.getMessage() and "/a/[token]/file-report" in record.getMessage()


def test_the_link_names_person_object_action_notice_and_expires(office_env: Any) -> None:
    settings = office_env.set(public_url="https://office.example.org/")
    clock.set_now(T0)
    target = links.LinkTarget("duty", "incident:1:initial", "incident", "1")
    url = links.url_for(target, "acknowledge", settings)
    assert url.startswith("https://office.example.org/a/")
    claim = tokens.verify(url.rsplit("/", 1)[1])
    assert claim == tokens.Claim("duty", "incident", "1", "acknowledge", "incident:1:initial")
    key = office_env.home / tokens.KEY_FILE
    assert key.stat().st_mode & 0o777 == 0o600  # generated once, owner-only
    assert tokens.secret_key() == key.read_text().strip()
    clock.set_now("2026-10-10T10:00:00+08:00")  # an assignment link lives 14 days
    later = tokens.sign(tokens.Claim("x", "assignment", "1", "report", "k"))
    clock.set_now("2026-10-24T10:01:00+08:00")
    with pytest.raises(tokens.BadToken, match="expired"):
        tokens.verify(later)


def test_cookies_and_redirects(office_env: Any) -> None:
    office_env.set(public_url="https://office.example.org")
    response = TestClient(create_app()).get("/?lang=en")
    cookies = response.headers.get_list("set-cookie")
    csrf = next(c for c in cookies if c.startswith(security.CSRF_COOKIE))
    assert "HttpOnly" in csrf and "Secure" in csrf and "samesite=strict" in csrf.lower()
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "Office web pages" in response.text
    for bad in ("https://evil.example", "//evil.example", "/\\evil.example", "javascript:x", ""):
        assert security.safe_next(bad) == "/"
    assert security.safe_next("/a/x?lang=en") == "/a/x?lang=en"


def test_a_meeting_or_duty_notice_opens_the_record(
    mail_office: MailCatcher, tmp_path: Path, client: TestClient
) -> None:
    incident_id = raise_incident(tmp_path)
    claim = tokens.Claim("duty", "incident", str(incident_id), "view", "incident:1:initial")
    page = client.get(f"/a/{tokens.sign(claim)}")
    assert page.status_code == 200 and "incident.notified" in page.text
    unknown = tokens.Claim("duty", "incident", str(incident_id), "launch-rockets", "k")
    assert client.get(f"/a/{tokens.sign(unknown)}").status_code == 404
    assert len(links_of(mail_office.to("duty@example.org")[0])) == 1


def test_officeflow_web_serves_the_ledger_and_never_logs_a_token(
    mail_office: MailCatcher, tmp_path: Path, office_env: Any
) -> None:
    """`officeflow web` as an operator runs it: real uvicorn, the configured ledger, the access
    log with the token redacted."""
    port = free_port("127.0.0.1")
    office_env.set(public_url=f"http://127.0.0.1:{port}")
    raise_incident(tmp_path)
    link = link_of(mail_office.to("duty@example.org")[0])
    env = {**os.environ, "COLUMNS": "200", "OFFICEFLOW_NOW": T0}  # the clock of the link
    proc = subprocess.Popen(
        [str(OFFICEFLOW), "web", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline, body = time.monotonic() + 60, ""
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{link}", timeout=5) as r:
                    body = r.read().decode()
                    break
            except OSError:
                time.sleep(0.3)
        assert "Warehouse fire in the port district" in body
    finally:
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=30)
    assert "GET /a/[token] HTTP/1.1" in output
    assert link.removeprefix("/a/") not in output


def test_the_stack_points_links_at_its_web_pages(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.delenv("OFFICEFLOW_PUBLIC_URL", raising=False)
    stack = LocalStack(home=tmp_path, web_port=8399)
    assert stack.public_url() == "http://127.0.0.1:8399"
    monkeypatch.setenv("OFFICEFLOW_PUBLIC_URL", "https://office.example.org")
    assert stack.public_url() == "https://office.example.org"
