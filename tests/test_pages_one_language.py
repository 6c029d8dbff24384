"""A zh-CN page speaks one language (issue 26, item 6): a refused field is a Chinese sentence
naming the field's Chinese label (no field name, no setting name), the typed text stays in the
form, the extension form proposes a date it accepts, and the pages' visible text carries no
English words, raw event keys or ids where a name exists. TestClient against the real app, the
links taken out of the real mails (the test SMTP server)."""

from __future__ import annotations

import datetime as dt
import html
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from models.documents_input import IncomingDocumentSpec
from models.org import Department, Person
from officeflow import clock, db, documents, files, supervision
from officeflow.delivery import send_pending
from officeflow.mailcatcher import MailCatcher
from officeflow.web import tokens
from officeflow.web.app import create_app
from officeflow.workdays import get_calendar
from tests.web_support import issue_assignment, link_of, raise_incident, snapshot

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
STATE = re.compile(r'name="state" value="([^"]+)"')
ZH = {"lang": "zh-CN"}


@pytest.fixture
def client(office_env: Any) -> TestClient:
    c = TestClient(create_app(), base_url="http://testserver")
    c.cookies.set("officeflow_lang", "zh-CN")
    return c


def form_of(page: str) -> dict[str, str]:
    csrf, state = CSRF.search(page), STATE.search(page)
    assert csrf and state, page
    return {"csrf_token": csrf.group(1), "state": state.group(1)}


def section(page: str, element_id: str) -> str:
    """The visible text of the element with ``element_id`` (the error card)."""
    found = re.search(rf'id="{element_id}"[^>]*>(.*?)</div>', page, re.S)
    assert found, page
    return visible(found.group(1))


def visible(page: str) -> str:
    """What a person reads: no scripts or styles, no tags, entities decoded."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    page = re.sub(r"<title>.*?</title>", " ", page, flags=re.S | re.I)
    page = re.sub(r"<[^>]+>", " ", page)
    return html.unescape(page)


# Words a zh-CN page may show: the switch to the other language, file types, units.
ALLOWED = {"English", "PDF", "MB", "KB"} | {t.lstrip(".") for t in files.allowed_types()}
URL = re.compile(r"https?://\S+")


ROMAN = {"II", "III", "IV"}  # an incident's grade (Ⅰ–Ⅳ级), as the response plan writes it


def english_words(text: str) -> set[str]:
    """ASCII words, the org's own names (people and departments, as the office typed them)
    aside."""
    with db.read_scope() as s:
        names = [*s.scalars(select(Person.name)), *s.scalars(select(Department.name))]
    for name in sorted(names, key=len, reverse=True):
        text = text.replace(name, " ")
    words = re.findall(r"[A-Za-z]{2,}", URL.sub(" ", text))
    return {w for w in words if w not in ALLOWED | ROMAN}


def raw_ids(text: str) -> set[str]:
    """Person and department ids of the org, and dotted event keys, shown as they are."""
    with db.read_scope() as s:
        ids = set(s.scalars(select(Person.id))) | set(s.scalars(select(Department.id)))
    found = {i for i in ids if re.search(rf"(?<![\w.@-]){re.escape(i)}(?![\w.@-])", text)}
    return found | set(re.findall(r"\b[a-z_]+\.[a-z_]+\b", text))


def assert_one_language(page: str) -> None:
    text = visible(page)
    words, ids = english_words(text), raw_ids(text)
    assert (words, ids) == (set(), set()), " ".join(text.split())


# --- field errors and typed text ----------------------------------------------------------------


def test_a_refused_field_is_a_chinese_sentence_and_the_typed_text_stays(
    org: Any, mail_office: MailCatcher, client: TestClient
) -> None:
    issue_assignment()
    link = link_of(mail_office.to("lin.tao@example.gov.cn")[0])

    # A Saturday after the deadline (2026-10-12): refused in Chinese, naming the label 申请延至.
    page = client.get(f"{link}/request-extension")
    before = snapshot()
    bad = client.post(
        f"{link}/request-extension",
        data={**form_of(page.text), "new_due_date": "2026-10-17", "reason": "等待审计结果回函"},
    )
    assert bad.status_code == 400 and snapshot() == before
    error = section(bad.text, "error")
    assert "申请延至" in error and "不是工作日" in error, error
    assert "new_due_date" not in error and english_words(error) == set(), error
    # What was typed is still there.
    assert "等待审计结果回函" in bad.text
    assert 'value="2026-10-17"' in bad.text

    # A progress over 100: the label, a Chinese sentence, the typed note kept.
    page = client.get(link)
    bad = client.post(link, data={**form_of(page.text), "progress": "140", "note": "初稿已完成"})
    assert bad.status_code == 400
    error = section(bad.text, "error")
    assert "进展" in error and english_words(error) == set(), error
    assert "初稿已完成" in bad.text and 'value="140"' in bad.text

    # A file of a refused type: no setting name, the evidence typed kept.
    page = client.get(f"{link}/request-completion")
    bad = client.post(
        f"{link}/request-completion",
        data={**form_of(page.text), "evidence": "方案已报送市政府"},
        files=[("files", ("run.exe", b"MZ...", "application/octet-stream"))],
    )
    assert bad.status_code == 400
    error = section(bad.text, "error")
    assert "OFFICEFLOW" not in error and "文件类型" in error, error
    kinds = {t.lstrip(".").lower() for t in files.allowed_types()} | {"run", "exe"}
    assert {w.lower() for w in english_words(error)} <= kinds, error
    assert "方案已报送市政府" in bad.text


def test_a_generated_form_keeps_its_text_and_names_the_label(
    org: Any, mail_office: MailCatcher, client: TestClient
) -> None:
    clock.set_now("2026-11-10T16:00:00+08:00")
    with db.session_scope() as s:
        reg = documents.register_incoming(
            s,
            spec=IncomingDocumentSpec(
                sender="某省人民政府",
                number="X政发〔2026〕12号",
                title="关于做好冬季安全生产工作的通知",
                urgency="特急",
                registered_by="liu.yang",
            ),
        )
    send_pending(reg.notice_keys)
    # The 拟办 page of the office director (the generated form of the declared action).
    claim = tokens.Claim("sun.li", "document", str(reg.document_id), "propose", "doc:propose")
    link = f"/a/{tokens.sign(claim)}"
    page = client.get(link)
    assert page.status_code == 200 and 'name="proposal"' in page.text
    bad = client.post(
        link,
        data={**form_of(page.text), "proposal": "请陈副市长阅示并批转", "leaders": "nobody.here"},
    )
    assert bad.status_code == 400, bad.text
    error = section(bad.text, "error")
    assert "呈批领导" in error and "leaders" not in error, error
    assert english_words(error.replace("nobody.here", "")) == set(), error  # the typed id aside
    assert "请陈副市长阅示并批转" in bad.text
    assert_one_language(page.text)


# --- defaults -----------------------------------------------------------------------------------


def test_the_extension_form_proposes_the_next_working_day_after_the_deadline(
    org: Any, mail_office: MailCatcher, client: TestClient
) -> None:
    assignment_id = issue_assignment()
    link = link_of(mail_office.to("lin.tao@example.gov.cn")[0])
    page = client.get(f"{link}/request-extension")
    found = re.search(r'name="new_due_date"[^>]*value="([0-9-]+)"', page.text)
    assert found, page.text
    proposed = dt.date.fromisoformat(found.group(1))
    with db.read_scope() as s:
        due = supervision.get_assignment(s, assignment_id).due_on
    calendar = get_calendar()
    assert proposed > due and calendar.is_workday(proposed)
    between = [due + dt.timedelta(days=n) for n in range(1, (proposed - due).days)]
    assert not any(calendar.is_workday(d) for d in between), (due, proposed)
    # And the form takes its own proposal.
    asked = client.post(
        f"{link}/request-extension",
        data={**form_of(page.text), "new_due_date": found.group(1), "reason": "等待审计结果"},
    )
    assert asked.status_code == 200, asked.text


# --- the pages' visible text --------------------------------------------------------------------


def test_incident_and_assignment_pages_show_no_english_and_no_raw_ids(
    mail_office: MailCatcher, tmp_path: Path, client: TestClient
) -> None:
    raise_incident(
        tmp_path,
        title="港区仓库火灾",
        location="港区七号仓库",
        reported_by="区应急管理局值班室",
        description="化学品仓库起火，正在救援。",
    )
    alert = mail_office.messages[0]
    link = link_of(alert)
    page = client.get(link)
    assert page.status_code == 200
    assert_one_language(page.text)
    done = client.post(link, data=form_of(page.text))
    assert done.status_code == 200
    assert_one_language(client.get(link).text)


def test_assignment_timeline_names_people_and_departments(
    org: Any, mail_office: MailCatcher, client: TestClient
) -> None:
    issue_assignment()
    link = link_of(mail_office.to("lin.tao@example.gov.cn")[0])
    page = client.get(link)
    client.post(link, data={**form_of(page.text), "progress": "40", "note": "初稿完成"})
    page = client.get(link)
    assert "40" in visible(page.text)
    assert_one_language(page.text)
    assert_one_language(client.get(f"{link}/request-extension").text)


def test_meeting_page_shows_no_english_and_no_raw_keys(
    org: Any, mail_office: MailCatcher, client: TestClient
) -> None:
    from officeflow import meeting
    from tests.meeting_helpers import example_meeting

    clock.set_now("2026-09-21T09:00:00+08:00")
    with db.session_scope() as s:
        created = meeting.create_meeting(s, example_meeting(), actor="sun.li")
    send_pending(created.notice_keys)
    for action in ("register-attendance", "submit-topic", "approve-agenda"):
        claim = tokens.Claim("sun.li", "meeting", str(created.meeting_id), action, "m:1")
        page = client.get(f"/a/{tokens.sign(claim)}")
        assert page.status_code == 200, page.text
        assert_one_language(page.text)
