"""certificationcall.list_published_at / list_case_ids (002 art. 12: the year's one 拟认定名单), and
provideradmissionsetting.experts' server default 1 like the model (0018 had set 3).

Revision ID: 0021_cert_yearly
Revises: 0020_merge_sessions
Create Date: 2026-11-28 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db.types import UTCDateTime

revision: str = "0021_cert_yearly"
down_revision: str | Sequence[str] | None = "0020_merge_sessions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("certificationcall") as batch:
        batch.add_column(sa.Column("list_published_at", UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("list_case_ids", sa.JSON(), nullable=True))
    with op.batch_alter_table("provideradmissionsetting") as batch:
        batch.alter_column("experts", existing_type=sa.Integer(), existing_nullable=False, server_default="1")


def downgrade() -> None:
    with op.batch_alter_table("provideradmissionsetting") as batch:
        batch.alter_column("experts", existing_type=sa.Integer(), existing_nullable=False, server_default="3")
    with op.batch_alter_table("certificationcall") as batch:
        batch.drop_column("list_case_ids")
        batch.drop_column("list_published_at")
