"""The delivery task inside a real Prefect flow run, against a real Prefect API."""

from typing import Any

from prefect import flow

from officeflow import db
from officeflow.delivery import plan_notice
from officeflow.mailcatcher import MailCatcher
from tasks.delivery import deliver_notices


@flow(name="delivery-check")
def delivery_check(keys: list[str]) -> int:
    return deliver_notices(keys).sent


def test_deliver_task_in_a_flow_sends_once(
    prefect_api: None, make_org: Any, mail_office: MailCatcher
) -> None:
    make_org(departments=1)
    with db.session_scope() as s:
        plan_notice(
            s,
            key="flow:1",
            template="notice",
            object_type="demo",
            object_id=1,
            recipients=["p0-0", "p0-1"],
            context={"title": "t", "message": "m"},
        )
    assert delivery_check(["flow:1"]) == 2
    assert delivery_check(["flow:1"]) == 0
    assert len(mail_office.messages) == 2
