"""ratecounter: atomic fixed-window counters for login, registration and objection throttling

Revision ID: 0012_authz
Revises: 0010_task_drop_reminders
Create Date: 2026-11-27 20:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db.types import UTCDateTime

revision: str = "0012_authz"
down_revision: str | Sequence[str] | None = "0010_task_drop_reminders"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ratecounter",
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index(op.f("ix_ratecounter_expires_at"), "ratecounter", ["expires_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_ratecounter_expires_at"), table_name="ratecounter")
    op.drop_table("ratecounter")
