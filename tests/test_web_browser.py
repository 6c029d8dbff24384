"""The office's web pages in real Chromium at a phone's viewport (390×844), driven by Playwright:
the link is taken out of an email that arrived at the test SMTP server, opened, and acted on;
the ledger says the action came through `web`, as the link's person.

The pages are served by uvicorn on 127.0.0.1 from this process (the same ledger and clock)."""

from __future__ import annotations

import contextvars
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from prefect.client.schemas.objects import StateType
from sqlalchemy import select

from flows.supervision import assignment_request_extension
from models.ledger import Event, StoredFile
from models.supervision import ExtensionRequest
from models.supervision_input import RequestExtensionInput
from officeflow import clock, db, emergency, supervision
from officeflow.mailcatcher import MailCatcher, free_port
from officeflow.web.app import create_app
from officeflow.web.security import log_config
from tests import prefect_ui as ui
from tests.test_supervision_more import wait_for_run_state
from tests.web_support import issue_assignment, link_of, raise_incident

pytestmark = pytest.mark.slow
needs_browser = pytest.mark.skipif(
    not ui.CHROMIUM.exists() and not os.environ.get("CI"),
    reason="needs Debian's chromium: apt-get install chromium (scripts/system-deps.sh)",
)
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def web(office_env: Any) -> Iterator[str]:
    """The pages on a free port of 127.0.0.1; links in notices point there."""
    port = free_port("127.0.0.1")
    url = f"http://127.0.0.1:{port}"
    office_env.set(public_url=url)
    server = uvicorn.Server(
        uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_config=log_config())
    )
    # The server thread sees this test's Prefect settings (the harness's API).
    context = contextvars.copy_context()
    thread = threading.Thread(target=context.run, args=(server.run,), daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture
def phone(tmp_path: Path) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(ui.CHROMIUM), args=ui.CHROMIUM_ARGS, headless=True
        )
        try:
            context = browser.new_context(
                viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN"
            )
            page = context.new_page()
            page.set_default_timeout(20_000)
            page.route(ui.OFF_MACHINE, lambda route: route.abort())
            try:
                yield page
            except BaseException:
                page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
                raise
        finally:
            browser.close()


def fits_the_phone(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def events(action: str) -> list[tuple[str, str]]:
    with db.read_scope() as s:
        return [(e.actor, e.via) for e in s.scalars(select(Event).where(Event.action == action))]


@needs_browser
def test_a_duty_officer_acknowledges_from_the_email_on_a_phone(
    mail_office: MailCatcher, tmp_path: Path, web: str, phone: Any
) -> None:
    incident_id = raise_incident(tmp_path)
    alert = mail_office.to("duty@example.org")[0]
    link = link_of(alert)
    assert web + link in alert.text()

    phone.goto(web + link)
    assert phone.locator("#incident").inner_text().startswith("Warehouse fire")
    assert fits_the_phone(phone)
    phone.locator("#submit").click()
    phone.locator("#outcome").wait_for()
    assert "逐级上报已停止" in phone.locator("#outcome").inner_text()
    assert events("incident.acknowledged") == [("duty", "web")]

    # The next watchdog sends no escalation.
    sent = len(mail_office.messages)
    clock.set_now("2026-09-21T10:10:00+08:00")
    assert emergency.run_sweep().sent == 0 and len(mail_office.messages) == sent
    with db.read_scope() as s:
        assert emergency.get_incident(s, incident_id).acknowledged_by == "duty"

    # The duty officer files the phone report from the same link; the timeline shows it.
    phone.goto(web + link + "/file-report")
    phone.select_option("#kind", "phone")
    phone.fill("#summary", "已电话报告市应急管理局")
    phone.locator("#submit").click()
    phone.locator("#outcome").wait_for()
    assert "已电话报告市应急管理局" in phone.locator("#reports").inner_text()
    assert events("incident.report_filed") == [("duty", "web")]
    assert fits_the_phone(phone)


@needs_browser
def test_an_assignment_on_a_phone_progress_extension_resumes_the_run_completion_verified(
    org: Any,
    mail_office: MailCatcher,
    prefect_env: dict[str, str],
    tmp_path: Path,
    web: str,
    phone: Any,
) -> None:
    assignment_id = issue_assignment()
    owner_link = link_of(mail_office.to("lin.tao@example.gov.cn")[0])

    # Progress, from the owner's link.
    phone.goto(web + owner_link)
    phone.fill("#progress", "40")
    phone.fill("#note", "初稿已完成")
    phone.locator("#submit").click()
    phone.locator("#outcome").wait_for()
    assert "40%" in phone.locator("#outcome").inner_text()
    assert fits_the_phone(phone)

    # An extension requested through the flow that waits (paused) for the leader's decision.
    outcome: list[Any] = []
    runner = threading.Thread(
        target=lambda: outcome.append(
            assignment_request_extension(
                assignment_id=assignment_id,
                params=RequestExtensionInput(
                    new_due_date=clock.parse_instant("2026-10-16").date(), reason="等待审计结果"
                ),
                actor="lin.tao",
                wait_for_decision_hours=0.2,
            )
        )
    )
    runner.start()
    run_id = None
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and run_id is None:
        with db.read_scope() as s:
            run_id = s.scalar(select(ExtensionRequest.waiting_run_id))
        time.sleep(0.3)
    assert run_id, "the flow never recorded its request"
    assert wait_for_run_state(run_id, StateType.PAUSED, timeout=60) is StateType.PAUSED

    # The leader approves from the leader's link; the paused run resumes with that answer.
    asked = [m for m in mail_office.to("li.jianguo@example.gov.cn") if "延期" in m.subject]
    phone.goto(web + link_of(asked[-1]))
    assert "等待审计结果" in phone.locator("#request").inner_text()
    phone.locator("#approve").click()
    phone.locator("#outcome").wait_for()
    assert "已同意延期" in phone.locator("#outcome").inner_text()
    runner.join(timeout=120)
    [result] = outcome
    assert result.action == "extension_approved"
    assert events("assignment.extension_approved") == [("li.jianguo", "web")]

    # Completion with an attached file, from the owner's link.
    evidence = tmp_path / "预算调整方案.pdf"
    evidence.write_bytes(b"%PDF-1.4 budget adjustment")
    phone.goto(web + owner_link + "/request-completion")
    phone.fill("#evidence", "方案已报送财政部门")
    phone.set_input_files("#files", str(evidence))
    phone.locator("#submit").click()
    phone.locator("#outcome").wait_for()
    with db.read_scope() as s:
        [stored] = s.scalars(select(StoredFile)).all()
        assert (stored.filename, stored.created_by) == ("预算调整方案.pdf", "lin.tao")

    # The office verifies, signed in through a one-time link: asked for on the sign-in page,
    # taken from the email, then "my work" lists the completion to verify.
    phone.goto(web + "/signin")
    phone.locator("#who").fill("sun.li@example.gov.cn")
    phone.locator("#submit").click()
    phone.locator("#outcome").wait_for()
    deadline = time.monotonic() + 60  # the link is mailed after the answer (off its path)
    while not [m for m in mail_office.to("sun.li@example.gov.cn") if "登录链接" in m.subject]:
        assert time.monotonic() < deadline, "no sign-in link mailed"
        time.sleep(0.05)
    [signin] = [m for m in mail_office.to("sun.li@example.gov.cn") if "登录链接" in m.subject]
    phone.goto(web + link_of(signin))
    phone.locator("#submit").click()
    phone.locator("#decisions a").first.wait_for()
    assert phone.url.endswith("/me") and fits_the_phone(phone)
    phone.locator("#decisions a").first.click()
    assert "方案已报送财政部门" in phone.locator("#evidence").inner_text()
    assert "预算调整方案.pdf" in phone.locator("#files").inner_text()
    phone.locator("#accept").click()
    phone.locator("#outcome").wait_for()
    with db.read_scope() as s:
        assert supervision.get_assignment(s, assignment_id).status.value == "closed"
    assert events("assignment.closed") == [("sun.li", "web")]
    assert events("assignment.progress") == [("lin.tao", "web")]
    assert fits_the_phone(phone)
