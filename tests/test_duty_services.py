"""值班 services on SQLite and PostgreSQL: rosters and holiday precedence, who is on duty (and
the emergency audiences built on it), swaps, the duty log and handover, reminders through the
real SMTP server, and every refusal with nothing written."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from models.duty import DutyHandover, DutyLogEntry, DutyRoster, DutyShift, DutySwap, RosterStatus
from models.duty_input import DutyLogView
from officeflow import actions, actors, clock, db, duty
from officeflow.actors import NotAllowed
from officeflow.duty import duty_officers, leader_on_duty
from officeflow.emergency import resolve
from officeflow.inputs import InputError
from officeflow.mailcatcher import MailCatcher
from rules.response_plan import Audience, RungSpec
from tests.conftest import both_backends
from tests.duty_support import load_duty_org, national_day_roster, regular_roster
from tests.emergency_support import mail_counts

backend = both_backends


def at(text: str) -> dt.datetime:
    return clock.parse_instant(text)


def _publish_both() -> None:
    with db.session_scope() as s:
        duty.publish_roster(s, regular_roster(), actor="director")
        duty.publish_roster(s, national_day_roster(), actor="director")


def _counts() -> tuple[int, int, int]:
    with db.session_scope() as s:
        return tuple(  # type: ignore[return-value]
            s.scalar(select(func.count()).select_from(t)) or 0
            for t in (DutyRoster, DutyShift, DutySwap)
        )


def test_holiday_roster_takes_precedence_and_feeds_the_emergency_audiences(
    ledger: Any, tmp_path: Path
) -> None:
    load_duty_org(tmp_path)
    clock.set_now("2026-09-25T10:00:00+08:00")
    with db.session_scope() as s:  # no roster yet: every duty officer, the office director
        assert duty_officers(s) == ["duty", "duty2", "duty3"]
        assert leader_on_duty(s) == ["director"]
    _publish_both()
    with db.session_scope() as s:
        night = duty.on_duty(s, at("2026-10-03T02:00"))
        assert (night.officer_id, night.leader_id, night.shift, night.holiday) == (
            "duty2",
            "boss",
            "night",
            True,
        )
        assert night.day == dt.date(2026, 10, 2)
        assert duty.on_duty(s, at("2026-09-30T20:00")).officer_id == "duty"  # regular
        assert duty.on_duty(s, at("2026-10-08T02:00")).officer_id == "duty2"  # 10-07 night
        assert duty.on_duty(s, at("2026-10-08T10:00")).officer_id == "duty"  # regular again
        assert duty_officers(s, at("2026-10-03T02:00")) == ["duty2"]
        assert leader_on_duty(s, at("2026-10-03T02:00")) == ["boss"]
        assert duty_officers(s, at("2026-10-01T09:00")) == ["duty3"]
        # outside every roster: today's behaviour
        assert duty_officers(s, at("2026-12-01T09:00")) == ["duty", "duty2", "duty3"]
        spec = RungSpec(0, (Audience.LEADER_ON_DUTY, Audience.DUTY_OFFICER), ())
        assert resolve(s, spec, ["dept-0"], at("2026-10-03T02:00")) == ["boss", "duty2"]
        in_force = s.scalar(
            select(func.count()).select_from(DutyShift).where(DutyShift.in_force.is_(True))
        )
        assert in_force == 28 - 14 + 14  # regular Oct 1–7 overridden by the 14 holiday shifts
        rows = duty.week_rows(s, dt.date(2026, 10, 3))
        assert len(rows) == 14 and rows[0]["day"] == "2026-09-28"
        assert "Officer duty2" in duty.week_markdown(s, dt.date(2026, 10, 3))
    # the same roster again is found; a changed one of the same name supersedes it
    with db.session_scope() as s:
        again = duty.publish_roster(s, national_day_roster(), actor="director")
        assert not again.newly_published and again.shifts == 14
        changed = duty.publish_roster(
            s, national_day_roster(end="2026-10-03", slots=national_day_roster().slots[:6]),
            actor="director",
        )  # fmt: skip
        assert changed.superseded == [again.roster_id]
        assert s.get_one(DutyRoster, again.roster_id).status is RosterStatus.SUPERSEDED
    with db.session_scope() as s:
        assert duty.on_duty(s, at("2026-10-05T02:00")).officer_id == "duty"  # regular again
        assert duty.on_duty(s, at("2026-10-03T02:00")).officer_id == "duty2"
    with db.session_scope() as s:  # the first version again: in force again
        back = duty.publish_roster(s, national_day_roster(), actor="director")
        assert back.roster_id == again.roster_id and not back.newly_published
        assert s.get_one(DutyRoster, changed.roster_id).status is RosterStatus.SUPERSEDED
    with db.session_scope() as s:
        assert duty.on_duty(s, at("2026-10-05T02:00")).officer_id == "duty2"


def _shift(s: Any, day: str, name: str) -> DutyShift:
    return s.scalars(
        select(DutyShift).where(
            DutyShift.in_force.is_(True),
            DutyShift.day == dt.date.fromisoformat(day),
            DutyShift.name == name,
        )
    ).one()


def test_reminders_go_once_to_whoever_holds_the_shift_after_a_swap(
    mail_office: MailCatcher, office_env: Any, tmp_path: Path
) -> None:
    office_env.set(locale="en")
    load_duty_org(tmp_path)
    clock.set_now("2026-09-25T10:00:00+08:00")
    with db.session_scope() as s:
        duty.publish_roster(s, national_day_roster(), actor="director")
    clock.set_now("2026-09-30T17:59:00+08:00")
    assert duty.run_sweep().notice_keys == []
    # 18:00 the evening before: Oct 1's day shift (duty3) and night shift (duty2), with their
    # leader (mayor) once per shift.
    clock.set_now("2026-09-30T18:05:00+08:00")
    first = duty.run_sweep()
    assert first.tally("reminder") == {"eve": 4, "soon": 0} and first.sent == 4
    with db.session_scope() as s:
        night_id = _shift(s, "2026-10-01", "night").id
    assert f"duty:shift:{night_id}:eve:duty2" in first.notice_keys
    assert mail_counts(mail_office) == Counter({"duty3": 1, "duty2": 1, "mayor": 2})
    assert mail_office.to("duty2@example.org")[0].subject.startswith(
        "[Duty] You are duty officer from 2026-10-01 17:30"
    )
    assert duty.run_sweep().sent == 0  # nothing twice

    # duty2 asks `duty` to take the night shift; the office director approves.
    with db.session_scope() as s:
        asked = duty.request_swap(
            s, shift_id=night_id, with_person="duty", reason="family", actor="duty2"
        )
    with db.session_scope() as s:
        approved = duty.decide_swap(s, shift_id=night_id, approve=True, actor="director")
    assert (approved.status, approved.officer_id, approved.leader_id) == (
        "approved",
        "duty",
        "mayor",
    )
    with db.session_scope() as s:  # approving again changes nothing
        again = duty.decide_swap(
            s, shift_id=night_id, approve=True, swap_id=asked.swap_id, actor="director"
        )
        assert again.notice_keys == [] and again.swap_id == asked.swap_id
        assert duty.on_duty(s, at("2026-10-01T20:00")).officer_id == "duty"
        assert duty_officers(s, at("2026-10-01T20:00")) == ["duty"]
    from officeflow.delivery import send_pending

    send_pending(asked.notice_keys + approved.notice_keys)
    swaps = Counter({"director": 1, "duty": 2, "duty2": 1})
    assert mail_counts(mail_office) == Counter({"duty3": 1, "duty2": 1, "mayor": 2}) + swaps

    # An hour before the night shift: the swapped-in officer and the leader, not duty2.
    clock.set_now("2026-10-01T16:35:00+08:00")
    soon = duty.run_sweep()
    assert soon.tally("reminder") == {"eve": 0, "soon": 2}
    assert (
        mail_counts(mail_office) == Counter({"duty3": 1, "duty2": 1, "mayor": 3, "duty": 1}) + swaps
    )
    assert "In one hour you are duty officer" in mail_office.to("duty@example.org")[-1].text()


def test_duty_log_handover_and_the_digest_view(
    mail_office: MailCatcher, office_env: Any, tmp_path: Path
) -> None:
    office_env.set(locale="en")
    load_duty_org(tmp_path)
    clock.set_now("2026-09-25T10:00:00+08:00")
    _publish_both()
    clock.set_now("2026-10-03T02:10:00+08:00")
    with db.session_scope() as s:
        call = duty.add_entry(
            s, officer="duty2", kind="call", text="District reports a burst main", open_item=True
        ).id
        duty.add_entry(s, officer="duty2", kind="event", text="Water cut to 300 homes")
        with pytest.raises(NotAllowed, match="'p0-0' .* may not write the duty log: only the "):
            duty.add_entry(s, officer="p0-0", kind="call", text="x")
        with pytest.raises(InputError, match="kind: kind must be one of"):
            duty.add_entry(s, officer="duty2", kind="gossip", text="x")
    clock.set_now("2026-10-03T08:35:00+08:00")
    with db.session_scope() as s:
        night = duty.shift_to_hand_over(s, "duty2")  # the night of 10-02, just ended
        assert night == _shift(s, "2026-10-02", "night").id
        with pytest.raises(InputError, match="has not been handed over yet"):
            duty.hand_over(s, shift_id=night, actor="duty3")
        given = duty.hand_over(s, shift_id=night, note="watch the main", actor="duty2")
    assert (given.step, given.incoming_id, given.open_items) == ("handed_over", "duty3", [call])
    duty.run_sweep()  # nothing due now
    from officeflow.delivery import send_pending

    assert send_pending(given.notice_keys).sent == 1
    notice = mail_office.to("duty3@example.org")[-1]
    assert "District reports a burst main" in notice.text()
    assert "/a/" in notice.text()  # a signed link to the record, no CLI syntax
    with db.session_scope() as s:
        assert duty.shift_to_hand_over(s, "duty3") == night  # the handover awaiting duty3
        taken = duty.hand_over(s, shift_id=night, actor="duty3")
        assert taken.step == "taken_over" and taken.handover_id == given.handover_id
        row = s.get_one(DutyHandover, given.handover_id)
        assert row.outgoing_signed_at is not None and row.incoming_signed_at is not None
        signed = row.incoming_signed_at
        # Signing again, either side, changes nothing.
        for person in ("duty2", "duty3"):
            again = duty.hand_over(s, shift_id=night, actor=person)
            assert (again.step, again.notice_keys) == ("taken_over", [])
        assert s.get_one(DutyHandover, given.handover_id).incoming_signed_at == signed
        with pytest.raises(InputError, match="'duty2' has no shift to hand over now"):
            duty.shift_to_hand_over(s, "duty2")
        views = duty.log_entries(s, start=at("2026-10-03T00:00"), end=at("2026-10-04T00:00"))
        duty.close_entry(s, entry_id=call, closed_by="duty3")
        assert duty.open_items(s) == []
        assert s.get_one(DutyLogEntry, call).closed_by == "duty3"
    assert [(v.officer_id, v.kind, v.open) for v in views] == [
        ("duty2", "call", True),
        ("duty2", "event", False),
    ]
    assert isinstance(views[0], DutyLogView) and views[0].at.tzinfo is not None
    assert views[0].at == at("2026-10-03T02:10")


@pytest.mark.parametrize(
    ("roster", "actor", "message"),
    [
        (
            lambda: national_day_roster(slots=national_day_roster().slots[:-1]),
            "director",
            "slots: 2026-10-07 night has no duty officer and leader",
        ),
        (
            lambda: regular_roster(officers=["duty", "ghost"]),
            "director",
            "officers[1]: unknown or inactive person 'ghost'",
        ),
        (
            lambda: national_day_roster(
                slots=[{**national_day_roster().slots[0].model_dump(), "leader": "nobody"}]
                + [sl.model_dump() for sl in national_day_roster().slots[1:]]
            ),
            "director",
            "slots[0].leader: unknown or inactive person 'nobody'",
        ),
        (lambda: national_day_roster(holiday=None), "director", "holiday: a holiday roster"),
        (
            lambda: regular_roster(officers=["director"]),
            "director",
            "cannot be both officer and leader",
        ),
    ],
)
def test_bad_rosters_are_refused_naming_the_field_and_nothing_is_written(
    ledger: Any, tmp_path: Path, roster: Any, actor: str, message: str
) -> None:
    load_duty_org(tmp_path)
    clock.set_now("2026-09-25T10:00:00+08:00")
    with pytest.raises(InputError) as err, db.session_scope() as s:
        duty.publish_roster(s, roster(), actor=actor)
    assert message in str(err.value)
    assert _counts() == (0, 0, 0)


def test_a_roster_published_by_someone_outside_the_office_is_not_allowed(
    ledger: Any, tmp_path: Path
) -> None:
    load_duty_org(tmp_path)
    clock.set_now("2026-09-25T10:00:00+08:00")
    for person in ("p0-0", "ghost"):
        with pytest.raises(NotAllowed) as refused, db.session_scope() as s:
            duty.publish_roster(s, regular_roster(), actor=person)
        assert "may not publish a duty roster: only the general office (办公室) may" in str(
            refused.value
        )
        assert "无权发布值班表：只有办公室工作人员可以办理。" in refused.value.zh
    for door in (actors.SYSTEM, actors.CLI):  # a roster names its publisher: a person
        with actors.acting(door), pytest.raises(NotAllowed), db.session_scope() as s:
            duty.publish_roster(s, regular_roster(), actor="system")
    assert _counts() == (0, 0, 0)


def test_bad_swaps_are_refused_and_nothing_is_written(ledger: Any, tmp_path: Path) -> None:
    load_duty_org(tmp_path)
    clock.set_now("2026-09-25T10:00:00+08:00")
    with db.session_scope() as s:
        duty.publish_roster(s, national_day_roster(), actor="director")
        night = _shift(s, "2026-10-01", "night").id
    cases = [
        (dict(with_person="duty2"), "with_person: a swap with oneself"),
        (dict(with_person="ghost"), "with_person: unknown or inactive"),
        (dict(with_person="mayor"), "with_person: 'mayor' is already on"),
        (dict(with_person="duty", shift_id=999), "shift: no duty shift 999"),
    ]
    for kwargs, message in cases:
        args: dict[str, Any] = {"shift_id": night, **kwargs}
        with pytest.raises(InputError) as err, db.session_scope() as s:
            duty.request_swap(s, **args, actor="duty2")
        assert message in str(err.value)
    # Only the people on the shift ask (its officer duty2, its leader mayor): the door refuses.
    with pytest.raises(NotAllowed) as no, db.session_scope() as s:
        actions.perform(s, "shift.request-swap", night, {"with_person": "duty"}, "duty3")
    assert str(no.value) == (
        f"'duty3' (Officer duty3) may not request a swap (duty shift {night}): only its officer "
        "Officer duty2 or its leader The Mayor may"
    )
    assert _counts()[2] == 0
    with db.session_scope() as s:
        swap = duty.request_swap(s, shift_id=night, with_person="duty", actor="duty2").swap_id
    with pytest.raises(InputError, match="awaits a decision"), db.session_scope() as s:
        duty.request_swap(s, shift_id=night, with_person="duty", actor="duty2")  # a replay
    for kwargs, message in [
        (dict(approve=False), "comment: a refusal needs a reason"),
        (dict(approve=True, swap_id=77), f"swap_id: shift {night} has no swap 77"),
    ]:
        with pytest.raises(InputError) as err, db.session_scope() as s:
            duty.decide_swap(s, shift_id=night, **kwargs, actor="director")
        assert message in str(err.value)
    # The general office decides; p0-0 (a department head elsewhere) is refused at the door.
    with pytest.raises(NotAllowed, match="only the general office"), db.session_scope() as s:
        actions.perform(s, "shift.decide-swap", night, {"approve": True}, "p0-0")
    with db.session_scope() as s:
        refused = duty.decide_swap(
            s, shift_id=night, approve=False, comment="no cover", actor="director"
        )
        assert (refused.status, refused.officer_id, refused.swap_id) == ("refused", "duty2", swap)
        with pytest.raises(InputError, match="swap_id: swap 1 was already refused"):
            duty.decide_swap(s, shift_id=night, approve=True, actor="director")
    clock.set_now("2026-10-01T18:00:00+08:00")  # the shift has begun
    with pytest.raises(InputError, match="has already begun"), db.session_scope() as s:
        duty.request_swap(s, shift_id=night, with_person="duty", actor="duty2")
