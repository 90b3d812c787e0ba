"""queue: a per-queue rate limit (jobs started per second across every worker; 0 = unlimited).

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE queue.queues ADD COLUMN IF NOT EXISTS rate_limit_per_s double precision NOT NULL DEFAULT 0")


def downgrade() -> None:
    op.execute("ALTER TABLE queue.queues DROP COLUMN IF EXISTS rate_limit_per_s")
