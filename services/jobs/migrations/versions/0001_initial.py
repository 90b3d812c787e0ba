"""jobs schema: the jobs table and the outbox.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from services.common.outbox import create_outbox_sql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

S = "jobs"


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("seq", sa.BigInteger, sa.Identity(always=False), primary_key=True),
        sa.Column("job_id", sa.String(64), nullable=False, unique=True),
        sa.Column("task", sa.String(100), nullable=False),
        sa.Column("queue", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("priority", sa.Integer, nullable=False, server_default="0"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("kwargs", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("result", JSONB, nullable=True),
        sa.Column("error", sa.Text, nullable=False, server_default=""),
        sa.Column("traceback", sa.Text, nullable=False, server_default=""),
        sa.Column("retry_of", sa.String(64), nullable=True),
        sa.Column("worker", sa.String(255), nullable=False, server_default=""),
        sa.Column("worker_pid", sa.Integer, nullable=True),
        sa.Column("trace_id", sa.String(32), nullable=False, server_default=""),
        sa.Column("created_by", sa.String(255), nullable=False, server_default=""),
        sa.Column("cancelled_while_running", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("terminated", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending','running','succeeded','failed','cancelled')", name="jobs_status_valid"
        ),
        schema=S,
    )
    op.create_index("jobs_status_queue_seq", "jobs", ["status", "queue", "seq"], schema=S)
    op.create_index("jobs_queue_seq", "jobs", ["queue", "seq"], schema=S)
    op.create_index("jobs_task_seq", "jobs", ["task", "seq"], schema=S)
    for statement in create_outbox_sql(S):
        op.execute(statement)


def downgrade() -> None:
    op.execute(f'DROP TABLE IF EXISTS "{S}".outbox CASCADE')
    op.execute(f'DROP FUNCTION IF EXISTS "{S}".outbox_notify()')
    op.drop_table("jobs", schema=S)
