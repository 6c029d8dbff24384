"""The incident report (突发事件信息报告): the parameter of the `emergency-response` flow, the
form in the Prefect UI and the file `officeflow incident report FILE.yaml` reads; and what the
emergency flows return."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field, ValidationInfo, field_validator

from models.common import ID_PATTERN, StrictInput
from officeflow import clock
from officeflow.settings import get_settings
from rules.grading import Category, Grade
from rules.response_plan import ReportKind


class IncidentReport(StrictInput):
    title: str = Field(min_length=1, max_length=200)
    category: Category
    occurred_at: dt.datetime = Field(description="When it happened; no offset = the office zone")
    location: str = Field(min_length=1, max_length=300)
    reported_by: str = Field(min_length=1, max_length=200, description="Who reported it")
    description: str = Field(min_length=1)
    # Bounded so that a typo cannot overflow the ledger's integer columns.
    deaths: int = Field(0, ge=0, le=1_000_000)
    serious_injuries: int = Field(0, ge=0, le=1_000_000)
    direct_loss_cny: Decimal = Field(Decimal(0), ge=0, max_digits=18, decimal_places=2)
    department: str = Field(
        pattern=ID_PATTERN, description="Responsible department (id), which also owns the review"
    )
    affected_departments: list[str] = Field(
        default_factory=list, description="Department ids; the responsible one is always in"
    )
    jurisdiction: str | None = Field(None, max_length=100)
    manual_grade: Grade | None = Field(None, description="A grade set by hand (needs a reason)")
    manual_grade_reason: str | None = Field(None, validate_default=True)

    @field_validator("occurred_at", mode="before")
    @classmethod
    def _in_office_zone(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return clock.parse_instant(value)
            except Exception:  # let Pydantic word the error
                return value
        if isinstance(value, dt.datetime) and value.tzinfo is None:
            return value.replace(tzinfo=clock.local_zone())
        return value

    @field_validator("occurred_at")
    @classmethod
    def _not_in_future(cls, value: dt.datetime) -> dt.datetime:
        if value.tzinfo is None:
            value = value.replace(tzinfo=clock.local_zone())
        tolerance = dt.timedelta(seconds=get_settings().incident_future_tolerance_s)
        now = clock.now()
        if value > now + tolerance:
            raise ValueError(
                f"{clock.format_local(value)} is in the future (now {clock.format_local(now)})"
            )
        return value

    @field_validator("manual_grade_reason")
    @classmethod
    def _reason_for_manual_grade(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("manual_grade") is not None and not (value and value.strip()):
            raise ValueError("a manual grade needs a reason")
        return value

    def departments(self) -> list[str]:
        return list(dict.fromkeys([self.department, *self.affected_departments]))


# --- what the flows return ----------------------------------------------------------------


class IncidentResult(BaseModel):
    """What the `emergency-response` flow did."""

    incident_id: int
    grade: Grade
    alerted: list[str] = Field(description="Who the first alert (rung 0) went to")
    notices_sent: int = Field(description="Deliveries of the first alert sent")
    notices_failed: int = Field(description="Deliveries of the first alert that failed")
    watched_sent: int = Field(0, description="Deliveries sent by the run's own watch loop")


class AckResult(BaseModel):
    """An acknowledgement (the `incident-acknowledge` flow, `officeflow incident acknowledge`)."""

    incident_id: int
    person_id: str
    at: dt.datetime
    first: bool = Field(description="The acknowledgement that stopped the ladder")
    already: bool = Field(description="This person had acknowledged before")
    stopped_rungs: int = Field(description="Rungs cancelled by it")
    notice_keys: list[str] = Field(default_factory=list, description="None: it stops notices")


class FileReportResult(BaseModel):
    """A report made to the next level up, as recorded (the `incident-file-report` flow and
    `officeflow incident file-report`)."""

    incident_id: int
    label: str = Field(description="电话报告, 初报, 续报n or 终报")
    late: bool = Field(description="Filed after its deadline")
    due_at: dt.datetime | None = Field(description="Its deadline, if the clock set one")
    notice_keys: list[str] = Field(default_factory=list)


class CloseResult(BaseModel):
    """What closing an incident did (the `incident-close` flow and `officeflow incident close`)."""

    incident_id: int
    status: str = "closed"
    final_due: dt.datetime | None = Field(description="When the final report (终报) is due")
    review_due: dt.datetime = Field(description="When the review (复盘) assignment is due")
    notice_keys: list[str] = Field(description="The final-report request and review notices")
    notices_sent: int = 0
    notices_failed: int = 0


# --- the inputs of the incident actions (officeflow/emergency/declarations.py) ----------------


class AcknowledgeInput(StrictInput):
    """确认收到: nothing to type; the acknowledgement stops the incident's escalation ladder."""


class FileReportInput(StrictInput):
    """报送续报: a report made to the next level up (电话报告, 初报, 续报, 终报), recorded."""

    kind: ReportKind = Field(
        title="报告类型",
        description="phone (电话报告), initial (初报), follow-up (续报) or final (终报)",
        json_schema_extra={
            "labels": {
                "phone": ["电话报告", "Phone report"],
                "initial": ["初报", "Initial report"],
                "follow_up": ["续报", "Follow-up"],
                "final": ["终报", "Final report"],
            }
        },
    )
    summary: str = Field(
        max_length=4000, title="报告内容", description="What was reported (its text or a summary)"
    )

    @field_validator("kind", mode="before")
    @classmethod
    def _dashed(cls, value: Any) -> Any:
        """``follow-up`` (how the CLI always spelled it) is ``follow_up``."""
        return value.replace("-", "_") if isinstance(value, str) else value


class CloseInput(StrictInput):
    """结束: stop the ladder and the clocks, ask for the final report (终报), open the review."""

    summary: str = Field(max_length=4000, title="处置情况", description="How it ended")
