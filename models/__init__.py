"""Pydantic inputs and outputs, and the SQLAlchemy tables of the ledger."""

from models import emergency as emergency
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
