"""Saying what was not delivered, where it was raised: an incident reported while the mail
server is down says "0 of N delivered, N retrying at …" in the reporter's own output and exits
with the documented code (3), the ladder separates "fired" from "delivered" per recipient (CLI,
incident page, board), a page that sends notices says the same in Chinese, and once the server
is back the retry delivers each alert exactly once. And a command that starts Prefect's temporary
server never tries to phone home.

Real parts: the console script, a real Prefect API, the ledger, a real SMTP server that is down
(nothing listens on its port) and then up on the same port."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from models.emergency import EscalationRung
from models.ledger import Delivery, DeliveryStatus
from models.org import Person
from officeflow import clock, db, delivered
from officeflow.mailcatcher import MailCatcher, free_port
from officeflow.web import tokens
from officeflow.web.app import create_app
from tests.cli_helpers import OFFICEFLOW, run_cli
from tests.conftest import write_yaml
from tests.emergency_support import T0, incident_data
from tests.web2_helpers import client as web2_client
from tests.web2_helpers import sign_in_as

EXIT_PENDING, EXIT_UNDELIVERABLE = 3, 4


def _first_rung(incident_id: int) -> tuple[str, list[str], list[str]]:
    with db.read_scope() as s:
        rung = s.scalar(
            select(EscalationRung).where(
                EscalationRung.incident_id == incident_id, EscalationRung.rung == 0
            )
        )
        assert rung is not None and rung.fired_at is not None
        names = dict(s.execute(select(Person.id, Person.name)).all())
        return rung.notice_key, list(rung.recipients), [names[p] for p in rung.recipients]


def test_an_incident_reported_while_mail_is_down_says_none_arrived_and_the_retry_delivers_once(
    prefect_env: dict[str, str], org: Any, office_env: Any, tmp_path: Path
) -> None:
    port = free_port()  # nothing listens here yet: the mail server is down
    office_env.set(smtp_host="127.0.0.1", smtp_port=port, locale="zh-CN")
    env = {**prefect_env, "OFFICEFLOW_NOW": T0}
    report = write_yaml(tmp_path / "fire.yaml", incident_data(department="emergency-management"))

    result = run_cli("incident", "report", str(report), env=env)

    # Recorded, and the reporter is told the truth: nobody was reached yet.
    assert result.returncode == EXIT_PENDING, result.stdout + result.stderr
    key, ids, names = _first_rung(1)
    n = len(names)
    assert n >= 2
    with db.read_scope() as s:
        rows = list(s.scalars(select(Delivery).where(Delivery.notice_key == key)))
    assert rows and all(r.status is DeliveryStatus.FAILED for r in rows)
    first_retry = min(r.next_attempt_at for r in rows if r.next_attempt_at)
    out = " ".join(result.stdout.split())
    assert f"notices: 0 of {n} delivered, {n} retrying at {clock.format_local(first_retry)}" in out
    assert "not everyone was told yet" in result.stderr
    assert "officeflow deliveries problems" in result.stderr
    # The ladder: rung 0 fired, and each recipient is "retrying", none "delivered".
    ladder = out[out.index("ladder") : out.index("reports")]
    assert "delivered" not in ladder
    for name in names:
        assert f"{name} retrying at" in out

    # The board shows the same, per incident.
    board = web2_client()
    sign_in_as(board, "sun.li")  # the office's director
    page = board.get("/board")
    assert page.status_code == 200
    cell = re.search(r'<td class="reached late">(.*?)</td>', page.text, re.S)
    assert cell, page.text
    assert f"0/{n} 已送达" in cell.group(1) and f"{n} 待重试" in cell.group(1)

    # The incident page (a recipient's link) shows the same ladder, in Chinese.
    link = "/a/" + tokens.sign(tokens.Claim(ids[0], "incident", "1", "acknowledge", key))
    page = board.get(link)
    assert page.status_code == 200, page.text[page.text.find("<main") :]
    ladder_html = page.text[page.text.index('id="ladder"') :]
    ladder_html = ladder_html[: ladder_html.index("</table>")]
    assert ladder_html.count('data-state="retrying"') == n
    for name in names:
        assert f"{name}：待重试（将于 " in ladder_html

    # The flow run says it too, where a script or the Prefect UI looks: an artifact.
    from prefect import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    with get_client(sync_client=True) as prefect:
        artifacts = prefect.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["undelivered-notices"]))
        )
    assert any(
        a.description and a.description.startswith(f"notices: 0 of {n} delivered")
        for a in artifacts
    ), [a.description for a in artifacts]

    # The mail server comes back on the same port; the retry (after the backoff) sends each
    # alert once, and `incident show` says each recipient was delivered.
    with MailCatcher(port=port) as mail:
        later = (clock.parse_instant(T0) + dt.timedelta(minutes=3)).isoformat()
        retried = run_cli("deliveries", "retry", env={**env, "OFFICEFLOW_NOW": later})
        assert retried.returncode == 0, retried.stdout + retried.stderr
        shown = run_cli("incident", "show", "1", env={**env, "OFFICEFLOW_NOW": later})
        assert shown.returncode == 0, shown.stderr
        alerts = Counter(m.rcpt_tos[0] for m in mail.messages)
    assert len(alerts) == n and set(alerts.values()) == {1}  # each recipient exactly once
    said = " ".join(shown.stdout.split())
    for name in names:
        assert f"{name} delivered" in said
    assert "retrying" not in said


def test_a_page_that_sends_notices_says_in_chinese_what_became_of_them(
    org: Any, mail_office: MailCatcher, office_env: Any
) -> None:
    from tests.web_support import issue_assignment, link_of

    issue_assignment()
    owner_link = link_of(mail_office.to("lin.tao@example.gov.cn")[0])
    office_env.set(smtp_port=free_port())  # the mail server goes away
    client = TestClient(create_app(), base_url="http://testserver")
    page = client.get(f"{owner_link}/request-extension")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    state = re.search(r'name="state" value="([^"]+)"', page.text)
    assert csrf and state
    asked = client.post(
        f"{owner_link}/request-extension",
        data={
            "csrf_token": csrf.group(1),
            "state": state.group(1),
            "new_due_date": "2026-10-16",
            "reason": "等待审计结果",
        },
    )
    assert asked.status_code == 200, asked.text
    said = re.search(r'<p id="delivery">(.*?)</p>', asked.text, re.S)
    assert said, asked.text
    assert re.fullmatch(
        r"通知：1 人次中 0 人次已送达，1 人次将于 \d{4}-\d\d-\d\d \d\d:\d\d 重试。", said.group(1)
    ), said.group(1)


def test_the_outcome_of_notices_per_recipient(org: Any, mail_office: MailCatcher) -> None:
    """The rule behind every summary: a recipient is delivered when any of their rows was sent
    (an urgent notice that went by SMS after email failed), undeliverable only when every row
    was refused for good, else retrying at the earliest next attempt."""
    from officeflow.delivery import plan_notice

    clock.set_now(T0)
    people = ["lin.tao", "li.jianguo", "xu.lei"]
    with db.session_scope() as s:
        plan_notice(
            s,
            key="demo:outcome",
            template="test",
            object_type="person",
            object_id="x",
            recipients=people,
        )
    at = clock.now() + dt.timedelta(minutes=2)
    with db.session_scope() as s:
        rows = {r.person_id: r for r in s.scalars(select(Delivery))}
        rows["lin.tao"].status = DeliveryStatus.SENT
        rows["li.jianguo"].status = DeliveryStatus.FAILED
        rows["li.jianguo"].next_attempt_at = at
        rows["xu.lei"].status = DeliveryStatus.UNDELIVERABLE
    with db.read_scope() as s:
        outcome = delivered.outcome(s, ["demo:outcome"])
        names = dict(s.execute(select(Person.id, Person.name)).all())
        # A sweep's thousands of keys go in chunks: the same outcome among 1,200 keys.
        many = [f"demo:none:{i}" for i in range(1_200)] + ["demo:outcome"]
        assert delivered.outcome(s, many) == outcome
    assert (outcome.total, outcome.delivered, outcome.retrying) == (3, 1, 1)
    assert [r.name for r in outcome.undeliverable] == [names["xu.lei"]]
    assert outcome.exit_code == EXIT_UNDELIVERABLE
    assert outcome.summary() == (
        f"notices: 1 of 3 delivered, 1 retrying at {clock.format_local(at)}, "
        f"1 undeliverable: {names['xu.lei']} (email)"
    )
    assert outcome.summary("zh") == (
        f"通知：3 人次中 1 人次已送达，1 人次将于 {clock.format_local(at)} 重试，"
        f"1 人次无法送达：{names['xu.lei']}（邮件）。"
    )
    with db.session_scope() as s:
        row = s.scalar(select(Delivery).where(Delivery.person_id == "xu.lei"))
        assert row is not None
        row.status = DeliveryStatus.SENT
    with db.read_scope() as s:
        assert delivered.outcome(s, ["demo:outcome"]).exit_code == EXIT_PENDING
    assert delivered.Outcome().exit_code == 0


def test_a_command_that_starts_prefects_temporary_server_never_phones_home(
    org: Any, mail_office: MailCatcher, tmp_path: Path
) -> None:
    """No stack, no PREFECT_API_URL: the command starts Prefect's temporary server. Every outside
    address goes through a proxy that does not exist (as on a machine without a network), so
    any attempt to reach the outside fails and is logged; none may be."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    dead = f"http://127.0.0.1:{free_port()}"
    env.update(
        HTTPS_PROXY=dead,
        HTTP_PROXY=dead,
        https_proxy=dead,
        http_proxy=dead,
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
        PREFECT_HOME=str(tmp_path / "prefect-home"),
        OFFICEFLOW_NOW=T0,
        # The temporary server's own log lines reach the command's output at this level.
        PREFECT_SERVER_LOGGING_LEVEL="DEBUG",
    )
    report = write_yaml(tmp_path / "fire.yaml", incident_data(department="emergency-management"))
    result = subprocess.run(
        [str(OFFICEFLOW), "incident", "report", str(report)],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Starting temporary server" in result.stderr + result.stdout  # it did start one
    said = (result.stdout + result.stderr).lower()
    # The server says it skipped its telemetry service; it neither scheduled nor tried it.
    assert "skipping disabled perpetual service: send_telemetry_heartbeat" in said
    assert "scheduling perpetual service: send_telemetry_heartbeat" not in said
    assert "failed to send telemetry" not in said
