"""voucher_policy_setting: an admin's settings per voucher policy version

Revision ID: 0006_voucher_policy_setting
Revises: 0005_task_due_fixed
Create Date: 2026-11-23 19:10:00

Bidding days, voucher validity, expiry reminders and the default supervision fee were constants of each policy
version in rules/voucher.py; an admin may now set them (PUT /api/admin/voucher-policies/{code}). No row = defaults.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import db.types

revision: str = "0006_voucher_policy_setting"
down_revision: str | Sequence[str] | None = "0005_task_due_fixed"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "voucherpolicysetting",
        sa.Column("policy", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("bidding_working_days", sa.Integer(), nullable=True),
        sa.Column("voucher_validity_days", sa.Integer(), nullable=True),
        sa.Column("expiry_reminder_days", sa.JSON(), nullable=True),
        sa.Column("supervision_fee_bp", sa.Integer(), nullable=True),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("updated_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("policy"),
    )


def downgrade() -> None:
    op.drop_table("voucherpolicysetting")
