"""workers schema: the managers (state, config, fencing token), the scheduler's schedules and the
ticks it recorded (one row per schedule and tick: the guard against firing a tick twice).

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """CREATE TABLE workers.managers (
            name varchar(32) PRIMARY KEY,
            state varchar(16) NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'paused', 'stopped')),
            config jsonb NOT NULL DEFAULT '{}',
            fence bigint NOT NULL DEFAULT 0,
            run_requested boolean NOT NULL DEFAULT false,
            passes bigint NOT NULL DEFAULT 0,
            last_run timestamptz,
            last_error text NOT NULL DEFAULT '',
            next_run timestamptz,
            updated_at timestamptz NOT NULL DEFAULT now())"""
    )
    # payloads/workers.md: a fresh database starts all four running.
    op.execute(
        "INSERT INTO workers.managers (name) VALUES ('scheduler'), ('autoscaler'), ('reaper'), ('retention') "
        "ON CONFLICT DO NOTHING"
    )
    op.execute(
        """CREATE TABLE workers.schedules (
            name varchar(128) PRIMARY KEY,
            task varchar(100) NOT NULL,
            kwargs jsonb NOT NULL DEFAULT '{}',
            queue varchar(200) NOT NULL DEFAULT 'default',
            cron varchar(200) NOT NULL DEFAULT '',
            interval_s bigint NOT NULL DEFAULT 0,
            timezone varchar(64) NOT NULL DEFAULT 'UTC',
            paused boolean NOT NULL DEFAULT false,
            anchor timestamptz NOT NULL DEFAULT now(),
            next_run timestamptz,
            last_run timestamptz,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            CHECK ((cron <> '') <> (interval_s > 0)))"""
    )
    op.execute("CREATE INDEX schedules_due ON workers.schedules (next_run) WHERE NOT paused")
    op.execute(
        """CREATE TABLE workers.schedule_ticks (
            schedule varchar(128) NOT NULL REFERENCES workers.schedules (name) ON DELETE CASCADE,
            tick timestamptz NOT NULL,
            fence bigint NOT NULL,
            job_id varchar(64),
            recorded_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (schedule, tick))"""
    )
    op.execute("CREATE INDEX schedule_ticks_unsubmitted ON workers.schedule_ticks (recorded_at) WHERE job_id IS NULL")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS workers.schedule_ticks")
    op.execute("DROP TABLE IF EXISTS workers.schedules")
    op.execute("DROP TABLE IF EXISTS workers.managers")
