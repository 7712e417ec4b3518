"""Merge the heads that this session's branches added side by side (each revises 0010); no schema change.

Revision ID: 0020_merge_sessions
Revises: the branch heads listed in down_revision
"""

from collections.abc import Sequence

revision: str = "0020_merge_sessions"
down_revision: str | Sequence[str] | None = (
    "0012_authz", "0013_throughput", "0014_datacentre", "0016_pagesdocs", "0017_fidelity1", "0018_fidelity23",
)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
