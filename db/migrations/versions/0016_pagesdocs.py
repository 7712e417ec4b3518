"""objection.evidence: the upload ids of the evidence an objector attaches (issue 15)

Revision ID: 0016_pagesdocs
Revises: 0010_task_drop_reminders
Create Date: 2026-11-27 20:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_pagesdocs"
down_revision: str | Sequence[str] | None = "0010_task_drop_reminders"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("objection") as batch:
        batch.add_column(sa.Column("evidence", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("objection") as batch:
        batch.drop_column("evidence")
