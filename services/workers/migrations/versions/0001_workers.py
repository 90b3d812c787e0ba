"""workers schema: the worker registry and the outbox.

Revision ID: 0001
Revises:
"""

from alembic import op

from services.common.outbox import create_outbox_sql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """CREATE TABLE workers.workers (
            hostname varchar(255) PRIMARY KEY,
            status varchar(16) NOT NULL DEFAULT 'online' CHECK (status IN ('online', 'offline', 'quiet')),
            quiet boolean NOT NULL DEFAULT false,
            queues varchar[] NOT NULL DEFAULT '{}',
            pool_size integer NOT NULL DEFAULT 0,
            concurrency integer NOT NULL DEFAULT 0,
            active integer NOT NULL DEFAULT 0,
            processed bigint NOT NULL DEFAULT 0,
            freq double precision NOT NULL DEFAULT 2.0,
            last_heartbeat timestamptz NOT NULL DEFAULT now(),
            first_seen timestamptz NOT NULL DEFAULT now())"""
    )
    op.execute("CREATE INDEX workers_status ON workers.workers (status)")
    for statement in create_outbox_sql("workers"):
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS workers.outbox")
    op.execute("DROP FUNCTION IF EXISTS workers.outbox_notify()")
    op.execute("DROP TABLE IF EXISTS workers.workers")
