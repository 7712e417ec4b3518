"""platformexport: the record of the monthly service data sent to the national SME service data platform

Revision ID: 0014_datacentre
Revises: 0010_task_drop_reminders
Create Date: 2026-11-27 20:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from db.types import UTCDateTime

revision: str = "0014_datacentre"
down_revision: str | Sequence[str] | None = "0010_task_drop_reminders"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "platformexport",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("period", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("format_version", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("sha256_json", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("sha256_xlsx", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("path_json", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("path_xlsx", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("sent_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("sent_at", UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_platformexport_period", "platformexport", ["period"])


def downgrade() -> None:
    op.drop_index("ix_platformexport_period", table_name="platformexport")
    op.drop_table("platformexport")
