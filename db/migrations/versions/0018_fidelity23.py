"""organization.signed_until (000 四: a signed provider's yearly term), star_rating/star_year (003 art. 11(2)),
certificationcall.relaxed_pct
(002 art. 6 "可适当放宽" as data) and provideradmissionsetting (the blind panel of 000 四 "组织专家综合审定")

Revision ID: 0018_fidelity23
Revises: 0010_task_drop_reminders
Create Date: 2026-11-27 20:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from db.types import UTCDateTime

revision: str = "0018_fidelity23"
down_revision: str | Sequence[str] | None = "0010_task_drop_reminders"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("organization") as batch:
        batch.add_column(sa.Column("signed_until", sa.Date(), nullable=True))
        batch.add_column(sa.Column("star_rating", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("star_year", sa.Integer(), nullable=True))
    with op.batch_alter_table("certificationcall") as batch:
        batch.add_column(sa.Column("relaxed_pct", sa.Integer(), nullable=False, server_default="80"))
    op.create_table(
        "provideradmissionsetting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("experts", sa.Integer(), nullable=False, server_default="3"),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False, server_default=""),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    with op.batch_alter_table("organization") as batch:
        batch.drop_column("star_year")
        batch.drop_column("star_rating")
        batch.drop_column("signed_until")
    op.drop_table("provideradmissionsetting")
    with op.batch_alter_table("certificationcall") as batch:
        batch.drop_column("relaxed_pct")
