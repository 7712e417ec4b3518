"""fundreservation: an index on the waitlist's serving order (issue 12: a fund change reads only the head of the
waitlist, and this index serves it without sorting the year).

Revision ID: 0022_fund_serving
Revises: 0021_cert_yearly
Create Date: 2026-11-29 00:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0022_fund_serving"
down_revision: str | Sequence[str] | None = "0021_cert_yearly"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ["year", "state", "priority_group", "submitted_at", "seq", "case_id"]


def upgrade() -> None:
    op.create_index("ix_fundreservation_serving", "fundreservation", COLUMNS)


def downgrade() -> None:
    op.drop_index("ix_fundreservation_serving", table_name="fundreservation")
