"""task.due_fixed: a due time fixed by a rule survives a calendar entry

Revision ID: 0005_task_due_fixed
Revises: 0004
Create Date: 2026-11-23 19:00:00

The certification's annual summary (due by 31 December) and the city bureau's annual report (due by the end of
February) carry a fixed due date; until now the row did not say so and a calendar entry re-counted it from the
opening in working days. Open rows of those two types are marked fixed here.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_task_due_fixed"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FIXED_TYPES = ("certification.annual_summary", "certification.city_annual_report")


def upgrade() -> None:
    with op.batch_alter_table("task") as batch:
        batch.add_column(sa.Column("due_fixed", sa.Boolean(), nullable=False, server_default=sa.false()))
    task = sa.table("task", sa.column("type", sa.String()), sa.column("due_fixed", sa.Boolean()))
    op.execute(task.update().where(task.c.type.in_(FIXED_TYPES)).values(due_fixed=True))


def downgrade() -> None:
    with op.batch_alter_table("task") as batch:
        batch.drop_column("due_fixed")
