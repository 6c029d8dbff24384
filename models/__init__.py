"""Pydantic inputs and outputs, and the SQLAlchemy tables of the ledger."""

# Each process's tables register on the metadata when their module is imported.
import models.attendance
import models.documents
import models.duty
import models.emergency
import models.information
import models.meeting
import models.signin
import models.supervision  # noqa: F401
from models.base import Base
from models.ledger import Delivery, DeliveryStatus, Event, Notice
from models.org import Channel, ContactPoint, Department, Organisation, Person, PersonRole, Role

__all__ = [
    "Base",
    "Channel",
    "ContactPoint",
    "Delivery",
    "DeliveryStatus",
    "Department",
    "Event",
    "Notice",
    "Organisation",
    "Person",
    "PersonRole",
    "Role",
]
