"""The office's processes: one line each, naming the module that declares it
(`officeflow.actions.Process`). The CLI's commands, the deployments, the web action pages, the
policy table and the permission tests are derived from what these modules declare."""

PROCESSES: tuple[str, ...] = (
    "officeflow.supervision.declarations",
    "officeflow.emergency.declarations",
    "officeflow.meeting.declarations",
    "officeflow.duty.declarations",
    "officeflow.information.declarations",
    "officeflow.documents.declarations",
)
