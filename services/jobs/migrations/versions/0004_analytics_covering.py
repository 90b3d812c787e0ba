"""jobs: the analytics windows fully index-only with a queue or task filter too.

With `queue` set, the run-time percentiles of 0003's `jobs_created_done` had to visit the heap for
the queue of each of the window's rows (95 ms over 24 h of the bench's million rows); the dead
letters visited it for `job_id`, the anti-join's key (16 ms). Both indexes now carry what their
query reads: 5 ms and 1 ms (docs/performance.md "analytics"). `jobs_created_at` (0002) goes:
`jobs_created_cover` (0003) is the same key with more included, so it serves every range scan on
`created_at` the plain index did, and a job insert maintains one index less.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

S = "jobs"

BEFORE = {
    "jobs_created_done": "(created_at) INCLUDE (started_at, finished_at) WHERE status IN ('succeeded', 'failed')",
    "jobs_failed_created": "(created_at) WHERE status = 'failed'",
}
AFTER = {
    # analytics.summary run-time percentiles, any queue / task filter
    "jobs_created_done": "(created_at) INCLUDE (queue, task, started_at, finished_at) "
                         "WHERE status IN ('succeeded', 'failed')",
    # analytics.summary dead letters: job_id for the anti-join on jobs_retry_of
    "jobs_failed_created": "(created_at) INCLUDE (job_id, queue, task) WHERE status = 'failed'",
}


def _replace(indexes: dict[str, str]) -> None:
    for name, definition in indexes.items():
        op.execute(f'DROP INDEX IF EXISTS "{S}".{name}')
        op.execute(f'CREATE INDEX {name} ON "{S}".jobs {definition}')


def upgrade() -> None:
    _replace(AFTER)
    op.execute(f'DROP INDEX IF EXISTS "{S}".jobs_created_at')


def downgrade() -> None:
    op.execute(f'CREATE INDEX IF NOT EXISTS jobs_created_at ON "{S}".jobs (created_at)')
    _replace(BEFORE)
