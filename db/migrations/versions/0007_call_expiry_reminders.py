"""certificationcall.expiry_reminder_days: the call sets when title holders are told of the expiry

Revision ID: 0007_call_expiry_reminders
Revises: 0006_voucher_policy_setting
Create Date: 2026-11-23 19:40:00

Null (every call opened before) means the default of 180 and 30 days (rules.certification).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_call_expiry_reminders"
down_revision: str | Sequence[str] | None = "0006_voucher_policy_setting"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("certificationcall") as batch:
        batch.add_column(sa.Column("expiry_reminder_days", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("certificationcall") as batch:
        batch.drop_column("expiry_reminder_days")
