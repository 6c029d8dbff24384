"""Shared pieces of the duty tests: the emergency test org plus two more duty officers, and
roster inputs for the National Day week."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from models.duty_input import RosterSpec
from officeflow import db
from officeflow.org import load_org, parse_org_file
from tests.conftest import write_yaml
from tests.emergency_support import emergency_org_data

SHIFTS = [
    {"name": "day", "start": "08:30", "end": "17:30"},
    {"name": "night", "start": "17:30", "end": "08:30"},
]


def duty_org_data() -> dict[str, Any]:
    """boss (leader, office), duty, duty2, duty3 (duty officers of the office), director,
    mayor, heads p0-0 and p1-0. Everyone has email and a webhook chat id."""
    data = emergency_org_data()
    for pid in ("duty2", "duty3"):
        data["people"].append(
            {
                "id": pid,
                "name": f"Officer {pid}",
                "department": "office",
                "roles": ["duty_officer"],
                "email": f"{pid}@example.org",
                "chat": {"webhook": f"chat-{pid}"},
            }
        )
    return data


def load_duty_org(tmp_path: Path) -> dict[str, Any]:
    data = duty_org_data()
    parsed = parse_org_file(write_yaml(tmp_path / "org.yaml", data))
    with db.session_scope() as session:
        load_org(session, parsed)
    return data


def regular_roster(**kw: Any) -> RosterSpec:
    """Every shift of Sept 28 – Oct 11: officer `duty`, leader `director`."""
    data: dict[str, Any] = {
        "name": "Regular roster",
        "start": "2026-09-28",
        "end": "2026-10-11",
        "shifts": SHIFTS,
        "pattern": "weekly",
        "officers": ["duty"],
        "leaders": ["director"],
    }
    data.update(kw)
    return RosterSpec.model_validate(data)


def national_day_roster(**kw: Any) -> RosterSpec:
    """国庆 Oct 1–7, explicit: day shifts `duty3`, night shifts `duty2`; leader `mayor` on
    odd days, `boss` on even days."""
    slots = []
    for day in range(1, 8):
        leader = "mayor" if day % 2 else "boss"
        for shift, officer in (("day", "duty3"), ("night", "duty2")):
            slots.append(
                {"date": f"2026-10-0{day}", "shift": shift, "officer": officer, "leader": leader}
            )
    data: dict[str, Any] = {
        "name": "2026 National Day roster",
        "kind": "holiday",
        "holiday": "国庆",
        "start": "2026-10-01",
        "end": "2026-10-07",
        "shifts": SHIFTS,
        "pattern": "explicit",
        "slots": slots,
    }
    data.update(kw)
    return RosterSpec.model_validate(data)
