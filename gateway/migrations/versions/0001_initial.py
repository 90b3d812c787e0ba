"""audit schema: the append-only, hash-chained audit log.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TIMESTAMP

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

S = "audit"


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.BigInteger, sa.Identity(always=False), primary_key=True),
        sa.Column("ts", TIMESTAMP(timezone=True), nullable=False),
        sa.Column("trace_id", sa.Text, nullable=False),
        sa.Column("actor", sa.Text, nullable=False, server_default=""),
        sa.Column("roles", ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("ip", sa.Text, nullable=False, server_default=""),
        sa.Column("user_agent", sa.Text, nullable=False, server_default=""),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("risk", sa.Text, nullable=False),
        sa.Column("payload", JSONB, nullable=False),
        sa.Column("outcome", sa.Text, nullable=False),
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("error_code", sa.Text, nullable=False, server_default=""),
        sa.Column("duration_ms", sa.Float, nullable=False),
        sa.Column("prev_hash", sa.Text, nullable=False),
        sa.Column("hash", sa.Text, nullable=False),
        schema=S,
    )
    op.create_index("audit_log_actor_seq", "audit_log", ["actor", "seq"], schema=S)
    op.create_index("audit_log_action_seq", "audit_log", ["action", "seq"], schema=S)
    op.create_index("audit_log_trace_id", "audit_log", ["trace_id"], schema=S)
    op.create_index("audit_log_ts", "audit_log", ["ts"], schema=S)
    # Append-only for every role, owner included: only a superuser who disables the trigger
    # (itself a logged DDL statement) can alter history, and audit.verify then finds the break.
    op.execute(f"""
        CREATE FUNCTION {S}.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          RAISE EXCEPTION 'audit.audit_log is append-only: % refused', TG_OP
            USING ERRCODE = 'insufficient_privilege';
        END $$;
    """)
    op.execute(f"""CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON {S}.audit_log
                   FOR EACH ROW EXECUTE FUNCTION {S}.refuse_change()""")
    op.execute(f"""CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON {S}.audit_log
                   FOR EACH STATEMENT EXECUTE FUNCTION {S}.refuse_change()""")


def downgrade() -> None:
    op.execute(f"DROP TABLE {S}.audit_log")
    op.execute(f"DROP FUNCTION {S}.refuse_change()")
