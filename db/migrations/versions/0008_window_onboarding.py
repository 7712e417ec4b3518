"""windowsetting, windowagreement: the hub's settings of window-platform onboarding (P4), agreements between windows

Revision ID: 0008_window_onboarding
Revises: 0007_call_expiry_reminders
Create Date: 2026-11-27 18:00:00

Panel size, pass mark, public-notice days and the report calendar of connected windows (seed 004 art. 9(6), 10 fix
none of them); one row, id 1, written by PUT /api/admin/window-settings. No row = the defaults of issue 9.
windowagreement: the mutual cooperation agreements of connected windows (art. 9(6)).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import db.types

revision: str = "0008_window_onboarding"
down_revision: str | Sequence[str] | None = "0007_call_expiry_reminders"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "windowsetting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("updated_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "windowagreement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposer_case_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("partner_case_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("scope", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("proposed_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("proposed_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("decided_at", db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("comment", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("document_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("windowagreement") as batch:
        batch.create_index(batch.f("ix_windowagreement_partner_case_id"), ["partner_case_id"], unique=False)
        batch.create_index(batch.f("ix_windowagreement_proposer_case_id"), ["proposer_case_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("windowagreement") as batch:
        batch.drop_index(batch.f("ix_windowagreement_proposer_case_id"))
        batch.drop_index(batch.f("ix_windowagreement_partner_case_id"))
    op.drop_table("windowagreement")
    op.drop_table("windowsetting")
