"""logs schema: records (with their indexes) and the outbox.

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
        """CREATE TABLE logs.records (
            id_ms bigint NOT NULL,
            id_seq bigint NOT NULL,
            ts timestamptz NOT NULL,
            level varchar(10) NOT NULL,
            component varchar(32) NOT NULL,
            logger text NOT NULL,
            message text NOT NULL,
            trace_id varchar(32) NOT NULL DEFAULT '',
            job_id varchar(64) NOT NULL DEFAULT '',
            extra jsonb NOT NULL DEFAULT '{}',
            tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', message)) STORED,
            PRIMARY KEY (id_ms, id_seq))"""
    )
    # Newest first by (ts, id); every filter combines with the time order.
    op.execute("CREATE INDEX records_ts ON logs.records (ts DESC, id_ms DESC, id_seq DESC)")
    op.execute("CREATE INDEX records_level_ts ON logs.records (level, ts DESC)")
    op.execute("CREATE INDEX records_component_ts ON logs.records (component, ts DESC)")
    op.execute("CREATE INDEX records_trace ON logs.records (trace_id, ts) WHERE trace_id <> ''")
    op.execute("CREATE INDEX records_job ON logs.records (job_id, ts) WHERE job_id <> ''")
    op.execute("CREATE INDEX records_tsv ON logs.records USING gin (tsv)")
    for statement in create_outbox_sql("logs"):
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS logs.outbox")
    op.execute("DROP FUNCTION IF EXISTS logs.outbox_notify()")
    op.execute("DROP TABLE IF EXISTS logs.records")
