"""system schema: maintenance, pause-all record, announcement, outbox.

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
        """CREATE TABLE system.maintenance (
            id integer PRIMARY KEY CHECK (id = 1),
            enabled boolean NOT NULL DEFAULT false,
            reason text NOT NULL DEFAULT '',
            since timestamptz,
            actor varchar(255) NOT NULL DEFAULT '',
            version bigint NOT NULL DEFAULT 0)"""
    )
    op.execute(
        """CREATE TABLE system.pause_all (
            id integer PRIMARY KEY CHECK (id = 1),
            active boolean NOT NULL DEFAULT false,
            reason text NOT NULL DEFAULT '',
            since timestamptz)"""
    )
    op.execute(
        """CREATE TABLE system.paused_items (
            kind varchar(16) NOT NULL CHECK (kind IN ('queue', 'worker')),
            name varchar(255) NOT NULL,
            paused_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (kind, name))"""
    )
    op.execute(
        """CREATE TABLE system.announcement (
            id integer PRIMARY KEY CHECK (id = 1),
            value jsonb,
            updated_at timestamptz NOT NULL DEFAULT now())"""
    )
    # The singleton rows exist from the start: every change is an UPDATE under a row lock.
    op.execute("INSERT INTO system.maintenance (id) VALUES (1) ON CONFLICT DO NOTHING")
    op.execute("INSERT INTO system.pause_all (id) VALUES (1) ON CONFLICT DO NOTHING")
    op.execute("INSERT INTO system.announcement (id) VALUES (1) ON CONFLICT DO NOTHING")
    for statement in create_outbox_sql("system"):
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS system.outbox")
    op.execute("DROP FUNCTION IF EXISTS system.outbox_notify()")
    for table in ("announcement", "paused_items", "pause_all", "maintenance"):
        op.execute(f"DROP TABLE IF EXISTS system.{table}")
