"""A declared office action as a Prefect task: one transaction, one call through the service door
(`officeflow.actions.perform`: the input, then the policy, then the service). Every action flow
records its action with this task; a refused person fails the task, and the flow run, before
anything is written."""

from __future__ import annotations

from typing import Any

from prefect import task
from pydantic import BaseModel

from officeflow import actions, db


@task(name="take-action", task_run_name="{key}")
def take_action(key: str, object_id: int, params: BaseModel, actor: str) -> Any:
    """Record the action ``key`` (``<object>.<verb>``) on the object, as ``actor``."""
    with db.session_scope() as session:
        return actions.perform(session, key, object_id, params, actor)
