"""What every process's inputs share: the strict base model, the id pattern, office dates and
the one result type of a periodic sweep. No database, no Prefect."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

# Ids of departments and people in the org file and in every input that names one.
ID_PATTERN = r"^[a-z0-9][a-z0-9._-]*$"

# Person and actor ids are stored in 64-character columns (PostgreSQL refuses longer ones).
ID_MAX_LENGTH = 64

# PostgreSQL cannot store a NUL character in text; SQLite can. Both refuse it at input.
NUL = "\x00"
NUL_MESSAGE = "must not contain a NUL character (\\x00)"


def has_nul(value: object) -> bool:
    """True when ``value`` (a string, or a list/dict/tuple holding strings) contains a NUL."""
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        return any(has_nul(v) for v in value)
    return False


# The working-day calendar, the sweep's calendar table and the deadlines are computed day by day
# between an object's dates; a typo like 0206-09-21 would make that span two thousand years.
FIRST_YEAR, LAST_YEAR = 2000, 2099


class StrictInput(BaseModel):
    """The base of every input a person types (a flow form, a YAML file, CLI options): unknown
    fields are refused, surrounding whitespace is dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*")
    @classmethod
    def _no_nul(cls, value: object) -> object:
        if has_nul(value):
            raise ValueError(NUL_MESSAGE)
        return value


def _office_year(value: dt.date) -> dt.date:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"{value} is outside the years {FIRST_YEAR}–{LAST_YEAR}")
    return value


OfficeDate = Annotated[dt.date, AfterValidator(_office_year)]


def _office_instant(value: dt.datetime) -> dt.datetime:
    _office_year(value.date())
    return value


OfficeDateTime = Annotated[dt.datetime, AfterValidator(_office_instant)]


class SweepResult(BaseModel):
    """What one run of a process's periodic step (its *sweep*) did. Every process's sweep
    returns this, from the service, the task and the flow alike."""

    process: str = Field(description="supervision, emergency, meeting, ...")
    skipped: bool = False
    reason: str = Field("", description="Why the sweep did nothing (e.g. not a working day)")
    counts: dict[str, int] = Field(
        default_factory=dict,
        description="What the sweep found or did, by name; names of one kind share a prefix "
        "('reminder:red', 'reminder:blue'), which `tally` groups",
    )
    notice_keys: list[str] = Field(default_factory=list, description="Notices it planned")
    sent: int = Field(0, description="Deliveries sent by this run")
    failed: int = Field(0, description="Deliveries that failed in this run")

    def tally(self, kind: str) -> dict[str, int]:
        """The counts of one kind, e.g. ``tally("reminder") == {"red": 2, "blue": 1}``."""
        prefix = f"{kind}:"
        return {k[len(prefix) :]: v for k, v in self.counts.items() if k.startswith(prefix)}


# --- a task for a department, as one line (批示 and 分办 turn them into supervised assignments) --

_TASK_LINE = re.compile(r"^(?P<department>[^:]*):(?:(?P<days>\d{1,3}):)?(?P<task>.*)$", re.S)
TASK_LINE_HELP = "DEPARTMENT:TASK or DEPARTMENT:WORKDAYS:TASK, e.g. finance:5:编制方案"


def split_task_line(line: str) -> tuple[str, int | None, str]:
    """A task line as (department, its own working days or None, task); ValueError saying the
    form otherwise. The department id holds no colon, so the first one ends it."""
    found = _TASK_LINE.match(line.strip())
    if found is None:
        raise ValueError(f"write {TASK_LINE_HELP}, not {line[:60]!r}")
    department, task = found["department"].strip(), found["task"].strip()
    if not re.fullmatch(ID_PATTERN, department) or len(department) > 64:
        raise ValueError(f"{department[:60]!r} is not a department id ({TASK_LINE_HELP})")
    if not task:
        raise ValueError(f"the task after {department}: is empty ({TASK_LINE_HELP})")
    if len(task) > 4000:
        raise ValueError("a task is at most 4000 characters")
    days = int(found["days"]) if found["days"] else None
    if days is not None and not 1 <= days <= 250:
        raise ValueError(f"{days} working days: give 1 to 250")
    return department, days, task


def _task_line(line: str) -> str:
    split_task_line(line)
    return line.strip()


TaskLine = Annotated[str, Field(min_length=3, max_length=4100), AfterValidator(_task_line)]
