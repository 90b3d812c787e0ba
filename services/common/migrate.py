"""Alembic migrations for every schema, run by `switchboard migrate`.

Each owner keeps its own `migrations/` folder (env.py + versions/) and its own version table in
its own schema, so services migrate independently. `migrate_all` creates the database when it
is missing, holds an advisory lock so concurrent runs (replicas, the k8s Job) serialise, and is
safe to run twice.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData, text

from services.common.db import ensure_database, sync_engine

ROOT = Path(__file__).resolve().parents[2]

# The one owner that is not a domain service: the gateway keeps the audit log in schema `audit`.
GATEWAY_OWNER = ("audit", ROOT / "gateway" / "migrations")


def owners() -> dict[str, Path]:
    """schema -> folder holding env.py and versions/, derived from the tree: every
    `services/<name>/migrations/` migrates schema `<name>`, plus the gateway's audit schema."""
    found = {p.parent.name: p for p in sorted((ROOT / "services").glob("*/migrations")) if (p / "env.py").exists()}
    found[GATEWAY_OWNER[0]] = GATEWAY_OWNER[1]
    return found

_LOCK_ID = 0x5B0A2D  # pg_advisory_lock key for "switchboard migrate"


def alembic_config(database_url: str, schema: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(owners()[schema]))
    cfg.attributes["database_url"] = database_url
    cfg.attributes["schema"] = schema
    return cfg


def migrate_all(database_url: str, *, schemas: list[str] | None = None) -> list[str]:
    ensure_database(database_url)
    done = []
    engine = sync_engine(database_url, pool_size=1)
    try:
        with engine.connect() as lock_conn:
            lock_conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _LOCK_ID})
            try:
                for schema in schemas or list(owners()):
                    command.upgrade(alembic_config(database_url, schema), "head")
                    done.append(schema)
            finally:
                lock_conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _LOCK_ID})
                lock_conn.commit()
    finally:
        engine.dispose()
    return done


def run_env(target_metadata: MetaData) -> None:
    """Body of every owner's env.py: online migrations of one schema."""
    from alembic import context

    cfg = context.config
    url = cfg.attributes["database_url"]
    schema = cfg.attributes["schema"]
    engine = sync_engine(url, pool_size=1)
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
            conn.commit()
            context.configure(
                connection=conn,
                target_metadata=target_metadata,
                version_table_schema=schema,
                include_schemas=True,
            )
            with context.begin_transaction():
                context.run_migrations()
            conn.commit()
    finally:
        engine.dispose()
