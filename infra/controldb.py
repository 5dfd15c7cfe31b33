"""The control database: SQLite in the data directory by default, PostgreSQL when the setting names one.

One code path over both dialects (SQLAlchemy Core; tables in infra/control_tables.py). Its schema is
versioned (Alembic, infra/migrations/). An embedded SQLite file is brought to the current schema by
whichever process opens it first, so `simulacra dev` needs no extra step; a PostgreSQL database is
migrated only by `simulacra admin migrate`, and every other process refuses to start on one that is
not at the current version, rather than run against a half-made schema.

SQLite: every transaction is BEGIN IMMEDIATE (it takes the write lock at once, so a read-then-write such
as a usage reservation is serialised across processes) and WAL lets readers run beside the writer.
PostgreSQL: READ COMMITTED, with exactly-once written into each statement (ON CONFLICT, conditional
UPDATEs checked by their row count, a per-tenant lock for reservations).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url

from simulacra.infra import migrate
from simulacra.infra.config import POSTGRES_SCHEMES


class NotMigrated(Exception):
    """The database's schema is not the one this release expects."""


def database_url(target: str | Path) -> str:
    """A SQLAlchemy URL: PostgreSQL URLs get the psycopg 3 driver, anything else is a SQLite file path."""
    text = str(target)
    if text.startswith(POSTGRES_SCHEMES):
        return "postgresql+psycopg://" + text.split("://", 1)[1]
    return f"sqlite:///{Path(text).resolve()}"


def redacted(url: str) -> str:
    """The URL for messages and logs: never its password."""
    return make_url(url).render_as_string(hide_password=True)


def _sqlite_engine(url: str) -> Engine:
    engine = create_engine(url, connect_args={"timeout": 10, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we say BEGIN ourselves (pysqlite would defer it)
        dbapi_connection.execute("PRAGMA journal_mode=WAL")
        dbapi_connection.execute("PRAGMA foreign_keys=ON")

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


# One engine (so one connection pool) per database per process, and its schema checked once.
_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def _engine(url: str, check: bool) -> Engine:
    with _engines_lock:
        engine = _engines.get(url)
        if engine is not None:
            return engine
        if url.startswith("sqlite"):
            Path(make_url(url).database or "").parent.mkdir(parents=True, exist_ok=True)
            engine = _sqlite_engine(url)
            migrate.upgrade(engine)  # the embedded database migrates itself (see the module's docstring)
        else:
            engine = create_engine(url, pool_pre_ping=True)
            if not check:
                return engine  # `simulacra admin migrate`: neither checked nor kept until it has run
            current, head = migrate.revisions(engine)
            if current != head:
                engine.dispose()
                raise NotMigrated(
                    f"the control database {redacted(url)} is at schema version {current or 'none'}, "
                    f"this release needs {head}: run `simulacra admin migrate` first"
                )
        _engines[url] = engine
        return engine


class ControlDB:
    def __init__(self, target: str | Path, check: bool = True) -> None:
        """`target`: a SQLite file path or a postgresql:// URL (SIMULACRA_CONTROL_DB)."""
        self.url = database_url(target)
        self.engine = _engine(self.url, check)

    def replica(self) -> ControlDB:
        """Another handle on the same database with an engine and pool of its own, as another process has."""
        other = object.__new__(ControlDB)
        other.url = self.url
        other.engine = _sqlite_engine(self.url) if self.url.startswith("sqlite") else create_engine(self.url)
        return other

    def close(self) -> None:
        """Close this process's connections to the database (the next ControlDB for it opens new ones)."""
        with _engines_lock:
            if _engines.get(self.url) is self.engine:
                del _engines[self.url]
        self.engine.dispose()

    @property
    def is_postgresql(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def lock_tenant(self, conn: Connection, purpose: str, tenant_id: str) -> None:
        """Serialise a check-then-insert of one tenant's (a quota, a limit) across replicas until the transaction
        ends. SQLite needs nothing: BEGIN IMMEDIATE already holds the database's write lock."""
        if self.is_postgresql:
            conn.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(f"{purpose}\n{tenant_id}", 0))))

    @property
    def path(self) -> Path | None:
        """The SQLite file, if that is where the database lives."""
        database = make_url(self.url).database
        return Path(database) if not self.is_postgresql and database else None

    def insert(self, table: Any) -> Any:
        """The dialect's INSERT, which has `on_conflict_do_nothing` / `on_conflict_do_update` on both."""
        return (postgresql.insert if self.is_postgresql else sqlite.insert)(table)

    @contextlib.contextmanager
    def connect(self) -> Iterator[Connection]:
        """One short transaction: committed on success, rolled back on error."""
        with self.engine.begin() as conn:
            yield conn
