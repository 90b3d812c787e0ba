"""jobs: job options (max_attempts, eta, held), schedule columns, and the indexes of the filters,
dead letters and analytics over a million rows (docs/jobs.md, docs/performance.md).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

S = "jobs"

INDEXES = [
    # job.list: every filter combination keeps `ORDER BY seq DESC LIMIT n` an index scan.
    ("jobs_status_seq", "(status, seq)", ""),
    ("jobs_status_task_seq", "(status, task, seq)", ""),
    ("jobs_queue_task_seq", "(queue, task, seq)", ""),
    # analytics: jobs created / finished in a window.
    ("jobs_created_at", "(created_at)", ""),
    ("jobs_finished_at", "(finished_at)", "WHERE finished_at IS NOT NULL"),
    # dead letters: failed jobs, latest finished first; the anti-join on retry_of.
    ("jobs_failed_finished", "(finished_at DESC, seq DESC)", "WHERE status = 'failed'"),
    ("jobs_retry_of", "(retry_of)", "WHERE retry_of IS NOT NULL"),
    # the dispatcher: held jobs by eta.
    ("jobs_held_eta", "(eta)", "WHERE held"),
]


def upgrade() -> None:
    op.add_column("jobs", sa.Column("max_attempts", sa.Integer, nullable=False, server_default="1"), schema=S)
    op.add_column("jobs", sa.Column("eta", sa.DateTime(timezone=True), nullable=True), schema=S)
    op.add_column("jobs", sa.Column("held", sa.Boolean, nullable=False, server_default=sa.false()), schema=S)
    op.add_column("jobs", sa.Column("schedule", sa.String(128), nullable=False, server_default=""), schema=S)
    op.add_column("jobs", sa.Column("scheduled_for", sa.DateTime(timezone=True), nullable=True), schema=S)
    for name, cols, where in INDEXES:
        op.execute(f'CREATE INDEX IF NOT EXISTS {name} ON "{S}".jobs {cols} {where}')
    # The scheduler submits a tick at most once.
    op.execute(
        f'CREATE UNIQUE INDEX IF NOT EXISTS jobs_schedule_tick ON "{S}".jobs (schedule, scheduled_for) '
        "WHERE schedule <> '' AND scheduled_for IS NOT NULL"
    )


def downgrade() -> None:
    for name, _, _ in INDEXES:
        op.execute(f'DROP INDEX IF EXISTS "{S}".{name}')
    op.execute(f'DROP INDEX IF EXISTS "{S}".jobs_schedule_tick')
    for col in ("scheduled_for", "schedule", "held", "eta", "max_attempts"):
        op.drop_column("jobs", col, schema=S)
