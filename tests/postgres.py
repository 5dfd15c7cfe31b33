"""A real PostgreSQL server for tests, from the machine's Debian binaries (`postgresql-15`).

initdb into a fresh directory under /tmp, started with pg_ctl on a free loopback port with fsync off
(throwaway data). When the tests run as root the server runs as the `postgres` OS user, which
PostgreSQL requires. It fails loudly, never skips: .ci/run installs the binaries.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg

from tests.stack import free_port


def _bin_dir() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if not found:
        raise RuntimeError("PostgreSQL binaries not found under /usr/lib/postgresql: apt-get install postgresql-15")
    return found[-1].parent


@dataclass(frozen=True)
class PostgresServer:
    port: int

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, template: str = "template0") -> str:
        """A fresh database's URL (from `template`, e.g. one already migrated)."""
        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return self.url(name)


def _as_postgres(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@contextlib.contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    bin_dir, port = _bin_dir(), free_port()
    # Not under pytest's temp root: its directories are private to root, and the server runs as postgres.
    workdir = Path(tempfile.mkdtemp(prefix="simulacra-pg-"))
    data, log = workdir / "data", workdir / "server.log"
    if os.geteuid() == 0:
        shutil.chown(workdir, "postgres", "postgres")
    try:
        made = subprocess.run(
            _as_postgres([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "--no-sync"]),
            capture_output=True,
            text=True,
        )
        if made.returncode != 0:
            raise RuntimeError(f"initdb failed: {made.stdout}{made.stderr}")
        options = (
            f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={workdir} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
        )
        started = subprocess.run(
            _as_postgres([str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "start"]),
            capture_output=True,
            text=True,
        )
        if started.returncode != 0:
            raise RuntimeError(f"PostgreSQL did not start: {started.stdout}{started.stderr}{log.read_text()}")
        try:
            yield PostgresServer(port)
        finally:
            subprocess.run(
                _as_postgres([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                capture_output=True,
            )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
