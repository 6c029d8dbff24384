"""What people are told about an assignment: the message context, who is told, and the one way
an assignment's notice is planned."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from models.org import Department, Person, Role
from models.supervision import Assignment, Light
from officeflow.org import department_heads, people_with_role
from officeflow.sources import source_ref_text

# The delivery layer (Apprise, Jinja2, httpx) is imported where a notice is planned, so that a
# command that plans none (`officeflow assignment report-progress`) does not load it.
if TYPE_CHECKING:
    from officeflow.delivery import NoticeSpec


def assignment_context(session: Session, assignment: Assignment) -> dict[str, Any]:
    dept = session.get(Department, assignment.lead_department_id)
    owner = session.get(Person, assignment.owner_id)
    decision = assignment.decision
    return {
        "assignment": {
            "id": assignment.id,
            "task": assignment.task,
            "acceptance_standard": assignment.acceptance_standard,
            "due_at": assignment.due_at,
            "progress": assignment.progress,
            "red_count": assignment.red_count,
            # A ledger reference (``doc:5``) as the thing it names (the document's 文号 and
            # title), free text as typed.
            "source_ref": source_ref_text(session, assignment.source_ref),
        },
        "decision": {
            "id": decision.id,
            "title": decision.title,
            "priority": decision.priority.value,
        },
        "department": dept.name if dept else assignment.lead_department_id,
        "owner": owner.name if owner else assignment.owner_id,
    }


def owner_and_heads(session: Session, a: Assignment) -> list[str]:
    """The owner and the heads of the lead department."""
    return [a.owner_id, *department_heads(session, a.lead_department_id)]


def reminder_recipients(session: Session, a: Assignment, light: str) -> list[str]:
    """Blue: the owner. Yellow: also the lead department's heads. Red: also the issuing leader."""
    people = [a.owner_id]
    if light in (Light.YELLOW.value, Light.RED.value):
        people += department_heads(session, a.lead_department_id)
    if light == Light.RED.value:
        people.append(a.decision.issued_by)
    return people


def supervising_office_staff(session: Session) -> list[str]:
    return people_with_role(session, Role.OFFICE_DIRECTOR)


def notice_spec(
    session: Session,
    a: Assignment,
    step: str,
    template: str,
    recipients: list[str],
    **extra: Any,
) -> NoticeSpec:
    """The notice ``assignment:<id>:<step>``, for `officeflow.delivery.plan_notices`."""
    from officeflow.delivery import NoticeSpec

    return NoticeSpec(
        f"assignment:{a.id}:{step}",
        template,
        "assignment",
        a.id,
        recipients,
        {**assignment_context(session, a), **extra},
    )


def notify(
    session: Session,
    a: Assignment,
    step: str,
    template: str,
    recipients: list[str],
    **extra: Any,
) -> str:
    """Plan the notice ``assignment:<id>:<step>`` (once, whatever re-runs); returns its key."""
    from officeflow.delivery import plan_notices  # (imported here: Apprise, Jinja2, httpx)

    return plan_notices(session, [notice_spec(session, a, step, template, recipients, **extra)])[0]
