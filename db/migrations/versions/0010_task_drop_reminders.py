"""task.reminded_at and task.escalated_at: never written (the workflow keeps whether it reminded or escalated)

Revision ID: 0010_task_drop_reminders
Revises: 0009_assessment
Create Date: 2026-11-27 18:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db.types import UTCDateTime

revision: str = "0010_task_drop_reminders"
down_revision: str | Sequence[str] | None = "0009_assessment"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("task") as batch:
        batch.drop_column("reminded_at")
        batch.drop_column("escalated_at")


def downgrade() -> None:
    with op.batch_alter_table("task") as batch:
        batch.add_column(sa.Column("reminded_at", UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("escalated_at", UTCDateTime(timezone=True), nullable=True))
