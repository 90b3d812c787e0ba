"""audit schema: one record per predecessor, so the chain cannot fork.

Writers append optimistically, linking to the head they last saw (gateway/auditlog.py); a second
record naming the same predecessor is refused here, and its writer reads the head again.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

S = "audit"


def upgrade() -> None:
    op.create_index("audit_log_prev_hash", "audit_log", ["prev_hash"], unique=True, schema=S)


def downgrade() -> None:
    op.drop_index("audit_log_prev_hash", table_name="audit_log", schema=S)
