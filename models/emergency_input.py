"""The incident report (突发事件信息报告): the parameter of the `emergency-response` flow, the
form in the Prefect UI and the file `officeflow incident report FILE.yaml` reads."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from pydantic import Field, ValidationInfo, field_validator

from models.common import ID_PATTERN, StrictInput
from officeflow import clock
from officeflow.settings import get_settings
from rules.grading import Category, Grade


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
                f"{clock.to_local(value).format('YYYY-MM-DD HH:mm')} is in the future "
                f"(now {clock.to_local(now).format('YYYY-MM-DD HH:mm')})"
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
