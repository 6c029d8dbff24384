"""Issue 16, defect 4: a secret in the webhook URL leaked in pieces (the token in its path
reached `deliveries.last_error` and Prefect's logs), and a `?apikey=` on it was dropped."""

from __future__ import annotations

import logging
import time
from typing import Any

from prefect import flow
from sqlalchemy import select

from models.ledger import Delivery, DeliveryStatus
from models.org import Channel
from officeflow import db
from tasks.delivery import deliver_notices
from tests.notice_helpers import plan_demo

PATH_TOKEN = "tok3nPATHsecret0421"


@flow(name="webhook-secret-check")
def webhook_secret_check(keys: list[str]) -> int:
    return deliver_notices(keys).failed


def _plan(key: str, recipients: list[str]) -> None:
    plan_demo(key, recipients, title="t", message="m")


def test_defect4_webhook_path_token_does_not_leak_into_ledger_or_prefect_logs(
    prefect_api: None, make_org: Any, office_env: Any, webhook_server: Any, caplog: Any
) -> None:
    from prefect import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    caplog.set_level(logging.DEBUG)
    make_org(departments=1, people_per_department=1)  # p0-0 has a webhook contact point
    # An http:// URL, as an office would paste it: Apprise calls it json://, so the errors
    # hold a URL that is not the configured one, with the token in its path.
    hook = f"http://127.0.0.1:{webhook_server.port}/hook/{PATH_TOKEN}"
    office_env.set(webhook_url=hook, delivery_attempts=1)
    webhook_server.statuses = [500] * 5
    _plan("hook-secret:1", ["p0-0"])

    state = webhook_secret_check(["hook-secret:1"], return_state=True)
    assert state.result() == 1

    with db.session_scope() as s:
        rows = s.scalars(select(Delivery).where(Delivery.channel == Channel.WEBHOOK)).all()
    assert [r.status for r in rows] == [DeliveryStatus.FAILED]
    error = rows[0].last_error or ""
    assert error.startswith("webhook:") and "500" in error  # the real failure is reported
    assert PATH_TOKEN not in error, error

    run_filter = LogFilter(flow_run_id=LogFilterFlowRunId(any_=[state.state_details.flow_run_id]))
    logs = ""
    deadline = time.monotonic() + 30
    while "delivery failed" not in logs and time.monotonic() < deadline:
        time.sleep(0.5)  # the API log handler ships records in the background
        with get_client(sync_client=True) as client:
            logs = "\n".join(log.message for log in client.read_logs(log_filter=run_filter))
    assert "delivery failed" in logs  # the failure was logged to Prefect …
    assert PATH_TOKEN not in logs, logs  # … without the token
    assert "JSON POST URL" in caplog.text  # Apprise logged the request at DEBUG …
    assert PATH_TOKEN not in caplog.text  # … scrubbed


def test_defect4_webhook_query_parameter_reaches_the_server(
    make_org: Any, office_env: Any, webhook_server: Any
) -> None:
    from officeflow.delivery import send_pending

    make_org(departments=1, people_per_department=1)
    office_env.set(webhook_url=f"{webhook_server.url}?apikey=K3y-0421")
    _plan("hook-query:1", ["p0-0"])

    assert send_pending(["hook-query:1"]).sent == 1
    assert len(webhook_server.posts) == 1
    path = webhook_server.posts[0]["path"]
    assert path.startswith("/hook?") and "apikey=K3y-0421" in path, path
