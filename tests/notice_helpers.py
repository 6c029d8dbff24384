"""A plain notice for the delivery tests: the ``notice`` template on a demo object, planned
through `officeflow.delivery.plan_notice` in its own transaction, as a flow's plan task does.

The delivery tests (`test_delivery.py`, `test_faults.py`, `test_direct_messages.py` and the
others) need a notice that belongs to no process; each says only its key, its recipients and,
where the test reads them, its title and message.
"""

from __future__ import annotations

from collections.abc import Sequence

from models.org import Channel
from officeflow import db
from officeflow.delivery import PlanResult, plan_notice


def plan_demo(
    key: str,
    recipients: Sequence[str],
    *,
    title: str = "Notice",
    message: str = "Please confirm.",
    channels: Sequence[str] | None = None,
) -> PlanResult:
    """Plan a demo notice (``object_type="demo"``, ``object_id=1``) for ``recipients``, on
    ``channels`` (their values, such as ``"email"``) or on each person's own channels."""
    with db.session_scope() as s:
        return plan_notice(
            s,
            key=key,
            template="notice",
            object_type="demo",
            object_id=1,
            recipients=list(recipients),
            context={"title": title, "message": message},
            channels_wanted=[Channel(c) for c in channels] if channels else None,
        )
