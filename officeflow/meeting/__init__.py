"""办会 services: a meeting from registration to minutes. Each function takes an explicit session
and is shared by the Prefect tasks, the CLI and the tests.

A meeting's life is a set of `MeetingStep` rows with due times. The sweep (`run_sweep`,
`plan_sweep` inside a transaction) takes every due pending step, reserves its notices and marks
it done in one transaction, so a step's notices are reserved exactly once; they are delivered
after the commit.

The actions people take on a meeting, and who may take each, are declared in `declarations`
(`officeflow.actions`); the services below no longer check permissions themselves.

Modules: `common` (lookups), `registration`, `agenda` (topics, approval, materials),
`attendance` (attendees' answers, stand-ins, materials uploads),
`changes` (reschedule, cancel), `steps` (one handler per step kind), `sweep`, `notices`
(template context, invitation), `minutes`, `views`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from officeflow._lazy import exports

if TYPE_CHECKING:
    from officeflow.meeting.agenda import approve_agenda, submit_materials, submit_topic
    from officeflow.meeting.attendance import (
        attendance_rows,
        materials_department,
        register_attendance,
        store_materials,
    )
    from officeflow.meeting.changes import cancel, reschedule
    from officeflow.meeting.common import (
        OBJECT,
        attendee_ids,
        department_ids,
        get_meeting,
        late_materials,
        scheduled_meeting,
        steps,
        topics,
    )
    from officeflow.meeting.minutes import link_decision, minutes_decision, record_minutes
    from officeflow.meeting.notices import KIND_NAMES, invite_text, meeting_context
    from officeflow.meeting.registration import (
        MeetingRecord,
        MeetingTimes,
        check_meeting,
        create_meeting,
        meeting_times,
        registered_meeting,
    )
    from officeflow.meeting.steps import STEP_HANDLERS, run_step
    from officeflow.meeting.sweep import plan_sweep, run_sweep
    from officeflow.meeting.views import agenda_markdown, list_meetings, meeting_view

__getattr__, __dir__ = exports(__name__, __file__)

__all__ = [
    "KIND_NAMES",
    "OBJECT",
    "STEP_HANDLERS",
    "MeetingRecord",
    "MeetingTimes",
    "agenda_markdown",
    "attendance_rows",
    "approve_agenda",
    "attendee_ids",
    "cancel",
    "check_meeting",
    "create_meeting",
    "department_ids",
    "get_meeting",
    "invite_text",
    "late_materials",
    "link_decision",
    "list_meetings",
    "materials_department",
    "meeting_context",
    "meeting_times",
    "meeting_view",
    "minutes_decision",
    "plan_sweep",
    "record_minutes",
    "register_attendance",
    "registered_meeting",
    "reschedule",
    "run_step",
    "run_sweep",
    "scheduled_meeting",
    "steps",
    "store_materials",
    "submit_materials",
    "submit_topic",
    "topics",
]
