"""queue schema: queues table, outbox, and the `default` queue.

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
        """CREATE TABLE queue.queues (
            queue_name varchar(64) PRIMARY KEY,
            description text NOT NULL DEFAULT '',
            paused boolean NOT NULL DEFAULT false,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now())"""
    )
    for statement in create_outbox_sql("queue"):
        op.execute(statement)
    # SPEC §7: the migration creates `default`; ON CONFLICT keeps a re-run harmless.
    op.execute(
        "INSERT INTO queue.queues (queue_name, description) "
        "VALUES ('default', 'Default queue') ON CONFLICT DO NOTHING"
    )


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS queue.outbox")
    op.execute("DROP FUNCTION IF EXISTS queue.outbox_notify()")
    op.execute("DROP TABLE IF EXISTS queue.queues")
