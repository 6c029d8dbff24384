"""event channel and operator

Revision ID: 0008_actors
Revises: 0001_foundation
Create Date: 2026-11-28 10:09:43.561937

Plain ADD COLUMN, not a batch (table-copying) alter: a copy would drop the triggers that keep
the event log append-only on SQLite.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_actors"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "events",
        sa.Column("via", sa.String(length=16), server_default="system", nullable=False),
    )
    op.add_column("events", sa.Column("operator", sa.String(length=64), nullable=True))


def downgrade() -> None:
    op.drop_column("events", "operator")
    op.drop_column("events", "via")
