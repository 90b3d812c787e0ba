"""config schema: versions, keys, state (the change counter) and the outbox.

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
        """CREATE TABLE config.versions (
            key varchar(128) NOT NULL,
            version integer NOT NULL CHECK (version >= 1),
            value jsonb NOT NULL,
            updated_at timestamptz NOT NULL DEFAULT now(),
            updated_by varchar(255) NOT NULL DEFAULT '',
            comment text NOT NULL DEFAULT '',
            PRIMARY KEY (key, version))"""
    )
    op.execute(
        """CREATE TABLE config.keys (
            key varchar(128) PRIMARY KEY,
            current_version integer,
            last_version integer NOT NULL,
            updated_at timestamptz NOT NULL DEFAULT now())"""
    )
    op.execute(
        """CREATE TABLE config.state (
            id integer PRIMARY KEY CHECK (id = 1),
            config_version bigint NOT NULL DEFAULT 0)"""
    )
    op.execute("INSERT INTO config.state (id, config_version) VALUES (1, 0) ON CONFLICT DO NOTHING")
    for statement in create_outbox_sql("config"):
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS config.outbox")
    op.execute("DROP FUNCTION IF EXISTS config.outbox_notify()")
    op.execute("DROP TABLE IF EXISTS config.state")
    op.execute("DROP TABLE IF EXISTS config.keys")
    op.execute("DROP TABLE IF EXISTS config.versions")
