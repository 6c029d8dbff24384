"""Shared pieces of the emergency tests: a small org with every role, and incident inputs."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from models.ledger import Delivery, Notice
from officeflow import db
from officeflow.mailcatcher import MailCatcher
from officeflow.org import load_org, parse_org_file
from tests.conftest import org_data, write_yaml

T0 = "2026-09-21T10:00:00+08:00"  # a Monday


def emergency_org_data() -> dict[str, Any]:
    """The general office (leader `boss`, duty officer `duty`, director `director`), a mayor,
    and two departments whose heads are p0-0 and p1-0. Everyone has email and a webhook id."""
    data = org_data(departments=2)
    data["people"] += [
        {
            "id": "director",
            "name": "Office Director",
            "department": "office",
            "roles": ["office_director"],
            "email": "director@example.org",
        },
        {
            "id": "mayor",
            "name": "The Mayor",
            "department": "office",
            "roles": ["leader"],
            "email": "mayor@example.org",
        },
    ]
    for person in data["people"]:
        person["chat"] = {"webhook": f"chat-{person['id']}"}
    return data


def load_emergency_org(tmp_path: Path) -> dict[str, Any]:
    data = emergency_org_data()
    parsed = parse_org_file(write_yaml(tmp_path / "org.yaml", data))
    with db.session_scope() as session:
        load_org(session, parsed)
    return data


def incident_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "Warehouse fire in the port district",
        "category": "accident",
        "occurred_at": "2026-09-21T09:40:00+08:00",
        "location": "Port district, warehouse 7",
        "reported_by": "District emergency bureau duty room",
        "description": "A fire broke out in a chemical warehouse; rescue is under way.",
        "deaths": 12,
        "serious_injuries": 4,
        "direct_loss_cny": 8_000_000,
        "department": "dept-0",
    }
    data.update(overrides)
    return data


def mail_counts(catcher: MailCatcher) -> Counter[str]:
    return Counter(m.rcpt_tos[0].split("@")[0] for m in catcher.messages)


def hook_counts(server: Any) -> Counter[str]:
    return Counter(str(b["recipient"]).removeprefix("chat-") for b in server.bodies())


def ledger_counts() -> tuple[int, int]:
    """(notices, deliveries) in the ledger."""
    with db.session_scope() as s:
        return (
            s.scalar(select(func.count()).select_from(Notice)) or 0,
            s.scalar(select(func.count()).select_from(Delivery)) or 0,
        )
