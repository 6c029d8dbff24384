"""notice urgency

Revision ID: 0012_urgency
Revises: 0001_foundation
Create Date: 2026-12-02 09:00:00.000000

Plain ADD COLUMNs on `notices`: ``urgent`` (ignores quiet hours, short backoff, a fallback
channel at once, no retry horizon), ``fallback`` (the channel order of that fallback) and
``settled`` (why its failed deliveries are no longer retried). The process that plans a notice
sets them; before, the sender read them off the emergency tables for notices of object type
``incident``, which is what the upgrade copies onto the notices already planned.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_urgency"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None

notices = sa.table(
    "notices",
    sa.column("object_type", sa.String),
    sa.column("object_id", sa.String),
    sa.column("urgent", sa.Boolean),
    sa.column("fallback", sa.JSON),
    sa.column("settled", sa.String),
)


def upgrade() -> None:
    op.add_column(
        "notices", sa.Column("urgent", sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    op.add_column("notices", sa.Column("fallback", sa.JSON(), nullable=True))
    op.add_column("notices", sa.Column("settled", sa.String(length=200), nullable=True))
    bind = op.get_bind()
    bind.execute(notices.update().where(notices.c.object_type == "incident").values(urgent=True))
    if not sa.inspect(bind).has_table("incidents"):
        return  # the emergency tables come later on this ledger: no incident has notices yet
    incidents = sa.table(
        "incidents",
        sa.column("id", sa.Integer),
        sa.column("status", sa.String),
        sa.column("acknowledged_at", sa.DateTime),
        sa.column("response", sa.JSON),
    )
    for incident in bind.execute(
        sa.select(
            incidents.c.id, incidents.c.status, incidents.c.acknowledged_at, incidents.c.response
        )
    ):
        values: dict[str, object] = {}
        fallback = (incident.response or {}).get("fallback")
        if fallback:
            values["fallback"] = fallback
        if incident.status == "closed":
            values["settled"] = f"incident {incident.id} closed"
        elif incident.acknowledged_at is not None:
            values["settled"] = f"incident {incident.id} acknowledged"
        if values:
            bind.execute(
                notices.update()
                .where(notices.c.object_type == "incident", notices.c.object_id == str(incident.id))
                .values(**values)
            )


def downgrade() -> None:
    with op.batch_alter_table("notices") as batch_op:
        batch_op.drop_column("settled")
        batch_op.drop_column("fallback")
        batch_op.drop_column("urgent")
