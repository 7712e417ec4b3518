"""The inbox's type filter and a city bureau's inbox get their own indexes (issue 12)

Revision ID: 0013_throughput
Revises: 0010_task_drop_reminders
Create Date: 2026-11-27 20:15:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013_throughput"
down_revision: str | Sequence[str] | None = "0010_task_drop_reminders"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_task_inbox_type", "task", ["status", "role", "type", "due_at"])
    op.create_index("ix_task_inbox_city", "task", ["status", "role", "city", "due_at"])


def downgrade() -> None:
    op.drop_index("ix_task_inbox_city", table_name="task")
    op.drop_index("ix_task_inbox_type", table_name="task")
