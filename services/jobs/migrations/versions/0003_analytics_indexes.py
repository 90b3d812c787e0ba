"""jobs: covering indexes for the analytics windows, so summary and time series over 24 h of a
million-row table are index-only scans (bench/jobs_scale.py, docs/performance.md).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

S = "jobs"

INDEXES = [
    # analytics.summary counts by status / queue / task of the jobs created in the window
    ("jobs_created_cover", "(created_at) INCLUDE (status, queue, task)", ""),
    # run-time percentiles of the finished-with-a-run jobs created in the window
    ("jobs_created_done", "(created_at) INCLUDE (started_at, finished_at)",
     "WHERE status IN ('succeeded', 'failed')"),
    # dead letters created in the window (then the anti-join on jobs_retry_of)
    ("jobs_failed_created", "(created_at)", "WHERE status = 'failed'"),
    # analytics.timeseries: finished jobs per bucket by status
    ("jobs_finished_cover", "(finished_at) INCLUDE (status, queue, task)", "WHERE finished_at IS NOT NULL"),
]


def upgrade() -> None:
    for name, cols, where in INDEXES:
        op.execute(f'CREATE INDEX IF NOT EXISTS {name} ON "{S}".jobs {cols} {where}')
    # jobs_finished_cover serves everything jobs_finished_at (0002) did.
    op.execute(f'DROP INDEX IF EXISTS "{S}".jobs_finished_at')


def downgrade() -> None:
    op.execute(f'CREATE INDEX IF NOT EXISTS jobs_finished_at ON "{S}".jobs (finished_at) WHERE finished_at IS NOT NULL')
    for name, _, _ in INDEXES:
        op.execute(f'DROP INDEX IF EXISTS "{S}".{name}')
