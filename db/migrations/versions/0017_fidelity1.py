"""Registration declarations (003 art. 5; 000 一), verified voucher priority (003 art. 11(3)) and the bad-credit
file of a fraud void (003 art. 11(1))

Revision ID: 0017_fidelity1
Revises: 0010_task_drop_reminders
Create Date: 2026-11-27 20:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from db.types import UTCDateTime

revision: str = "0017_fidelity1"
down_revision: str | Sequence[str] | None = "0010_task_drop_reminders"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("organization") as batch:
        batch.add_column(sa.Column("independent_legal_person", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("sector", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch.add_column(sa.Column("priority_verified_by", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch.add_column(sa.Column("priority_verified_at", UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table("fundreservation") as batch:
        batch.add_column(sa.Column("priority_reason", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    op.create_table(
        "badcreditrecord",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=True),
        sa.Column("person_name", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("case_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("recorded_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_badcreditrecord_org_id", "badcreditrecord", ["org_id"])
    op.create_index("ix_badcreditrecord_case_id", "badcreditrecord", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_badcreditrecord_case_id", table_name="badcreditrecord")
    op.drop_index("ix_badcreditrecord_org_id", table_name="badcreditrecord")
    op.drop_table("badcreditrecord")
    with op.batch_alter_table("fundreservation") as batch:
        batch.drop_column("priority_reason")
    with op.batch_alter_table("organization") as batch:
        batch.drop_column("priority_verified_at")
        batch.drop_column("priority_verified_by")
        batch.drop_column("sector")
        batch.drop_column("independent_legal_person")
