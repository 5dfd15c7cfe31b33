"""Versioned schema migrations of the control database (Alembic, scripts in infra/migrations/versions/).

Run programmatically, with the scripts shipped inside the package: no alembic.ini, no working directory.
"""

from __future__ import annotations

import functools
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, func, select

_SCRIPTS = Path(__file__).resolve().parent / "migrations"
# Any fixed number: the PostgreSQL advisory lock that keeps two `simulacra admin migrate` from interleaving.
_MIGRATION_LOCK = 0x51_4D_55_4C


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(_SCRIPTS))
    return config


@functools.cache
def head() -> str:
    revision = ScriptDirectory.from_config(_config()).get_current_head()
    assert revision is not None
    return revision


def current(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def revisions(engine: Engine) -> tuple[str | None, str]:
    """(the database's schema version, the one this release needs)."""
    return current(engine), head()


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Bring the database to the current version in one transaction; returns (version before, version now).

    Concurrent callers are serialised (SQLite: the transaction's write lock; PostgreSQL: an advisory
    lock), and the second finds nothing left to do.
    """
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(select(func.pg_advisory_xact_lock(_MIGRATION_LOCK)))
        before = MigrationContext.configure(conn).get_current_revision()
        if before != head():
            config = _config()
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
    return before, head()
