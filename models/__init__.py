"""Pydantic inputs and outputs, and the SQLAlchemy tables of the ledger.

Importing ``models`` (or any ``models.<module>``) loads no table: a command imports the tables it
uses, and each table module imports the modules whose tables its foreign keys name, so the ORM can
order its writes. `load_all()` registers every table on the metadata, for the migrations.
"""

from __future__ import annotations

from importlib import import_module

TABLE_MODULES = (
    "models.org",
    "models.ledger",
    "models.supervision",
    "models.emergency",
    "models.meeting",
    "models.duty",
    "models.information",
    "models.documents",
    "models.attendance",
    "models.signin",
)


def load_all() -> None:
    """Import every table module: `models.base.Base.metadata` then holds the whole ledger."""
    for name in TABLE_MODULES:
        import_module(name)
