"""assessment: indicator set versions, yearly campaigns (one per year and kind), the hub's assessment settings

Revision ID: 0009_assessment
Revises: 0008_window_onboarding
Create Date: 2026-11-27 18:00:00

P5 (004 art. 11-13), after P4's "0008_window_onboarding".
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import db.types

revision: str = "0009_assessment"
down_revision: str | Sequence[str] | None = "0008_window_onboarding"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "assessmentindicatorversion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("indicators", sa.JSON(), nullable=False),
        sa.Column("excellent_min", sa.Float(), nullable=False),
        sa.Column("qualified_min", sa.Float(), nullable=False),
        sa.Column("provisional", sa.Boolean(), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "version", name="uq_assessment_indicator_version"),
    )
    with op.batch_alter_table("assessmentindicatorversion", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assessmentindicatorversion_kind"), ["kind"], unique=False)
    op.create_table(
        "assessmentcampaign",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("indicator_version_id", sa.Integer(), nullable=False),
        sa.Column("opened_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("opened_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("self_report_due", db.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["indicator_version_id"], ["assessmentindicatorversion.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("year", "kind", name="uq_assessment_campaign"),
    )
    with op.batch_alter_table("assessmentcampaign", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assessmentcampaign_year"), ["year"], unique=False)
    op.create_table(
        "assessmentsetting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("schedule_kinds", sa.JSON(), nullable=False),
        sa.Column("schedule_month", sa.Integer(), nullable=False),
        sa.Column("rectification_working_days", sa.Integer(), nullable=False),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("updated_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("assessmentsetting")
    with op.batch_alter_table("assessmentcampaign", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessmentcampaign_year"))
    op.drop_table("assessmentcampaign")
    with op.batch_alter_table("assessmentindicatorversion", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessmentindicatorversion_kind"))
    op.drop_table("assessmentindicatorversion")
