"""Merge the voucher and certification heads; make the audit log append-only on PostgreSQL.

Revision ID: 0004
Revises: 0002_voucher, 0003_certification
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = ("0002_voucher", "0003_certification")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite: the repositories only ever insert into timelineevent
    op.execute(
        """
        CREATE OR REPLACE FUNCTION flow168_audit_append_only() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION 'the audit log (timelineevent) is append-only';
        END;
        $$ LANGUAGE plpgsql;
        """
    )
    op.execute(
        "CREATE TRIGGER timelineevent_append_only BEFORE UPDATE OR DELETE ON timelineevent "
        "FOR EACH ROW EXECUTE FUNCTION flow168_audit_append_only();"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS timelineevent_append_only ON timelineevent;")
    op.execute("DROP FUNCTION IF EXISTS flow168_audit_append_only();")
