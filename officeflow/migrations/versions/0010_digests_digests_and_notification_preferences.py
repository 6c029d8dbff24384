"""digests and notification preferences

Revision ID: 0010_digests
Revises: 0001_foundation
Create Date: 2026-11-28 10:15:23.076416

Plain ADD COLUMNs (nullable, no table copy): `deliveries.digest` (rows of one person and
channel in the same digest group go out as one message), `organisation.notifications` (the org
file's digest and quiet-hours settings) and `people.preferences` (a person's own).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_digests"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("deliveries", sa.Column("digest", sa.String(length=200), nullable=True))
    op.add_column("organisation", sa.Column("notifications", sa.JSON(), nullable=True))
    op.add_column("people", sa.Column("preferences", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("people") as batch_op:
        batch_op.drop_column("preferences")
    with op.batch_alter_table("organisation") as batch_op:
        batch_op.drop_column("notifications")
    with op.batch_alter_table("deliveries") as batch_op:
        batch_op.drop_column("digest")
