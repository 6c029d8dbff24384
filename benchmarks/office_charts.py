"""The office year's pictures, read from the ledger after the run: the lights by week, the
on-time rate per department, acknowledgement times by grade. English labels (the CJK font is
optional on a fresh machine)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path
from typing import Any

COLOURS = {"green": "#2e7d32", "blue": "#1565c0", "yellow": "#f9a825", "red": "#c62828"}
GRADES = ("I", "II", "III", "IV")


def draw(folder: Path, suffix: str, year: Any) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    folder.mkdir(parents=True, exist_ok=True)
    paths = [
        _lights(folder / f"office_year{suffix}_lights.png", year),
        _on_time(folder / f"office_year{suffix}_on_time.png", year),
        _acks(folder / f"office_year{suffix}_acks.png", year),
    ]
    return paths


def _lights(path: Path, year: Any) -> Path:
    """The lights the sweep saw each working day (its `sweep.ran` events), the last sweep of
    each ISO week."""
    import matplotlib.pyplot as plt
    from sqlalchemy import select

    from models.ledger import Event
    from officeflow import db

    weeks: dict[str, dict[str, int]] = {}
    with db.session_scope(readonly=True) as session:
        for object_id, data in session.execute(
            select(Event.object_id, Event.data)
            .where(Event.action == "sweep.ran")
            .order_by(Event.id)
        ):
            day = dt.date.fromisoformat(object_id)
            iso = day.isocalendar()
            weeks[f"{iso[0]}-W{iso[1]:02d}"] = dict(data.get("lights", {}))
    labels = sorted(weeks)
    fig, ax = plt.subplots(figsize=(12, 5))
    bottom = [0] * len(labels)
    for light in ("green", "blue", "yellow", "red"):
        values = [weeks[w].get(light, 0) for w in labels]
        ax.bar(range(len(labels)), values, bottom=bottom, color=COLOURS[light], label=light)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_xticks(
        range(0, len(labels), 4),
        [labels[i] for i in range(0, len(labels), 4)],
        rotation=60,
        fontsize=8,
    )
    ax.set_ylabel("assignments not closed (at the week's last sweep)")
    ax.set_title(f"Supervision lights by week, 2026 (scale {year.scale:g})")
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _on_time(path: Path, year: Any, n: int = 15) -> Path:
    """Closed assignments closed by their (final) deadline, per lead department."""
    import matplotlib.pyplot as plt
    from sqlalchemy import select

    from models.supervision import Assignment, AssignmentStatus
    from officeflow import db

    done: dict[str, list[bool]] = defaultdict(list)
    with db.session_scope(readonly=True) as session:
        for dept, closed_at, due_at in session.execute(
            select(Assignment.lead_department_id, Assignment.closed_at, Assignment.due_at).where(
                Assignment.status == AssignmentStatus.CLOSED
            )
        ):
            done[dept].append(closed_at <= due_at)
    rates = sorted(((sum(v) / len(v), dept, len(v)) for dept, v in done.items() if v), reverse=True)
    shown = rates if len(rates) <= 2 * n else rates[:n] + rates[-n:]
    fig, ax = plt.subplots(figsize=(10, max(3, 0.28 * len(shown) + 1.5)))
    ax.barh(
        [f"{dept} ({count})" for _, dept, count in shown][::-1],
        [100 * rate for rate, _, _ in shown][::-1],
        color="#1565c0",
    )
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of closed assignments closed by the deadline (closed count)")
    title = "On-time rate per lead department"
    if len(shown) < len(rates):
        title += f" (top and bottom {n} of {len(rates)})"
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _acks(path: Path, year: Any) -> Path:
    """Minutes from recording to the first acknowledgement, per grade; never-acknowledged
    incidents counted under each box."""
    import matplotlib.pyplot as plt
    from sqlalchemy import select

    from models.emergency import Incident
    from officeflow import db

    minutes: dict[str, list[float]] = {g: [] for g in GRADES}
    never: dict[str, int] = {g: 0 for g in GRADES}
    with db.session_scope(readonly=True) as session:
        for grade, recorded_at, acked_at in session.execute(
            select(Incident.grade, Incident.recorded_at, Incident.acknowledged_at)
        ):
            g = getattr(grade, "value", grade)
            if acked_at is None:
                never[g] += 1
            else:
                minutes[g].append((acked_at - recorded_at).total_seconds() / 60)
    fig, ax = plt.subplots(figsize=(8, 5))
    ax.boxplot([minutes[g] or [float("nan")] for g in GRADES], showfliers=False)
    for i, g in enumerate(GRADES, 1):  # every incident, as a point
        ax.scatter([i] * len(minutes[g]), minutes[g], s=14, alpha=0.6, color="#c62828")
    ax.set_xticks(
        range(1, 5), [f"{g}\n({len(minutes[g])} acked, {never[g]} never)" for g in GRADES]
    )
    ax.set_ylabel("minutes from recording to the first acknowledgement")
    ax.set_title("Incident acknowledgement times by grade")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
