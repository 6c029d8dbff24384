"""the board index without the light

Revision ID: 0013_board_index
Revises: 0011_attendance
Create Date: 2026-12-08 01:45:00.000000

``ix_assignments_board`` held ``light``, so every light the morning sweep changed also moved an
index entry: on 100,000 open assignments whose first sweep lights 30,000 of them, the sweep's
UPDATE took 0.20 s instead of 0.07 s (0.68 s for the whole classification instead of 0.45 s,
2.6 times a bare read of the rows). The board now counts the lights from the rows it finds
through (lead department, status, due date): 0.17 s instead of 0.02 s for its department table,
which it caches (`officeflow.board`); the sweep is the hot path.
"""

from __future__ import annotations

from alembic import op

revision = "0013_board_index"
down_revision = "0011_attendance"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.drop_index("ix_assignments_board")
        batch_op.create_index(
            "ix_assignments_board", ["lead_department_id", "status", "due_on"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.drop_index("ix_assignments_board")
        batch_op.create_index(
            "ix_assignments_board",
            ["lead_department_id", "light", "status", "due_on"],
            unique=False,
        )
