"""Database access shared by every component: URL normalisation, engines, sessions, and the
start-up reachability check.

`DATABASE_URL` is written as plain `postgresql://…`; SQLAlchemy gets the psycopg 3 dialect.
Services use the async engine; Celery workers and migrations use a sync one.
"""

from __future__ import annotations

import sys

import psycopg
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine


def sqlalchemy_url(url: str) -> str:
    u = make_url(url)
    if u.drivername in {"postgresql", "postgres", "postgresql+psycopg2"}:
        u = u.set(drivername="postgresql+psycopg")
    return u.render_as_string(hide_password=False)


def libpq_url(url: str) -> str:
    """The URL as psycopg itself takes it (no `+driver`)."""
    u = make_url(url).set(drivername="postgresql")
    return u.render_as_string(hide_password=False)


def async_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    # No pool_pre_ping: it costs a round trip on every checkout. A connection that died with a
    # PostgreSQL restart fails its one statement instead, SQLAlchemy sees the disconnect and
    # invalidates the whole pool, and the next call reconnects (docs/decisions.md).
    return create_async_engine(sqlalchemy_url(url), pool_size=pool_size, max_overflow=20)


def sync_engine(url: str, *, pool_size: int = 5) -> Engine:
    return create_engine(sqlalchemy_url(url), pool_size=pool_size, max_overflow=5, pool_pre_ping=True)


def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def read_engine(engine: AsyncEngine) -> AsyncEngine:
    """The same pool for queries: autocommit, so a read costs no BEGIN / ROLLBACK round trips.
    Each statement commits on its own, so a write through it must be one statement that is the
    whole transaction (e.g. a data-modifying CTE changing a row and inserting its outbox event,
    services/jobs/service.py `cancel_job`); never several statements that belong together."""
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def read_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """ORM sessions on `read_engine`: the same rule, for code that reads through the ORM."""
    return async_sessionmaker(read_engine(engine), expire_on_commit=False)


def ensure_database(url: str) -> bool:
    """Create the database named in `url` if it is missing. True when it was created."""
    u = make_url(url)
    name = u.database
    admin = libpq_url(u.set(database="postgres").render_as_string(hide_password=False))
    with psycopg.connect(admin, autocommit=True, connect_timeout=10) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists:
            return False
        conn.execute(f'CREATE DATABASE "{name}"')
        return True


def drop_database(url: str) -> None:
    u = make_url(url)
    admin = libpq_url(u.set(database="postgres").render_as_string(hide_password=False))
    with psycopg.connect(admin, autocommit=True, connect_timeout=10) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{u.database}" WITH (FORCE)')


def check_database(url: str, *, timeout_s: int = 5) -> str | None:
    """None when PostgreSQL answers at `url`, else a one-line reason."""
    try:
        with psycopg.connect(libpq_url(url), connect_timeout=timeout_s) as conn:
            conn.execute("SELECT 1")
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return first


def check_redis(url: str, *, timeout_s: float = 5.0) -> str | None:
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=timeout_s, socket_timeout=timeout_s)
        client.ping()
        client.close()
        return None
    except Exception as exc:  # noqa: BLE001
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def require_backends(component: str, *, database_url: str | None, redis_url: str | None) -> None:
    """Exit non-zero with one line on stderr when a backing system does not answer (SPEC §2)."""
    for what, url, check in (
        ("PostgreSQL", database_url, check_database),
        ("Redis", redis_url, check_redis),
    ):
        if url is None:
            continue
        reason = check(url)
        if reason is not None:
            shown = make_url(url).render_as_string(hide_password=True) if what == "PostgreSQL" else url
            print(f"{component}: cannot reach {what} at {shown}: {reason}", file=sys.stderr, flush=True)
            raise SystemExit(2)
